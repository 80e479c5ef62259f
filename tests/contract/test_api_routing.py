"""How API v2 routes authenticate (issue 21): an operation that reads no body is authenticated by its
route before FastAPI solves its parameters, one that reads a body by its first dependency, as before.
Either way every operation refuses a caller without credentials, and the order of the checks is the
one it always was (a malformed body 400 before credentials, credentials before a too-long path id)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.routing import APIRoute

from coursehost.api.v2 import PREFIX
from coursehost.api.v2.operations import AuthenticatedRoute, operation_of
from coursehost.app import create_app
from coursehost.settings import Settings

UNAUTHORIZED = {"error": "Authorization Required."}


def _operation_routes(tmp_path) -> list[APIRoute]:
    app = create_app(Settings(data_dir=tmp_path, run_worker=False))
    return [r for r in app.routes if isinstance(r, APIRoute) and operation_of(r.endpoint) is not None]


def test_every_operation_refuses_a_caller_without_credentials(live_server, tmp_path):
    routes = _operation_routes(tmp_path)
    guarded = [r for r in routes if isinstance(r, AuthenticatedRoute)]
    assert len(routes) > 150 and len(guarded) > 90  # both ways of authenticating are exercised
    wrong = []
    with httpx.Client(base_url=live_server.base_url) as http:
        for route in routes:
            if operation_of(route.endpoint).options.get("dependencies") == []:
                continue  # public: the handler proves the caller itself
            path = re.sub(r"\{[^}]+\}", "x", route.path)
            for method in sorted(route.methods - {"HEAD"}):
                body = {} if method in ("POST", "PUT") else None
                resp = http.request(method, path, json=body)
                if resp.status_code != 401 or resp.json() != UNAUTHORIZED:
                    wrong.append((method, path, type(route).__name__, resp.status_code, resp.text[:100]))
    assert not wrong


def test_a_malformed_body_is_400_before_credentials_are_checked(live_server):
    resp = httpx.post(live_server.api_url + "/registrations", content=b'{"courseId": ',
                      headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["message"].startswith("Malformed JSON body")


def test_a_refused_json_body_is_400_before_credentials_even_where_the_operation_reads_none(live_server):
    resp = httpx.request("DELETE", live_server.api_url + "/courses/c1", content=b'["\\ud800"]',
                         headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert "lone surrogate" in resp.json()["message"]


@pytest.mark.parametrize("auth", [None, "right"])
def test_credentials_are_checked_before_the_length_of_a_path_id(live_server, auth):
    creds = (live_server.default_app.app_id, live_server.default_app.secret) if auth else None
    resp = httpx.get(live_server.api_url + "/courses/" + "c" * 300, auth=creds)
    if auth:
        assert resp.status_code == 400
        assert resp.json() == {"message": "courseId is longer than 255 characters"}
    else:
        assert resp.status_code == 401
        assert resp.json() == UNAUTHORIZED


@pytest.mark.parametrize("kind", ["no body (route)", "body (dependency)"])
def test_a_management_app_is_refused_ordinary_operations_either_way(live_server, kind):
    mgmt = (live_server.management_app.app_id, live_server.management_app.secret)
    if kind.startswith("no body"):
        resp = httpx.get(live_server.api_url + "/courses", auth=mgmt)
    else:
        resp = httpx.post(live_server.api_url + "/registrations", json={}, auth=mgmt)
    assert resp.status_code == 403
    assert "application-management application" in resp.json()["message"]


def test_routes_are_flat_in_the_app_and_in_operation_order(tmp_path):
    routes = _operation_routes(tmp_path)
    paths = [r.path for r in routes]
    assert paths.index(PREFIX + "/ping") < paths.index(PREFIX + "/about")  # PingApi's module comes first
    assert paths.index(PREFIX + "/courses/importJobs/{importJobId}") < paths.index(PREFIX + "/courses/{courseId}")
