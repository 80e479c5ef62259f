"""Issue 13, items 7, 9 and 10 through real HTTP and the official client: tokens die with the
credential that minted them, failed authentication is throttled (429 + Retry-After), xAPI secrets
have a minimum length, ids are scoped per application and unknown request fields are a 400."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER, Client
from pydantic import BaseModel
from rustici_software_cloud_v2.rest import ApiException

from coursehost.api.v2.launch import LaunchLinkRequest
from coursehost.api.v2.schemas import applications as app_schemas
from coursehost.api.v2.schemas import courses as course_schemas
from coursehost.api.v2.schemas import registrations as reg_schemas
from coursehost.api.v2.schemas import xapi as xapi_schemas
from coursehost.app import create_app
from coursehost.db.migrate import upgrade
from coursehost.db.session import unit_of_work
from coursehost.domain.applications import service as apps
from coursehost.domain.applications.auth import Principal, issue_token
from coursehost.settings import Settings
from tests.contract.helpers import message, new_child_app
from tests.contract.registrations import reg_app
from tests.databases import create_pg_database, drop_pg_database
from tests.servers import AppCreds, free_port, start_server

V = {"X-Experience-API-Version": "1.0.3"}
LONG_SECRET = "a-long-enough-secret-value"


@pytest.fixture
def mgmt(live_server):
    return cloud.ApplicationManagementApi(live_server.client(live_server.management_app))


def _ping(live_server, *, auth=None, headers=None, transport=None) -> httpx.Response:
    with httpx.Client(transport=transport) as client:
        return client.get(live_server.api_url + "/ping", auth=auth, headers=headers)


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _xapi_post(name="tool", *, secret: str | None = LONG_SECRET, auth="BASICAUTH", level="ROOT"):
    return cloud.XapiCredentialPostSchema(
        name=name, secret=secret, is_enabled=True,
        auth=cloud.XapiCredentialAuthTypeSchema(xapi_credential_auth_type=auth),
        permissions_level=cloud.XapiCredentialPermissionsLevelSchema(xapi_credential_permissions_level=level))


# ------------------------------------------------------------------ item 7: tokens and their credential


def test_app_token_is_refused_once_its_credential_is_disabled_or_deleted(live_server, mgmt):
    app_id, _ = new_child_app(live_server)
    second = mgmt.create_credential(app_id, cloud.CredentialRequestSchema(name="minting", active=True))
    token = cloud.AuthenticationApi(live_server.client(AppCreds(app_id, second.credential))) \
        .get_app_token("read write").access_token
    lrs_url = f"{live_server.base_url}/lrs/{app_id}/statements"
    assert _ping(live_server, headers=_bearer(token)).status_code == 200
    assert httpx.get(lrs_url, headers={**V, **_bearer(token)}).status_code == 200

    mgmt.update_credential(app_id, second.id, cloud.CredentialRequestSchema(name="minting", active=False))
    assert _ping(live_server, headers=_bearer(token)).status_code == 401
    assert httpx.get(lrs_url, headers={**V, **_bearer(token)}).status_code == 401
    with pytest.raises(ApiException) as err:
        cloud.PingApi(live_server.client(token=token)).ping_app_id()
    assert err.value.status == 401

    mgmt.update_credential(app_id, second.id, cloud.CredentialRequestSchema(name="minting", active=True))
    assert _ping(live_server, headers=_bearer(token)).status_code == 200
    mgmt.delete_credential(app_id, second.id)
    assert _ping(live_server, headers=_bearer(token)).status_code == 401
    assert httpx.get(lrs_url, headers={**V, **_bearer(token)}).status_code == 401


def test_create_token_and_tokens_it_mints_die_with_the_credential(live_server, mgmt):
    app_id, _ = new_child_app(live_server)
    second = mgmt.create_credential(app_id, cloud.CredentialRequestSchema(name="minting", active=True))
    own = cloud.ApplicationManagementApi(live_server.client(AppCreds(app_id, second.credential)))
    token = own.create_token(cloud.TokenRequestSchema(
        permissions=cloud.PermissionsSchema(scopes=["read:ping", "read"]),
        expiry=datetime.now(UTC) + timedelta(hours=1))).result
    assert _ping(live_server, headers=_bearer(token)).status_code == 200
    # A token asked for with that token carries the same credential.
    child = httpx.post(live_server.api_url + "/oauth/authenticate/application/token",
                       data={"scope": "read:ping"}, headers=_bearer(token))
    assert child.status_code == 200, child.text
    child_token = child.json()["access_token"]
    mgmt.delete_credential(app_id, second.id)
    assert _ping(live_server, headers=_bearer(token)).status_code == 401
    assert _ping(live_server, headers=_bearer(child_token)).status_code == 401


def test_a_token_without_a_credential_is_refused(live_server):
    """Tokens minted before tokens named their credential are refused (README, Authentication)."""
    principal = Principal(app_pk=0, app_id=live_server.default_app.app_id, realm_id=0, is_management=False)
    token = issue_token(instance_key=live_server.services.instance_key, subject=principal,
                        scopes=frozenset({"read"}), expires_in=300)
    assert _ping(live_server, headers=_bearer(token)).status_code == 401


# ------------------------------------------------------------------ item 9: throttling and secrets


@contextmanager
def _server(database_url: str, data_dir, **limits) -> Iterator[tuple[str, object, AppCreds, AppCreds]]:
    """The service on its own port with the given throttling limits, and two applications on it, over a
    database of its own of this backend (failure counters are in the database: no other test's count)."""
    if database_url.startswith("sqlite"):
        database_url, drop = f"sqlite:///{data_dir / 'throttle.db'}", None
    else:
        database_url = drop = create_pg_database()
    upgrade(database_url)
    port = free_port()
    settings = Settings(data_dir=data_dir, database_url=database_url, storage_url=f"file://{data_dir / 'content'}",
                        port=port, secret_key=secrets.token_urlsafe(48), run_worker=False, **limits)
    app = create_app(settings)
    svc = app.state.services
    with unit_of_work(svc.session_factory) as session:
        realm = apps.ensure_realm(session)
        made = [apps.create_application(session, box=svc.box, realm_id=realm.id, name=f"throttle {i}")
                for i in range(2)]
        creds = [AppCreds(a.app_id, s) for a, s in made]
    server, thread = start_server(app, port)
    try:
        yield f"http://127.0.0.1:{port}", svc, creds[0], creds[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        svc.engine.dispose()
        if drop:
            drop_pg_database(drop)


@pytest.fixture(scope="module")
def key_limited(database_url, tmp_path_factory):
    """A server that locks a key after 5 failures a minute (and an address only after 10,000)."""
    with _server(database_url, tmp_path_factory.mktemp("keylimit"), auth_failures_per_minute=5,
                 auth_failures_per_address_per_minute=10_000) as server:
        yield server


@pytest.fixture(scope="module")
def address_limited(database_url, tmp_path_factory):
    """A server that locks a client address after 8 failures a minute."""
    with _server(database_url, tmp_path_factory.mktemp("addrlimit"), auth_failures_per_minute=10_000,
                 auth_failures_per_address_per_minute=8) as server:
        yield server


def _assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "Too many failed authentication attempts" in response.json()["message"]


def _client(base: str, creds: AppCreds) -> cloud.ApiClient:
    config = cloud.Configuration()
    config.host = base + "/api/v2"
    config.username, config.password = creds.app_id, creds.secret
    return cloud.ApiClient(config)


def test_api_basic_failures_lock_the_key_even_for_the_right_password(key_limited):
    base, _, first, second = key_limited
    for _ in range(5):
        assert httpx.get(base + "/api/v2/ping", auth=(first.app_id, "wrong")).status_code == 401
    _assert_throttled(httpx.get(base + "/api/v2/ping", auth=(first.app_id, "wrong")))
    _assert_throttled(httpx.get(base + "/api/v2/ping", auth=(first.app_id, first.secret)))
    # (The official client's HTTP layer, urllib3, honours Retry-After: it waits and tries again.)
    # Another application's key is not locked; its successes are never counted.
    for _ in range(20):
        assert cloud.PingApi(_client(base, second)).ping_app_id().api_message == "pong"


def test_lrs_basic_and_oauth_failures_lock_their_key(key_limited):
    base, svc, _, app = key_limited
    xapi = cloud.XapiApi(_client(base, app))
    basic_key = xapi.create_xapi_credential(_xapi_post("basic")).result
    oauth_key = xapi.create_xapi_credential(_xapi_post("oauth", auth="OAUTH")).result
    url = f"{base}/lrs/{app.app_id}/statements"
    assert httpx.get(url, headers=V, auth=(basic_key, LONG_SECRET)).status_code == 200
    for _ in range(5):
        assert httpx.get(url, headers=V, auth=(basic_key, "wrong")).status_code == 401
    _assert_throttled(httpx.get(url, headers=V, auth=(basic_key, LONG_SECRET)))

    def signed(secret: str) -> dict:
        client = Client(oauth_key, client_secret=secret, signature_method=SIGNATURE_HMAC_SHA1,
                        signature_type=SIGNATURE_TYPE_AUTH_HEADER)
        return {**V, "Authorization": client.sign(url, http_method="GET")[1]["Authorization"]}

    assert httpx.get(url, headers=signed(LONG_SECRET)).status_code == 200
    for _ in range(5):
        assert httpx.get(url, headers=signed("wrong-secret")).status_code == 401
    _assert_throttled(httpx.get(url, headers=signed(LONG_SECRET)))
    # The application's own key on its LRS is the same key as on the API.
    for _ in range(5):
        assert httpx.get(url, headers=V, auth=(app.app_id, "wrong")).status_code == 401
    _assert_throttled(httpx.get(base + "/api/v2/ping", auth=(app.app_id, app.secret)))


def test_failures_from_one_address_lock_that_address_only(address_limited):
    base, _, first, _ = address_limited
    for i in range(8):
        bad = httpx.get(base + "/api/v2/ping", auth=(f"NOAPP{i}", "wrong")) if i % 2 else \
            httpx.get(base + "/api/v2/ping", headers=_bearer(f"not-a-token-{i}"))
        assert bad.status_code == 401
    _assert_throttled(httpx.get(base + "/api/v2/ping", auth=(first.app_id, first.secret)))
    lrs = httpx.get(f"{base}/lrs/{first.app_id}/statements", headers=V, auth=(first.app_id, first.secret))
    _assert_throttled(lrs)
    # 127.0.0.2 is another client address (all of 127/8 is this machine).
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as other:
        assert other.get(base + "/api/v2/ping", auth=(first.app_id, first.secret)).status_code == 200


def test_xapi_secrets_have_a_minimum_length_and_are_generated_when_omitted(live_server):
    app_id, creds = new_child_app(live_server)
    xapi = cloud.XapiApi(live_server.client(creds))
    for call in (lambda: xapi.create_xapi_credential(_xapi_post(secret="x")),
                 lambda: xapi.set_xapi_credential("chosen-id-1", _xapi_post(secret="fifteen-chars!!"))):
        with pytest.raises(ApiException) as err:
            call()
        assert err.value.status == 400 and "at least 16 characters" in message(err.value)
    # The official client always sends a secret; a raw caller may leave it out to have one generated.
    omitted = httpx.post(f"{live_server.api_url}/xapi/credentials", auth=(creds.app_id, creds.secret),
                         json={"name": "generated", "isEnabled": True})
    assert omitted.status_code == 200, omitted.text
    cred_id = omitted.json()["result"]
    generated = xapi.get_xapi_credential(cred_id).secret
    assert len(generated) >= 32
    with pytest.raises(ApiException) as err:
        xapi.set_xapi_credential(cred_id, _xapi_post(secret="short"))
    assert err.value.status == 400 and "at least 16 characters" in message(err.value)
    kept = httpx.put(f"{live_server.api_url}/xapi/credentials/{cred_id}", auth=(creds.app_id, creds.secret),
                     json={"name": "renamed"})
    assert kept.status_code == 204 and xapi.get_xapi_credential(cred_id).secret == generated
    xapi.set_xapi_credential(cred_id, _xapi_post("renamed", secret="sixteen-chars-ok"))
    assert xapi.get_xapi_credential(cred_id).secret == "sixteen-chars-ok"


# ------------------------------------------------------------------ item 10: ids per application, strict bodies


def test_the_same_xapi_credential_id_may_exist_in_two_applications(live_server):
    (a_id, a), (b_id, b) = new_child_app(live_server), new_child_app(live_server)
    xa, xb = cloud.XapiApi(live_server.client(a)), cloud.XapiApi(live_server.client(b))
    shared = f"shared-{uuid.uuid4().hex[:8]}"
    xa.set_xapi_credential(shared, _xapi_post("a", secret="secret-of-app-a-xx"))
    xb.set_xapi_credential(shared, _xapi_post("b", secret="secret-of-app-b-xx"))  # was 409 "already in use"
    assert (xa.get_xapi_credential(shared).name, xb.get_xapi_credential(shared).name) == ("a", "b")
    for app_id, secret, status in ((a_id, "secret-of-app-a-xx", 200), (b_id, "secret-of-app-b-xx", 200),
                                   (b_id, "secret-of-app-a-xx", 401)):
        got = httpx.get(f"{live_server.base_url}/lrs/{app_id}/statements", headers=V, auth=(shared, secret))
        assert got.status_code == status
    created = xb.create_xapi_credential(_xapi_post("generated")).result
    assert created != shared


def test_the_same_statement_pipe_id_may_exist_in_two_applications(live_server):
    (_, a), (_, b) = new_child_app(live_server), new_child_app(live_server)
    shared = f"pipe-{uuid.uuid4().hex[:8]}"
    body = {"source": {"url": "http://127.0.0.1:9/xapi/", "userName": "u", "password": "p"},
            "target": {"url": "http://127.0.0.1:9/xapi/", "userName": "u", "password": "p"}}
    for creds in (a, b):
        got = httpx.put(f"{live_server.api_url}/xapi/statementPipes/{shared}", json=body,
                        auth=(creds.app_id, creds.secret))
        assert got.status_code in (200, 204), got.text


def test_unknown_fields_are_400_naming_the_field(live_server, mgmt):
    app_id, _ = new_child_app(live_server)
    cred = mgmt.get_credentials(app_id).credentials[0]
    auth = (live_server.management_app.app_id, live_server.management_app.secret)
    url = f"{live_server.api_url}/appManagement/{app_id}/credentials/{cred.id}"
    got = httpx.put(url, json={"name": "Default", "status": "Disabled"}, auth=auth)
    assert got.status_code == 400 and got.json()["message"] == "Unknown field: status"
    assert mgmt.get_credentials(app_id).credentials[0].status == "Enabled"
    nested = httpx.post(f"{live_server.api_url}/appManagement/token", auth=auth, json={
        "permissions": {"scopes": ["read"], "admin": True}, "expiry": "2099-01-01T00:00:00Z"})
    assert nested.status_code == 400 and nested.json()["message"] == "Unknown field: permissions.admin"


def test_every_field_the_official_client_sends_is_declared():
    """Each request body we accept declares every JSON key of the official client's model for it."""
    pairs = [
        (app_schemas.ApplicationRequest, cloud.ApplicationRequestSchema),
        (app_schemas.UpdateApplication, cloud.UpdateApplicationSchema),
        (app_schemas.CredentialRequest, cloud.CredentialRequestSchema),
        (app_schemas.TokenRequest, cloud.TokenRequestSchema),
        (app_schemas.Permissions, cloud.PermissionsSchema),
        (app_schemas.SettingsPost, cloud.SettingsPostSchema),
        (app_schemas.SettingIndividual, cloud.SettingsIndividualSchema),
        (reg_schemas.CreateRegistrationIn, cloud.CreateRegistrationSchema),
        (reg_schemas.LearnerIn, cloud.LearnerSchema),
        (reg_schemas.LearnerInfoIn, cloud.LearnerSchema),
        (reg_schemas.PostBackIn, cloud.PostBackSchema),
        (reg_schemas.PostBackSchema, cloud.PostBackSchema),
        (reg_schemas.InitialStateIn, cloud.RegistrationSchema),
        (reg_schemas.ScoreIn, cloud.ScoreSchema),
        (course_schemas.ImportFetchRequest, cloud.ImportFetchRequestSchema),
        (course_schemas.MediaFileMetadata, cloud.MediaFileMetadataSchema),
        (course_schemas.TitleBody, cloud.TitleSchema),
        (course_schemas.TagsBody, cloud.TagListSchema),
        (course_schemas.BatchTagsBody, cloud.BatchTagsSchema),
        (course_schemas.ImportAssetRequest, cloud.ImportAssetRequestSchema),
        (LaunchLinkRequest, cloud.LaunchLinkRequestSchema),
        (LaunchLinkRequest, cloud.PreviewLaunchLinkRequestSchema),
        (xapi_schemas.XapiCredentialIn, cloud.XapiCredentialPostSchema),
        (xapi_schemas.XapiCredentialIn, cloud.XapiCredentialPutSchema),
        (xapi_schemas.XapiStatementPipeIn, cloud.XapiStatementPipePostSchema),
        (xapi_schemas.XapiEndpointIn, cloud.XapiEndpointSchema),
    ]
    for ours, theirs in pairs:
        declared = {f.alias or name for name, f in ours.model_fields.items()}
        missing = set(theirs.attribute_map.values()) - declared
        assert not missing, f"{ours.__name__} lacks {sorted(missing)} of {theirs.__name__}"
        assert ours.model_config.get("extra") == "forbid", ours.__name__
    assert issubclass(LaunchLinkRequest, BaseModel)


def test_the_official_client_may_send_every_field_it_has(live_server, tmp_path):
    app = reg_app(live_server, tmp_path)
    reg_id = f"reg-{uuid.uuid4().hex[:8]}"
    state = cloud.RegistrationSchema(
        id=reg_id, instance=0, xapi_registration_id=str(uuid.uuid4()), dispatch_id="d", updated=datetime.now(UTC),
        registration_completion="INCOMPLETE", registration_success="UNKNOWN", score=cloud.ScoreSchema(scaled=50),
        total_seconds_tracked=10, created_date=datetime.now(UTC),
        course=cloud.CourseReferenceSchema(id=app.course12, title="t", version=0),
        learner=cloud.LearnerSchema(id="learner-1"), tags=["t"], suspended_activity_id="s1")
    app.regs.create_registration(cloud.CreateRegistrationSchema(
        course_id=app.course12, registration_id=reg_id, learner=cloud.LearnerSchema(id="learner-1", email="a@b.c"),
        learner_tags=["l"], course_tags=["c"], registration_tags=["r"], initial_registration_state=state))
    link = app.regs.build_registration_launch_link(reg_id, cloud.LaunchLinkRequestSchema(
        expiry=60, redirect_on_exit_url="https://example.com/", tracking=True, start_sco="s1", culture="en",
        css_url="https://example.com/a.css", learner_tags=["l"], course_tags=["c"], registration_tags=["r"],
        additionalvalues=[cloud.ItemValuePairSchema(item="a", value="b")],
        launch_auth=cloud.LaunchAuthSchema(type="cookies", options=cloud.LaunchAuthOptionsSchema(
            ip_address=False, fingerprint=False, expiry=0, sliding_expiry=0))))
    assert link.launch_link
    preview = app.courses.build_course_preview_launch_link(app.course12, cloud.PreviewLaunchLinkRequestSchema(
        expiry=60, additionalvalues=[cloud.ItemValuePairSchema(item="a", value="b")]))
    assert preview.launch_link



def test_update_credential_of_another_application_answers_as_for_an_unknown_id(live_server, mgmt):
    (a_id, _), (b_id, _) = new_child_app(live_server), new_child_app(live_server)
    theirs = mgmt.get_credentials(a_id).credentials[0].id
    answers = []
    for cred_id in (theirs, "no-such-credential-id"):
        with pytest.raises(ApiException) as err:
            mgmt.update_credential(b_id, cred_id, cloud.CredentialRequestSchema(name="x", active=False))
        answers.append((err.value.status, message(err.value).replace(cred_id, "ID")))
    assert answers[0] == answers[1] and answers[0][0] == 404
    assert mgmt.get_credentials(a_id).credentials[0].status == "Enabled"
