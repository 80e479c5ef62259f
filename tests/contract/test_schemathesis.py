"""A bounded schemathesis run over the OpenAPI document the live server serves (/api/openapi.json),
with the default application's credentials: no operation answers 5xx, and every answer matches the
schema. Derandomized (the same examples every run), at most 25 examples per operation, within about
60 seconds."""

from __future__ import annotations

import time

import httpx
import pytest

try:
    import schemathesis
    from hypothesis import HealthCheck, given, settings
except ImportError:  # the test fails, naming the pin to add
    schemathesis = None
try:  # the response-schema check (its module moved in schemathesis 4.0)
    from schemathesis.openapi.checks import response_schema_conformance
except ImportError:
    try:
        from schemathesis.specs.openapi.checks import response_schema_conformance
    except ImportError:
        response_schema_conformance = None

EXAMPLES_PER_OPERATION = 25
BUDGET_SECONDS = 55.0
PIN = "schemathesis>=4.32,<5"


def _operations(live_server) -> list[tuple[str, str]]:
    """(path, METHOD) of every operation the served document lists."""
    spec = httpx.get(f"{live_server.base_url}/api/openapi.json", timeout=30).json()
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    return [(path, method.upper()) for path, item in spec["paths"].items() for method in item if method in methods]


def test_no_operation_answers_5xx_and_answers_match_the_schema(live_server):
    if schemathesis is None:
        pytest.fail(f"schemathesis is not installed: add {PIN!r} to the test extras in pyproject.toml "
                    "and reinstall them (the bounded OpenAPI fuzz run is part of the suite)")
    schema = schemathesis.openapi.from_url(f"{live_server.base_url}/api/openapi.json")
    creds = live_server.default_app
    checks = (response_schema_conformance,) if response_schema_conformance else ()
    failures: list[str] = []
    deadline = time.monotonic() + BUDGET_SECONDS
    for path, method in _operations(live_server):
        if time.monotonic() > deadline:
            break

        @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=schema[path][method].as_strategy())
        def run(case, path=path, method=method):
            response = case.call(base_url=live_server.base_url, auth=(creds.app_id, creds.secret), timeout=30)
            if response.status_code >= 500:
                failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
                return
            case.validate_response(response, checks=checks)

        try:
            run()
        except Exception as exc:  # a schema mismatch: record it and go on to the next operation
            failures.append(f"{method} {path}: {str(exc)[:300]}")
    assert failures == []
