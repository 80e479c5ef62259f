"""The LRS against an attacker: stored documents cannot run script at the service origin, browsers'
cross-site form posts cannot use the alternate request syntax, OAuth tokens need the xapi scopes,
and concurrent batch writers sharing activities and agents never deadlock (issue 13 items 1, 4, 11)."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import threading
import uuid

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from sqlalchemy import func, select

from coursehost.db.models.lrs import XapiStatement
from tests.contract.helpers import new_child_app
from tests.factories.xapi import agent, statement

V1 = {"X-Experience-API-Version": "1.0.3"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SCRIPT = b"<html><head><title>stored</title></head><body><script>document.title='PWNED'</script></body></html>"
ACTIVITY = "http://example.com/security/activity"


def _basic(app_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{app_id}:{secret}".encode()).decode()


def _doc_params(kind: str) -> dict:
    who = json.dumps(agent())
    return {
        "activities/state": {"activityId": ACTIVITY, "agent": who, "stateId": str(uuid.uuid4())},
        "activities/profile": {"activityId": ACTIVITY, "profileId": str(uuid.uuid4())},
        "agents/profile": {"agent": who, "profileId": str(uuid.uuid4())},
    }[kind]


def _assert_safe(resp: httpx.Response) -> None:
    assert resp.headers.get("x-content-type-options") == "nosniff", dict(resp.headers)
    policy = [d.strip() for d in resp.headers.get("content-security-policy", "").split(";")]
    assert "sandbox" in policy, dict(resp.headers)


# --------------------------------------------------------------------- item 1: stored documents

@pytest.mark.parametrize("kind", ["activities/state", "activities/profile", "agents/profile", "statements"])
def test_no_answer_may_be_kept_in_a_browser_cache(lrs, kind):
    """A browser must ask us again each time: a cached document hides the request (cmi5 counts an
    AU's read of its learner preferences) and goes stale at the next write."""
    params = {} if kind == "statements" else _doc_params(kind)
    if kind != "statements":
        assert lrs.put(kind, params=params, json={"a": 1}, headers={"If-None-Match": "*"}).status_code == 204
    got = lrs.get(kind, params=params)
    assert got.status_code == 200 and got.headers.get("cache-control") == "no-store", dict(got.headers)


@pytest.mark.parametrize("kind", ["activities/state", "activities/profile", "agents/profile"])
def test_a_stored_html_document_comes_back_as_html_that_cannot_run_or_be_sniffed(lrs, kind):
    params = _doc_params(kind)
    # A new profile needs If-None-Match in 1.0.3 (Communication §3.1).
    put = lrs.put(kind, params=params, content=SCRIPT, headers={"Content-Type": "text/html", "If-None-Match": "*"})
    assert put.status_code == 204, put.text
    got = lrs.get(kind, params=params)
    assert got.status_code == 200 and got.content == SCRIPT
    assert got.headers["content-type"].startswith("text/html")  # xAPI: the content type it was stored with
    _assert_safe(got)
    _assert_safe(lrs.head(kind, params=params))
    ids = lrs.get(kind, params={k: v for k, v in params.items() if k not in ("stateId", "profileId")})
    _assert_safe(ids)


def test_attachments_in_a_multipart_statement_answer_cannot_run_or_be_sniffed(lrs):
    content = SCRIPT + uuid.uuid4().hex.encode()
    sha2 = hashlib.sha256(content).hexdigest()
    st = statement(attachments=[{"usageType": "http://example.com/u", "display": {"en-US": "page"},
                                 "contentType": "text/html", "length": len(content), "sha2": sha2}])
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(st)}\r\n"
            f"--{boundary}\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    posted = lrs.post("statements", content=body, headers={"Content-Type": f"multipart/mixed; boundary={boundary}"})
    assert posted.status_code == 200, posted.text
    sid = posted.json()[0]
    one = lrs.get("statements", params={"statementId": sid, "attachments": "true"})
    assert one.headers["content-type"].startswith("multipart/mixed") and content in one.content
    _assert_safe(one)
    many = lrs.get("statements", params={"verb": st["verb"]["id"], "attachments": "true"})
    assert content in many.content
    _assert_safe(many)


