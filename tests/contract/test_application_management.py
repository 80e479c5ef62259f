"""ApplicationManagementApi through the official client: applications, credentials, tokens."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from tests.contract.helpers import message, new_child_app
from tests.servers import AppCreds


@pytest.fixture
def mgmt(live_server):
    return cloud.ApplicationManagementApi(live_server.client(live_server.management_app))


def test_create_application_and_get_its_info(live_server, mgmt):
    name = f"Sales training {uuid.uuid4().hex[:6]}"
    app = mgmt.create_application(cloud.ApplicationRequestSchema(name=name))
    assert app.name == name and len(app.id) == 10 and app.id.isalnum() and app.id == app.id.upper()
    info = mgmt.get_application_info(app.id, include_course_count=True, include_registration_count=True)
    assert (info.id, info.name, info.allow_delete) == (app.id, name, False)
    assert info.course_count == 0 and info.registration_count == 0
    assert isinstance(info.create_date, datetime) and info.create_date.tzinfo is not None
    plain = mgmt.get_application_info(app.id)
    assert plain.course_count is None


def test_new_application_has_a_working_credential(live_server, mgmt):
    app_id, creds = new_child_app(live_server)
    assert cloud.PingApi(live_server.client(creds)).ping_app_id().api_message == "pong"


def test_get_application_list_contains_children_not_the_management_app(live_server, mgmt):
    app_id, _ = new_child_app(live_server)
    ids = [a.id for a in mgmt.get_application_list().applications]
    assert app_id in ids
    assert live_server.default_app.app_id in ids
    assert live_server.management_app.app_id not in ids


def test_update_application_and_delete_only_when_allowed(live_server, mgmt):
    app_id, creds = new_child_app(live_server)
    with pytest.raises(ApiException) as err:
        mgmt.delete_application(app_id)
    assert err.value.status == 400 and "allowDelete" in message(err.value)
    mgmt.update_application(app_id, cloud.UpdateApplicationSchema(name="Renamed", allow_delete=True))
    info = mgmt.get_application_info(app_id)
    assert (info.name, info.allow_delete) == ("Renamed", True)
    mgmt.delete_application(app_id)
    with pytest.raises(ApiException) as err:
        mgmt.get_application_info(app_id)
    assert err.value.status == 404 and app_id in message(err.value)
    # Its credentials died with it.
    assert httpx.get(live_server.api_url + "/ping", auth=(creds.app_id, creds.secret)).status_code == 401


def test_credentials_create_update_disable_delete(live_server, mgmt):
    app_id, first = new_child_app(live_server)
    created = mgmt.create_credential(app_id, cloud.CredentialRequestSchema(name="integration", active=True))
    assert created.status == "Enabled" and len(created.credential) == 40 and created.pens_credential
    listed = mgmt.get_credentials(app_id).credentials
    assert [c.name for c in listed] == ["Default", "integration"]
    second = AppCreds(app_id, created.credential)
    assert cloud.PingApi(live_server.client(second)).ping_app_id().api_message == "pong"
    # Disabled: refused on the very next request.
    mgmt.update_credential(app_id, created.id, cloud.CredentialRequestSchema(name="integration", active=False))
    assert httpx.get(live_server.api_url + "/ping", auth=(app_id, created.credential)).status_code == 401
    assert [c.status for c in mgmt.get_credentials(app_id).credentials] == ["Enabled", "Disabled"]
    mgmt.update_credential(app_id, created.id, cloud.CredentialRequestSchema(name="renamed", active=True))
    assert httpx.get(live_server.api_url + "/ping", auth=(app_id, created.credential)).status_code == 200
    mgmt.delete_credential(app_id, created.id)
    assert httpx.get(live_server.api_url + "/ping", auth=(app_id, created.credential)).status_code == 401
    assert httpx.get(live_server.api_url + "/ping", auth=(app_id, first.secret)).status_code == 200
    with pytest.raises(ApiException) as err:
        mgmt.delete_credential(app_id, created.id)
    assert err.value.status == 404


def test_deleting_the_last_credential_locks_the_app_out(live_server, mgmt):
    app_id, creds = new_child_app(live_server)
    only = mgmt.get_credentials(app_id).credentials[0]
    mgmt.delete_credential(app_id, only.id)
    assert mgmt.get_credentials(app_id).credentials == []
    assert httpx.get(live_server.api_url + "/ping", auth=(app_id, creds.secret)).status_code == 401


def test_create_token_for_management_operations(live_server, mgmt):
    expiry = datetime.now(UTC) + timedelta(minutes=5)
    result = mgmt.create_token(cloud.TokenRequestSchema(
        permissions=cloud.PermissionsSchema(scopes=["read:appmgmt"]), expiry=expiry))
    reader = cloud.ApplicationManagementApi(live_server.client(token=result.result))
    assert live_server.default_app.app_id in [a.id for a in reader.get_application_list().applications]
    with pytest.raises(ApiException) as err:
        reader.create_application(cloud.ApplicationRequestSchema(name="nope"))
    assert err.value.status == 403


def test_create_token_on_behalf_of_a_named_child_app(live_server, mgmt):
    name = f"child-{uuid.uuid4().hex[:8]}"
    app_id, _ = new_child_app(live_server, name=name)
    expiry = datetime.now(UTC) + timedelta(minutes=5)
    result = mgmt.create_token(cloud.TokenRequestSchema(
        permissions=cloud.PermissionsSchema(scopes=["read:ping"], application_name=name), expiry=expiry))
    assert cloud.PingApi(live_server.client(token=result.result)).ping_app_id().api_message == "pong"
    with pytest.raises(ApiException) as err:
        mgmt.create_token(cloud.TokenRequestSchema(
            permissions=cloud.PermissionsSchema(scopes=["read"], application_name="no such app"), expiry=expiry))
    assert err.value.status == 404


def test_normal_app_creates_token_for_itself(live_server):
    api = cloud.ApplicationManagementApi(live_server.client())
    expiry = datetime.now(UTC) + timedelta(seconds=60)
    token = api.create_token(cloud.TokenRequestSchema(
        permissions=cloud.PermissionsSchema(scopes=["read:about"]), expiry=expiry)).result
    assert cloud.AboutApi(live_server.client(token=token)).get_about().version == "2.0"


def test_token_with_past_expiry_is_400(live_server, mgmt):
    past = datetime.now(UTC) - timedelta(minutes=1)
    with pytest.raises(ApiException) as err:
        mgmt.create_token(cloud.TokenRequestSchema(permissions=cloud.PermissionsSchema(scopes=["read"]), expiry=past))
    assert err.value.status == 400 and "expiry" in message(err.value)


def test_get_applications_pages_filters_and_counts(live_server, mgmt):
    tag = uuid.uuid4().hex[:8]
    made = [new_child_app(live_server, name=f"paged-{tag}-{i:02d}")[0] for i in range(13)]
    first = mgmt.get_applications(filter=tag, filter_by="app_name", order_by="app_name_asc",
                                  include_total_count=True, include_course_count=True)
    assert [a.name for a in first.applications] == [f"paged-{tag}-{i:02d}" for i in range(10)]
    assert first.applications[0].course_count == 0
    assert first.more
    data, status, headers = mgmt.get_applications_with_http_info(filter=tag, filter_by="app_name",
                                                                 include_total_count=True)
    assert headers["X-Total-Count"] == "13"
    second = mgmt.get_applications(more=first.more)
    assert [a.name for a in second.applications] == [f"paged-{tag}-{i:02d}" for i in range(10, 13)]
    assert second.more is None
    assert sorted(a.id for a in first.applications + second.applications) == sorted(made)
    desc = mgmt.get_applications(filter=tag, filter_by="app_name", order_by="app_name_desc")
    assert desc.applications[0].name == f"paged-{tag}-12"


def test_get_applications_since_until_and_default_order(live_server, mgmt):
    before = datetime.now(UTC) - timedelta(seconds=1)
    tag = uuid.uuid4().hex[:8]
    ids = [new_child_app(live_server, name=f"t-{tag}-{i}")[0] for i in range(3)]
    listed = mgmt.get_applications(since=before, filter=tag, filter_by="app_name")
    assert [a.id for a in listed.applications] == ids  # updated_asc by default
    future = datetime.now(UTC) + timedelta(hours=1)
    assert mgmt.get_applications(since=future, filter=tag, filter_by="app_name").applications == []
    assert mgmt.get_applications(until=before, filter=tag, filter_by="app_name").applications == []


def test_more_cannot_be_combined_or_forged(live_server, mgmt):
    tag = uuid.uuid4().hex[:8]
    for i in range(11):
        new_child_app(live_server, name=f"m-{tag}-{i}")
    more = mgmt.get_applications(filter=tag, filter_by="app_name").more
    with pytest.raises(ApiException) as err:
        mgmt.get_applications(more=more, order_by="app_id_asc")
    assert err.value.status == 400 and "more" in message(err.value)
    with pytest.raises(ApiException) as err:
        mgmt.get_applications(more=more[:-3] + "AAA")
    assert err.value.status == 400


@pytest.mark.parametrize("params,field", [
    ({"orderBy": "sideways"}, "orderBy"),
    ({"filterBy": "colour", "filter": "x"}, "filterBy"),
    ({"datetimeFilter": "birthday"}, "datetimeFilter"),
    ({"since": "yesterday"}, "since"),
    ({"includeTotalCount": "maybe"}, "includeTotalCount"),
])
def test_get_applications_rejects_bad_parameters(live_server, params, field):
    resp = httpx.get(live_server.api_url + "/appManagement/applicationList", params=params,
                     auth=(live_server.management_app.app_id, live_server.management_app.secret))
    assert resp.status_code == 400
    assert field in resp.json()["message"]


def test_unknown_child_app_is_404_everywhere(live_server, mgmt):
    for call in (lambda: mgmt.get_application_info("NOSUCHAPP1"),
                 lambda: mgmt.get_credentials("NOSUCHAPP1"),
                 lambda: mgmt.update_application("NOSUCHAPP1", cloud.UpdateApplicationSchema(name="x")),
                 lambda: mgmt.delete_application("NOSUCHAPP1"),
                 lambda: mgmt.create_credential("NOSUCHAPP1", cloud.CredentialRequestSchema(name="x"))):
        with pytest.raises(ApiException) as err:
            call()
        assert err.value.status == 404


def test_update_timestamp_moves(live_server, mgmt):
    app_id, _ = new_child_app(live_server)
    before = mgmt.get_application_info(app_id).update_date
    time.sleep(0.01)
    mgmt.update_application(app_id, cloud.UpdateApplicationSchema(name="changed"))
    assert mgmt.get_application_info(app_id).update_date > before
