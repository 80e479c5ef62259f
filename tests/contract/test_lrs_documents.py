"""The LRS document resources (state, activity profile, agent profile), agents and activities,
over raw HTTP against a live server. Names carry the XAPI-00xxx ids of ADL's conformance suite."""

from __future__ import annotations

import hashlib
import json
import time
import uuid

import httpx
import pytest

ACTIVITY = "http://www.example.com/activityId/hashset"
AGENT = {"objectType": "Agent", "account": {"homePage": "http://www.example.com/agentId/1", "name": "Rick James"}}


@pytest.fixture
def xapi_version() -> str:
    """The `lrs` client speaks 1.0.3 unless a request says otherwise."""
    return "1.0.3"


def q(**params) -> dict:
    return {k: json.dumps(v) if isinstance(v, (dict, list, bool)) else v for k, v in params.items()}


def state(**extra) -> dict:
    return q(**{"activityId": ACTIVITY, "agent": AGENT, "stateId": str(uuid.uuid4()), **extra})


def doc() -> dict:
    return {"name": str(uuid.uuid4()), "location": {"name": str(uuid.uuid4())}}


V2 = {"X-Experience-API-Version": "2.0.0"}


# ------------------------------------------------------------------------------------- state

def test_xapi_00190_00192_state_put_then_get_returns_document_etag_last_modified(lrs):
    params, body = state(), doc()
    assert lrs.put("/activities/state", params=params, json=body).status_code == 204
    resp = lrs.get("/activities/state", params=params)
    assert resp.status_code == 200
    assert resp.json() == body
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.headers["etag"] == '"' + hashlib.sha1(resp.content).hexdigest() + '"'
    assert resp.headers["last-modified"].endswith("GMT")


def test_state_keeps_any_content_type(lrs):
    params = state()
    put = lrs.put("/activities/state", params=params, content=b"\x00\x01bookmark",
                  headers={"Content-Type": "application/octet-stream"})
    assert put.status_code == 204
    resp = lrs.get("/activities/state", params=params)
    assert resp.content == b"\x00\x01bookmark"
    assert resp.headers["content-type"] == "application/octet-stream"


def test_xapi_00233_00234_00184_00183_post_creates_then_merges_one_level(lrs):
    params = state()
    first = {"car": {"make": "Ford", "model": "Escape"}, "driver": "Dale", "keep": 1}
    second = {"car": {"make": "Dodge"}, "driver": "Jeff"}
    assert lrs.post("/activities/state", params=params, json=first).status_code == 204
    assert lrs.post("/activities/state", params=params, json=second).status_code == 204
    assert lrs.get("/activities/state", params=params).json() == {"car": {"make": "Dodge"}, "driver": "Jeff",
                                                                   "keep": 1}


@pytest.mark.parametrize("content,ctype", [(b"abcdefg", "not/json"), (b'{"a": 1}{', "application/json"),
                                           (b"[1, 2]", "application/json")])
def test_xapi_00229_00232_00235_post_of_non_json_object_is_400_and_changes_nothing(lrs, content, ctype):
    params, body = state(), doc()
    lrs.post("/activities/state", params=params, json=body)
    assert lrs.post("/activities/state", params=params, content=content,
                    headers={"Content-Type": ctype}).status_code == 400
    assert lrs.get("/activities/state", params=params).json() == body


def test_xapi_00229_post_json_onto_non_json_document_is_400(lrs):
    params = state()
    lrs.put("/activities/state", params=params, content=b"/ asdf / undefined",
            headers={"Content-Type": "application/octet-stream"})
    assert lrs.post("/activities/state", params=params, json=doc()).status_code == 400
    assert lrs.get("/activities/state", params=params).content == b"/ asdf / undefined"


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("missing", ["activityId", "agent"])
def test_xapi_00207_to_00215_state_without_activity_or_agent_is_400(lrs, method, missing):
    params = state()
    del params[missing]
    body = json.dumps(doc()).encode() if method in ("PUT", "POST") else None
    resp = lrs.request(method, "/activities/state", params=params, content=body,
                       headers={"Content-Type": "application/json"})
    assert resp.status_code == 400


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("agent", ["not json", json.dumps({"objectType": "Agent", "name": "no ifi"}), "true"])
def test_xapi_00196_to_00199_state_with_invalid_agent_is_400(lrs, method, agent):
    params = {**state(), "agent": agent}
    assert lrs.request(method, "/activities/state", params=params, json=doc()).status_code == 400


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
def test_xapi_00200_to_00203_registration_must_be_uuid(lrs, method):
    assert lrs.request(method, "/activities/state", params=state(registration="not-a-uuid"),
                       json=doc()).status_code == 400


