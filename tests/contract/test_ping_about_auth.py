"""PingApi, AboutApi and AuthenticationApi through the official client, plus raw-HTTP auth rules."""

from __future__ import annotations

import base64

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException


def test_ping_with_basic_auth(live_server):
    pong = cloud.PingApi(live_server.client()).ping_app_id()
    assert pong.api_message == "pong"
    assert pong.current_time.endswith("Z")


def test_ping_without_auth_is_401_with_official_body(live_server):
    resp = httpx.get(live_server.api_url + "/ping")
    assert resp.status_code == 401
    assert resp.json() == {"error": "Authorization Required."}


@pytest.mark.parametrize(
    "header",
    [
        "Basic " + base64.b64encode(b"NOSUCHAPP:nope").decode(),
        "Basic !!!not-base64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer not.a.token",
        "Digest abc",
    ],
)
def test_bad_credentials_are_401(live_server, header):
    resp = httpx.get(live_server.api_url + "/ping", headers={"Authorization": header})
    assert resp.status_code == 401
    assert resp.json() == {"error": "Authorization Required."}


def test_wrong_secret_for_a_real_app_is_401(live_server):
    resp = httpx.get(live_server.api_url + "/ping", auth=(live_server.default_app.app_id, "x" * 40))
    assert resp.status_code == 401


def test_about(live_server):
    about = cloud.AboutApi(live_server.client()).get_about()
    assert about.version == "2.0"
    assert about.distribution.startswith("Coursehost")


def test_app_token_grants_its_scopes_only(live_server):
    token = cloud.AuthenticationApi(live_server.client()).get_app_token("read:ping", expiration=120)
    assert token.token_type == "Bearer"
    assert token.expires_in == 120
    pong = cloud.PingApi(live_server.client(token=token.access_token)).ping_app_id()
    assert pong.api_message == "pong"
    with pytest.raises(ApiException) as err:
        cloud.AboutApi(live_server.client(token=token.access_token)).get_about()
    assert err.value.status == 403
    assert "read:about" in err.value.body


def test_broad_read_scope_covers_specific_reads(live_server):
    token = cloud.AuthenticationApi(live_server.client()).get_app_token("read")
    assert token.expires_in == 300
    client = live_server.client(token=token.access_token)
    assert cloud.AboutApi(client).get_about().version == "2.0"
    assert cloud.PingApi(client).ping_app_id().api_message == "pong"


def test_token_request_with_unknown_scope_is_400(live_server):
    with pytest.raises(ApiException) as err:
        cloud.AuthenticationApi(live_server.client()).get_app_token("read:everything")
    assert err.value.status == 400
    assert "read:everything" in err.value.body


def test_token_request_with_bad_expiration_is_400(live_server):
    resp = httpx.post(
        live_server.api_url + "/oauth/authenticate/application/token",
        data={"scope": "read", "expiration": "soon"},
        auth=(live_server.default_app.app_id, live_server.default_app.secret),
    )
    assert resp.status_code == 400
    assert "expiration" in resp.json()["message"]


def test_expired_token_is_401(live_server):
    import time

    from coursehost.domain.applications.auth import Principal, issue_token

    principal = Principal(app_pk=0, app_id=live_server.default_app.app_id, realm_id=0, is_management=False)
    token = issue_token(
        instance_key=live_server.services.instance_key, subject=principal,
        scopes=frozenset({"read"}), expires_in=60, now=time.time() - 3600,
    )
    resp = httpx.get(live_server.api_url + "/ping", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401


def test_token_signed_with_another_key_is_401(live_server):
    from coursehost.domain.applications.auth import Principal, issue_token

    principal = Principal(app_pk=0, app_id=live_server.default_app.app_id, realm_id=0, is_management=False)
    token = issue_token(instance_key="another-instance-key-" + "x" * 20, subject=principal,
                        scopes=frozenset({"admin"}), expires_in=60)
    resp = httpx.get(live_server.api_url + "/ping", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401


def test_a_token_cannot_mint_a_wider_token(live_server):
    # The official client sends only basic auth to GetAppToken; a bearer caller is raw HTTP.
    narrow = cloud.AuthenticationApi(live_server.client()).get_app_token("read:ping")
    url = live_server.api_url + "/oauth/authenticate/application/token"
    headers = {"Authorization": f"Bearer {narrow.access_token}"}
    wider = httpx.post(url, data={"scope": "write"}, headers=headers)
    assert wider.status_code == 403 and "write" in wider.json()["message"]
    same = httpx.post(url, data={"scope": "read:ping", "expiration": "30"}, headers=headers)
    assert same.status_code == 200 and same.json()["expires_in"] == 30
