"""XapiApi credentials through the official client, and their effect on the application's LRS."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from tests.contract.helpers import message, new_child_app


def _auth(value: str) -> cloud.XapiCredentialAuthTypeSchema:
    return cloud.XapiCredentialAuthTypeSchema(xapi_credential_auth_type=value)


def _level(value: str) -> cloud.XapiCredentialPermissionsLevelSchema:
    return cloud.XapiCredentialPermissionsLevelSchema(xapi_credential_permissions_level=value)


def _post(name: str = "Quiz tool", *, secret: str = "s3cret-value-long-enough", enabled: bool = True,
          auth: str = "BASICAUTH", level: str = "DEFAULT", info: str | None = None):
    return cloud.XapiCredentialPostSchema(name=name, info=info, secret=secret, is_enabled=enabled,
                                          auth=_auth(auth), permissions_level=_level(level))


@pytest.fixture
def app(live_server):
    """A fresh application per test: (app id, XapiApi client)."""
    app_id, creds = new_child_app(live_server)
    return app_id, cloud.XapiApi(live_server.client(creds))


def _lrs_status(live_server, app_id: str, user: str, password: str) -> int:
    response = httpx.get(f"{live_server.base_url}/lrs/{app_id}/statements", auth=(user, password),
                         headers={"X-Experience-API-Version": "1.0.3"})
    return response.status_code


def test_create_and_get_credential_round_trips_every_field(app):
    _, xapi = app
    cred_id = xapi.create_xapi_credential(_post(info="grade book", auth="OAUTH", level="READONLY")).result
    assert cred_id and ":" not in cred_id
    cred = xapi.get_xapi_credential(cred_id)
    assert (cred.id, cred.name, cred.info, cred.secret, cred.is_enabled) == \
        (cred_id, "Quiz tool", "grade book", "s3cret-value-long-enough", True)
    assert cred.auth.xapi_credential_auth_type == "OAUTH"
    assert cred.permissions_level.xapi_credential_permissions_level == "READONLY"


def test_wire_shape_of_a_credential(live_server, app):
    app_id, xapi = app
    cred_id = xapi.create_xapi_credential(_post()).result
    creds = xapi.api_client.configuration
    raw = httpx.get(f"{live_server.api_url}/xapi/credentials/{cred_id}", auth=(creds.username, creds.password)).json()
    assert raw == {"id": cred_id, "name": "Quiz tool", "secret": "s3cret-value-long-enough", "isEnabled": True,
                   "auth": {"xapiCredentialAuthType": "BASICAUTH"},
                   "permissionsLevel": {"xapiCredentialPermissionsLevel": "DEFAULT"}}


def test_plain_enum_strings_are_accepted_too(live_server, app):
    _, xapi = app
    creds = xapi.api_client.configuration
    body = {"name": "Plain", "secret": "x" * 16, "isEnabled": True, "auth": "BASICAUTH", "permissionsLevel": "root"}
    r = httpx.post(f"{live_server.api_url}/xapi/credentials", json=body, auth=(creds.username, creds.password))
    assert r.status_code == 200, r.text
    cred = xapi.get_xapi_credential(r.json()["result"])
    assert cred.permissions_level.xapi_credential_permissions_level == "ROOT"


def test_bad_enum_and_missing_name_are_400(app):
    _, xapi = app
    with pytest.raises(ApiException) as err:
        xapi.create_xapi_credential(_post(level="SUPERUSER"))
    assert err.value.status == 400 and "permissionsLevel" in message(err.value)
    body = _post()
    body._name = None  # the client refuses None in its setter; send it anyway
    with pytest.raises(ApiException) as err:
        xapi.create_xapi_credential(body)
    assert err.value.status == 400 and "name" in message(err.value)


def test_set_updates_and_creates_with_the_callers_id(app):
    _, xapi = app
    cred_id = xapi.create_xapi_credential(_post()).result
    xapi.set_xapi_credential(cred_id, _post("Renamed", secret="new-secret-long-enough", enabled=False,
                                            level="WRITEONLY"))
    cred = xapi.get_xapi_credential(cred_id)
    assert (cred.name, cred.secret, cred.is_enabled) == ("Renamed", "new-secret-long-enough", False)
    assert cred.permissions_level.xapi_credential_permissions_level == "WRITEONLY"
    own_id = f"tool-{uuid.uuid4().hex[:8]}"
    xapi.set_xapi_credential(own_id, _post("Made by PUT"))
    assert xapi.get_xapi_credential(own_id).name == "Made by PUT"


def test_delete_then_get_is_404(app):
    _, xapi = app
    cred_id = xapi.create_xapi_credential(_post()).result
    xapi.delete_xapi_credential(cred_id)
    with pytest.raises(ApiException) as err:
        xapi.get_xapi_credential(cred_id)
    assert err.value.status == 404 and cred_id in message(err.value)
    with pytest.raises(ApiException) as err:
        xapi.delete_xapi_credential(cred_id)
    assert err.value.status == 404


def test_credentials_of_another_application_are_invisible(live_server, app):
    _, xapi = app
    cred_id = xapi.create_xapi_credential(_post()).result
    _, other_creds = new_child_app(live_server)
    other = cloud.XapiApi(live_server.client(other_creds))
    with pytest.raises(ApiException) as err:
        other.get_xapi_credential(cred_id)
    assert err.value.status == 404
    assert other.get_xapi_credentials().xapi_credentials == []


def test_list_pages_with_more_and_filters(live_server, app):
    _, xapi = app  # the live server's page size is 10
    made = [xapi.create_xapi_credential(_post(f"tool {i:02d}")).result for i in range(13)]
    page, status, headers = xapi.get_xapi_credentials_with_http_info(include_total_count=True)
    assert status == 200 and headers["X-Total-Count"] == "13"
    assert len(page.xapi_credentials) == 10 and page.more
    rest = xapi.get_xapi_credentials(more=page.more)
    assert rest.more is None
    assert [c.id for c in page.xapi_credentials + rest.xapi_credentials] == made  # updated_asc
    with pytest.raises(ApiException) as err:
        xapi.get_xapi_credentials(more=page.more, filter="x")
    assert err.value.status == 400
    named = xapi.get_xapi_credentials(filter="tool 1", filter_by="credential_name", order_by="credential_name_desc")
    assert [c.name for c in named.xapi_credentials] == ["tool 12", "tool 11", "tool 10"]
    assert xapi.get_xapi_credentials(since="2999-01-01T00:00:00Z").xapi_credentials == []
    with pytest.raises(ApiException) as err:
        xapi.get_xapi_credentials(order_by="sideways")
    assert err.value.status == 400


def test_scopes(live_server, app):
    app_id, xapi = app
    auth = cloud.AuthenticationApi(xapi.api_client)
    token = auth.get_app_token("read:xapicredential", expiration=300).access_token
    reader = cloud.XapiApi(live_server.client(token=token))
    assert reader.get_xapi_credentials().xapi_credentials == []
    with pytest.raises(ApiException) as err:
        reader.create_xapi_credential(_post())
    assert err.value.status == 403
    with pytest.raises(ApiException) as err:
        reader.get_statement_pipes()
    assert err.value.status == 403


def test_credential_authenticates_on_the_lrs_until_disabled_or_deleted(live_server, app):
    """Basic auth with the credential on /lrs/{appId}/: accepted while enabled; refused at once when
    disabled, re-enabled, given a new secret, or deleted (the principal cache is dropped on commit)."""
    import base64

    from coursehost.lrs_http.auth import authenticate

    app_id, xapi = app
    cred_id = xapi.create_xapi_credential(_post(secret="first-secret-value", level="READONLY")).result

    def who(user, password):
        header = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return authenticate(live_server.services, app_id=app_id, authorization=header,
                            base_url=live_server.base_url)

    principal = who(cred_id, "first-secret-value")
    assert principal is not None and principal.app_id == app_id
    assert who(cred_id, "wrong") is None
    _, other_creds = new_child_app(live_server)
    assert authenticate(live_server.services, app_id=other_creds.app_id, base_url=live_server.base_url,
                        authorization="Basic " + base64.b64encode(f"{cred_id}:first".encode()).decode()) is None
    assert _lrs_status(live_server, app_id, cred_id, "first-secret-value") == 200
    assert _lrs_status(live_server, app_id, cred_id, "wrong") == 401

    xapi.set_xapi_credential(cred_id, _post(secret="first-secret-value", enabled=False, level="READONLY"))
    assert who(cred_id, "first-secret-value") is None
    assert _lrs_status(live_server, app_id, cred_id, "first-secret-value") == 401
    xapi.set_xapi_credential(cred_id, _post(secret="second-secret-value", enabled=True, level="READONLY"))
    assert who(cred_id, "first-secret-value") is None and who(cred_id, "second-secret-value") is not None
    assert _lrs_status(live_server, app_id, cred_id, "second-secret-value") == 200
    xapi.delete_xapi_credential(cred_id)
    assert who(cred_id, "second-secret-value") is None
    assert _lrs_status(live_server, app_id, cred_id, "second-secret-value") == 401


def test_secret_is_encrypted_at_rest(live_server, app):
    from sqlalchemy import select

    from coursehost.db.models.xapi import XapiCredential

    _, xapi = app
    cred_id = xapi.create_xapi_credential(_post(secret="plain-text-never-stored")).result
    with live_server.services.session_factory() as session:
        stored = session.scalar(select(XapiCredential.secret_encrypted).where(XapiCredential.credential_id == cred_id))
    assert "plain-text-never-stored" not in stored
    assert json.dumps(stored)  # a string, decryptable only with the instance key
