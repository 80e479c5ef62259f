"""Small helpers for contract tests: a fresh child application per test, error bodies."""

from __future__ import annotations

import json
import uuid

import rustici_software_cloud_v2 as cloud

from tests.conftest import AppCreds


def new_child_app(live_server, name: str | None = None) -> tuple[str, AppCreds]:
    """Create an application through the management API; returns its id and enabled credentials."""
    mgmt = cloud.ApplicationManagementApi(live_server.client(live_server.management_app))
    app = mgmt.create_application(cloud.ApplicationRequestSchema(name=name or f"app-{uuid.uuid4().hex[:8]}"))
    creds = mgmt.get_credentials(app.id).credentials
    return app.id, AppCreds(app.id, creds[0].credential)


def message(exc) -> str:
    return json.loads(exc.body)["message"]
