"""Helpers for the LMS configuration tests (issue 17): the /api/ext/v1 client, a receiving LRS on
another live server with an xAPI credential, and reading its statements back over its LRS API."""

from __future__ import annotations

import email
import json
import time
from email import policy

import httpx
import rustici_software_cloud_v2 as cloud

V = {"X-Experience-API-Version": "1.0.3"}
LRS_SECRET = "lms-delivery-secret-long-enough"


def ext_api(server, creds=None, *, token: str | None = None) -> httpx.Client:
    """An httpx client on SERVER's /api/ext/v1 with the application's Basic credentials (or TOKEN)."""
    creds = creds or server.default_app
    if token:
        return httpx.Client(base_url=server.service_url + "/api/ext/v1", timeout=30,
                            headers={"Authorization": f"Bearer {token}"})
    return httpx.Client(base_url=server.service_url + "/api/ext/v1", auth=(creds.app_id, creds.secret), timeout=30)


def lrs_endpoint(receiver) -> tuple[str, str]:
    """(the receiving server's LRS endpoint, a new Basic xAPI key with write access on it)."""
    key = cloud.XapiApi(receiver.client()).create_xapi_credential(cloud.XapiCredentialPostSchema(
        name="From the LMS delivery", secret=LRS_SECRET, is_enabled=True,
        auth=cloud.XapiCredentialAuthTypeSchema(xapi_credential_auth_type="BASICAUTH"),
        permissions_level=cloud.XapiCredentialPermissionsLevelSchema(xapi_credential_permissions_level="ROOT"),
    )).result
    return f"{receiver.service_url}/lrs/{receiver.default_app.app_id}/", key


def statements(endpoint: str, key: str, **params) -> list[dict]:
    """Every statement the LRS at ENDPOINT answers for PARAMS (following 'more'), oldest stored first."""
    found, url = [], endpoint.rstrip("/") + "/statements"
    query = {"ascending": "true", "limit": "100", **params}
    while url:
        resp = httpx.get(url, params=query, headers=V, auth=(key, LRS_SECRET), timeout=30)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        found += body["statements"]
        more = body.get("more")
        url, query = (endpoint.split("/lrs/")[0] + more, None) if more else (None, None)
    return found


def wait_until(check, timeout: float = 30.0, what: str = "the condition"):
    """CHECK's first truthy value within TIMEOUT seconds, else AssertionError naming WHAT."""
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s (last: {value!r})")
        time.sleep(0.2)


def agent(address: str) -> str:
    return json.dumps({"mbox": f"mailto:{address}"})


class Inbox:
    """aiosmtpd handler: keeps every message that arrives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 2.0.0 queued"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]
