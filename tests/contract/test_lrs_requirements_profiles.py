"""The Agent Profile and Activity Profile resources, requirement by requirement (xAPI 1.0.3
Communication §2.6-§2.7, IEEE 9274.1.1 4.1.6.5-4.1.6.6), over raw HTTP against a live server.

Each test cites the XAPI-00xxx ids of ADL's LRS conformance suite it covers, in its name or in its
pytest.param ids. Every test runs for both "1.0.3" and "2.0.0" (the suite checks the same ids in
both versions). PUTs carry "If-None-Match: *" because 1.0.3 refuses a profile PUT without a
concurrency header (XAPI-00273, covered in test_lrs_documents.py)."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx
import pytest

ACTIVITY = "http://www.example.com/activityId/hashset"
AGENT = {"objectType": "Agent", "account": {"homePage": "http://www.example.com/agentId/1", "name": "Rick James"}}


@dataclass(frozen=True)
class Resource:
    """One profile resource: its path and the parameter that scopes it."""

    path: str
    scope_param: str

    def scope(self, value=None) -> dict:
        if self.scope_param == "agent":
            return {"agent": json.dumps(value if value is not None else AGENT)}
        return {"activityId": value if value is not None else ACTIVITY}

    def fresh_scope(self) -> dict:
        """A scope no other test writes to, so its id listings are exactly what this test stored."""
        if self.scope_param == "agent":
            return self.scope({"objectType": "Agent", "mbox": f"mailto:{uuid.uuid4()}@example.com"})
        return self.scope(f"{ACTIVITY}/{uuid.uuid4()}")

    def params(self, **extra) -> dict:
        return {**self.scope(), "profileId": str(uuid.uuid4()), **extra}


AGENT_PROFILE = Resource("/agents/profile", "agent")
ACTIVITY_PROFILE = Resource("/activities/profile", "activityId")


@pytest.fixture
def lrs(lrs_unversioned, xapi_version):
    """(method, resource, **kwargs) -> response, speaking XAPI_VERSION."""

    def call(method: str, res: Resource, *, headers: dict | None = None, **kwargs) -> httpx.Response:
        return lrs_unversioned.request(method, res.path, **kwargs,
                                       headers={"X-Experience-API-Version": xapi_version, **(headers or {})})

    return call


def doc() -> dict:
    """A document shaped like the suite's: two fixed names and one random one."""
    return {"name": str(uuid.uuid4()), "location": {"name": str(uuid.uuid4())}, str(uuid.uuid4()): str(uuid.uuid4())}


def body(value: dict) -> dict:
    return {"content": json.dumps(value).encode(), "headers": {"Content-Type": "application/json"}}


def put_body(value: dict) -> dict:
    return {"content": json.dumps(value).encode(),
            "headers": {"Content-Type": "application/json", "If-None-Match": "*"}}


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


BOTH = [pytest.param(AGENT_PROFILE, id="agents-profile"), pytest.param(ACTIVITY_PROFILE, id="activities-profile")]


# ------------------------------------------------------------- missing or invalid parameters

def _without(name):
    return lambda p: {k: v for k, v in p.items() if k != name}


def _with(**values):
    return lambda p: {**p, **values}