def _alternate_get_of_state(lrs_103, live_server, headers: dict) -> httpx.Response:
    """A stored text/html State document, then an alternate-syntax GET of it with the
    Authorization in the form, as a browser's form post sends it (plus HEADERS)."""
    params = _doc_params("activities/state")
    assert lrs_103.put("activities/state", params=params, content=SCRIPT,
                       headers={"Content-Type": "text/html"}).status_code == 204
    creds = live_server.default_app
    form = {**params, "Authorization": _basic(creds.app_id, creds.secret), "X-Experience-API-Version": "1.0.3"}
    return httpx.post(f"{lrs_103.base}activities/state", params={"method": "GET"}, data=form,
                      headers={**FORM, **headers}, timeout=30)


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},  # a sandboxed or file: page
    {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},
    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},
])
def test_a_cross_site_form_post_with_the_alternate_syntax_is_refused(lrs_103, live_server, headers):
    res = _alternate_get_of_state(lrs_103, live_server, headers)
    assert res.status_code == 403, res.text
    assert "alternate request syntax" in res.json()["message"]
    assert b"PWNED" not in res.content


@pytest.mark.parametrize("headers", [
    {},  # server-side clients and ADL's suite send no Origin
    {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"},
])
def test_the_alternate_syntax_still_works_for_clients_that_are_not_cross_site(lrs_103, live_server, headers):
    res = _alternate_get_of_state(lrs_103, live_server, headers)
    assert res.status_code == 200, res.text
    assert res.content == SCRIPT
    _assert_safe(res)


def test_the_alternate_syntax_works_from_the_service_origin_and_configured_origins(lrs_103, live_server, monkeypatch):
    own = _alternate_get_of_state(lrs_103, live_server, {"Origin": live_server.base_url})
    assert own.status_code == 200, own.text
    monkeypatch.setattr(live_server.services.settings, "lrs_allowed_origins",
                        "https://lms.example.com, https://content.example.org")
    allowed = _alternate_get_of_state(lrs_103, live_server, {"Origin": "https://content.example.org"})
    assert allowed.status_code == 200, allowed.text
    other = _alternate_get_of_state(lrs_103, live_server, {"Origin": "https://content.example.org.evil.example"})
    assert other.status_code == 403


# --------------------------------------------------------------------- item 4: token scopes

def _calls() -> list[tuple[str, str]]:
    """(resource, method) for every LRS resource and method."""
    docs = [(kind, method) for kind in ("activities/state", "activities/profile", "agents/profile")
            for method in ("GET", "HEAD", "PUT", "POST", "DELETE")]
    return [("statements", "GET"), ("statements", "HEAD"), ("statements", "POST"), ("statements", "PUT"),
            ("activities", "GET"), ("activities", "HEAD"), ("agents", "GET"), ("agents", "HEAD"), *docs]


SCOPES = ["read:ping", "read:course", "write:registration", "read:xapi", "write:xapi", "read", "write", "admin"]
READS = {"read:xapi", "read", "admin"}
WRITES = {"write:xapi", "write", "admin"}


@pytest.fixture(scope="module")
def scope_tokens(live_server):
    """A bearer token of a fresh application per scope."""
    app_id, creds = new_child_app(live_server)
    auth = cloud.AuthenticationApi(live_server.client(creds))
    return app_id, {scope: auth.get_app_token(scope, expiration=3600).access_token for scope in SCOPES}


def _request(live_server, app_id: str, resource: str, method: str, token: str) -> httpx.Response:
    headers = {**V1, "Authorization": f"Bearer {token}"}
    params: dict = {}
    content = None
    if resource == "statements":
        if method == "PUT":
            params = {"statementId": str(uuid.uuid4())}
        content = json.dumps(statement()).encode() if method in ("PUT", "POST") else None
        headers["Content-Type"] = "application/json"
    elif resource == "activities":
        params = {"activityId": ACTIVITY}
    elif resource == "agents":
        params = {"agent": json.dumps(agent())}
    else:
        params = _doc_params(resource)
        if method in ("PUT", "POST"):
            content, headers["Content-Type"], headers["If-None-Match"] = b'{"a": 1}', "application/json", "*"
    return httpx.request(method, f"{live_server.base_url}/lrs/{app_id}/{resource}", params=params,
                         content=content, headers=headers, timeout=30)


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("resource, method", _calls())
def test_an_oauth_token_needs_read_xapi_to_read_and_write_xapi_to_write(live_server, scope_tokens, resource,
                                                                       method, scope):
    app_id, tokens = scope_tokens
    res = _request(live_server, app_id, resource, method, tokens[scope])
    allowed = scope in (READS if method in ("GET", "HEAD") else WRITES)
    if allowed:
        assert res.status_code < 400 or res.status_code == 404, res.text
    else:
        assert res.status_code == 403, res.text
        if method != "HEAD":
            assert "xapi" in res.json()["message"]


def test_a_read_ping_token_can_neither_void_nor_delete_state(live_server, scope_tokens):
    app_id, tokens = scope_tokens
    base = f"{live_server.base_url}/lrs/{app_id}/"
    writer = {**V1, "Authorization": f"Bearer {tokens['write:xapi']}"}
    sid = httpx.post(base + "statements", json=statement(), headers=writer).json()[0]
    params = _doc_params("activities/state")
    assert httpx.put(base + "activities/state", params=params, json={"a": 1}, headers=writer).status_code == 204
    ping = {**V1, "Authorization": f"Bearer {tokens['read:ping']}"}
    void = statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                     object={"objectType": "StatementRef", "id": sid})
    assert httpx.post(base + "statements", json=void, headers=ping).status_code == 403
    assert httpx.delete(base + "activities/state", params=params, headers=ping).status_code == 403
    reader = {**V1, "Authorization": f"Bearer {tokens['read:xapi']}"}
    assert httpx.get(base + "statements", params={"statementId": sid}, headers=reader).status_code == 200
    assert httpx.get(base + "activities/state", params=params, headers=reader).json() == {"a": 1}


