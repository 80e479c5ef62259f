"""Postback enqueue (outbox + dedupe), config resolution, and delivery against a real receiver."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from coursehost.db.models.courses import Course, CourseVersion
from coursehost.db.models.jobs import QUEUED, RUNNING, Job
from coursehost.db.models.registrations import Registration
from coursehost.db.models.tenancy import Application, Realm
from coursehost.db.session import unit_of_work
from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import InvalidInput
from coursehost.domain.outbox import RetryJob
from coursehost.domain.postbacks import delivery
from coursehost.domain.postbacks.config import PostbackConfig, postback_config
from coursehost.domain.postbacks.enqueue import JOB_KIND, MAX_ATTEMPTS, dedupe_key, enqueue_postback
from coursehost.domain.postbacks.formats import build_request, sample_progress
from coursehost.domain.registrations.core import create_registration, get_instance, registration_scope
from coursehost.domain.settings_registry import set_settings
from coursehost.domain.settings_registry.cascade import application_scope
from tests.contract.receiver import Receiver

BOX = SecretBox("unit-test-instance-key-" + "x" * 32)


def make_course(session) -> tuple[int, str]:
    realm = Realm(name="pb realm")
    session.add(realm)
    session.flush()
    app = Application(app_id=f"T{uuid.uuid4().hex[:12].upper()}", realm_id=realm.id, name="pb")
    session.add(app)
    session.flush()
    course = Course(application_pk=app.pk, course_id="c1", title="Course 1", learning_standard="SCORM12",
                    latest_version=0)
    session.add(course)
    session.flush()
    session.add(CourseVersion(course_pk=course.pk, version=0, title="Course 1", learning_standard="SCORM12",
                              structure={"id": "root", "title": "Course 1", "children": [
                                  {"id": "sco1", "title": "SCO 1", "activity_type": "sco", "href": "index.html"}]},
                              content_prefix="x/"))
    session.flush()
    return app.pk, course.course_id


def make_registration(session, *, postback=None, reg_id=None):
    app_pk, course_id = make_course(session)
    return create_registration(session, application_pk=app_pk, registration_id=reg_id or f"r-{uuid.uuid4().hex[:8]}",
                               course_id=course_id, learner={"id": "l1", "firstName": "A"}, postback=postback)


def pending(session, reg) -> list[Job]:
    # The live server's committed registrations share this database (and, on SQLite, may have
    # had this pk): only jobs for this very registration count.
    jobs = session.scalars(select(Job).where(Job.dedupe_key == dedupe_key(reg.pk)))
    return [j for j in jobs if j.payload.get("registration_id") == reg.registration_id
            and j.payload.get("application_pk") == reg.application_pk]


def test_no_url_no_job(db_session):
    reg = make_registration(db_session)
    enqueue_postback(db_session, registration=reg)
    assert pending(db_session, reg) == []


def test_one_pending_job_per_registration(db_session):
    reg = make_registration(db_session, postback={"url": "http://127.0.0.1:9/pb"})
    for _ in range(3):
        enqueue_postback(db_session, registration=reg)
    jobs = pending(db_session, reg)
    assert len(jobs) == 1
    job = jobs[0]
    assert job.kind == JOB_KIND and job.status == QUEUED and job.max_attempts == MAX_ATTEMPTS
    assert job.payload["registration_pk"] == reg.pk
    # A job already running is left alone: the next change queues one more, which runs after it.
    job.status = RUNNING
    db_session.flush()
    enqueue_postback(db_session, registration=reg)
    enqueue_postback(db_session, registration=reg)
    both = pending(db_session, reg)
    assert sorted(j.status for j in both) == [QUEUED, RUNNING]
    # each delivery has an id of its own (the X-Coursehost-Delivery-Id its retries repeat)
    assert len({j.payload["delivery_id"] for j in both}) == 2


def test_settings_url_and_registration_postback_precedence(db_session):
    reg = make_registration(db_session)
    set_settings(db_session, application_pk=reg.application_pk, scope=application_scope(), values=[
        ("ApiRollupRegistrationPostBackUrl", "http://settings.test/pb"),
        ("ApiRollupRegistrationAuthType", "httpbasic"),
        ("ApiRollupRegistrationAuthUser", "su"),
        ("ApiRollupRegistrationAuthPassword", "plain-secret"),
        ("ApiRollupRegistrationFormat", "activity"),
        ("ApiRollupRegistrationIsJson", "false"),
    ])
    config = postback_config(db_session, registration=reg, box=BOX)
    assert (config.url, config.auth_type, config.user_name, config.password, config.results_format,
            config.legacy) == ("http://settings.test/pb", "httpbasic", "su", "plain-secret", "activity", True)
    # A registration-level setting overrides the application's.
    set_settings(db_session, application_pk=reg.application_pk, scope=registration_scope(reg.registration_id),
                 values=[("ApiRollupRegistrationPostBackUrl", "http://reg-setting.test/pb"),
                         ("ApiRollupRegistrationAuthPassword", BOX.encrypt("enc-secret"))])
    config = postback_config(db_session, registration=reg, box=BOX)
    assert config.url == "http://reg-setting.test/pb" and config.password == "enc-secret"
    enqueue_postback(db_session, registration=reg)
    assert len(pending(db_session, reg)) == 1
    # The postback given at creation wins, with all of its own fields.
    reg.postback = {"url": "http://created.test/pb", "authType": "FORM", "userName": "cu",
                    "passwordEncrypted": BOX.encrypt("created-secret"), "resultsFormat": "FULL", "legacy": False}
    config = postback_config(db_session, registration=reg, box=BOX)
    assert (config.url, config.auth_type, config.user_name, config.password, config.results_format,
            config.legacy) == ("http://created.test/pb", "form", "cu", "created-secret", "full", False)


def test_sandbox_registrations_get_postbacks_too(db_session):
    reg = make_registration(db_session, postback={"url": "http://127.0.0.1:9/pb"})
    reg.sandbox = True
    enqueue_postback(db_session, registration=reg)
    assert len(pending(db_session, reg)) == 1


def test_prepare_delivery_reads_current_state(db_session):
    reg = make_registration(db_session, postback={"url": "http://x.test/pb", "authType": "httpbasic"})
    seen = []

    def progress_fn(session, *, registration, results_format):
        seen.append(results_format)
        return {"id": registration.registration_id, "registrationCompletion": registration.completion}

    reg.completion = "INCOMPLETE"
    db_session.flush()
    req = delivery.prepare_delivery(db_session, registration_pk=reg.pk, box=BOX, progress_fn=progress_fn)
    assert json.loads(req.body)["registrationCompletion"] == "INCOMPLETE"
    reg.completion = "COMPLETED"
    db_session.flush()
    req = delivery.prepare_delivery(db_session, registration_pk=reg.pk, box=BOX, progress_fn=progress_fn)
    assert json.loads(req.body)["registrationCompletion"] == "COMPLETED" and seen == ["course", "course"]
    # A job for another registration that now has this pk (SQLite reuses rowids) sends nothing.
    assert delivery.prepare_delivery(db_session, registration_pk=reg.pk, box=BOX, progress_fn=progress_fn,
                                     registration_id="someone-else") is None
    db_session.delete(reg)
    db_session.flush()
    assert delivery.prepare_delivery(db_session, registration_pk=reg.pk, box=BOX) is None


def test_prepare_delivery_default_progress(db_session):
    """Without a progress function the registration's GetRegistrationProgress body is sent."""
    reg = make_registration(db_session, postback={"url": "http://x.test/pb", "authType": "httpbasic"})
    for target in (reg, get_instance(db_session, registration=reg)):
        target.completion, target.success, target.score_scaled = "COMPLETED", "PASSED", 90.0
    db_session.flush()
    body = json.loads(delivery.prepare_delivery(db_session, registration_pk=reg.pk, box=BOX).body)
    assert body["id"] == reg.registration_id
    assert (body["registrationCompletion"], body["registrationSuccess"], body["score"]["scaled"]) == \
        ("COMPLETED", "PASSED", 90.0)


