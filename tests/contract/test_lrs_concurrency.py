"""Clients racing on the same statement id or the same document: every request gets a proper
answer (never a 500) and exactly one row results."""

from __future__ import annotations

import json
import threading
import uuid

import httpx
import pytest

V = {"X-Experience-API-Version": "1.0.3"}
RACERS = 8


def _race(call) -> list[int]:
    """Run CALL from RACERS threads released together; their status codes."""
    barrier = threading.Barrier(RACERS)
    codes: list[int] = []

    def run():
        barrier.wait()
        codes.append(call())

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


@pytest.mark.parametrize("attempt", range(3))
def test_the_same_statement_put_at_once_is_stored_once(lrs_103, attempt):
    base, auth = lrs_103.base, lrs_103.credentials
    sid = str(uuid.uuid4())
    actor = {"mbox": f"mailto:{uuid.uuid4().hex}@example.com"}
    st = {"actor": actor, "verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/a"}}
    codes = _race(lambda: httpx.put(base + "statements", params={"statementId": sid}, json=st, headers=V,
                                    auth=auth, timeout=30).status_code)
    assert codes == [204] * RACERS
    found = httpx.get(base + "statements", params={"agent": json.dumps(actor)}, headers=V, auth=auth).json()
    assert [s["id"] for s in found["statements"]] == [sid]


@pytest.mark.parametrize("attempt", range(3))
def test_the_same_state_document_put_at_once_is_one_document(lrs_103, attempt):
    base, auth = lrs_103.base, lrs_103.credentials
    agent = json.dumps({"mbox": f"mailto:{uuid.uuid4().hex}@example.com"})
    params = {"activityId": "http://example.com/a", "agent": agent, "stateId": "bookmark"}
    codes = _race(lambda: httpx.put(base + "activities/state", params=params, json={"page": 3}, headers=V,
                                    auth=auth, timeout=30).status_code)
    assert codes == [204] * RACERS
    ids = httpx.get(base + "activities/state", params={k: v for k, v in params.items() if k != "stateId"},
                    headers=V, auth=auth)
    assert ids.json() == ["bookmark"]