# The agent profile's "agent" and the activity profile's "activityId" (Communication §2.6/§2.7
# table 1 row 1: required), "profileId" (row 2: required for PUT, POST, DELETE), "since" (GET
# table row 2: a Timestamp).
BAD_PARAMS = [
    pytest.param(AGENT_PROFILE, "PUT", _without("agent"), id="XAPI-00264-put-no-agent"),
    pytest.param(AGENT_PROFILE, "POST", _without("agent"), id="XAPI-00263-post-no-agent"),
    pytest.param(AGENT_PROFILE, "DELETE", _without("agent"), id="XAPI-00262-delete-no-agent"),
    pytest.param(AGENT_PROFILE, "GET", _without("agent"), id="XAPI-00261-get-no-agent"),
    pytest.param(AGENT_PROFILE, "PUT", _with(agent="true"), id="XAPI-00257-put-agent-true"),
    pytest.param(AGENT_PROFILE, "PUT", _with(agent='{"objectType": "Agent", "name": "no ifi"}'),
                 id="XAPI-00257-put-agent-without-ifi"),
    pytest.param(AGENT_PROFILE, "POST", _with(agent="true"), id="XAPI-00256-post-agent-true"),
    pytest.param(AGENT_PROFILE, "POST", _with(agent="not json"), id="XAPI-00256-post-agent-not-json"),
    pytest.param(AGENT_PROFILE, "DELETE", _with(agent="true"), id="XAPI-00255-delete-agent-true"),
    pytest.param(AGENT_PROFILE, "DELETE", _with(agent='{"mbox": "xapi@adlnet.gov"}'),
                 id="XAPI-00255-delete-agent-mbox-without-mailto"),
    pytest.param(AGENT_PROFILE, "GET", _with(agent="true"), id="XAPI-00258-get-agent-true"),
    pytest.param(AGENT_PROFILE, "GET", lambda p: {**_without("profileId")(p), "agent": "[]"},
                 id="XAPI-00258-get-ids-agent-array"),
    # The suite's URL-encoded agent with its first ":" turned into a quote: not JSON.
    pytest.param(AGENT_PROFILE, "POST", _with(agent=json.dumps(AGENT).replace(":", '"', 1)),
                 id="XAPI-00284-post-agent-broken-json"),
    pytest.param(AGENT_PROFILE, "PUT", _without("profileId"), id="XAPI-00267-put-no-profile-id"),
    pytest.param(AGENT_PROFILE, "POST", _without("profileId"), id="XAPI-00266-post-no-profile-id"),
    pytest.param(AGENT_PROFILE, "DELETE", _without("profileId"), id="XAPI-00265-delete-no-profile-id"),
    pytest.param(AGENT_PROFILE, "PUT", _with(profileId=""), id="XAPI-00267-put-empty-profile-id"),
    pytest.param(AGENT_PROFILE, "POST", _with(profileId=""), id="XAPI-00266-post-empty-profile-id"),
    pytest.param(AGENT_PROFILE, "DELETE", _with(profileId=""), id="XAPI-00265-delete-empty-profile-id"),
    pytest.param(AGENT_PROFILE, "GET", lambda p: {**_without("profileId")(p), "since": "true"},
                 id="XAPI-00260-get-since-true"),
    pytest.param(AGENT_PROFILE, "GET", lambda p: {**_without("profileId")(p), "since": "yesterday"},
                 id="XAPI-00260-get-since-not-a-timestamp"),
    pytest.param(ACTIVITY_PROFILE, "PUT", _without("activityId"), id="XAPI-00299-put-no-activity-id"),
    pytest.param(ACTIVITY_PROFILE, "POST", _without("activityId"), id="XAPI-00298-post-no-activity-id"),
    pytest.param(ACTIVITY_PROFILE, "DELETE", _without("activityId"), id="XAPI-00297-delete-no-activity-id"),
    pytest.param(ACTIVITY_PROFILE, "GET", _without("activityId"), id="XAPI-00296-get-no-activity-id"),
    pytest.param(ACTIVITY_PROFILE, "GET", lambda p: _without("activityId")(_without("profileId")(p)),
                 id="XAPI-00296-get-ids-no-activity-id"),
    pytest.param(ACTIVITY_PROFILE, "PUT", _without("profileId"), id="XAPI-00302-put-no-profile-id"),
    pytest.param(ACTIVITY_PROFILE, "POST", _without("profileId"), id="XAPI-00301-post-no-profile-id"),
    pytest.param(ACTIVITY_PROFILE, "DELETE", _without("profileId"), id="XAPI-00300-delete-no-profile-id"),
    pytest.param(ACTIVITY_PROFILE, "PUT", _with(profileId=""), id="XAPI-00302-put-empty-profile-id"),
    pytest.param(ACTIVITY_PROFILE, "POST", _with(profileId=""), id="XAPI-00301-post-empty-profile-id"),
    pytest.param(ACTIVITY_PROFILE, "DELETE", _with(profileId=""), id="XAPI-00300-delete-empty-profile-id"),
    pytest.param(ACTIVITY_PROFILE, "GET", lambda p: {**_without("profileId")(p), "since": "true"},
                 id="XAPI-00295-get-since-true"),
    pytest.param(ACTIVITY_PROFILE, "GET", lambda p: {**_without("profileId")(p), "since": "2024-13-45T99:00:00Z"},
                 id="XAPI-00295-get-since-out-of-range"),
]