def test_xapi_00218_00220_00219_registration_is_part_of_the_key(lrs):
    reg = str(uuid.uuid4())
    params = state(registration=reg)
    body = doc()
    assert lrs.put("/activities/state", params=params, json=body).status_code == 204
    assert lrs.get("/activities/state", params=params).json() == body
    without = {k: v for k, v in params.items() if k != "registration"}
    assert lrs.get("/activities/state", params=without).status_code == 404
    assert lrs.delete("/activities/state", params=params).status_code == 204
    assert lrs.get("/activities/state", params=params).status_code == 404


def test_xapi_00206_00211_put_post_without_state_id_is_400(lrs):
    params = state()
    del params["stateId"]
    assert lrs.put("/activities/state", params=params, json=doc()).status_code == 400
    assert lrs.post("/activities/state", params=params, json=doc()).status_code == 400


def test_xapi_00193_00195_00221_ids_since(lrs):
    agent = {"mbox": f"mailto:{uuid.uuid4()}@example.com"}
    one, two = state(agent=agent), state(agent=agent)
    lrs.post("/activities/state", params=one, json=doc())
    listing = {k: v for k, v in one.items() if k != "stateId"}
    time.sleep(0.05)
    cut = lrs.get("/activities/state", params=listing).json()
    assert cut == [one["stateId"]]
    middle = time.time()
    time.sleep(0.05)
    lrs.post("/activities/state", params=two, json=doc())
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(middle)) + f".{int(middle % 1 * 1000):03d}Z"
    assert lrs.get("/activities/state", params={**listing, "since": since}).json() == [two["stateId"]]
    assert sorted(lrs.get("/activities/state", params=listing).json()) == sorted([one["stateId"], two["stateId"]])


def test_xapi_00204_since_not_a_timestamp_is_400(lrs):
    params = state(since="not a timestamp")
    del params["stateId"]
    assert lrs.get("/activities/state", params=params).status_code == 400


def test_xapi_00194_delete_without_state_id_deletes_all(lrs):
    activity = ACTIVITY + str(uuid.uuid4())
    params = state(activityId=activity)
    lrs.post("/activities/state", params=params, json=doc())
    lrs.post("/activities/state", params={**params, "stateId": "second"}, json=doc())
    other = state()
    lrs.post("/activities/state", params=other, json=doc())
    listing = {k: v for k, v in params.items() if k != "stateId"}
    assert lrs.delete("/activities/state", params=listing).status_code == 204
    assert lrs.get("/activities/state", params=listing).json() == []
    assert lrs.get("/activities/state", params=other).status_code == 200


def test_unknown_parameter_is_400(lrs):
    assert lrs.get("/activities/state", params=state(foo="bar")).status_code == 400
    assert lrs.get("/activities/profile", params=q(activityId=ACTIVITY, agent=AGENT)).status_code == 400


def test_agent_identity_is_its_ifi_not_its_name(lrs):
    params = state()
    body = doc()
    lrs.put("/activities/state", params=params, json=body)
    renamed = {**params, "agent": json.dumps({**AGENT, "name": "Someone"})}
    assert lrs.get("/activities/state", params=renamed).json() == body


# ------------------------------------------------------------------------------ concurrency

def test_state_put_without_headers_on_existing_is_accepted_by_default_in_2_0(lrs):
    """Articulate Storyline PUTs its resume state with no If-Match; lrs_strict_state_concurrency off."""
    params = state()
    assert lrs.put("/activities/state", params=params, json=doc(), headers=V2).status_code == 204
    body = doc()
    assert lrs.put("/activities/state", params=params, json=body, headers=V2).status_code == 204
    assert lrs.get("/activities/state", params=params, headers=V2).json() == body


@pytest.mark.parametrize("path,base", [("/activities/profile", {"activityId": ACTIVITY}),
                                       ("/agents/profile", {"agent": AGENT})])
def test_xapi_00322_profiles_1_0_3_put_needs_a_concurrency_header(lrs, path, base):
    params = q(**base, profileId=str(uuid.uuid4()))
    assert lrs.put(path, params=params, json=doc()).status_code == 400  # new, no header (ADL XAPI-00273)
    original = doc()
    assert lrs.put(path, params=params, json=original, headers={"If-None-Match": "*"}).status_code == 204
    assert lrs.put(path, params=params, json=doc(), headers={"If-None-Match": "*"}).status_code == 412
    conflict = lrs.put(path, params=params, json=doc())
    assert conflict.status_code == 409 and conflict.json()["message"]
    assert lrs.put(path, params=params, json=doc(), headers={"If-Match": '"1234"'}).status_code == 412
    assert lrs.get(path, params=params).json() == original
    etag = lrs.get(path, params=params).headers["etag"]
    assert len(etag) == 42
    updated = doc()
    assert lrs.put(path, params=params, json=updated, headers={"If-Match": etag}).status_code == 204
    assert lrs.get(path, params=params).json() == updated


