"""Helpers shared by the launch contract tests and the browser tests: courses, registrations, links."""

from __future__ import annotations

import uuid

import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException
from sqlalchemy import select

from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from tests.contract.courses import course_api, upload


def import_course(live_server, tmp_path, data: bytes, creds=None) -> str:
    """Import DATA through the official client; the course id."""
    course_id = f"course-{uuid.uuid4().hex[:10]}"
    status = upload(course_api(live_server, creds), tmp_path, data, course_id=course_id)
    assert status.status == "COMPLETE", status.message
    return course_id


def app_pk(live_server, app_id: str) -> int:
    with unit_of_work(live_server.services.session_factory) as session:
        return session.scalars(select(Application.pk).where(Application.app_id == app_id)).one()


def create_registration(live_server, course_id: str, creds=None, *, learner_id: str = "learner-1",
                        registration_id: str | None = None) -> str:
    """CreateRegistration through the official client; straight through the domain while that
    operation is not routed yet."""
    registration_id = registration_id or f"reg-{uuid.uuid4().hex[:10]}"
    api = cloud.RegistrationApi(live_server.client(creds))
    body = cloud.CreateRegistrationSchema(
        course_id=course_id, registration_id=registration_id,
        learner=cloud.LearnerSchema(id=learner_id, first_name="Ada", last_name="Lovelace"))
    try:
        api.create_registration(body)
        return registration_id
    except ApiException as exc:
        if exc.status not in (404, 405, 501):
            raise
    from coursehost.domain.registrations import core

    creds = creds or live_server.default_app
    with unit_of_work(live_server.services.session_factory) as session:
        core.create_registration(
            session, application_pk=app_pk(live_server, creds.app_id), registration_id=registration_id,
            course_id=course_id, learner={"id": learner_id, "firstName": "Ada", "lastName": "Lovelace"})
    return registration_id


def launch_link(live_server, registration_id: str, creds=None, **kw) -> str:
    api = cloud.RegistrationApi(live_server.client(creds))
    kw.setdefault("redirect_on_exit_url", "")
    return api.build_registration_launch_link(registration_id, cloud.LaunchLinkRequestSchema(**kw)).launch_link
