"""RegistrationApi through the official client: create (with everything), HEAD, progress, delete,
tags, configuration, statements, bad input and isolation."""

from __future__ import annotations

import json
import uuid

import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from tests.contract.helpers import new_child_app
from tests.contract.registrations import reg_app, stored_registration

SETTING = "PlayerCommCommitFrequency"  # a registration-level setting


@pytest.fixture
def app(live_server, tmp_path):
    return reg_app(live_server, tmp_path)


def _settings(value: str, setting: str = SETTING) -> cloud.SettingsPostSchema:
    return cloud.SettingsPostSchema(settings=[cloud.SettingsIndividualSchema(setting_id=setting, value=value)])


def test_create_with_everything_and_read_it_back(app):
    xapi_id = str(uuid.uuid4())
    app.regs.create_registration(cloud.CreateRegistrationSchema(
        course_id=app.course12, registration_id="full-1", xapi_registration_id=xapi_id,
        learner=cloud.LearnerSchema(id="ada", first_name="Ada", last_name="Lovelace", email="ada@example.org"),
        registration_tags=["cohort-a", "cohort-a", "q1"], learner_tags=["vip"], course_tags=["compliance"],
        post_back=cloud.PostBackSchema(url="https://example.org/hook", auth_type="HTTPBASIC", user_name="u",
                                       password="s3cret", results_format="FULL", legacy=False),
        initial_settings=_settings("2500"),
        initial_registration_state=cloud.RegistrationSchema(
            registration_completion="COMPLETED", registration_success="PASSED", score=cloud.ScoreSchema(scaled=90),
            total_seconds_tracked=600)),
        course_version=0)
    app.regs.get_registration("full-1")  # HEAD
    progress = app.regs.get_registration_progress("full-1")
    assert isinstance(progress, cloud.RegistrationSchema)
    assert (progress.id, progress.instance, progress.xapi_registration_id) == ("full-1", 0, xapi_id)
    assert (progress.registration_completion, progress.registration_success) == ("COMPLETED", "PASSED")
    assert progress.score.scaled == 90 and progress.total_seconds_tracked == 600
    assert (progress.course.id, progress.course.title, progress.course.version) == (app.course12,
                                                                                      "Registration course", 0)
    assert (progress.learner.id, progress.learner.email) == ("ada", "ada@example.org")
    assert progress.tags == ["cohort-a", "q1"] and progress.created_date and progress.updated
    assert progress.activity_details is None  # only on request
    assert app.regs.get_registration_tags("full-1").tags == ["cohort-a", "q1"]
    assert app.learners.get_learner_tags("ada").tags == ["vip"]
    assert "compliance" in app.courses.get_course_tags(app.course12).tags
    items = {i.id: i for i in app.regs.get_registration_configuration("full-1").setting_items}
    assert items[SETTING].effective_value == "2500" and items[SETTING].effective_value_source == "registration"
    stored = stored_registration(app, "full-1")["postback"]
    assert stored["url"] == "https://example.org/hook" and stored["authType"] == "httpbasic"
    assert stored["resultsFormat"] == "full" and stored["userName"] == "u"
    assert stored["passwordEncrypted"] and "s3cret" not in json.dumps(stored)
    assert app.live_server.services.box.decrypt(stored["passwordEncrypted"]) == "s3cret"


def test_generated_xapi_id_and_delete(app):
    reg_id = app.create()
    progress = app.regs.get_registration_progress(reg_id)
    assert str(uuid.UUID(progress.xapi_registration_id)) == progress.xapi_registration_id
    assert progress.registration_completion == "UNKNOWN" and progress.learner.first_name == "Ada"
    app.regs.delete_registration(reg_id)
    for call in (app.regs.get_registration, app.regs.get_registration_progress, app.regs.delete_registration):
        with pytest.raises(ApiException) as err:
            call(reg_id)
        assert err.value.status == 404
    with pytest.raises(ApiException) as err:
        app.regs.get_registration_progress(reg_id)
    assert json.loads(err.value.body) == {"message": f"Registration [{reg_id}] not found"}


def test_head_unknown_is_404_without_body(app):
    resp = app.http().head("/registrations/nobody-here")
    assert resp.status_code == 404 and resp.content == b""
    assert app.http().head(f"/registrations/{app.create()}").status_code == 200