def test_app_keys_still_read_and_write_everything(lrs):
    assert lrs.post("statements", json=statement()).status_code == 200
    assert lrs.get("statements", params={"limit": "1"}).status_code == 200


# --------------------------------------------------------------------- item 11: concurrent writers

WRITERS = 8
ROUNDS = 3
BATCH = 100


def _batch(activities: list[str], agents: list[dict], rnd: random.Random) -> list[dict]:
    """BATCH statements over shared ACTIVITIES and AGENTS, in this writer's own random order."""
    out = []
    for _ in range(BATCH):
        acts = rnd.sample(activities, 4)
        out.append(statement(
            id=str(uuid.uuid4()), actor=rnd.choice(agents),
            object={"objectType": "Activity", "id": acts[0],
                    "definition": {"name": {rnd.choice(["en-US", "fr", "de"]): uuid.uuid4().hex[:6]}}},
            context={"contextActivities": {"parent": [{"id": acts[1]}], "grouping": [{"id": acts[2]}],
                                           "category": [{"id": acts[3], "definition": {"type": "http://x.example/t"}}]},
                     "instructor": rnd.choice(agents)}))
    return out


def test_concurrent_batch_writers_sharing_activities_and_agents_never_fail(live_server):
    app_id, creds = new_child_app(live_server)
    url = f"{live_server.base_url}/lrs/{app_id}/statements"
    agents = [agent() for _ in range(20)]
    sent: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()
    for round_no in range(ROUNDS):
        # Fresh activities each round (inserted) and the previous round's (their definitions updated).
        activities = [f"http://example.com/shared/{round_no}/{n}" for n in range(60)]
        activities += [f"http://example.com/shared/{round_no - 1}/{n}" for n in range(30)] if round_no else []
        barrier = threading.Barrier(WRITERS)

        def write(seed: int, activities=activities, barrier=barrier):
            rnd = random.Random(seed)
            body = _batch(activities, agents, rnd)
            barrier.wait()
            res = httpx.post(url, json=body, headers=V1, auth=(creds.app_id, creds.secret), timeout=120)
            with lock:
                if res.status_code == 200:
                    sent.extend(s["id"] for s in body)
                else:
                    failures.append(f"{res.status_code} {res.text[:200]}")

        threads = [threading.Thread(target=write, args=(round_no * 100 + n,)) for n in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
    assert len(sent) == WRITERS * ROUNDS * BATCH
    with live_server.services.session_factory() as session:
        stored = session.execute(select(XapiStatement.statement_id, func.count()).where(XapiStatement.statement_id.in_(sent))
            .group_by(XapiStatement.statement_id)).all()
    assert len(stored) == len(sent) and all(count == 1 for _, count in stored)
