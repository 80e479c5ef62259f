"""Registrations through the official client: create, HEAD, progress, delete, errors."""

from __future__ import annotations

import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from tests.builders.scorm import scorm12_zip
from tests.contract.courses import course_api, upload
from tests.contract.helpers import new_child_app


@pytest.fixture
def apis(live_server, tmp_path):
    _, creds = new_child_app(live_server)
    courses = course_api(live_server, creds)
    status = upload(courses, tmp_path, scorm12_zip("Progress course", scos=[("s1", "One", "one.html"),
                                                                            ("s2", "Two", "two.html")]),
                    course_id="progress-course")
    assert status.status == "COMPLETE", status.message
    return cloud.RegistrationApi(live_server.client(creds)), live_server.client(creds)


def test_create_head_progress_delete(apis):
    regs, _ = apis
    regs.create_registration(cloud.CreateRegistrationSchema(
        course_id="progress-course", registration_id="r-1",
        learner=cloud.LearnerSchema(id="learner-1", first_name="Ada", last_name="Lovelace", email="ada@example.org"),
        registration_tags=["cohort-a"]))
    regs.get_registration("r-1")  # HEAD: exists
    progress = regs.get_registration_progress("r-1", include_child_results=True, include_runtime=True)
    assert (progress.id, progress.instance, progress.registration_completion) == ("r-1", 0, "UNKNOWN")
    assert progress.course.id == "progress-course" and progress.course.title == "Progress course"
    assert progress.learner.first_name == "Ada" and progress.tags == ["cohort-a"]
    assert progress.xapi_registration_id and progress.created_date is not None
    assert [c.id for c in progress.activity_details.children] == ["s1", "s2"]
    regs.delete_registration("r-1")
    with pytest.raises(ApiException) as err:
        regs.get_registration_progress("r-1")
    assert err.value.status == 404 and "r-1" in err.value.body
    with pytest.raises(ApiException) as err:
        regs.get_registration("r-1")
    assert err.value.status == 404


def test_create_registration_bad_input(apis):
    regs, _ = apis
    learner = cloud.LearnerSchema(id="l")
    with pytest.raises(ApiException) as err:
        regs.create_registration(cloud.CreateRegistrationSchema(course_id="nope", registration_id="x", learner=learner))
    assert err.value.status == 404 and "nope" in err.value.body
    regs.create_registration(cloud.CreateRegistrationSchema(course_id="progress-course", registration_id="dup",
                                                            learner=learner))
    with pytest.raises(ApiException) as err:
        regs.create_registration(cloud.CreateRegistrationSchema(course_id="progress-course", registration_id="dup",
                                                                learner=learner))
    assert err.value.status == 409
    with pytest.raises(ApiException) as err:
        regs.create_registration(cloud.CreateRegistrationSchema(course_id="progress-course",
                                                                registration_id="r" * 256, learner=learner))
    assert err.value.status == 400 and "registrationId" in err.value.body


def test_another_application_cannot_see_the_registration(apis, live_server):
    regs, _ = apis
    regs.create_registration(cloud.CreateRegistrationSchema(course_id="progress-course", registration_id="mine",
                                                            learner=cloud.LearnerSchema(id="l")))
    _, other = new_child_app(live_server)
    with pytest.raises(ApiException) as err:
        cloud.RegistrationApi(live_server.client(other)).get_registration_progress("mine")
    assert err.value.status == 404
