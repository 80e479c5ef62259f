"""Activity-provider credentials on the LRS: OAuth 1.0a signed requests for auth type OAUTH, and
what each permission level may read and write."""

from __future__ import annotations

import json

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER, Client

from tests.contract.helpers import new_child_app
from tests.factories.xapi import statement

V = {"X-Experience-API-Version": "1.0.3"}


@pytest.fixture
def app(live_server):
    app_id, creds = new_child_app(live_server)
    return live_server, app_id, creds, cloud.XapiApi(live_server.client(creds))


def _credential(xapi, *, auth="BASICAUTH", level="DEFAULT", secret="s3cret-value-long-enough") -> str:
    return xapi.create_xapi_credential(cloud.XapiCredentialPostSchema(
        name=f"{auth} {level}", secret=secret, is_enabled=True,
        auth=cloud.XapiCredentialAuthTypeSchema(xapi_credential_auth_type=auth),
        permissions_level=cloud.XapiCredentialPermissionsLevelSchema(xapi_credential_permissions_level=level),
    )).result


def _signed(method: str, url: str, key: str, secret: str, body: str | None = None) -> dict:
    client = Client(key, client_secret=secret, signature_method=SIGNATURE_HMAC_SHA1,
                    signature_type=SIGNATURE_TYPE_AUTH_HEADER)
    # A JSON body is not part of an OAuth 1.0a signature (RFC 5849 §3.4.1.3: form bodies only).
    _, headers, _ = client.sign(url, http_method=method)
    return {**V, "Authorization": headers["Authorization"]}


def test_an_oauth_credential_signs_its_requests_and_cannot_use_basic_auth(app):
    live_server, app_id, _, xapi = app
    key = _credential(xapi, auth="OAUTH", level="ROOT")
    base = f"{live_server.base_url}/lrs/{app_id}/statements"
    body = json.dumps(statement())
    res = httpx.post(base, content=body, headers={**_signed("POST", base, key, "s3cret-value-long-enough"),
                                                  "Content-Type": "application/json"})
    assert res.status_code == 200, res.text
    sid = res.json()[0]
    url = f"{base}?statementId={sid}"
    got = httpx.get(url, headers=_signed("GET", url, key, "s3cret-value-long-enough"))
    assert got.status_code == 200 and got.json()["id"] == sid
    assert got.json()["authority"]["account"]["name"] == key
    assert httpx.get(url, headers=_signed("GET", url, key, "wrong-secret")).status_code == 401
    replay = _signed("GET", url, key, "s3cret-value-long-enough")
    assert httpx.get(url, headers=replay).status_code == 200
    assert httpx.get(url, headers=replay).status_code == 401, "a replayed nonce is refused"
    assert httpx.get(url, headers=V, auth=(key, "s3cret-value-long-enough")).status_code == 401


def test_permission_levels(app):
    live_server, app_id, creds, xapi = app
    base = f"{live_server.base_url}/lrs/{app_id}/statements"
    keys = {level: _credential(xapi, level=level) for level in ("DEFAULT", "ROOT", "READONLY", "WRITEONLY")}

    def post(level):
        return httpx.post(base, json=statement(), headers=V, auth=(keys[level], "s3cret-value-long-enough"))

    def ids(level):
        res = httpx.get(base, headers=V, auth=(keys[level], "s3cret-value-long-enough"))
        return res.status_code, {s["id"] for s in res.json()["statements"]} if res.status_code == 200 else set()

    mine = post("DEFAULT").json()[0]
    written = post("WRITEONLY").json()[0]
    assert post("READONLY").status_code == 403
    assert ids("WRITEONLY")[0] == 403
    assert ids("DEFAULT") == (200, {mine}), "DEFAULT reads only what it wrote"
    status, root_ids = ids("ROOT")
    assert status == 200 and {mine, written} <= root_ids
    assert {mine, written} <= ids("READONLY")[1]
    app_keys = httpx.get(base, headers=V, auth=(creds.app_id, creds.secret))
    assert {mine, written} <= {s["id"] for s in app_keys.json()["statements"]}, "the app's own keys are root"