@pytest.mark.parametrize("path,base", [("/activities/profile", {"activityId": ACTIVITY}),
                                       ("/agents/profile", {"agent": AGENT})])
def test_4_1_4_profiles_2_0_new_put_without_header_ok_existing_409(lrs, path, base):
    params = q(**base, profileId=str(uuid.uuid4()))
    assert lrs.put(path, params=params, json=doc(), headers=V2).status_code == 204
    assert lrs.put(path, params=params, json=doc(), headers=V2).status_code == 409


def test_4_1_4_post_and_delete_honour_if_match(lrs):
    params = state()
    body = doc()
    lrs.post("/activities/state", params=params, json=body, headers=V2)
    etag = lrs.get("/activities/state", params=params, headers=V2).headers["etag"]
    bad = {**V2, "If-Match": '"1234"'}
    assert lrs.post("/activities/state", params=params, json={"x": 1}, headers=bad).status_code == 412
    assert lrs.delete("/activities/state", params=params, headers=bad).status_code == 412
    assert lrs.get("/activities/state", params=params, headers=V2).json() == body
    good = {**V2, "If-Match": etag}
    assert lrs.post("/activities/state", params=params, json={"x": 1}, headers=good).status_code == 204
    etag2 = lrs.get("/activities/state", params=params, headers=V2).headers["etag"]
    assert etag2 != etag
    assert lrs.delete("/activities/state", params=params, headers={**V2, "If-Match": etag2}).status_code == 204
    assert lrs.get("/activities/state", params=params, headers=V2).status_code == 404


def test_4_1_6_2_last_modified_moves_on_update(lrs):
    params = state()
    lrs.post("/activities/state", params=params, json=doc(), headers=V2)
    before = lrs.get("/activities/state", params=params, headers=V2).headers["last-modified"]
    time.sleep(1.1)
    lrs.post("/activities/state", params=params, json={"more": 1}, headers=V2)
    after = lrs.get("/activities/state", params=params, headers=V2).headers["last-modified"]
    from email.utils import parsedate_to_datetime
    assert parsedate_to_datetime(after) > parsedate_to_datetime(before)


# ----------------------------------------------------------------------- profiles: ids, merge

@pytest.mark.parametrize("path,base", [("/activities/profile", {"activityId": ACTIVITY}),
                                       ("/agents/profile", {"agent": AGENT})])
def test_xapi_00268_00303_profile_ids_and_merge(lrs, path, base):
    profile_id = str(uuid.uuid4())
    params = q(**base, profileId=profile_id)
    assert lrs.post(path, params=params, json={"a": 1}).status_code == 204
    assert lrs.post(path, params=params, json={"b": 2}).status_code == 204
    assert lrs.get(path, params=params).json() == {"a": 1, "b": 2}
    ids = lrs.get(path, params=q(**base, since="2000-01-01T00:00:00Z")).json()
    assert profile_id in ids
    assert lrs.delete(path, params=params).status_code == 204
    assert lrs.get(path, params=params).status_code == 404
    assert lrs.delete(path, params=q(**base)).status_code == 400  # profiles delete one at a time


def test_xapi_00125_head_answers_headers_without_body(lrs):
    params = state()
    lrs.put("/activities/state", params=params, json=doc())
    resp = lrs.head("/activities/state", params=params)
    assert resp.status_code == 200 and resp.content == b"" and resp.headers["etag"]


def test_documents_are_per_application(live_server, lrs):
    params = state()
    lrs.put("/activities/state", params=params, json=doc())
    other = live_server.management_app
    resp = httpx.get(f"{live_server.base_url}/lrs/{other.app_id}/activities/state", params=params,
                     auth=(other.app_id, other.secret), headers={"X-Experience-API-Version": "1.0.3"})
    assert resp.status_code == 404


# ------------------------------------------------------------------------- agents, activities

def test_xapi_00248_00237_agents_returns_a_person(lrs):
    agent = {"objectType": "Agent", "name": "xAPI mbox", "mbox": "mailto:xapi@adlnet.gov"}
    resp = lrs.get("/agents", params=q(agent=agent))
    assert resp.status_code == 200
    assert resp.json() == {"objectType": "Person", "name": ["xAPI mbox"], "mbox": ["mailto:xapi@adlnet.gov"]}


def test_xapi_00243_00249_agents_needs_a_valid_agent(lrs):
    assert lrs.get("/agents").status_code == 400
    assert lrs.get("/agents", params=q(agent={"objectType": "Agent", "name": "x"})).status_code == 400


def test_xapi_00250_activities_needs_activity_id_and_answers_unknown_ones(lrs):
    assert lrs.get("/activities").status_code == 400
    iri = f"http://www.example.com/never-seen/{uuid.uuid4()}"
    resp = lrs.get("/activities", params={"activityId": iri}, headers=V2)
    assert resp.status_code == 200
    assert resp.json() == {"objectType": "Activity", "id": iri}
