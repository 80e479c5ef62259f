"""The hand-written fuzz corpus (tests/fuzz/corpus.py) against the LRS and the player over real HTTP:
lone surrogates, deep nesting, huge numbers, NaN and Infinity, wrong content types, empty, truncated and
BOM-marked bodies. Every case is answered with a 4xx, never a 5xx, and nothing is stored."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest
import rustici_software_cloud_v2 as cloud

from tests.contract.player_http import open_launch
from tests.fuzz import corpus

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def xapi_version() -> str:
    return "1.0.3"


def _refusals(send, cases) -> list[str]:
    """SEND(body) for every (id, body) case; the cases not answered with a 4xx, with what came back."""
    wrong = []
    for name, body in cases:
        resp = send(body)
        if not 400 <= resp.status_code < 500:
            wrong.append(f"{name}: {resp.status_code} {resp.text[:120]}")
    return wrong


def _statement_cases() -> list[tuple[str, bytes]]:
    template, places, harmless = corpus.statement_template()
    valid = corpus.filled(template, places, harmless)
    return corpus.whole_bodies(valid) + corpus.value_bodies(template, places, harmless)


def test_lrs_statements_refuse_every_corpus_body_and_store_nothing(lrs):
    since = datetime.now(UTC).isoformat()
    cases = _statement_cases()
    wrong = _refusals(lambda body: lrs.post("statements", content=body, headers=JSON), cases)
    wrong += _refusals(lambda body: lrs.put("statements", params={"statementId": str(uuid.uuid4())},
                                            content=body, headers=JSON), cases)
    wrong += _refusals(lambda body: lrs.post("statements", content=body, headers=JSON),
                       [(f"array-of-{name}", b"[" + body + b"]") for name, body in cases if body.strip()])
    assert wrong == []
    stored = lrs.get("statements", params={"since": since})
    assert stored.status_code == 200 and stored.json()["statements"] == []


@pytest.mark.parametrize("content_type", [
    None, "text/html", "text/plain", "application/xml", "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded", "application/json-seq", "image/png",
])
def test_lrs_statements_with_a_wrong_content_type_are_4xx(lrs, content_type):
    since = datetime.now(UTC).isoformat()
    valid = corpus.filled(*corpus.statement_template())
    headers = {"Content-Type": content_type} if content_type else {}
    resp = lrs.post("statements", content=valid, headers=headers)
    assert 400 <= resp.status_code < 500, resp.text
    assert lrs.get("statements", params={"since": since}).json()["statements"] == []


def test_lrs_agent_parameter_refuses_every_hostile_value(lrs):
    template = {"objectType": "Agent", "mbox": "mailto:fuzz@example.com", "name": "@NAME@"}
    # 2,000 levels: a 100,000-deep value does not fit in a URL, and 2,000 is past any stack-safe depth.
    cases = [(n, b.decode()) for n, b in corpus.value_bodies(template, ["NAME"], depth=2_000)]
    wrong = _refusals(lambda agent: lrs.get("statements", params={"agent": agent}), cases)
    wrong += _refusals(lambda agent: lrs.get("activities/state", params={
        "activityId": "http://example.com/fuzz", "stateId": "s", "agent": agent}), cases)
    wrong += _refusals(lambda agent: lrs.get("agents", params={"agent": agent}), cases)
    assert wrong == []


def test_lrs_state_documents_refuse_every_corpus_body_and_store_nothing(lrs):
    params = {"activityId": f"http://example.com/fuzz/{uuid.uuid4().hex}", "stateId": "fuzz",
              "agent": json.dumps({"mbox": "mailto:fuzz@example.com"})}
    template = {"progress": "@VALUE@", "@KEY@": 1}
    cases = corpus.value_bodies(template, ["VALUE", "KEY"], {"KEY": '"k"'})
    whole = corpus.whole_bodies(b'{"progress": 1}')
    wrong = _refusals(lambda body: lrs.post("activities/state", params=params, content=body, headers=JSON),
                      cases + whole)
    wrong += _refusals(lambda body: lrs.put("activities/state", params=params, content=body, headers=JSON), cases)
    assert wrong == []
    ids = lrs.get("activities/state", params={k: v for k, v in params.items() if k != "stateId"})
    assert ids.status_code == 200 and ids.json() == []


# ---------------------------------------------------------------- the player


@pytest.fixture
def player(live_server, course):
    """(registration id, a function posting raw bytes to a run-time endpoint with the launch's token)."""
    client = live_server.client()
    reg = f"fuzz-{uuid.uuid4().hex[:8]}"
    cloud.RegistrationApi(client).create_registration(cloud.CreateRegistrationSchema(
        course_id=course, registration_id=reg, learner=cloud.LearnerSchema(id="f", first_name="F", last_name="Z")))
    token = open_launch(live_server.content_url, client, reg)

    def post(path: str, body: bytes, content_type: str = "application/json") -> httpx.Response:
        return httpx.post(f"{live_server.content_url}/player/runtime/{path}", content=body, timeout=60,
                          headers={"x-player-token": token, "content-type": content_type})
    return reg, post


def test_player_commit_refuses_every_corpus_body_and_stores_nothing(live_server, player):
    reg, post = player
    template, places, harmless = corpus.commit_template("sco1")
    valid = corpus.filled(template, places, harmless)
    cases = corpus.whole_bodies(valid) + corpus.value_bodies(template, places, harmless)
    cases = [c for c in cases if c[0] not in ("empty", "whitespace")] + [("whitespace", b" x ")]
    wrong = _refusals(lambda body: post("commit", body), cases)
    wrong += _refusals(lambda body: post("commit", body, "text/plain;charset=UTF-8"), cases)  # as sendBeacon
    assert wrong == []
    progress = cloud.RegistrationApi(live_server.client()).get_registration_progress(reg)
    assert progress.registration_success == "UNKNOWN"
    # Nothing was applied: the first valid commit is still seq 1.
    assert post("commit", valid).json() == {"lastSeq": 1, "applied": True}


def test_player_navigate_refuses_every_corpus_body(player):
    _, post = player
    template, places, harmless = corpus.navigate_template("sco1")
    cases = corpus.whole_bodies(b'{"request": "continue"}') + corpus.value_bodies(template, places, harmless)
    cases = [c for c in cases if c[0] not in ("empty", "whitespace")]  # an empty body is "continue"
    assert _refusals(lambda body: post("navigate", body), cases) == []
