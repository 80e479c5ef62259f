"""LMS result changes (issue 17): which changes are recorded and with which stable statement ids,
a learner id that is not an e-mail, the health transitions with their e-mails, the immediate re-run
of waiting deliveries after a success, and the retry schedule under a controllable clock."""

from __future__ import annotations

import random
import socket
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from coursehost.db.models.courses import Course
from coursehost.db.models.jobs import QUEUED, Job
from coursehost.db.models.lms import LmsCourseLink, LmsResult
from coursehost.db.models.mail import MailMessage
from coursehost.db.models.tenancy import Application
from coursehost.domain.lms import results as lms_results
from coursehost.domain.lms.configurations import (
    JOB_KIND,
    ConfigurationInput,
    create_configuration,
    job_key,
    pending_count,
)
from coursehost.domain.lms.delivery import record_outcome
from coursehost.domain.lms.types import CANT_CONNECT, SERVER_ERROR, DeliveryFailed, PropertyInput, xapi
from coursehost.domain.registrations.core import create_registration
from coursehost.outbound import AddressPolicy, OutboundClient, Timeouts
from tests.contract.receiver import Receiver
from tests.unit.test_postback_delivery import BOX, make_course

DAY = 24 * 3600.0


def _setup(session, learner_id="ada@example.com"):
    app_pk, course_id = make_course(session)
    realm_id = session.get(Application, app_pk).realm_id
    contact = f"contact-{uuid.uuid4().hex[:8]}@example.com"
    config = create_configuration(session, realm_id=realm_id, box=BOX, allow_private_urls=True, given=ConfigurationInput(
        name="LMS", contact_email=contact, type="xapi",
        properties=PropertyInput(url="http://lrs.example.com/xapi/", key="k", secret="s")))
    course = session.scalars(select(Course).where(Course.application_pk == app_pk)).one()
    session.add(LmsCourseLink(course_pk=course.pk, configuration_pk=config.pk))
    reg = create_registration(session, application_pk=app_pk, registration_id=f"r-{uuid.uuid4().hex[:8]}",
                              course_id=course_id, learner={"id": learner_id})
    session.flush()
    return config, reg


def _set(session, reg, completion, success, score):
    reg.completion, reg.success, reg.score_scaled = completion, success, score
    session.flush()
    return [(r.verb, r.status) for r in lms_results.enqueue_results(session, registration=reg)]


def test_result_changes_get_one_statement_each_with_stable_ids(db_session):
    config, reg = _setup(db_session)
    assert _set(db_session, reg, "INCOMPLETE", "UNKNOWN", None) == []
    assert _set(db_session, reg, "COMPLETED", "FAILED", 40.0) == [("completed", "PENDING"), ("failed", "PENDING")]
    assert _set(db_session, reg, "COMPLETED", "FAILED", 40.0) == []  # nothing moved
    assert _set(db_session, reg, "COMPLETED", "PASSED", 85.0) == [("passed", "PENDING")]
    rows = db_session.scalars(select(LmsResult).where(LmsResult.registration_pk == reg.pk).order_by(LmsResult.seq)).all()
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[2].statement_id == lms_results.statement_id(config.config_id, reg.xapi_registration_id, 3, "passed")
    assert len({r.statement_id for r in rows}) == 3
    jobs = db_session.scalars(select(Job).where(Job.dedupe_key == job_key(config.pk, reg.pk),
                                                Job.status == QUEUED)).all()
    assert len(jobs) == 1 and jobs[0].kind == JOB_KIND  # one job sends them all, in order
    statement = lms_results.build_statement(rows[2], registration=reg, email="ada@example.com", app_id="APP",
                                            course_title="Course 1", home_page="https://ch.example.com")
    assert statement["result"] == {"completion": True, "success": True, "duration": "PT0H0M0S",
                                   "score": {"scaled": 0.85, "raw": 85.0, "min": 0, "max": 100}}
    assert statement["object"]["id"] == "https://ch.example.com/xapi/APP/courses/c1"
    assert statement == lms_results.build_statement(rows[2], registration=reg, email="ada@example.com", app_id="APP",
                                                     course_title="Course 1", home_page="https://ch.example.com")


@pytest.mark.parametrize("learner_id", ["learner-7", "ada@", "two@@example.com", "@example.com", "ada@localhost"])
def test_a_learner_id_that_is_not_an_e_mail_is_recorded_and_not_queued(db_session, learner_id):
    config, reg = _setup(db_session, learner_id=learner_id)
    assert _set(db_session, reg, "COMPLETED", "PASSED", 90.0) == [("completed", "NOT_SENT"), ("passed", "NOT_SENT")]
    rows = db_session.scalars(select(LmsResult).where(LmsResult.registration_pk == reg.pk)).all()
    assert {r.reason for r in rows} == {"the learner id is not an e-mail address"}
    assert db_session.scalars(select(Job).where(Job.dedupe_key == job_key(config.pk, reg.pk))).all() == []
    assert pending_count(db_session, config.pk) == 0


def _mails(session, to):
    return session.scalars(select(MailMessage).where(MailMessage.to_address == to)).all()


