"""A cmi5 AU session abandoned by a timeout (cmi5 Quartz §9.3.6: "detected on the next launch or by
a timeout"): the check each launch queues for the worker ends a session that has been silent longer
than Cmi5SessionTimeout with the LMS's abandoned statement, once, and refuses its token after;
a session that terminated is never abandoned."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import rustici_software_cloud_v2 as cloud
from sqlalchemy import select, update

from coursehost.db.models.jobs import Job
from coursehost.db.models.registrations import Launch
from coursehost.domain.cmi5 import timeouts
from tests.builders.cmi5 import AU, cmi5_zip
from tests.contract.helpers import new_child_app
from tests.contract.test_cmi5_launch import Launched, root
from tests.e2e.support import import_course

AU_ID = "https://example.com/cmi5/timeout/au"
ABANDONED = "https://w3id.org/xapi/adl/verbs/abandoned"
TIMEOUT = timedelta(minutes=30)


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    app_id, creds = new_child_app(live_server)
    data = cmi5_zip([AU(AU_ID, "The AU", "au/index.html", attrs={"moveOn": "Completed"})],
                    course_id="https://example.com/cmi5/timeout")
    course_id = import_course(live_server, tmp_path_factory.mktemp("cmi5t"), data, creds)
    cloud.CourseApi(live_server.client(creds)).set_course_configuration(course_id, cloud.SettingsPostSchema(
        settings=[cloud.SettingsIndividualSchema(setting_id="Cmi5SessionTimeout", value="30")]))
    return app_id, creds, course_id


def _launch(live_server, launch_id: str) -> Launch:
    with live_server.services.session_factory() as session:
        return session.scalars(select(Launch).where(Launch.launch_id == launch_id)).one()


def _checks(live_server, launch_pk: int) -> list[Job]:
    with live_server.services.session_factory() as session:
        jobs = session.scalars(select(Job).where(Job.kind == timeouts.JOB_KIND).order_by(Job.id)).all()
        return [j for j in jobs if (j.payload or {}).get("launch_pk") == launch_pk]


def _check(live_server, launch_pk: int, now: datetime) -> str:
    with live_server.services.session_factory() as session:
        outcome = timeouts.check_session(session, launch_pk=launch_pk, now=now)
        session.commit()
        return outcome


def _abandoned(live_server, launched) -> list[dict]:
    with root(live_server, launched.app_id, launched.creds) as lrs:
        return lrs.get("statements", params={"registration": launched.params["registration"],
                                             "verb": ABANDONED}).json()["statements"]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_a_silent_session_is_abandoned_once_by_the_worker(live_server, course):
    launched = Launched(live_server, course)
    assert launched.post(launched.statement("initialized", au=AU_ID)).status_code == 200
    later = launched.statement("completed", au=AU_ID)
    launch = _launch(live_server, launched.session_id)
    [queued] = _checks(live_server, launch.pk)  # queued at launch, for when the session would time out
    assert abs(_aware(queued.run_after) - (_aware(launch.launch_time) + TIMEOUT)) < timedelta(minutes=1)
    last = _aware(launch.last_runtime_update)  # the initialized statement
    assert _check(live_server, launch.pk, last + TIMEOUT - timedelta(minutes=1)) == "waiting"
    assert _abandoned(live_server, launched) == []
    assert abs(_aware(_checks(live_server, launch.pk)[-1].run_after) - (last + TIMEOUT)) < timedelta(seconds=1)

    # The learner walked away an hour ago: the worker's check, due now, ends the session.
    with live_server.services.session_factory() as session:
        session.execute(update(Launch).where(Launch.pk == launch.pk).values(
            launch_time=datetime.now(UTC) - timedelta(hours=1, minutes=5),
            last_runtime_update=datetime.now(UTC) - timedelta(hours=1)))
        session.execute(update(Job).where(Job.kind == timeouts.JOB_KIND, Job.status == "queued")
                        .values(run_after=datetime.now(UTC)))
        session.commit()
    deadline = time.time() + 20
    while not any((j.result or {}).get("outcome") == "abandoned" for j in _checks(live_server, launch.pk)):
        assert time.time() < deadline, "the worker did not run the timeout check"
        time.sleep(0.2)
    assert _check(live_server, launch.pk, datetime.now(UTC) + timedelta(days=2)) == "ended"  # a second sweep
    [abandoned] = _abandoned(live_server, launched)
    assert abandoned["object"]["id"] == launched.params["activityId"]
    assert abandoned["result"]["duration"].startswith("PT0H5M0")  # launch to its last statement
    assert launched.post(later).status_code == 401  # its token is refused


def test_a_terminated_session_is_never_abandoned(live_server, course):
    launched = Launched(live_server, course)
    assert launched.post(launched.statement("initialized", au=AU_ID)).status_code == 200
    launch = _launch(live_server, launched.session_id)
    assert launched.post(launched.statement("terminated", au=AU_ID)).status_code == 200
    assert _check(live_server, launch.pk, datetime.now(UTC) + timedelta(days=30)) == "ended"
    assert _abandoned(live_server, launched) == []


def test_a_timeout_of_zero_queues_no_check(live_server, course):
    app_id, creds, course_id = course
    api = cloud.CourseApi(live_server.client(creds))
    api.set_course_configuration(course_id, cloud.SettingsPostSchema(
        settings=[cloud.SettingsIndividualSchema(setting_id="Cmi5SessionTimeout", value="0")]))
    try:
        launched = Launched(live_server, course)
        assert _checks(live_server, _launch(live_server, launched.session_id).pk) == []
    finally:
        api.set_course_configuration(course_id, cloud.SettingsPostSchema(
            settings=[cloud.SettingsIndividualSchema(setting_id="Cmi5SessionTimeout", value="30")]))