@pytest.mark.parametrize("res,method,mutate", BAD_PARAMS)
def test_missing_or_invalid_parameter_is_400(lrs, res, method, mutate):
    good = res.params()
    params = mutate(good)
    kwargs = put_body(doc()) if method == "PUT" else body(doc()) if method == "POST" else {}
    resp = lrs(method, res, params=params, **kwargs)
    assert resp.status_code == 400, resp.text
    assert resp.json()["message"]
    # Nothing was stored under the profileId the request carried (where it carried one).
    if "profileId" in params and method in ("PUT", "POST"):
        assert lrs("GET", res, params=good).status_code == 404


# ------------------------------------------------------------------------- the endpoints

@pytest.mark.parametrize("res", [pytest.param(AGENT_PROFILE, id="XAPI-00282-agents-profile"),
                                 pytest.param(ACTIVITY_PROFILE, id="XAPI-00311-activities-profile")])
def test_the_profile_endpoints_exist_under_the_base_iri(lrs, res):
    params = res.params()
    assert lrs("POST", res, params=params, **body(doc())).status_code == 204
    assert lrs("GET", res, params=params).status_code == 200
    # ... and a sibling path is no such resource.
    assert lrs("GET", Resource(res.path + "x", res.scope_param), params=params).status_code == 404


@pytest.mark.parametrize("res", [pytest.param(AGENT_PROFILE, id="XAPI-00273-agents-profile"),
                                 pytest.param(ACTIVITY_PROFILE, id="XAPI-00287-XAPI-00293-activities-profile")])
def test_put_stores_the_document_and_answers_204(lrs, res):
    params, value = res.params(), doc()
    resp = lrs("PUT", res, params=params, **put_body(value))
    assert resp.status_code == 204 and resp.content == b""
    assert lrs("GET", res, params=params).json() == value


@pytest.mark.parametrize("res", [pytest.param(AGENT_PROFILE, id="XAPI-00272-XAPI-00283-agents-profile"),
                                 pytest.param(ACTIVITY_PROFILE,
                                              id="XAPI-00286-XAPI-00292-XAPI-00312-activities-profile")])
def test_post_is_accepted_with_204(lrs, res):
    params, value = res.params(), doc()
    resp = lrs("POST", res, params=params, **body(value))
    assert resp.status_code == 204 and resp.content == b""
    assert lrs("GET", res, params=params).json() == value


@pytest.mark.parametrize("res", [pytest.param(AGENT_PROFILE, id="XAPI-00271-agents-profile"),
                                 pytest.param(ACTIVITY_PROFILE, id="XAPI-00285-XAPI-00291-activities-profile")])
def test_delete_removes_only_that_profile_and_answers_204(lrs, res):
    scope = res.fresh_scope()
    params, other = {**scope, "profileId": "one"}, {**scope, "profileId": "two"}
    lrs("POST", res, params=params, **body(doc()))
    kept = doc()
    lrs("POST", res, params=other, **body(kept))
    resp = lrs("DELETE", res, params=params)
    assert resp.status_code == 204 and resp.content == b""
    assert lrs("GET", res, params=params).status_code == 404
    assert lrs("GET", res, params=other).json() == kept
    assert lrs("GET", res, params=scope).json() == ["two"]
    # Deleting a profile that is not there is no error either (the suite's DELETE of a fresh id).
    assert lrs("DELETE", res, params=res.params()).status_code == 204
    # An empty profileId names no profile: 400, not a DELETE of the whole set (only State deletes
    # sets; this used to answer 204 and delete "two" as well).
    assert lrs("DELETE", res, params={**scope, "profileId": ""}).status_code == 400
    assert lrs("GET", res, params=scope).json() == ["two"]
    assert lrs("GET", res, params={**scope, "profileId": ""}).status_code == 400


