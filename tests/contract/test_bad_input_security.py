"""Hostile text and structure reach no database: a lone UTF-16 surrogate or JSON nested 100,000 levels
deep is a 400 naming the problem on the API, the LRS and the player, and nothing is stored. A launch
that has exited accepts no more writes."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest
import rustici_software_cloud_v2 as cloud

from tests.contract.player_http import commit, open_launch
from tests.factories.xapi import statement

SURROGATE_ESCAPE = '"\\ud800"'  # a JSON string holding a lone high surrogate (json.loads accepts it)
SURROGATE_BYTES = b'"\xed\xa0\x80"'  # the same code point encoded as (invalid) UTF-8
DEEP = b"[" * 100_000 + b"]" * 100_000
LONE = "lone surrogate"


@pytest.fixture
def api(live_server):
    creds = live_server.default_app
    with httpx.Client(base_url=live_server.api_url, auth=(creds.app_id, creds.secret), timeout=60) as client:
        yield client


def _send(client: httpx.Client, method: str, path: str, body: str | bytes) -> httpx.Response:
    data = body.encode() if isinstance(body, str) else body
    return client.request(method, path, content=data, headers={"Content-Type": "application/json"})


def _assert_400(resp: httpx.Response, words: str) -> None:
    assert resp.status_code == 400, (resp.status_code, resp.text[:300])
    assert words in resp.json()["message"], resp.json()["message"]


# ---------------------------------------------------------------- the API


@pytest.mark.parametrize("raw", [SURROGATE_ESCAPE, SURROGATE_BYTES], ids=["escape", "utf8-bytes"])
def test_course_tags_with_a_lone_surrogate_are_400_and_nothing_is_stored(api, course, raw):
    body = (b'{"tags": ["ok", ' + (raw if isinstance(raw, bytes) else raw.encode()) + b"]}")
    _assert_400(_send(api, "PUT", f"/courses/{course}/tags", body), LONE)
    batch = b'{"tags": ' + body[9:-1] + b', "ids": ["' + course.encode() + b'"]}'
    _assert_400(_send(api, "PUT", "/courses/tags", batch), LONE)
    assert "ok" not in api.get(f"/courses/{course}/tags").json()["tags"]


def test_a_course_configuration_value_with_a_lone_surrogate_is_400(api, course):
    body = '{"settings": [{"settingId": "ApiRollupRegistrationAuthUser", "value": @S@}]}'.replace("@S@", SURROGATE_ESCAPE)
    _assert_400(_send(api, "POST", f"/courses/{course}/configuration", body), LONE)
    body = '{"settings": [{"settingId": "ApiRollupRuntimeAtExit\\udc00", "value": "true"}]}'
    _assert_400(_send(api, "POST", f"/courses/{course}/configuration", body), LONE)


def test_a_learner_name_with_a_lone_surrogate_is_400_and_no_registration_is_made(api, course):
    reg = f"sec-{uuid.uuid4().hex[:8]}"
    body = json.dumps({"courseId": course, "registrationId": reg, "learner": {
        "id": "l1", "firstName": "@S@", "lastName": "B"}}).replace('"@S@"', SURROGATE_ESCAPE)
    _assert_400(_send(api, "POST", "/registrations", body), LONE)
    assert api.get(f"/registrations/{reg}").status_code == 404


def test_a_deeply_nested_api_body_is_400(api, course):
    _assert_400(_send(api, "PUT", f"/courses/{course}/tags", b'{"tags": ' + DEEP + b"}"), "nested")


# ---------------------------------------------------------------- the LRS


@pytest.fixture
def xapi_version() -> str:
    return "1.0.3"


def _lrs_count(lrs, mbox: str) -> int:
    res = lrs.get("statements", params={"agent": json.dumps({"mbox": mbox})})
    assert res.status_code == 200, res.text
    return len(res.json()["statements"])


@pytest.mark.parametrize("raw", [SURROGATE_ESCAPE, SURROGATE_BYTES], ids=["escape", "utf8-bytes"])
def test_a_statement_with_a_lone_surrogate_in_the_actor_name_is_400_and_not_stored(lrs, raw):
    mbox = f"mailto:{uuid.uuid4().hex}@example.com"
    text = json.dumps(statement(actor={"mbox": mbox, "name": "NAME"}))
    body = text.encode().replace(b'"NAME"', raw if isinstance(raw, bytes) else raw.encode())
    for method, params in (("POST", None), ("PUT", {"statementId": str(uuid.uuid4())})):
        res = lrs.request(method, "statements", params=params, content=body,
                          headers={"Content-Type": "application/json"})
        _assert_400(res, "surrogate" if raw is SURROGATE_ESCAPE else "UTF-8")
    assert _lrs_count(lrs, mbox) == 0


def test_an_agent_parameter_with_a_lone_surrogate_is_400(lrs):
    agent = '{"mbox": "mailto:a@example.com", "name": @S@}'.replace("@S@", SURROGATE_ESCAPE)
    _assert_400(lrs.get("statements", params={"agent": agent}), LONE)
    _assert_400(lrs.get("activities/state", params={"activityId": "http://example.com/a", "agent": agent,
                                                    "stateId": "s"}), LONE)
    _assert_400(lrs.get("agents", params={"agent": agent}), LONE)


def test_a_merged_state_document_with_a_lone_surrogate_is_400_and_nothing_changes(lrs):
    params = {"activityId": "http://example.com/sec", "stateId": uuid.uuid4().hex,
              "agent": json.dumps({"mbox": "mailto:doc@example.com"})}
    assert lrs.post("activities/state", params=params, json={"a": 1}).status_code == 204
    res = lrs.post("activities/state", params=params, content=('{"b": ' + SURROGATE_ESCAPE + "}").encode(),
                   headers={"Content-Type": "application/json"})
    _assert_400(res, LONE)
    assert lrs.get("activities/state", params=params).json() == {"a": 1}


# ---------------------------------------------------------------- the player


@pytest.fixture
def launch(live_server, course) -> tuple[str, str]:
    """A new registration of COURSE opened in the player: (registration id, runtime token)."""
    client = live_server.client()
    reg = f"sec-{uuid.uuid4().hex[:8]}"
    cloud.RegistrationApi(client).create_registration(cloud.CreateRegistrationSchema(
        course_id=course, registration_id=reg, learner=cloud.LearnerSchema(id="l1", first_name="A", last_name="B")))
    return reg, open_launch(live_server.content_url, client, reg)


def _player_post(live_server, path: str, token: str, body: bytes) -> httpx.Response:
    return httpx.post(live_server.content_url + path, content=body, timeout=60,
                      headers={"x-player-token": token, "content-type": "application/json"})


def _progress(live_server, reg: str) -> cloud.RegistrationSchema:
    return cloud.RegistrationApi(live_server.client()).get_registration_progress(reg, include_runtime=True,
                                                                                  include_child_results=True)


@pytest.mark.parametrize("path", ["/player/runtime/commit", "/player/runtime/navigate"])
def test_player_json_nested_100000_deep_is_400(live_server, launch, path):
    _, token = launch
    _assert_400(_player_post(live_server, path, token, DEEP), "JSON nested deeper than")
    body = b'{"seq": 1, "activityId": "sco1", "runtime": ' + DEEP + b"}"
    _assert_400(_player_post(live_server, path, token, body), "JSON nested deeper than")


def test_a_player_commit_with_a_lone_surrogate_is_400_and_nothing_is_stored(live_server, launch):
    reg, token = launch
    body = ('{"seq": 1, "activityId": "sco1", "runtime": {"core": {"lesson_status": "passed", '
            '"score": {"raw": "97"}}, "suspend_data": @S@}}').replace("@S@", SURROGATE_ESCAPE).encode()
    _assert_400(_player_post(live_server, "/player/runtime/commit", token, body), "invalid JSON: " + LONE)
    progress = _progress(live_server, reg)
    assert progress.registration_success == "UNKNOWN" and (progress.score is None or progress.score.scaled is None)


def test_a_commit_after_exit_is_refused_and_the_registration_is_unchanged(live_server, launch):
    reg, token = launch
    commit(live_server.content_url, token, 1, {"lesson_status": "incomplete", "lesson_location": "p2"})
    resp = _player_post(live_server, "/player/runtime/exit", token, b"{}")
    assert resp.status_code == 200, resp.text
    before = _progress(live_server, reg)
    body = json.dumps({"seq": 2, "activityId": "sco1", "runtime": {"core": {
        "lesson_status": "passed", "score": {"raw": "97", "min": "0", "max": "100"}}}}).encode()
    resp = _player_post(live_server, "/player/runtime/commit", token, body)
    assert resp.status_code in (409, 410), resp.text
    assert "exited" in resp.json()["message"]
    after = _progress(live_server, reg)
    assert after.registration_success == before.registration_success == "UNKNOWN"
    assert after.score == before.score and after.registration_completion == "INCOMPLETE"
    # The same seq the player already sent is still acknowledged (a retried beacon is harmless).
    resp = _player_post(live_server, "/player/runtime/commit", token, json.dumps({
        "seq": 1, "activityId": "sco1", "runtime": {"core": {"lesson_status": "incomplete"}}}).encode())
    assert resp.status_code in (200, 409, 410), resp.text


def test_navigate_after_exit_is_refused(live_server, launch):
    _, token = launch
    assert _player_post(live_server, "/player/runtime/exit", token, b"{}").status_code == 200
    resp = _player_post(live_server, "/player/runtime/navigate", token, b'{"request": "continue"}')
    assert resp.status_code in (409, 410), resp.text



@pytest.mark.parametrize("payload", [
    '{"q": {"verb": "http://example.com/\\ud800"}, "s": "2020-01-01T00:00:00+00:00", "p": 1}',
    '{"q": {"agent": "{\\"mbox\\": \\"mailto:a@example.com\\", \\"name\\": \\"\\\\ud800\\"}"}, '
    '"s": "2020-01-01T00:00:00+00:00", "p": 1}',
    '{"q": ' + "[" * 5000 + "]" * 5000 + "}",
    '{"q": {}, "s": "2020-01-01T00:00:00\\ud800", "p": 1}',
    '{"q": {}, "s": "yesterday", "p": 1e400}',
], ids=["verb", "agent", "deep", "stored-surrogate", "bad-keyset"])
def test_a_forged_more_cursor_with_hostile_json_is_4xx(lrs, payload):
    token = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    res = lrs.get("statements", params={"more": token})
    assert 400 <= res.status_code < 500, res.text
