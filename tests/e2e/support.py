"""Helpers shared by the launch contract tests and the browser tests: courses, registrations, links."""

from __future__ import annotations

import uuid

import rustici_software_cloud_v2 as cloud

from tests.contract.courses import course_api, upload


def import_course(live_server, tmp_path, data: bytes, creds=None) -> str:
    """Import DATA through the official client; the course id."""
    course_id = f"course-{uuid.uuid4().hex[:10]}"
    status = upload(course_api(live_server, creds), tmp_path, data, course_id=course_id)
    assert status.status == "COMPLETE", status.message
    return course_id


def create_registration(live_server, course_id: str, creds=None, *, learner_id: str = "learner-1",
                        registration_id: str | None = None) -> str:
    """CreateRegistration through the official client; the registration id."""
    registration_id = registration_id or f"reg-{uuid.uuid4().hex[:10]}"
    cloud.RegistrationApi(live_server.client(creds)).create_registration(cloud.CreateRegistrationSchema(
        course_id=course_id, registration_id=registration_id,
        learner=cloud.LearnerSchema(id=learner_id, first_name="Ada", last_name="Lovelace")))
    return registration_id


def progress(live_server, registration_id: str, creds=None):
    """GetRegistrationProgress with everything, through the official client."""
    return cloud.RegistrationApi(live_server.client(creds)).get_registration_progress(
        registration_id, include_child_results=True, include_interactions_and_objectives=True,
        include_runtime=True)


def launch_history(live_server, registration_id: str, creds=None) -> list:
    """GetRegistrationLaunchHistory with each launch's debug log (parsed), oldest first."""
    import json

    answer = cloud.RegistrationApi(live_server.client(creds)).get_registration_launch_history(
        registration_id, include_history_log=True)
    launches = sorted(answer.launch_history, key=lambda h: h.launch_time)
    for launch in launches:
        launch.log = json.loads(launch.history_log or "[]")
    return launches


def set_registration_settings(live_server, registration_id: str, creds=None, **settings) -> None:
    """SetRegistrationConfiguration through the official client."""
    cloud.RegistrationApi(live_server.client(creds)).set_registration_configuration(
        registration_id, cloud.SettingsPostSchema(settings=[
            cloud.SettingsIndividualSchema(setting_id=k, value=str(v)) for k, v in settings.items()]))


def launch_link(live_server, registration_id: str, creds=None, **kw) -> str:
    api = cloud.RegistrationApi(live_server.client(creds))
    kw.setdefault("redirect_on_exit_url", "")
    return api.build_registration_launch_link(registration_id, cloud.LaunchLinkRequestSchema(**kw)).launch_link
