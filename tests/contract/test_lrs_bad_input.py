"""Hostile and oversized input to the LRS: a clear 4xx with a message, and nothing half-stored."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.factories.xapi import statement


@pytest.fixture
def xapi_version() -> str:
    return "1.0.3"


def _statement(actor: str, **extra) -> dict:
    """A statement by ACTOR, so _count finds exactly what a test stored."""
    return statement(actor={"mbox": f"mailto:{actor}@example.com"}, **extra)


def _count(lrs, actor: str) -> int:
    agent = json.dumps({"mbox": f"mailto:{actor}@example.com"})
    res = lrs.get("statements", params={"agent": agent})
    assert res.status_code == 200, res.text
    return len(res.json()["statements"])


def test_an_oversized_body_is_refused_with_413_and_nothing_is_stored(lrs, live_server):
    actor = uuid.uuid4().hex
    limit = live_server.services.settings.lrs_max_body_bytes
    padding = "x" * (limit + 1024)
    res = lrs.post("statements", json=[_statement(actor), _statement(actor, result={"response": padding})])
    assert res.status_code == 413 and "larger than" in res.json()["message"]
    assert _count(lrs, actor) == 0


@pytest.mark.parametrize("body, words", [
    (b"{not json", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"actor": 5, "verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/a"}}', "actor"),
    (b"[{}]", "statements[0]"),
])
def test_malformed_statements_get_400_with_a_message(lrs, body, words):
    res = lrs.post("statements", content=body, headers={"Content-Type": "application/json"})
    assert res.status_code == 400, res.text
    assert words in res.json()["message"]


def test_a_deeply_nested_agent_parameter_is_a_400(lrs):
    res = lrs.get("statements", params={"agent": "[" * 8_000 + "]" * 8_000})
    assert res.status_code == 400, res.text
    res = lrs.get("activities/state", params={"activityId": "http://example.com/a", "stateId": "s",
                                              "agent": "[" * 8_000})
    assert res.status_code == 400, res.text


def test_one_bad_statement_in_a_batch_stores_none_of_it(lrs):
    actor = uuid.uuid4().hex
    batch = [_statement(actor) for _ in range(5)] + [_statement(actor, timestamp="yesterday")]
    res = lrs.post("statements", json=batch)
    assert res.status_code == 400 and "timestamp" in res.json()["message"]
    assert _count(lrs, actor) == 0