# ---------------------------------------------------------------- send() against a real receiver


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def req_to(url: str):
    return build_request(sample_progress(results_format="course"),
                         config=PostbackConfig(url=url, user_name="u", password="topsecret"))


def test_send_success_and_status_codes(receiver):
    assert delivery.send(req_to(receiver.url), allow_private_urls=True) == 200
    got = receiver.wait_for(1)[0]
    assert got.method == "POST" and got.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(got.text)["password"] == ["topsecret"]
    receiver.answer(302)  # redirects are not followed: a 3xx counts as delivered
    assert delivery.send(req_to(receiver.url), allow_private_urls=True) == 302
    assert len(receiver.wait_for(2)) == 2
    for status in (400, 404, 500, 503):
        receiver.answer(status)
        with pytest.raises(delivery.PostbackFailed, match=f"HTTP {status}") as info:
            delivery.send(req_to(receiver.url), allow_private_urls=True)
        assert "topsecret" not in str(info.value)


def test_send_connection_refused_and_dns(receiver):
    url = receiver.url
    receiver.stop()
    with pytest.raises(delivery.PostbackFailed, match="connection error"):
        delivery.send(req_to(url), allow_private_urls=True)
    with pytest.raises(delivery.PostbackFailed, match="connection error"):
        delivery.send(req_to("http://no-such-host.invalid/pb"), allow_private_urls=True)


