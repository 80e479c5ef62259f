"""Helpers for registration and learner contract tests: an application with a course, registrations,
and run-time state written straight into the database (the player's commit path is tested elsewhere)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import rustici_software_cloud_v2 as cloud
from sqlalchemy import select

from coursehost.db.models.registrations import ActivityState, Launch, Registration, RegistrationInstance
from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from tests.builders.scorm import scorm12_zip, scorm2004_zip
from tests.contract.courses import course_api, upload
from tests.contract.helpers import new_child_app

SCOS = [("s1", "One", "one.html"), ("s2", "Two", "two.html")]


@dataclass
class RegApp:
    """One fresh application with a SCORM 1.2 course (COURSE12) and a SCORM 2004 one (COURSE2004)."""

    live_server: object
    creds: object
    regs: cloud.RegistrationApi
    learners: cloud.LearnerApi
    courses: cloud.CourseApi
    course12: str
    course2004: str

    def http(self) -> httpx.Client:
        """A raw HTTP client on the API as this application. It keeps no idle connection, so a client
        that is never closed (`app.http().get(...)`) leaves no socket open."""
        return httpx.Client(base_url=self.live_server.api_url, auth=(self.creds.app_id, self.creds.secret),
                            limits=httpx.Limits(max_keepalive_connections=0))

    def create(self, registration_id: str | None = None, *, course_id: str | None = None,
               learner_id: str = "learner-1", **kw) -> str:
        registration_id = registration_id or f"reg-{uuid.uuid4().hex[:10]}"
        learner = kw.pop("learner", None) or cloud.LearnerSchema(id=learner_id, first_name="Ada", last_name="Lovelace")
        version = {"course_version": kw.pop("course_version")} if "course_version" in kw else {}
        self.regs.create_registration(cloud.CreateRegistrationSchema(
            course_id=course_id or self.course12, registration_id=registration_id, learner=learner, **kw), **version)
        return registration_id


def reg_app(live_server, tmp_path, *, with_2004: bool = False) -> RegApp:
    _, creds = new_child_app(live_server)
    courses = course_api(live_server, creds)
    c12 = f"c12-{uuid.uuid4().hex[:8]}"
    status = upload(courses, tmp_path, scorm12_zip("Registration course", scos=SCOS), course_id=c12)
    assert status.status == "COMPLETE", status.message
    c2004 = ""
    if with_2004:
        c2004 = f"c2004-{uuid.uuid4().hex[:8]}"
        status = upload(courses, tmp_path, scorm2004_zip("4th", "Course 2004", items=[("a1", "Alpha", "a.html")]),
                        course_id=c2004)
        assert status.status == "COMPLETE", status.message
    client = live_server.client(creds)
    return RegApp(live_server, creds, cloud.RegistrationApi(client), cloud.LearnerApi(client), courses, c12, c2004)


def _registration(session, app: RegApp, registration_id: str) -> Registration:
    return session.scalars(select(Registration).join(Application, Application.pk == Registration.application_pk)
                           .where(Application.app_id == app.creds.app_id,
                                  Registration.registration_id == registration_id)).one()


def _instance(session, reg: Registration, instance: int | None) -> RegistrationInstance:
    number = reg.instance if instance is None else instance
    return session.scalars(select(RegistrationInstance).where(
        RegistrationInstance.registration_pk == reg.pk, RegistrationInstance.instance == number)).one()


def stored_registration(app: RegApp, registration_id: str) -> dict:
    """A few stored columns of the registration (for checks the wire does not show)."""
    with unit_of_work(app.live_server.services.session_factory) as session:
        reg = _registration(session, app, registration_id)
        return {"postback": dict(reg.postback or {}), "learner": dict(reg.learner or {}), "instance": reg.instance}


def write_activity_state(app: RegApp, registration_id: str, activity_id: str, *, instance: int | None = None,
                         runtime: dict | None = None, **summary) -> None:
    """An ActivityState row as the run-time commit path would leave it, plus the registration summary."""
    with unit_of_work(app.live_server.services.session_factory) as session:
        reg = _registration(session, app, registration_id)
        inst = _instance(session, reg, instance)
        state = ActivityState(instance_pk=inst.pk, activity_id=activity_id, attempts=summary.pop("attempts", 1),
                              runtime=runtime or {}, **summary)
        session.add(state)
        now = datetime.now(UTC)
        for target in (reg, inst):
            target.completion = summary.get("completion", "INCOMPLETE")
            target.total_seconds = summary.get("total_seconds", 0.0)
            target.first_access = target.last_access = now


def write_instance_state(app: RegApp, registration_id: str, state: dict) -> None:
    with unit_of_work(app.live_server.services.session_factory) as session:
        inst = _instance(session, _registration(session, app, registration_id), None)
        inst.state = state


def add_launch(app: RegApp, registration_id: str, *, instance: int | None = None, log: list | None = None) -> str:
    launch_id = uuid.uuid4().hex
    with unit_of_work(app.live_server.services.session_factory) as session:
        inst = _instance(session, _registration(session, app, registration_id), instance)
        start = datetime.now(UTC) - timedelta(minutes=5)
        session.add(Launch(launch_id=launch_id, instance_pk=inst.pk, launch_time=start,
                           exit_time=start + timedelta(minutes=2), last_runtime_update=start + timedelta(minutes=1),
                           completion="COMPLETED", success="PASSED", score_scaled=80.0, total_seconds=120.0,
                           history_log=log or []))
    return launch_id


def activity_count(app: RegApp, registration_id: str) -> int:
    with unit_of_work(app.live_server.services.session_factory) as session:
        inst = _instance(session, _registration(session, app, registration_id), None)
        return len(list(session.scalars(select(ActivityState).where(ActivityState.instance_pk == inst.pk))))
