"""LMS configurations through /api/ext/v1 (issue 17): create, read, update, delete, attach to a
course and detach; the secret is write-only and stored encrypted; bad input is a clear 400/404 with
nothing saved (including a private-address URL on a server that refuses them); another realm sees
nothing; app credentials or tokens with read:lms / write:lms; the routes are in the served OpenAPI."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import rustici_software_cloud_v2 as cloud

from coursehost.app import create_app
from coursehost.db.migrate import upgrade
from coursehost.db.models.courses import Course
from coursehost.db.models.lms import LmsConfiguration
from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from coursehost.domain.applications import service as apps
from coursehost.domain.lms.configurations import attached_configuration
from coursehost.settings import Settings
from tests.contract.lms import ext_api
from tests.contract.player_http import import_one_sco
from tests.databases import create_pg_database, drop_pg_database
from tests.servers import AppCreds, _applications, free_port, start_server

SECRET = "a-secret-never-shown-again"


def _body(**over) -> dict:
    body = {"name": "Campus LMS", "contactEmail": "lms-owner@example.com", "type": "xapi",
            "xapiUrl": "https://lrs.example.com/xapi/", "xapiKey": "key-1", "xapiSecret": SECRET}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture(scope="module")
def api(live_server):
    with ext_api(live_server) as client:
        yield client


def _ids(api) -> list[str]:
    resp = api.get("/lmsConfigurations")
    assert resp.status_code == 200, resp.text
    return [c["id"] for c in resp.json()["configurations"]]


def _stored(live_server, config_id: str) -> LmsConfiguration:
    with unit_of_work(live_server.services.session_factory) as session:
        row = session.query(LmsConfiguration).filter_by(config_id=config_id).one()
        session.expunge(row)
        return row


def test_create_read_update_delete_with_a_write_only_secret_stored_encrypted(live_server, api):
    made = api.post("/lmsConfigurations", json=_body())
    assert made.status_code == 200, made.text
    config = made.json()
    assert {k: config[k] for k in ("name", "contactEmail", "type", "xapiUrl", "xapiKey", "status", "pendingResults")} \
        == {"name": "Campus LMS", "contactEmail": "lms-owner@example.com", "type": "xapi",
            "xapiUrl": "https://lrs.example.com/xapi/", "xapiKey": "key-1", "status": "OK", "pendingResults": 0}
    assert config["lastError"] is None and config["errorSince"] is None
    assert "xapiSecret" not in config and SECRET not in made.text
    stored = _stored(live_server, config["id"])
    assert SECRET not in str(stored.properties)
    assert live_server.services.box.decrypt(stored.properties["secretEncrypted"]) == SECRET

    assert config["id"] in _ids(api)
    got = api.get(f"/lmsConfigurations/{config['id']}")
    assert got.status_code == 200 and got.json()["name"] == "Campus LMS" and SECRET not in got.text

    # Only what is given changes; the secret stays when it is not given.
    changed = api.put(f"/lmsConfigurations/{config['id']}", json={"name": "Campus LMS (prod)", "xapiKey": "key-2"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["xapiKey"], changed.json()["xapiUrl"]) == \
        ("Campus LMS (prod)", "key-2", "https://lrs.example.com/xapi/")
    assert live_server.services.box.decrypt(_stored(live_server, config["id"]).properties["secretEncrypted"]) == SECRET
    api.put(f"/lmsConfigurations/{config['id']}", json={"xapiSecret": "the-new-secret"})
    assert live_server.services.box.decrypt(
        _stored(live_server, config["id"]).properties["secretEncrypted"]) == "the-new-secret"

    assert api.delete(f"/lmsConfigurations/{config['id']}").status_code == 204
    assert api.get(f"/lmsConfigurations/{config['id']}").status_code == 404
    assert config["id"] not in _ids(api)
    assert api.delete(f"/lmsConfigurations/{config['id']}").status_code == 404


@pytest.mark.parametrize("body, words", [
    (_body(xapiUrl="ftp://lrs.example.com/xapi/"), "http or https"),
    (_body(xapiUrl="lrs.example.com/xapi"), "http or https"),
    (_body(contactEmail="not-an-address"), "contactEmail"),
    (_body(contactEmail="two@@example.com"), "contactEmail"),
    (_body(name="  "), "name"),
    (_body(type="scorm-engine"), "type must be one of: xapi"),
    (_body(xapiKey=None), "xapiKey"),
    (_body(xapiSecret=None), "xapiSecret"),
    (_body(status="OK"), "status"),
])
def test_bad_input_is_a_clear_400_and_saves_nothing(api, body, words):
    before = _ids(api)
    resp = api.post("/lmsConfigurations", json=body)
    assert resp.status_code == 400, resp.text
    assert words in resp.text
    assert _ids(api) == before


def test_a_bad_update_changes_nothing(api):
    config = api.post("/lmsConfigurations", json=_body(name="Kept as it is")).json()
    for body in ({"name": "New name", "contactEmail": "nope"}, {"name": "New name", "xapiUrl": "file:///etc/passwd"},
                 {"type": "other"}):
        assert api.put(f"/lmsConfigurations/{config['id']}", json=body).status_code == 400
    got = api.get(f"/lmsConfigurations/{config['id']}").json()
    assert (got["name"], got["contactEmail"], got["xapiUrl"]) == \
        ("Kept as it is", "lms-owner@example.com", "https://lrs.example.com/xapi/")


def test_attach_to_a_course_replace_and_detach(live_server, api, tmp_path):
    course_id = f"lms-course-{uuid.uuid4().hex[:8]}"
    import_one_sco(live_server.client(), tmp_path, course_id)
    first = api.post("/lmsConfigurations", json=_body(name="First")).json()
    second = api.post("/lmsConfigurations", json=_body(name="Second")).json()

    def attached():
        with unit_of_work(live_server.services.session_factory) as session:
            course = session.query(Course).filter_by(course_id=course_id).one()
            config = attached_configuration(session, course_pk=course.pk)
            return config.config_id if config else None

    path = f"/courses/{course_id}/lmsConfiguration"
    unknown = api.put(path, json={"configurationId": "NO-SUCH-CONFIG"})
    assert unknown.status_code == 404 and "NO-SUCH-CONFIG" in unknown.text
    assert api.put(path, json={}).status_code == 400
    assert api.put("/courses/no-such-course/lmsConfiguration", json={"configurationId": first["id"]}).status_code == 404
    assert attached() is None

    assert api.put(path, json={"configurationId": first["id"]}).status_code == 204
    assert attached() == first["id"]
    assert api.put(path, json={"configurationId": second["id"]}).status_code == 204  # one per course
    assert attached() == second["id"]
    assert api.delete(path).status_code == 204
    assert attached() is None
    assert api.delete(path).status_code == 404

    # Deleting a configuration detaches it from its courses.
    api.put(path, json={"configurationId": first["id"]})
    api.delete(f"/lmsConfigurations/{first['id']}")
    assert attached() is None


@pytest.fixture(scope="module")
def other_realm_app(live_server) -> AppCreds:
    """A normal application of the second realm."""
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        realm_id = session.query(Application).filter_by(app_id=live_server.other_management_app.app_id).one().realm_id
        app, secret = apps.create_application(session, box=svc.box, realm_id=realm_id, name="Other realm app")
        return AppCreds(app.app_id, secret)


def test_another_realm_sees_nothing_and_changes_nothing(live_server, api, other_realm_app, tmp_path):
    ours = api.post("/lmsConfigurations", json=_body(name="Ours only")).json()
    with ext_api(live_server, other_realm_app) as other:
        assert ours["id"] not in _ids(other)
        assert other.get(f"/lmsConfigurations/{ours['id']}").status_code == 404
        assert other.put(f"/lmsConfigurations/{ours['id']}", json={"name": "Taken"}).status_code == 404
        assert other.delete(f"/lmsConfigurations/{ours['id']}").status_code == 404
        import_one_sco(live_server.client(other_realm_app), tmp_path, "other-realm-course")
        resp = other.put("/courses/other-realm-course/lmsConfiguration", json={"configurationId": ours["id"]})
        assert resp.status_code == 404
    got = api.get(f"/lmsConfigurations/{ours['id']}").json()
    assert got["name"] == "Ours only"


def _token(live_server, *scopes: str) -> str:
    return cloud.ApplicationManagementApi(live_server.client()).create_token(cloud.TokenRequestSchema(
        permissions=cloud.PermissionsSchema(scopes=list(scopes)),
        expiry=datetime.now(UTC) + timedelta(minutes=5))).result


def test_credentials_and_scopes(live_server, api):
    config = api.post("/lmsConfigurations", json=_body(name="Scoped")).json()
    with ext_api(live_server, token=_token(live_server, "read:lms")) as reader:
        assert reader.get("/lmsConfigurations").status_code == 200
        assert reader.get(f"/lmsConfigurations/{config['id']}").status_code == 200
        denied = reader.post("/lmsConfigurations", json=_body(name="Not made"))
        assert denied.status_code == 403 and "write:lms" in denied.text
        assert reader.delete(f"/lmsConfigurations/{config['id']}").status_code == 403
    with ext_api(live_server, token=_token(live_server, "write:lms", "read:lms")) as writer:
        assert writer.put(f"/lmsConfigurations/{config['id']}", json={"name": "Scoped 2"}).status_code == 200
    with ext_api(live_server, token=_token(live_server, "read:course")) as other:
        assert other.get("/lmsConfigurations").status_code == 403
    with ext_api(live_server, AppCreds(live_server.default_app.app_id, "wrong")) as anonymous:
        assert anonymous.get("/lmsConfigurations").status_code == 401
    assert "Not made" not in str(api.get("/lmsConfigurations").json())


def test_the_routes_are_in_the_served_openapi_outside_the_v2_namespace(live_server):
    paths = httpx.get(live_server.service_url + "/api/openapi.json").json()["paths"]
    ops = {(path, method): spec["operationId"] for path, methods in paths.items() for method, spec in methods.items()
           if path.startswith("/api/ext/v1/")}
    assert ops == {
        ("/api/ext/v1/lmsConfigurations", "get"): "GetLmsConfigurations",
        ("/api/ext/v1/lmsConfigurations", "post"): "CreateLmsConfiguration",
        ("/api/ext/v1/lmsConfigurations/{configurationId}", "get"): "GetLmsConfiguration",
        ("/api/ext/v1/lmsConfigurations/{configurationId}", "put"): "UpdateLmsConfiguration",
        ("/api/ext/v1/lmsConfigurations/{configurationId}", "delete"): "DeleteLmsConfiguration",
        ("/api/ext/v1/lmsConfigurations/{configurationId}/test", "post"): "TestLmsConfiguration",
        ("/api/ext/v1/courses/{courseId}/lmsConfiguration", "put"): "SetCourseLmsConfiguration",
        ("/api/ext/v1/courses/{courseId}/lmsConfiguration", "delete"): "DeleteCourseLmsConfiguration",
        ("/api/ext/v1/registrations/{registrationId}/lmsResults", "get"): "GetRegistrationLmsResults",
        ("/api/ext/v1/dispatches/{dispatchId}/pens", "get"): "GetDispatchPensPublications",  # issue 19
        ("/api/ext/v1/dispatches/{dispatchId}/pens", "post"): "PublishDispatchPens",
    }
    schema = paths["/api/ext/v1/lmsConfigurations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema


@pytest.fixture(scope="module")
def guarded(database_url, tmp_path_factory):
    """A second live service over a database of its own, with allow_private_urls=False."""
    data_dir = tmp_path_factory.mktemp("lmsguard")
    url = create_pg_database() if database_url.startswith("postgresql") else f"sqlite:///{data_dir / 'g.db'}"
    upgrade(url)
    port = free_port()
    settings = Settings(data_dir=data_dir, database_url=url, storage_url=f"file://{data_dir / 'content'}",
                        port=port, content_port=free_port(), secret_key=secrets.token_urlsafe(48),
                        worker_poll_seconds=0.2, allow_private_urls=False)
    app = create_app(settings)
    default, _, _ = _applications(app.state.services)
    server, thread = start_server(app, port)

    class Guarded:
        service_url = f"http://127.0.0.1:{port}"
        default_app = default

    try:
        with ext_api(Guarded) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        if url.startswith("postgresql"):
            drop_pg_database(url)


@pytest.mark.parametrize("target", ["http://127.0.0.1:9/lrs/", "http://10.0.0.1/xapi/", "http://[::1]/xapi/",
                                    "http://169.254.169.254/latest/", "http://2130706433/xapi/"])
def test_a_private_address_is_refused_and_nothing_saved(guarded, target):
    resp = guarded.post("/lmsConfigurations", json=_body(xapiUrl=target))
    assert resp.status_code == 400, resp.text
    assert "private or local address" in resp.text
    assert guarded.get("/lmsConfigurations").json()["configurations"] == []