def test_send_timeout(receiver):
    receiver.delay_seconds = 2
    with pytest.raises(delivery.PostbackFailed, match="timed out"):
        delivery.send(req_to(receiver.url), read_timeout=0.3, allow_private_urls=True)


def test_send_rejects_non_http_urls():
    for url in ("ftp://x/y", "file:///etc/passwd", "not a url", ""):
        with pytest.raises(delivery.PostbackFailed):
            delivery.send(req_to(url), allow_private_urls=True)


def test_failure_messages_hide_url_credentials(receiver):
    receiver.answer(500)
    url = receiver.url.replace("http://", "http://user:pw-in-url@") + "?token=query-secret"
    with pytest.raises(delivery.PostbackFailed) as info:
        delivery.send(req_to(url), allow_private_urls=True)
    assert "pw-in-url" not in str(info.value) and "query-secret" not in str(info.value)


def test_test_postback_raises_invalid_input(receiver):
    receiver.answer(500)
    with pytest.raises(InvalidInput, match="HTTP 500"):
        delivery.test_postback(config=PostbackConfig(url=receiver.url), allow_private_urls=True)
    assert delivery.test_postback(config=PostbackConfig(url=receiver.url, results_format="full"),
                                  allow_private_urls=True) == 200
    with pytest.raises(InvalidInput):
        delivery.test_postback(config=PostbackConfig(url="gopher://x"))


def test_deliver_postback_raises_retry_and_skips_deleted(session_factory, receiver):
    with unit_of_work(session_factory) as s:
        reg = make_registration(s, postback={"url": receiver.url, "authType": "httpbasic", "userName": "u",
                                             "passwordEncrypted": BOX.encrypt("pw")})
        pk = reg.pk
    try:
        receiver.answer(500)
        with pytest.raises(RetryJob, match="HTTP 500"):
            delivery.deliver_postback(read_session_factory=session_factory, registration_pk=pk, box=BOX,
                                      allow_private_urls=True)
        result = delivery.deliver_postback(read_session_factory=session_factory, registration_pk=pk, box=BOX,
                                           allow_private_urls=True)
        assert result["status"] == 200
        assert receiver.wait_for(2)[-1].basic_auth() == ("u", "pw")
        assert "x-coursehost-delivery-id" not in receiver.requests[-1].headers  # none given, none sent
        for _ in range(2):  # a retry of one delivery carries its id again
            delivery.deliver_postback(read_session_factory=session_factory, registration_pk=pk, box=BOX,
                                      allow_private_urls=True, delivery_id="d-1")
        assert [r.headers["x-coursehost-delivery-id"] for r in receiver.wait_for(4)[2:]] == ["d-1", "d-1"]
    finally:
        with unit_of_work(session_factory) as s:
            app_pk = s.get(Registration, pk).application_pk
            s.delete(s.get(Application, app_pk))
    assert delivery.deliver_postback(read_session_factory=session_factory, registration_pk=pk,
                                     box=BOX) == {"skipped": "registration deleted or no postback URL"}
