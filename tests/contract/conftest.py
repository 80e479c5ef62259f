"""Fixtures for the contract tests: HTTP clients on the default application's LRS (one per xAPI
version), a course API on a fresh application and a local file server. tests/conftest.py prints the API
coverage line."""

from __future__ import annotations

import uuid

import pytest

from tests.contract.courses import course_api
from tests.contract.helpers import XAPI_VERSIONS, LrsClient, new_child_app
from tests.contract.player_http import import_one_sco
from tests.servers import file_servers


@pytest.fixture(params=XAPI_VERSIONS)
def xapi_version(request) -> str:
    """The xAPI version a test speaks; a module that speaks one version overrides this fixture."""
    return request.param


@pytest.fixture
def lrs(live_server, xapi_version):
    """An httpx client on the default application's LRS speaking XAPI_VERSION."""
    with LrsClient(live_server, xapi_version) as client:
        yield client


@pytest.fixture
def lrs_103(live_server):
    """A client speaking 1.0.3 alone, for what 2.0.0 dropped (the alternate request syntax)."""
    with LrsClient(live_server, "1.0.3") as client:
        yield client


@pytest.fixture
def lrs_unversioned(live_server):
    """A client that sends no X-Experience-API-Version: each request sets its own."""
    with LrsClient(live_server, None) as client:
        yield client


@pytest.fixture
def app_api(live_server):
    """The official client's CourseApi on a fresh application."""
    _, creds = new_child_app(live_server)
    return course_api(live_server, creds)


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory) -> str:
    """A SCORM 1.2 course with one SCO, imported once per test module into the default application;
    its id (a module that needs another course defines its own `course`)."""
    course_id = f"one-{uuid.uuid4().hex[:8]}"
    import_one_sco(live_server.client(), tmp_path_factory.mktemp("pkg"), course_id)
    return course_id


@pytest.fixture
def http_files():
    """A real HTTP server on 127.0.0.1 serving {path: bytes}; returns its base URL."""
    with file_servers() as serve:
        yield serve