@pytest.mark.parametrize("res", [pytest.param(AGENT_PROFILE, id="XAPI-00274-XAPI-00259-XAPI-00269-agents-profile"),
                                 pytest.param(ACTIVITY_PROFILE, id="XAPI-00290-XAPI-00288-activities-profile")])
def test_get_with_profile_id_returns_the_document_with_200(lrs, res):
    params, value = res.params(), doc()
    lrs("POST", res, params=params, **body(value))
    resp = lrs("GET", res, params=params)
    assert resp.status_code == 200
    assert resp.json() == value
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.headers["etag"] == '"' + hashlib.sha1(resp.content).hexdigest() + '"'
    assert parsedate_to_datetime(resp.headers["last-modified"]).year >= 2024
    # An unknown profileId in the same scope is 404, not some other document.
    assert lrs("GET", res, params={**params, "profileId": str(uuid.uuid4())}).status_code == 404


@pytest.mark.parametrize("res", [pytest.param(AGENT_PROFILE, id="XAPI-00270-agents-profile"),
                                 pytest.param(ACTIVITY_PROFILE, id="XAPI-00289-activities-profile")])
def test_get_without_profile_id_returns_the_ids_in_that_scope(lrs, res):
    scope = res.fresh_scope()
    assert lrs("GET", res, params=scope).json() == []
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    for profile_id in ids:
        assert lrs("POST", res, params={**scope, "profileId": profile_id}, **body(doc())).status_code == 204
    lrs("POST", res, params=res.params(), **body(doc()))  # another scope: not listed
    resp = lrs("GET", res, params=scope)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    assert sorted(resp.json()) == sorted(ids)


@pytest.mark.parametrize("res", [pytest.param(AGENT_PROFILE, id="XAPI-00275-agents-profile"),
                                 pytest.param(ACTIVITY_PROFILE, id="XAPI-00294-activities-profile")])
def test_since_lists_only_the_profiles_stored_after_it(lrs, res):
    scope = res.fresh_scope()
    minute_ago = iso(time.time() - 60)
    lrs("POST", res, params={**scope, "profileId": "before"}, **body(doc()))
    time.sleep(0.05)
    cut = time.time()
    time.sleep(0.05)
    lrs("POST", res, params={**scope, "profileId": "after"}, **body(doc()))
    resp = lrs("GET", res, params={**scope, "since": minute_ago})
    assert resp.status_code == 200
    assert sorted(resp.json()) == ["after", "before"]
    assert lrs("GET", res, params={**scope, "since": iso(cut)}).json() == ["after"]
    # A profile updated after the cut counts as stored after it.
    lrs("POST", res, params={**scope, "profileId": "before"}, **body({"more": 1}))
    assert sorted(lrs("GET", res, params={**scope, "since": iso(cut)}).json()) == ["after", "before"]
    assert lrs("GET", res, params={**scope, "since": iso(time.time() + 3600)}).json() == []


# --------------------------------------------------------------------------- POST and merge

@pytest.mark.parametrize("res", [pytest.param(AGENT_PROFILE, id="XAPI-00280-agents-profile"),
                                 pytest.param(ACTIVITY_PROFILE, id="XAPI-00310-activities-profile")])
def test_post_of_a_new_document_stores_it_as_a_put_would(lrs, res):
    params, value = res.params(), doc()
    assert lrs("GET", res, params=params).status_code == 404
    assert lrs("POST", res, params=params, **body(value)).status_code == 204
    resp = lrs("GET", res, params=params)
    assert resp.status_code == 200 and resp.json() == value
    assert resp.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("res", [pytest.param(AGENT_PROFILE, id="XAPI-00279-agents-profile"),
                                 pytest.param(ACTIVITY_PROFILE, id="XAPI-00308-activities-profile")])
