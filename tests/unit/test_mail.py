"""The e-mail outbox end to end: messages queued in a transaction, sent by the real job worker to a
real SMTP server (aiosmtpd on a free port), retried after 4xx, given up after 5xx, written as .eml
files when no server is configured; the SMTP password never shows in logs or rows."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import logging
import socket
import ssl
from email import policy
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import delete, func, select

from coursehost.db.base import utcnow
from coursehost.db.migrate import upgrade
from coursehost.db.models.jobs import DONE, FAILED, QUEUED, Job
from coursehost.db.models.mail import FAILED as MAIL_FAILED
from coursehost.db.models.mail import PENDING, SENT, MailMessage
from coursehost.db.session import unit_of_work
from coursehost.domain.errors import InvalidInput
from coursehost.domain.mail.messages import BASE_DELAY, JOB_KIND, enqueue_mail, enqueue_template
from coursehost.domain.mail.templates import UnknownTemplate, render, template_names
from coursehost.jobs.handlers import mail_env, register_all
from coursehost.jobs.registry import JobRegistry
from coursehost.jobs.worker import Worker
from coursehost.services import build_services
from coursehost.settings import Settings, UnsafeSettings
from tests.databases import create_pg_database, drop_pg_database

USER = "mailer@example.org"
PASSWORD = "s3cret p@ss:w/rd%"  # every character a URL must encode
FROM = "Coursehost Tests <noreply@coursehost.test>"
RESET = {"name": "Ann <b>& Co</b>", "email": "ann@example.com", "expires_minutes": 30,
         "reset_url": "https://learn.example.com/console/reset?token=abc&x=1"}


# --- a real SMTP server ------------------------------------------------------------------------

class Recorder:
    """aiosmtpd handler: records what arrives; answers the next queued replies first."""

    def __init__(self):
        self.received: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.data_replies: list[str] = []
        self.rcpt_replies: list[str] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            return self.data_replies.pop(0)
        self.received.append(email.message_from_bytes(envelope.content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        return AuthResult(success=(login, password) == (USER, PASSWORD), handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """(recorder, port) of a plain SMTP server that offers AUTH without TLS."""
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, authenticator=recorder.authenticate,
                            auth_require_tls=False)
    controller.start()
    yield recorder, port
    controller.stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and its key (the client trusts it via SSL_CERT_FILE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def server_context(tls_files) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    return context


# --- a database of its own (the live server's worker would take mail.send jobs from the shared one) ---

@pytest.fixture(scope="module")
def mail_database_url(database_url, tmp_path_factory):
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('mail') / 'mail.db'}"
        upgrade(url)
        yield url
        return
    url = create_pg_database()
    upgrade(url)
    yield url
    drop_pg_database(url)


@pytest.fixture
def make_services(mail_database_url, tmp_path):
    """make_services(smtp_url=...) -> Services over the mail database, DATA_DIR in tmp_path."""
    built = []

    def make(**overrides):
        values = {"data_dir": tmp_path / "data", "database_url": mail_database_url, "mail_from": FROM,
                  "smtp_timeout_seconds": 5, **overrides}
        settings = Settings(**values).resolved()
        settings.check_safe()
        services = build_services(settings)
        built.append(services)
        return services

    yield make
    if built:
        with unit_of_work(built[0].session_factory) as s:
            s.execute(delete(Job))
            s.execute(delete(MailMessage))
    for services in built:
        services.engine.dispose()


def worker(services) -> Worker:
    """The job worker as `serve` runs it: every registered kind, the services as its context."""
    return Worker(services.session_factory, register_all(JobRegistry()), services, lease_seconds=30,
                  poll_seconds=0.02)


def queue_reset_mail(services, **kw) -> int:
    with unit_of_work(services.session_factory) as s:
        return enqueue_template(s, to="ann@example.com", template="password_reset", values=RESET, **kw).pk


def state(services, pk) -> tuple[MailMessage, Job]:
    with services.session_factory() as s:
        row = s.get(MailMessage, pk)
        job = s.scalars(select(Job).where(Job.kind == JOB_KIND).order_by(Job.id.desc())).first()
        s.expunge_all()
        return row, job


def smtp_url(port: int, scheme: str = "smtp", password: str = PASSWORD) -> str:
    return f"{scheme}://{quote(USER, safe='')}:{quote(password, safe='')}@127.0.0.1:{port}"


def parts(msg: email.message.EmailMessage) -> tuple[str, str]:
    return (msg.get_body(preferencelist=("plain",)).get_content(),
            msg.get_body(preferencelist=("html",)).get_content())


def coursehost_log(caplog) -> str:
    return "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records
                     if r.name.startswith("coursehost"))


# --- tests --------------------------------------------------------------------------------------

def test_queued_message_is_sent_by_the_worker_with_auth(smtp_server, make_services, caplog):
    caplog.set_level(logging.DEBUG)
    recorder, port = smtp_server
    services = make_services(smtp_url=smtp_url(port))
    pk = queue_reset_mail(services, reply_to="support@example.com")
    assert state(services, pk)[0].status == PENDING

    assert worker(services).run_once()

    assert recorder.logins == [(USER, PASSWORD)]  # URL-decoded credentials, used for AUTH
    [msg] = recorder.received
    assert msg["Subject"] == "Reset your Coursehost password"
    assert msg["From"] == FROM and msg["To"] == "ann@example.com"
    assert msg["Reply-To"] == "support@example.com"
    assert msg["Message-ID"].endswith("@coursehost.test>")
    assert recorder.envelopes == [("noreply@coursehost.test", ["ann@example.com"])]
    text, html = parts(msg)
    assert "Hello Ann <b>& Co</b>," in text and RESET["reset_url"] in text
    assert "Hello Ann &lt;b&gt;&amp; Co&lt;/b&gt;," in html and "<b>" not in html  # autoescaped
    assert 'href="https://learn.example.com/console/reset?token=abc&amp;x=1"' in html
    row, job = state(services, pk)
    assert (row.status, row.attempts, row.last_error) == (SENT, 1, None)
    assert row.delivered_via == f"smtp://{quote(USER, safe='')}@127.0.0.1:{port}" and row.sent is not None
    assert job.status == DONE
    assert worker(services).run_once() is False  # sent once, nothing left
    assert len(recorder.received) == 1
    logged = coursehost_log(caplog)
    assert f"mail {pk} to ann@example.com accepted by {row.delivered_via}" in logged
    assert PASSWORD not in logged and quote(PASSWORD, safe="") not in logged


def test_a_451_is_retried_after_a_backoff_and_the_message_arrives_once(smtp_server, make_services):
    recorder, port = smtp_server
    recorder.data_replies.append("451 4.3.0 Try again later")
    services = make_services(smtp_url=smtp_url(port))
    pk = queue_reset_mail(services)
    before = utcnow()

    assert worker(services).run_once()
    row, job = state(services, pk)
    assert recorder.received == []
    assert (row.status, row.attempts) == (PENDING, 1) and "451 4.3.0 Try again later" in row.last_error
    assert job.status == QUEUED and job.run_after >= before + dt.timedelta(seconds=BASE_DELAY / 2)
    assert worker(services).run_once() is False  # not before the backoff is over

    with unit_of_work(services.session_factory) as s:  # ... the backoff is over
        s.get(Job, job.id).run_after = utcnow()
    assert worker(services).run_once()
    assert len(recorder.received) == 1
    row, job = state(services, pk)
    assert (row.status, row.attempts, row.last_error, job.status) == (SENT, 2, None, DONE)
    assert worker(services).run_once() is False
    assert len(recorder.received) == 1


def test_a_550_gives_up_with_the_error_recorded(smtp_server, make_services):
    recorder, port = smtp_server
    recorder.rcpt_replies.append("550 5.1.1 <ann@example.com>: no such user")
    services = make_services(smtp_url=smtp_url(port))
    pk = queue_reset_mail(services)

    assert worker(services).run_once()
    row, job = state(services, pk)
    assert recorder.received == []
    assert row.status == MAIL_FAILED and row.attempts == 1
    assert "550 5.1.1 <ann@example.com>: no such user" in row.last_error
    assert job.status == FAILED and "550 5.1.1" in job.last_error
    assert worker(services).run_once() is False  # never tried again


def test_a_wrong_password_fails_without_showing_it(smtp_server, make_services, caplog):
    caplog.set_level(logging.DEBUG)
    recorder, port = smtp_server
    wrong = "Wr0ng-pa55word!"
    services = make_services(smtp_url=smtp_url(port, password=wrong))
    pk = queue_reset_mail(services)

    assert worker(services).run_once()
    row, job = state(services, pk)
    assert recorder.logins and set(recorder.logins) == {(USER, wrong)} and recorder.received == []
    assert row.status == MAIL_FAILED and "535" in row.last_error  # 5xx: permanent
    for text in (coursehost_log(caplog), row.last_error, job.last_error, str(services.settings)):
        assert wrong not in text and quote(wrong, safe="") not in text


def test_connection_refused_is_temporary(make_services):
    port = free_port()  # nothing listens there
    services = make_services(smtp_url=smtp_url(port))
    pk = queue_reset_mail(services)
    assert worker(services).run_once()
    row, job = state(services, pk)
    assert row.status == PENDING and row.attempts == 1 and f"127.0.0.1:{port}" in row.last_error
    assert PASSWORD not in row.last_error and job.status == QUEUED


def test_starttls_is_used_when_offered(tls_files, make_services, monkeypatch):
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, tls_context=server_context(tls_files),
                            require_starttls=True, authenticator=recorder.authenticate, auth_require_tls=True)
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(tls_files[0]))  # the client trusts the test certificate
        services = make_services(smtp_url=smtp_url(port))
        pk = queue_reset_mail(services)
        assert worker(services).run_once()
    finally:
        controller.stop()
    assert recorder.logins == [(USER, PASSWORD)] and len(recorder.received) == 1
    assert state(services, pk)[0].status == SENT


def test_smtps_uses_implicit_tls_and_verifies_the_certificate(tls_files, make_services, monkeypatch):
    recorder = Recorder()
    port = free_port()
    # aiosmtpd counts only STARTTLS as TLS for AUTH; this connection is TLS from its first byte
    controller = Controller(recorder, hostname="127.0.0.1", port=port, ssl_context=server_context(tls_files),
                            authenticator=recorder.authenticate, auth_require_tls=False)
    controller.start()
    try:
        services = make_services(smtp_url=smtp_url(port, scheme="smtps"))
        first = queue_reset_mail(services)
        assert worker(services).run_once()  # the certificate is not trusted yet: temporary
        row, _ = state(services, first)
        assert row.status == PENDING and "TLS" in row.last_error and recorder.received == []

        monkeypatch.setenv("SSL_CERT_FILE", str(tls_files[0]))
        with unit_of_work(services.session_factory) as s:
            s.execute(delete(Job))
            s.execute(delete(MailMessage))
        second = queue_reset_mail(services)
        assert worker(services).run_once()
    finally:
        controller.stop()
    assert recorder.logins == [(USER, PASSWORD)] and len(recorder.received) == 1
    assert state(services, second)[0].status == SENT


def test_without_smtp_messages_are_written_as_eml_files(make_services, caplog):
    caplog.set_level(logging.INFO)
    services = make_services()
    pk = queue_reset_mail(services, reply_to="support@example.com")
    assert worker(services).run_once()

    [path] = (services.settings.data_dir / "mail").glob("*.eml")
    row, job = state(services, pk)
    assert (row.status, row.delivered_via, job.status) == (SENT, str(path), DONE)
    assert str(path) in coursehost_log(caplog)  # the log says where
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["Subject"] == "Reset your Coursehost password"
    assert (msg["From"], msg["To"], msg["Reply-To"]) == (FROM, "ann@example.com", "support@example.com")
    text, html = parts(msg)
    assert RESET["reset_url"] in text and "Ann &lt;b&gt;" in html
    assert not list(path.parent.glob("*.tmp"))


def test_with_a_bounce_address_each_message_has_its_own_envelope_sender(smtp_server, make_services):
    """VERP: the envelope sender (where a later bounce goes) is the bounce address plus the message's
    token, which the message also carries in X-Coursehost-Message; the From stays as it was."""
    recorder, port = smtp_server
    services = make_services(smtp_url=smtp_url(port), mail_bounce_address="bounces@coursehost.test")
    pks = [queue_reset_mail(services), queue_reset_mail(services)]
    assert worker(services).run_once() and worker(services).run_once()
    tokens = [state(services, pk)[0].token for pk in pks]
    assert sorted(recorder.envelopes) == sorted((f"bounces+{t}@coursehost.test", ["ann@example.com"]) for t in tokens)
    assert sorted(m["X-Coursehost-Message"] for m in recorder.received) == sorted(tokens)
    assert all(m["From"] == FROM for m in recorder.received)

    eml = make_services(mail_bounce_address="bounces@coursehost.test")  # no SMTP server: the .eml shows it
    pk = queue_reset_mail(eml)
    assert worker(eml).run_once()
    [path] = (eml.settings.data_dir / "mail").glob(f"*-{pk}.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    token = state(eml, pk)[0].token
    assert msg["Return-Path"] == f"<bounces+{token}@coursehost.test>" and msg["X-Coursehost-Message"] == token


def test_default_from_uses_the_public_host(make_services):
    services = make_services(mail_from=None, public_url="https://learn.example.com",
                             content_url="https://content.example.com")
    env = mail_env(services)
    assert env.sender == "Coursehost <coursehost@learn.example.com>" and env.smtp is None


def test_a_rolled_back_transaction_sends_nothing(make_services):
    services = make_services()
    with pytest.raises(RuntimeError), unit_of_work(services.session_factory) as s:
        enqueue_mail(s, to="ann@example.com", subject="Hi", text="Hello")
        raise RuntimeError("the request failed after queueing the mail")
    assert worker(services).run_once() is False
    with services.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(MailMessage)) == 0
    assert not (services.settings.data_dir / "mail").exists()


@pytest.mark.parametrize("kw, message", [
    ({"to": "not an address"}, "recipient"),
    ({"to": "ann@example.com\r\nBcc: all@example.com"}, "recipient"),
    ({"to": "ann@example.com, bob@example.com"}, "recipient"),
    ({"to": ""}, "recipient is missing"),
    ({"reply_to": "nobody"}, "reply-to"),
    ({"subject": "Hi\r\nBcc: all@example.com"}, "one line"),
    ({"subject": " "}, "subject is missing"),
    ({"subject": "x" * 501}, "one line of at most 500"),
    ({"text": ""}, "no text"),
])
def test_bad_input_queues_nothing(make_services, kw, message):
    services = make_services()
    values = {"to": "ann@example.com", "subject": "Hi", "text": "Hello", **kw}
    with pytest.raises(InvalidInput, match=message), unit_of_work(services.session_factory) as s:
        enqueue_mail(s, **values)
    with services.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(MailMessage)) == 0
        assert s.scalar(select(func.count()).select_from(Job)) == 0


def test_templates_escape_html_only_and_refuse_missing_values():
    assert "password_reset" in template_names()
    rendered = render("password_reset", RESET)
    assert rendered.subject == "Reset your Coursehost password"
    assert "Ann <b>& Co</b>" in rendered.text and "Ann &lt;b&gt;&amp; Co&lt;/b&gt;" in rendered.html
    with pytest.raises(Exception, match="reset_url"):
        render("password_reset", {k: v for k, v in RESET.items() if k != "reset_url"})
    for name in ("no_such_template", "../password_reset", "_layout"):
        with pytest.raises(UnknownTemplate):
            render(name, RESET)


@pytest.mark.parametrize("env, message", [
    ({"smtp_url": "http://mail.example.com"}, "COURSEHOST_SMTP_URL must be smtp://"),
    ({"smtp_url": "smtp://"}, "with a host name"),
    ({"smtp_url": "smtp://u:p@mail.example.com:99999"}, "not a valid URL"),
    ({"mail_from": "nobody"}, "COURSEHOST_MAIL_FROM"),
    ({"mail_bounce_address": "Bounces <bounces@example.org>"}, "COURSEHOST_MAIL_BOUNCE_ADDRESS"),
    ({"mail_bounce_address": "bounces+x@example.org"}, "COURSEHOST_MAIL_BOUNCE_ADDRESS"),
    ({"mail_bounce_address": "nobody"}, "COURSEHOST_MAIL_BOUNCE_ADDRESS"),
    ({"mail_bounce_address": "a@b\nBcc: c@d"}, "COURSEHOST_MAIL_BOUNCE_ADDRESS"),
])
def test_bad_mail_settings_are_refused_at_startup(env, message, tmp_path):
    with pytest.raises(UnsafeSettings, match=message):
        Settings(data_dir=tmp_path, **env).check_safe()
