"""Small helpers for contract tests: a fresh child application per test, error bodies, and an HTTP
client on an application's LRS."""

from __future__ import annotations

import json
import uuid

import httpx
import rustici_software_cloud_v2 as cloud

from tests.servers import AppCreds

XAPI_VERSIONS = ["1.0.3", "2.0.0"]


def new_child_app(live_server, name: str | None = None) -> tuple[str, AppCreds]:
    """Create an application through the management API; returns its id and enabled credentials."""
    mgmt = cloud.ApplicationManagementApi(live_server.client(live_server.management_app))
    app = mgmt.create_application(cloud.ApplicationRequestSchema(name=name or f"app-{uuid.uuid4().hex[:8]}"))
    creds = mgmt.get_credentials(app.id).credentials
    return app.id, AppCreds(app.id, creds[0].credential)


def message(exc) -> str:
    return json.loads(exc.body)["message"]


class LrsClient(httpx.Client):
    """An httpx client whose base URL is one application's LRS (".../lrs/{appId}/")."""

    def __init__(self, live_server, version: str | None, *, auth=None, creds: AppCreds | None = None):
        creds = creds or live_server.default_app
        self.version = version  # the X-Experience-API-Version it sends; None sends none
        self.credentials = (creds.app_id, creds.secret)
        self.root = live_server.base_url  # the server, for absolute paths such as a "more" link
        self.base = f"{live_server.base_url}/lrs/{creds.app_id}/"
        super().__init__(base_url=self.base, auth=self.credentials if auth is None else auth, timeout=60,
                         headers={"X-Experience-API-Version": version} if version else {})