def test_post_onto_a_json_document_merges_top_level_properties(lrs, res):
    params = res.params()
    assert lrs("POST", res, params=params, **body({"car": "Honda", "seats": {"front": 2}})).status_code == 204
    assert lrs("POST", res, params=params, **body({"type": "Civic", "seats": {"back": 3}})).status_code == 204
    # Communication §2.2: top-level properties merge, the posted value of a property replaces the old.
    assert lrs("GET", res, params=params).json() == {"car": "Honda", "type": "Civic", "seats": {"back": 3}}


# (existing document as PUT: content, content type) -> (posted content, content type); each 400 and
# the stored document unchanged (Communication §2.2 s8: either not application/json, or not a JSON
# object).
BAD_MERGES = [
    (b"json", "application/json", b"abcdefg", "application/octet-stream"),
    (b"/ asdf / undefined", "application/octet-stream", b"json", "application/json"),
    (b"json", "application/json", json.dumps({"profileId": "x"}).encode() + b"{", "application/json"),
    (b"json", "application/json", b"abcdefg", "not/json"),
    (b"json", "application/json", b"abc", "application/x-www-form-urlencoded"),
    (b"json", "application/json", b"[1, 2]", "application/json"),
]
_AGENT_MERGE_IDS = ["XAPI-00278-post-octet-stream-onto-json", "XAPI-00278-post-json-onto-octet-stream",
                    "XAPI-00278-post-unparseable-json", "XAPI-00281-post-not-json-type",
                    "XAPI-00281-post-form-encoded", "XAPI-00281-post-json-array"]
_ACTIVITY_MERGE_IDS = ["XAPI-00313-post-octet-stream-onto-json", "XAPI-00313-post-json-onto-octet-stream",
                       "XAPI-00313-post-unparseable-json", "XAPI-00309-post-not-json-type",
                       "XAPI-00309-post-form-encoded", "XAPI-00313-post-json-array"]


@pytest.mark.parametrize("res,existing,existing_type,posted,posted_type",
                         [pytest.param(AGENT_PROFILE, *case, id=i) for case, i in zip(BAD_MERGES, _AGENT_MERGE_IDS)]
                         + [pytest.param(ACTIVITY_PROFILE, *case, id=i)
                            for case, i in zip(BAD_MERGES, _ACTIVITY_MERGE_IDS)])
def test_post_that_cannot_merge_is_400_and_changes_nothing(lrs, res, existing, existing_type, posted, posted_type):
    params, value = res.params(), doc()
    existing = json.dumps(value).encode() if existing == b"json" else existing
    posted = json.dumps(doc()).encode() if posted == b"json" else posted
    put = lrs("PUT", res, params=params, content=existing,
              headers={"Content-Type": existing_type, "If-None-Match": "*"})
    assert put.status_code == 204
    resp = lrs("POST", res, params=params, content=posted, headers={"Content-Type": posted_type})
    assert resp.status_code == 400, resp.text
    assert resp.json()["message"]
    after = lrs("GET", res, params=params)
    assert after.status_code == 200
    assert after.content == existing
    assert after.headers["content-type"].split(";")[0] == existing_type


@pytest.mark.parametrize("res", [pytest.param(ACTIVITY_PROFILE, id="XAPI-00314-activities-profile"),
                                 pytest.param(AGENT_PROFILE, id="XAPI-00284-agents-profile-body")])
@pytest.mark.parametrize("content", [pytest.param(lambda: json.dumps(doc()).encode() + b"[", id="trailing-bracket"),
                                     pytest.param(lambda: b'{"name": value}', id="bare-value")])
def test_post_of_invalid_json_as_application_json_is_400_and_stores_nothing(lrs, res, content):
    params = res.params()
    resp = lrs("POST", res, params=params, content=content(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 400, resp.text
    assert lrs("GET", res, params=params).status_code == 404
    assert lrs("GET", res, params={k: v for k, v in params.items() if k != "profileId"}).json().count(
        params["profileId"]) == 0
