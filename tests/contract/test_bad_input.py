"""Bad input gets a clear 4xx naming the problem, and nothing is written."""

from __future__ import annotations

import httpx
import pytest
import rustici_software_cloud_v2 as cloud


@pytest.fixture
def mgmt_http(live_server):
    creds = live_server.management_app
    with httpx.Client(base_url=live_server.api_url, auth=(creds.app_id, creds.secret)) as client:
        yield client


@pytest.fixture
def app_http(live_server):
    creds = live_server.default_app
    with httpx.Client(base_url=live_server.api_url, auth=(creds.app_id, creds.secret)) as client:
        yield client


def _app_count(live_server) -> int:
    mgmt = cloud.ApplicationManagementApi(live_server.client(live_server.management_app))
    return len(mgmt.get_application_list().applications)


@pytest.mark.parametrize("body,field", [
    (b'{"name": "unterminated', "Malformed JSON"),
    (b'{"name": 123}', "name"),
    (b'{"name": ["a"]}', "name"),
    (b'{}', "name"),
    (b'[]', "body"),
    (('{"name": "%s"}' % ("x" * 256)).encode(), "name"),
    (b'{"name": "   "}', "name"),
])
def test_create_application_rejects_bad_bodies_and_writes_nothing(live_server, mgmt_http, body, field):
    before = _app_count(live_server)
    resp = mgmt_http.post("/appManagement/applications", content=body,
                          headers={"Content-Type": "application/json"})
    assert resp.status_code == 400, resp.text
    assert field in resp.json()["message"]
    assert _app_count(live_server) == before


def test_wrong_type_for_boolean_field(mgmt_http, live_server):
    resp = mgmt_http.put(f"/appManagement/applications/{live_server.default_app.app_id}",
                         json={"allowDelete": "perhaps"})
    assert resp.status_code == 400 and "allowDelete" in resp.json()["message"]


def test_ids_over_255_characters_are_400(mgmt_http):
    resp = mgmt_http.get("/appManagement/applications/" + "A" * 256)
    assert resp.status_code == 400 and "childAppId" in resp.json()["message"]


def test_oversized_body_is_refused_before_reading(live_server, mgmt_http):
    limit = live_server.services.settings.max_json_body_bytes
    before = _app_count(live_server)
    resp = mgmt_http.post("/appManagement/applications", content=b'{"name": "' + b"x" * limit + b'"}',
                          headers={"Content-Type": "application/json"})
    assert resp.status_code == 413
    assert str(limit) in resp.json()["message"]
    assert _app_count(live_server) == before


def test_oversized_chunked_body_is_refused(live_server, mgmt_http):
    limit = live_server.services.settings.max_json_body_bytes

    def chunks():
        yield b'{"name": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    resp = mgmt_http.post("/appManagement/applications", content=chunks(),
                          headers={"Content-Type": "application/json"})
    assert resp.status_code == 413


def test_unknown_enum_values_are_400(app_http):
    resp = app_http.get("/appManagement/configuration", params={"learningStandard": "SCORM99", "singleSco": "true"})
    assert resp.status_code == 400 and "learningStandard" in resp.json()["message"]
    resp = app_http.get("/appManagement/configuration", params={"learningStandard": "SCORM12"})
    assert resp.status_code == 400 and "singleSco" in resp.json()["message"]


def test_bad_setting_values_write_nothing(live_server, app_http):
    resp = app_http.post("/appManagement/configuration", json={"settings": [
        {"settingId": "PlayerCommCommitFrequency", "value": "5000"},
        {"settingId": "PlayerLaunchType", "value": "SIDEWAYS"},
    ]})
    assert resp.status_code == 400 and "PlayerLaunchType" in resp.json()["message"]
    items = {i["id"]: i for i in app_http.get("/appManagement/configuration").json()["settingItems"]}
    assert items["PlayerCommCommitFrequency"]["effectiveValue"] != "5000"
    resp = app_http.post("/appManagement/configuration", json={"settings": [{"settingId": "NoSuchSetting", "value": "1"}]})
    assert resp.status_code == 400 and "NoSuchSetting" in resp.json()["message"]
    resp = app_http.post("/appManagement/configuration", json={"settings": "all of them"})
    assert resp.status_code == 400 and "settings" in resp.json()["message"]


def test_token_request_with_wrong_types(live_server, app_http):
    resp = app_http.post("/appManagement/token", json={"permissions": {"scopes": "read"}, "expiry": "2099-01-01T00:00:00Z"})
    assert resp.status_code == 400 and "scopes" in resp.json()["message"]
    resp = app_http.post("/appManagement/token", json={"permissions": {"scopes": ["read"]}, "expiry": "next week"})
    assert resp.status_code == 400 and "expiry" in resp.json()["message"]
