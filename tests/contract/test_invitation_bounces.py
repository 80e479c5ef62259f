"""Bounces that come back after the SMTP server accepted a private invitation's e-mail.

A real SMTP server (aiosmtpd) receives the invitation's e-mails: each one's MAIL FROM is the bounce
address with that message's token (VERP). Delivery status notifications built as Postfix builds them
(multipart/report; message/delivery-status; text/rfc822-headers) are dropped into a Maildir and
`coursehost mail bounces --maildir` records them: GetPrivateInvitationJobStatus and the console's
invitation page show the address as bounced with the DSN's status and diagnostic code. An auto-reply,
a "delayed" notice and forged DSNs (a token we never sent, a token sent to someone else) change nothing.
"""

from __future__ import annotations

import html
import mailbox
import re
import uuid
from email import message_from_bytes, policy

import pytest
import rustici_software_cloud_v2 as cloud

from coursehost.db.migrate import upgrade
from coursehost.domain.mail.bounces import MESSAGE_HEADER
from tests.console.support import http_session, make_user
from tests.contract.lms import Inbox, wait_until
from tests.contract.registrations import reg_app
from tests.contract.test_realm_limits import cli
from tests.databases import create_pg_database, drop_pg_database
from tests.servers import running_live_server, smtp_server

BOUNCES = "bounces@coursehost.example"


class EnvelopeInbox(Inbox):
    """Keeps every message with its envelope: {recipient: (MAIL FROM, the bytes received)}."""

    def __init__(self):
        super().__init__()
        self.envelopes: dict[str, tuple[str, bytes]] = {}

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        for rcpt in envelope.rcpt_tos:
            self.envelopes[rcpt.lower()] = (envelope.mail_from, envelope.content)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(EnvelopeInbox()) as served:
        yield served


@pytest.fixture(scope="module")
def live_server(database_url, tmp_path_factory, inbox):
    """A service of its own (this backend) mailing through INBOX with COURSEHOST_MAIL_BOUNCE_ADDRESS set."""
    folder = tmp_path_factory.mktemp("bounces")
    url = f"sqlite:///{folder / 'b.db'}" if database_url.startswith("sqlite") else create_pg_database()
    upgrade(url)
    try:
        with running_live_server(url, folder / "data", smtp_url=f"smtp://127.0.0.1:{inbox[1]}",
                                 mail_bounce_address=BOUNCES) as server:
            yield server
    finally:
        if not url.startswith("sqlite"):
            drop_pg_database(url)


def postfix_dsn(*, delivered_to: str, recipient: str, returned: bytes, action: str = "failed",
                status: str = "5.1.1", reason: str = "Recipient address rejected: User unknown in virtual "
                "mailbox table") -> bytes:
    """A bounce as Postfix writes it (bounce(8)), as the local delivery agent stores it in a Maildir."""
    headers = returned.split(b"\n\n", 1)[0].decode().replace("\r\n", "\n")
    boundary = "4F1C2A0.1765038600/relay.coursehost.example"
    code = "550" if status.startswith("5") else "451"
    return f"""Return-Path: <>
X-Original-To: {delivered_to}
Delivered-To: {delivered_to}
Received: by mx.coursehost.example (Postfix)
\tid 7D2E41A0; Sun,  6 Dec 2026 16:30:01 +0000 (UTC)
Date: Sun,  6 Dec 2026 16:30:00 +0000 (UTC)
From: MAILER-DAEMON@relay.coursehost.example (Mail Delivery System)
Subject: {"Undelivered Mail Returned to Sender" if action == "failed" else "Delayed Mail (still being retried)"}
To: {delivered_to}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{boundary}"
Content-Transfer-Encoding: 7bit
Message-Id: <20261206163000.4F1C2A0@relay.coursehost.example>

This is a MIME-encapsulated message.

--{boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host relay.coursehost.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<{recipient}>: host mx.example.org[192.0.2.25] said: {code} {status}
    <{recipient}>: {reason} (in reply to RCPT TO command)

--{boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.coursehost.example
X-Postfix-Queue-ID: 4F1C2A0
X-Postfix-Sender: rfc822; {delivered_to}
Arrival-Date: Sun,  6 Dec 2026 16:29:58 +0000 (UTC)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; {code} {status} <{recipient}>:
    {reason}

--{boundary}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{headers}

--{boundary}--
""".encode()


AUTO_REPLY = """Return-Path: <ann@example.org>
Delivered-To: {to}
From: Ann <ann@example.org>
To: {to}
Subject: Out of office
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=utf-8

I am away until Monday. {recipient} is not me.
"""


def _status(app, invitation_id: str) -> cloud.InvitationJobStatusSchema:
    return app.invitations.get_private_invitation_job_status(invitation_id)


def _console_page(live_server, app, invitation_id: str) -> str:
    with http_session(live_server, make_user(live_server, "administrator")) as console:
        page = console.get(f"/console/invitations/{app.creds.app_id}/{invitation_id}")
    assert page.status_code == 200
    return page.text


def _delivery_cell(page: str, address: str) -> str:
    row = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(address)}(?:(?!</tr>).)*</tr>", page, re.S).group(0)
    return html.unescape(" ".join(re.search(r'class="delivery">(.*?)</td>', row, re.S).group(1).split()))