def test_health_transitions_mail_once_per_episode_and_a_success_reruns_the_waiting(db_session):
    config, reg = _setup(db_session)
    _, other = _setup(db_session)
    _set(db_session, reg, "COMPLETED", "UNKNOWN", None)
    later = datetime.now(UTC) + timedelta(hours=1)
    waiting = lms_results.enqueue_delivery  # a second registration's delivery, backed off an hour
    waiting(db_session, configuration_pk=config.pk, registration_pk=other.pk, delay_seconds=3600)
    row = db_session.scalars(select(LmsResult).where(LmsResult.registration_pk == reg.pk)).one()

    record_outcome(db_session, configuration_pk=config.pk, delivered=[], failed_pk=row.pk,
                   failure=DeliveryFailed(CANT_CONNECT, "cannot connect to http://lrs.example.com/xapi/statements"))
    assert (config.status, config.error_since is not None) == (CANT_CONNECT, True)
    since = config.error_since
    record_outcome(db_session, configuration_pk=config.pk, delivered=[], failed_pk=row.pk,
                   failure=DeliveryFailed(SERVER_ERROR, "answered HTTP 401"))
    assert (config.status, config.last_error, config.error_since) == (SERVER_ERROR, "answered HTTP 401", since)
    assert [m.template for m in _mails(db_session, config.contact_email)] == ["lms_alert"]
    assert row.attempts == 2

    record_outcome(db_session, configuration_pk=config.pk, delivered=[row.pk], failed_pk=None, failure=None)
    assert (config.status, config.last_error, config.error_since) == ("OK", None, None)
    assert [m.template for m in _mails(db_session, config.contact_email)] == ["lms_alert", "lms_recovered"]
    assert row.status == "DELIVERED"
    job = db_session.scalars(select(Job).where(Job.dedupe_key == job_key(config.pk, other.pk))).one()
    db_session.refresh(job)
    assert job.run_after < later - timedelta(minutes=30), "the waiting delivery runs now, not in an hour"


class _Longest(random.Random):
    """The schedule's worst case: every jittered delay at its upper bound."""

    def uniform(self, a, b):
        return b


@pytest.mark.parametrize("rng", [_Longest(), random.Random(1), random.Random(2)], ids=["longest", "seed1", "seed2"])
@pytest.mark.parametrize("outage_hours", [0.01, 0.5, 3, 23, 25, 24 * 7])
def test_the_retry_schedule_under_a_controllable_clock_never_leaves_a_result_waiting_24_hours(
        db_session, rng, outage_hours):
    """The LMS is down from the first failure for OUTAGE_HOURS; the job runs at each time the schedule
    gives (failure counts kept by record_outcome); once the LMS is back, the next try comes within
    MAX_DELAY, far inside 24 hours, and delivers."""
    config, reg = _setup(db_session)
    _set(db_session, reg, "COMPLETED", "UNKNOWN", None)
    row = db_session.scalars(select(LmsResult).where(LmsResult.registration_pk == reg.pk)).one()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    back = start + timedelta(hours=outage_hours)
    clock, tries = start, 0
    while True:
        tries += 1
        if clock < back:
            failures = record_outcome(db_session, configuration_pk=config.pk, delivered=[], failed_pk=row.pk,
                                      failure=DeliveryFailed(CANT_CONNECT, "refused"), now=clock)
            delay = lms_results.retry_delay(failures, rng)
            assert delay <= lms_results.MAX_DELAY
            clock += timedelta(seconds=delay)
            continue
        record_outcome(db_session, configuration_pk=config.pk, delivered=[row.pk], failed_pk=None, failure=None,
                       now=clock)
        break
    assert row.status == "DELIVERED" and row.delivered == clock
    assert (clock - back).total_seconds() <= lms_results.MAX_DELAY < DAY
    assert (clock - max(back, start)).total_seconds() < DAY
    assert config.status == "OK"
    if outage_hours >= 1:
        assert tries < 10 + outage_hours * 2 / (lms_results.MAX_DELAY / 3600)  # backed off, not hammering


@pytest.fixture
def lrs():
    receiver = Receiver(path="/xapi/").start()
    yield receiver
    receiver.stop()


def _xapi_send(url: str, statement: dict, *, timeout: float = 5.0) -> None:
    stored = xapi.TYPE.stored_properties(PropertyInput(url=url, key="the-key", secret="the-secret"), previous=None,
                                         box=BOX, allow_private_urls=True)
    with OutboundClient(timeouts=Timeouts(connect=timeout, read=timeout, write=timeout, pool=timeout),
                        policy=AddressPolicy(allow_private=True)) as client:
        xapi.TYPE.send_statement(stored, statement, box=BOX, client=client)


def test_the_xapi_type_puts_each_statement_by_its_id_and_sorts_the_answers(lrs):
    statement = {"id": str(uuid.uuid4()), "actor": {"mbox": "mailto:a@example.com"}}
    lrs.answer(204, 200, 409, 500, 401, 400)
    for _ in range(3):  # 204, 200 and 409 (that id is stored already): delivered
        _xapi_send(lrs.url, statement)
    first = lrs.requests[0]
    assert (first.method, first.path) == ("PUT", f"/xapi/statements?statementId={statement['id']}")
    assert first.basic_auth() == ("the-key", "the-secret")
    assert first.headers["x-experience-api-version"] == "1.0.3"
    for status in (500, 401, 400):  # it answers, but does not take it: Server Error
        with pytest.raises(DeliveryFailed) as err:
            _xapi_send(lrs.url, statement)
        assert err.value.status == SERVER_ERROR and f"HTTP {status}" in str(err.value)
        assert "the-secret" not in str(err.value)


def test_the_xapi_type_says_cant_connect_for_refused_dns_and_timeouts(lrs):
    port = lrs.port
    lrs.stop()
    for url in (f"http://127.0.0.1:{port}/xapi/", "http://no-such-host.invalid/xapi/"):
        with pytest.raises(DeliveryFailed) as err:
            _xapi_send(url, {"id": str(uuid.uuid4())})
        assert err.value.status == CANT_CONNECT and "cannot connect" in str(err.value)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with pytest.raises(DeliveryFailed) as err:
            _xapi_send(f"http://127.0.0.1:{silent.getsockname()[1]}/xapi/", {"id": str(uuid.uuid4())}, timeout=0.5)
    assert err.value.status == CANT_CONNECT
