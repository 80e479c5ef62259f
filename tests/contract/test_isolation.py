"""Tenants never see each other: apps, realms, kinds of application, scopes."""

from __future__ import annotations

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from tests.contract.helpers import message, new_child_app


def test_other_realms_management_app_cannot_see_or_touch_our_apps(live_server):
    app_id, _ = new_child_app(live_server)
    theirs = cloud.ApplicationManagementApi(live_server.client(live_server.other_management_app))
    assert app_id not in [a.id for a in theirs.get_application_list().applications]
    assert theirs.get_applications().applications == [] or all(
        a.id != app_id for a in theirs.get_applications().applications)
    for call in (lambda: theirs.get_application_info(app_id), lambda: theirs.get_credentials(app_id),
                 lambda: theirs.update_application(app_id, cloud.UpdateApplicationSchema(name="pwned")),
                 lambda: theirs.delete_application(app_id),
                 lambda: theirs.create_credential(app_id, cloud.CredentialRequestSchema(name="backdoor"))):
        with pytest.raises(ApiException) as err:
            call()
        assert err.value.status == 404


def test_one_apps_settings_never_reach_another(live_server):
    a_id, a = new_child_app(live_server)
    b_id, b = new_child_app(live_server)
    api_a = cloud.ApplicationManagementApi(live_server.client(a))
    api_b = cloud.ApplicationManagementApi(live_server.client(b))
    api_a.set_application_configuration(cloud.SettingsPostSchema(settings=[
        cloud.SettingsIndividualSchema(setting_id="PlayerCommCommitFrequency", value="2500")]))
    mine = {i.id: i for i in api_a.get_application_configuration().setting_items}
    theirs = {i.id: i for i in api_b.get_application_configuration().setting_items}
    assert mine["PlayerCommCommitFrequency"].effective_value == "2500"
    assert theirs["PlayerCommCommitFrequency"].effective_value != "2500"
    assert theirs["PlayerCommCommitFrequency"].effective_value_source == "default"


def test_normal_app_cannot_call_management_operations(live_server):
    api = cloud.ApplicationManagementApi(live_server.client())
    for call in (api.get_application_list, lambda: api.create_application(cloud.ApplicationRequestSchema(name="x")),
                 lambda: api.get_credentials(live_server.default_app.app_id)):
        with pytest.raises(ApiException) as err:
            call()
        assert err.value.status == 403


def test_management_app_cannot_call_normal_operations(live_server):
    mgmt_client = live_server.client(live_server.management_app)
    with pytest.raises(ApiException) as err:
        cloud.CourseApi(mgmt_client).get_courses()
    assert err.value.status == 403
    assert "appManagement" in message(err.value)
    with pytest.raises(ApiException) as err:
        cloud.PingApi(mgmt_client).ping_app_id()
    assert err.value.status == 403
    with pytest.raises(ApiException) as err:
        cloud.ApplicationManagementApi(mgmt_client).get_application_configuration()
    assert err.value.status == 403


def test_read_course_token_cannot_write(live_server):
    token = cloud.AuthenticationApi(live_server.client()).get_app_token("read:course").access_token
    client = live_server.client(token=token)
    with pytest.raises(ApiException) as err:
        cloud.CourseApi(client).set_course_title("any-course", cloud.TitleSchema(title="new"))
    assert err.value.status == 403 and "write:course" in message(err.value)
    with pytest.raises(ApiException) as err:
        cloud.CourseApi(client).delete_course("any-course")
    assert err.value.status == 403 and "delete:course" in message(err.value)


def test_scoped_token_is_refused_outside_its_scope_on_every_resource(live_server):
    token = cloud.AuthenticationApi(live_server.client()).get_app_token("read:ping").access_token
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/about", "/courses", "/registrations", "/dispatch/dispatches", "/xapi/credentials"):
        resp = httpx.get(live_server.api_url + path, headers=headers)
        assert resp.status_code == 403, path


def test_unrouted_official_operation_still_needs_auth(live_server):
    assert httpx.get(live_server.api_url + "/courses").status_code == 401
    resp = httpx.get(live_server.api_url + "/no/such/operation",
                     auth=(live_server.default_app.app_id, live_server.default_app.secret))
    assert resp.status_code == 404 and resp.json()["message"]