@pytest.mark.parametrize("body,status,field", [
    (b'{"courseId": "C", "registrationId": "r", "learner": {}}', 400, "learner.id"),
    (b'{"courseId": "C", "registrationId": "r"}', 400, "learner"),
    (b'{"courseId": "C", "learner": {"id": "l"}}', 400, "registrationId"),
    (b'{"registrationId": "r", "learner": {"id": "l"}}', 400, "courseId"),
    (('{"courseId": "C", "registrationId": "%s", "learner": {"id": "l"}}' % ("r" * 256)).encode(), 400,
     "registrationId"),
    (('{"courseId": "C", "registrationId": "r", "learner": {"id": "%s"}}' % ("l" * 256)).encode(), 400,
     "learner.id"),
    (b'{"courseId": "C", "registrationId": "r", "learner": {"id": "l"}, "xapiRegistrationId": "nope"}', 400,
     "xapiRegistrationId"),
    (b'{"courseId": "C", "registrationId": "r", "learner": {"id": "l"}, "postBack": {"url": "https://x.org",'
     b' "authType": "kerberos"}}', 400, "authType"),
    (b'{"courseId": "C", "registrationId": "r", "learner": {"id": "l"}, "registrationTags": "x"}', 400,
     "registrationTags"),
    (b'{"courseId": "C", "registrationId": "r", "learner": {"id": "l"}, "initialSettings": {"settings": '
     b'[{"settingId": "NoSuchSetting", "value": "1"}]}}', 400, "NoSuchSetting"),
    (b'{"courseId": "unknown-course", "registrationId": "r", "learner": {"id": "l"}}', 404, "unknown-course"),
    (b'{"courseId": "C", "registrationId": "r", "learner": {"id": "l"', 400, "Malformed JSON"),
])
def test_create_registration_bad_input_writes_nothing(app, body, status, field):
    body = body.replace(b'"C"', json.dumps(app.course12).encode())
    resp = app.http().post("/registrations", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == status, resp.text
    assert field in resp.json()["message"]
    assert app.http().head("/registrations/r").status_code == 404


def test_create_registration_conflict_and_unknown_version(app):
    reg_id = app.create()
    with pytest.raises(ApiException) as err:
        app.create(reg_id)
    assert err.value.status == 409 and reg_id in err.value.body
    with pytest.raises(ApiException) as err:
        app.regs.create_registration(cloud.CreateRegistrationSchema(
            course_id=app.course12, registration_id="v9", learner=cloud.LearnerSchema(id="l")), course_version=9)
    assert err.value.status == 404


def test_registration_tags(app):
    reg_id = app.create(registration_tags=["a"])
    app.regs.put_registration_tags(reg_id, cloud.TagListSchema(tags=["b", "c", "d"]))
    assert app.regs.get_registration_tags(reg_id).tags == ["b", "c", "d"]
    app.regs.delete_registration_tags(reg_id, cloud.TagListSchema(tags=["c"]))
    assert app.regs.get_registration_tags(reg_id).tags == ["b", "d"]
    other = app.create()
    app.regs.put_registration_tags_batch(cloud.BatchTagsSchema(ids=[reg_id, other], tags=["x"]))
    assert app.regs.get_registration_tags(other).tags == ["x"] == app.regs.get_registration_tags(reg_id).tags
    with pytest.raises(ApiException) as err:
        app.regs.put_registration_tags_batch(cloud.BatchTagsSchema(ids=[reg_id, "ghost"], tags=["y"]))
    assert err.value.status == 404
    assert app.regs.get_registration_tags(reg_id).tags == ["x"]  # all or nothing
    with pytest.raises(ApiException) as err:
        app.regs.get_registration_tags("ghost")
    assert err.value.status == 404
    resp = app.http().put(f"/registrations/{reg_id}/tags", json={"tags": ["t" * 256]})
    assert resp.status_code == 400


def test_registration_and_instance_configuration(app):
    reg_id = app.create()
    app.regs.set_registration_configuration(reg_id, _settings("3000"))
    items = {i.id: i for i in app.regs.get_registration_configuration(reg_id, include_metadata=True).setting_items}
    assert items[SETTING].effective_value == "3000" and items[SETTING].metadata is not None
    inst = {i.id: i for i in app.regs.get_registration_instance_configuration(reg_id, 0).setting_items}
    assert inst[SETTING].effective_value == "3000" and inst[SETTING].effective_value_source == "registration"
    app.regs.set_registration_instance_configuration(reg_id, 0, _settings("4000"))
    inst = {i.id: i for i in app.regs.get_registration_instance_configuration(reg_id, 0).setting_items}
    assert inst[SETTING].effective_value == "4000"
    app.regs.delete_registration_instance_configuration_setting(reg_id, 0, SETTING)
    inst = {i.id: i for i in app.regs.get_registration_instance_configuration(reg_id, 0).setting_items}
    assert inst[SETTING].effective_value == "3000"
    app.regs.delete_registration_configuration_setting(reg_id, SETTING)
    items = {i.id: i for i in app.regs.get_registration_configuration(reg_id).setting_items}
    assert items[SETTING].effective_value == "10000"
    with pytest.raises(ApiException) as err:
        app.regs.set_registration_configuration(reg_id, _settings("x", "NoSuchSetting"))
    assert err.value.status == 400
    with pytest.raises(ApiException) as err:
        app.regs.get_registration_instance_configuration(reg_id, 7)
    assert err.value.status == 404
    with pytest.raises(ApiException) as err:
        app.regs.get_registration_configuration("ghost")
    assert err.value.status == 404


def test_statements_are_an_empty_result(app):
    reg_id = app.create()
    result = app.regs.get_registration_statements(reg_id)
    assert isinstance(result, cloud.XapiStatementResult) and result.statements == []
    assert app.regs.get_registration_instance_statements(reg_id, 0).statements == []
    with pytest.raises(ApiException) as err:
        app.regs.get_registration_instance_statements(reg_id, 3)
    assert err.value.status == 404


def test_another_application_cannot_touch_the_registration(app, live_server):
    reg_id = app.create(registration_tags=["mine"])
    _, other_creds = new_child_app(live_server)
    other = cloud.RegistrationApi(live_server.client(other_creds))
    calls = [lambda: other.get_registration(reg_id), lambda: other.get_registration_progress(reg_id),
             lambda: other.get_registration_tags(reg_id), lambda: other.delete_registration(reg_id),
             lambda: other.get_registration_configuration(reg_id), lambda: other.get_registration_instances(reg_id),
             lambda: other.delete_registration_progress(reg_id),
             lambda: other.put_registration_tags(reg_id, cloud.TagListSchema(tags=["theirs"]))]
    for call in calls:
        with pytest.raises(ApiException) as err:
            call()
        assert err.value.status == 404
    assert other.get_registrations().registrations == []
    assert other.get_registrations(tags=["mine"]).registrations == []
    assert app.regs.get_registration_tags(reg_id).tags == ["mine"]