def _take(live_server, tmp_path, maildir) -> str:
    done = cli(live_server, tmp_path, "mail", "bounces", "--maildir", str(maildir))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bounces_from_a_maildir_are_recorded_per_address(live_server, inbox, tmp_path):
    handler, _ = inbox
    app = reg_app(live_server, tmp_path)
    app.invitations = cloud.InvitationsApi(live_server.client(app.creds))
    tag = uuid.uuid4().hex[:6]
    ann, gone, moved = (f"{n}-{tag}@example.org" for n in ("ann", "gone", "moved"))
    created = app.invitations.create_private_invitation(cloud.CreatePrivateInvitationSchema(
        course_id=app.course12, creating_user_email="owner@example.org",
        invitation_email=cloud.InvitationEmailSchema(subject="Bounce drill", addresses=[ann, gone, moved])))
    wait_until(lambda: all(a in handler.envelopes for a in (ann, gone, moved)), what="the three e-mails")
    wait_until(lambda: _status(app, created.id).status == "COMPLETE", what="the sending job")

    # each e-mail's envelope sender carries its own token, the one in its X-Coursehost-Message header
    sent = {}
    for address in (ann, gone, moved):
        mail_from, content = handler.envelopes[address]
        token = message_from_bytes(content, policy=policy.default)[MESSAGE_HEADER]
        assert re.fullmatch(r"[0-9a-f]{32}", token)
        assert mail_from == f"bounces+{token}@coursehost.example"
        sent[address] = (mail_from, content)
    assert len({m for m, _ in sent.values()}) == 3

    maildir = tmp_path / "Maildir"
    box = mailbox.Maildir(maildir, create=True)
    verp = {a: sent[a][0] for a in sent}
    box.add(AUTO_REPLY.format(to=verp[gone], recipient=gone).encode())  # not a DSN
    box.add(postfix_dsn(delivered_to=f"bounces+{uuid.uuid4().hex}@coursehost.example", recipient=gone,
                        returned=b"Subject: something else\nMessage-ID: <x@elsewhere.example>\n\n"))  # no token of ours
    box.add(postfix_dsn(delivered_to=verp[ann], recipient=gone, returned=sent[ann][1]))  # ann's token, not ann
    box.add(postfix_dsn(delivered_to=verp[gone], recipient=gone, returned=sent[gone][1], action="delayed",
                        status="4.4.1", reason="Connection timed out"))  # still being retried
    out = _take(live_server, tmp_path, maildir)
    assert out.startswith("4 messages read, 0 bounces recorded, 4 ignored."), out
    assert "not a delivery status notification" in out and "no recipient failed" in out
    assert out.count("names no message of ours") == 2
    assert _status(app, created.id).errors == []
    page = _console_page(live_server, app, created.id)
    assert "E-mails: 3 sent, 0 waiting, 0 failed." in page and "Bounced" not in page
    assert sorted(p.name for p in (maildir / "new").iterdir()) == [] and len(list((maildir / "cur").iterdir())) == 4

    # gone's relay gave up: the DSN comes to its VERP address. moved's came to the bare bounce
    # address (a forwarder rewrote it): matched by the X-Coursehost-Message of the returned headers
    box.add(postfix_dsn(delivered_to=verp[gone], recipient=gone, returned=sent[gone][1]))
    box.add(postfix_dsn(delivered_to=BOUNCES, recipient=moved, returned=sent[moved][1], status="5.1.6",
                        reason="Recipient address rejected: mailbox has moved"))
    out = _take(live_server, tmp_path, maildir)
    assert out.startswith("2 messages read, 2 bounces recorded, 0 ignored."), out
    gone_reason = f"5.1.1 smtp; 550 5.1.1 <{gone}>: Recipient address rejected: User unknown in virtual mailbox table"
    moved_reason = f"5.1.6 smtp; 550 5.1.6 <{moved}>: Recipient address rejected: mailbox has moved"
    status = _status(app, created.id)
    assert status.errors == [f"{gone}: e-mail bounced: {gone_reason}", f"{moved}: e-mail bounced: {moved_reason}"]
    assert (status.status, status.total, status.processed) == ("COMPLETE", 3, 3)
    assert {u.email for u in app.invitations.get_private_user_invitations(created.id).user_invitations} == \
        {ann, gone, moved}  # still invited: their links work, only the e-mail did not arrive
    page = _console_page(live_server, app, created.id)
    assert "E-mails: 1 sent, 0 waiting, 0 failed, 2 bounced." in page
    assert _delivery_cell(page, gone) == f"Bounced: {gone_reason}"
    assert _delivery_cell(page, moved) == f"Bounced: {moved_reason}"
    assert _delivery_cell(page, ann) == "Sent"

    # the same bounce again (a copy, or a pass that died before moving it) records nothing twice
    box.add(postfix_dsn(delivered_to=verp[gone], recipient=gone, returned=sent[gone][1]))
    assert _take(live_server, tmp_path, maildir).startswith("1 message read, 0 bounces recorded, 1 ignored.")
    assert _take(live_server, tmp_path, maildir).startswith("0 messages read, 0 bounces recorded, 0 ignored.")
    assert len(_status(app, created.id).errors) == 2

