"""Conformance requirements of ADL's LRS suite that our other contract tests do not name by id:
statement retrieval (Data 2.5; Communication 2.1 / 9274.1.1 4.1.6.1), the State resource
(Communication 2.3 / 4.1.6.2), Agents (2.4 / 4.1.6.3), Activities (2.5 / 4.1.6.4), About (2.8 /
4.1.6.7) and "no change on a rejected request" (Communication 2.2). Each test or table row cites
its XAPI-00xxx id; each runs against a live server for xAPI 1.0.3 and 2.0.0 unless it says why not.

These are our own tests of the behaviour each requirement describes, not ports of ADL's code. The
default server has lrs_strict_state_concurrency off (docs/LRS.md), so a State PUT without
concurrency headers is accepted in both versions."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from urllib.parse import urljoin

import httpx
import pytest

from tests.factories.xapi import mbox, statement

ACTIVITY = "http://www.example.com/activityId/requirements"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


# --------------------------------------------------------------------------------- builders

def post(lrs, body) -> list[str]:
    res = lrs.post("statements", json=body)
    assert res.status_code == 200, res.text
    return res.json()


def q(**params) -> dict:
    """Query parameters; JSON-valued ones (agent) encoded as JSON."""
    return {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in params.items()}


def agent() -> dict:
    return {"objectType": "Agent", "account": {"homePage": "http://www.example.com/agentId/1",
                                               "name": uuid.uuid4().hex}}


def state(**extra) -> dict:
    return q(**{"activityId": ACTIVITY, "agent": agent(), "stateId": str(uuid.uuid4()), **extra})


def doc() -> dict:
    return {"bookmark": uuid.uuid4().hex, "progress": {"page": 3}}


def without(params: dict, key: str) -> dict:
    return {k: v for k, v in params.items() if k != key}


# ======================================================================= statement retrieval

def test_xapi_00159_00154_get_statements_returns_200_and_a_statement_result(lrs):
    res = lrs.get("statements")
    assert res.status_code == 200
    body = res.json()
    assert set(body) <= {"statements", "more"} and isinstance(body["statements"], list)


def test_xapi_00165_get_statements_has_a_json_content_type(lrs):
    res = lrs.get("statements", params={"ascending": "true"})
    assert res.status_code == 200
    assert res.headers["content-type"].split(";")[0] == "application/json"


def test_xapi_00110_statements_property_is_an_array_of_statements(lrs):
    st = statement(context={"registration": str(uuid.uuid4()),
                            "instructor": {"objectType": "Agent", "mbox": mbox()},
                            "contextActivities": {"category": [{"id": "http://www.example.com/test/array"}]}})
    sid = post(lrs, st)[0]
    body = lrs.get("statements", params=q(agent=st["actor"])).json()
    assert [s["id"] for s in body["statements"]] == [sid]
    for s in body["statements"]:
        assert {"id", "actor", "verb", "object", "stored", "timestamp", "authority"} <= set(s)
        assert s["actor"] == st["actor"] and s["verb"] == st["verb"] and s["object"] == st["object"]
        assert s["context"]["registration"] == st["context"]["registration"]


def test_xapi_00149_query_matching_nothing_is_200_with_empty_statements(lrs):
    res = lrs.get("statements", params={"verb": f"http://adlnet.gov/expapi/non/existent/{uuid.uuid4().hex}"})
    assert res.status_code == 200
    assert res.json()["statements"] == []


def test_xapi_00109_more_is_empty_or_absent_when_everything_was_returned(lrs):
    res = lrs.get("statements", params={"verb": f"http://adlnet.gov/expapi/non/existent/{uuid.uuid4().hex}"})
    assert res.status_code == 200 and res.json().get("more", "") == ""
    st = statement()
    post(lrs, [st, {**statement(), "actor": st["actor"]}])
    full = lrs.get("statements", params=q(agent=st["actor"], limit=2)).json()
    assert len(full["statements"]) == 2 and full.get("more", "") == ""
    assert lrs.get("statements", params=q(agent=st["actor"], limit=5)).json().get("more", "") == ""


def test_xapi_00113_00114_a_page_has_one_statements_and_one_more_property(lrs):
    st = statement()
    post(lrs, [st, {**statement(), "actor": st["actor"]}])
    res = lrs.get("statements", params=q(agent=st["actor"], limit=1))
    assert res.status_code == 200
    body = res.json()
    assert set(body) == {"statements", "more"}
    assert len(body["statements"]) == 1
    assert isinstance(body["more"], str) and body["more"].strip() == body["more"] != ""


def test_xapi_00108_00111_more_refers_to_the_next_page_which_follows_the_same_rules(lrs):
    actor = {"objectType": "Agent", "mbox": mbox()}
    verb = "http://adlnet.gov/expapi/test/more/target/"
    sts = [{**statement(), "actor": actor, "id": str(uuid.uuid4()), "verb": {"id": verb + n}}
           for n in ("one", "two", "three")]
    post(lrs, sts)
    first = lrs.get("statements", params=q(agent=actor, limit=1))
    page = first.json()
    seen = [s["id"] for s in page["statements"]]
    url = str(first.url)
    while page.get("more"):
        assert not re.search(r"\s", page["more"])
        url = urljoin(url, page["more"])  # relative to the request that returned it
        nxt = lrs.get(url)
        assert nxt.status_code == 200
        page = nxt.json()
        assert set(page) <= {"statements", "more"} and "statements" in page
        assert len(page["statements"]) <= 1  # the original limit still applies
        seen += [s["id"] for s in page["statements"]]
    # newest first, no duplicates, nothing missing
    assert seen == [s["id"] for s in reversed(sts)]


def test_xapi_00147_post_statement_is_accepted_and_stored(lrs):
    st = statement()
    sid = post(lrs, st)[0]
    assert uuid.UUID(sid)
    got = lrs.get("statements", params={"statementId": sid})
    assert got.status_code == 200 and got.json()["verb"] == st["verb"]


@pytest.mark.parametrize("method", [pytest.param("POST", id="XAPI-00139-post"),
                                    pytest.param("PUT", id="XAPI-00139-put"),
                                    pytest.param("GET", id="XAPI-00139-get")])
def test_xapi_00139_statement_resource_is_base_iri_plus_statements(lrs, method):
    st = {**statement(), "id": str(uuid.uuid4())}
    if method == "POST":
        res = lrs.post(lrs.base + "statements", json=st)
        assert res.status_code == 200 and res.json() == [st["id"]]
    elif method == "PUT":
        res = lrs.put(lrs.base + "statements", params={"statementId": st["id"]}, json=st)
        assert res.status_code == 204 and res.content == b""
    else:
        res = lrs.get(lrs.base + "statements", params={"verb": "http://adlnet.gov/expapi/non/existent"})
        assert res.status_code == 200 and res.json()["statements"] == []


def test_xapi_00145_put_without_statement_id_is_400_and_stores_nothing(lrs):
    st = {**statement(), "id": str(uuid.uuid4())}
    res = lrs.put("statements", json=st)
    assert res.status_code == 400
    assert lrs.get("statements", params={"statementId": st["id"]}).status_code == 404


@pytest.mark.parametrize("method", [pytest.param("PUT", id="XAPI-00142-put"),
                                    pytest.param("POST", id="XAPI-00142-post")])
def test_xapi_00142_same_id_different_statement_does_not_modify_the_stored_one(lrs, method):
    original = {**statement(), "id": str(uuid.uuid4())}
    changed = {**original, "verb": {"id": "http://example.com/different/verb/iri"}}
    send = (lambda body: lrs.put("statements", params={"statementId": original["id"]}, json=body)) \
        if method == "PUT" else (lambda body: lrs.post("statements", json=body))
    assert send(original).status_code in (200, 204)
    before = lrs.get("statements", params={"statementId": original["id"]}).json()
    assert send(changed).status_code == 409
    after = lrs.get("statements", params={"statementId": original["id"]}).json()
    assert after == before and after["verb"] == original["verb"]


def test_xapi_00142_batch_using_one_id_twice_is_400_and_stores_nothing(lrs):
    st = {**statement(), "id": str(uuid.uuid4())}
    assert lrs.post("statements", json=[st, dict(st)]).status_code == 400
    assert lrs.get("statements", params={"statementId": st["id"]}).status_code == 404


def test_xapi_00156_00158_get_by_statement_id_returns_that_statement(lrs):
    st = {**statement(), "id": str(uuid.uuid4())}
    post(lrs, st)
    res = lrs.get("statements", params={"statementId": st["id"]})
    assert res.status_code == 200
    body = res.json()
    assert body["id"] == st["id"] and "statements" not in body
    assert body["actor"] == st["actor"] and body["object"] == st["object"]


def test_xapi_00155_00157_get_by_voided_statement_id_returns_the_voided_statement(lrs):
    voided = {**statement(), "id": str(uuid.uuid4())}
    post(lrs, voided)
    post(lrs, {**statement(), "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
               "object": {"objectType": "StatementRef", "id": voided["id"]}})
    res = lrs.get("statements", params={"voidedStatementId": voided["id"]})
    assert res.status_code == 200
    body = res.json()
    assert body["id"] == voided["id"] and body["verb"] == voided["verb"]
    assert lrs.get("statements", params={"statementId": voided["id"]}).status_code == 404


def test_xapi_00168_format_absent_returns_statements_exactly_as_received(lrs):
    group = {"objectType": "Group", "name": "Group of one", "mbox": mbox(),
             "member": [{"objectType": "Agent", "name": "Member", "mbox": mbox()}]}
    activity = {"objectType": "Activity", "id": f"http://www.example.com/unicode/{uuid.uuid4().hex}",
                "definition": {"name": {"en-US": "meeting", "fr-FR": "réunion", "ja-JP": "会議"},
                               "description": {"zh-CN": "汉语"}}}
    verb = {"id": f"http://example.com/verbs/{uuid.uuid4().hex}", "display": {"en-US": "attended", "de-DE": "ging"}}
    inner_verb = {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}}
    sub = {"objectType": "SubStatement", "actor": group, "verb": inner_verb, "object": activity}
    actor = {"objectType": "Agent", "name": "Exact", "mbox": mbox()}
    sid = post(lrs, {"actor": actor, "verb": verb, "object": sub})[0]
    listed = lrs.get("statements", params={"verb": verb["id"]})
    assert listed.status_code == 200
    [got] = listed.json()["statements"]
    assert got["id"] == sid
    assert got["actor"] == actor and got["verb"] == verb
    assert got["object"]["actor"] == group and got["object"]["verb"] == inner_verb
    assert got["object"]["object"] == activity
    exact = lrs.get("statements", params={"verb": verb["id"], "format": "exact"}).json()["statements"]
    assert exact == [got]


def _multipart(parts: list[tuple[dict, bytes]]) -> tuple[bytes, str]:
    boundary = "-------" + uuid.uuid4().hex
    body = b"".join(f"--{boundary}\r\n".encode() + "".join(f"{k}: {v}\r\n" for k, v in h.items()).encode()
                    + b"\r\n" + content + b"\r\n" for h, content in parts)
    return body + f"--{boundary}--\r\n".encode(), f"multipart/mixed; boundary={boundary}"


def test_xapi_00161_attachments_false_or_absent_returns_only_json(lrs):
    content = f"here is a simple attachment {uuid.uuid4()}".encode()
    sha2 = hashlib.sha256(content).hexdigest()
    st = statement(attachments=[{"usageType": "http://example.com/attachment-usage/test",
                                 "display": {"en-US": "A test attachment"}, "contentType": "text/plain",
                                 "length": len(content), "sha2": sha2}])
    body, ctype = _multipart([({"Content-Type": "application/json"}, json.dumps(st).encode()),
                              ({"Content-Type": "text/plain", "Content-Transfer-Encoding": "binary",
                                "X-Experience-API-Hash": sha2}, content)])
    res = lrs.post("statements", content=body, headers={"Content-Type": ctype})
    assert res.status_code == 200, res.text
    sid = res.json()[0]
    for params in ({"statementId": sid}, {"statementId": sid, "attachments": "false"},
                   {"agent": json.dumps(st["actor"]), "attachments": "false"}):
        got = lrs.get("statements", params=params)
        assert got.status_code == 200
        assert got.headers["content-type"].split(";")[0] == "application/json"
        assert content not in got.content
        parsed = got.json()
        one = parsed["statements"][0] if "statements" in parsed else parsed
        assert one["attachments"][0]["sha2"] == sha2
    with_data = lrs.get("statements", params={"statementId": sid, "attachments": "true"})
    assert with_data.headers["content-type"].startswith("multipart/mixed")
    assert content in with_data.content


# ======================================================= rejected requests change nothing

def test_xapi_00182_rejected_statement_batch_stores_none_of_it(lrs):
    good = {**statement(), "id": str(uuid.uuid4())}
    bad = {**statement(), "id": str(uuid.uuid4()), "verb": {"id": "should fail"}}
    assert lrs.post("statements", json=[good, bad]).status_code == 400
    assert lrs.get("statements", params={"statementId": good["id"]}).status_code == 404
    assert lrs.get("statements", params=q(agent=good["actor"])).json()["statements"] == []


def test_xapi_00182_rejected_document_requests_leave_the_document_alone(lrs):
    params, body = state(), doc()
    assert lrs.put("activities/state", params=params, json=body).status_code == 204
    assert lrs.put("activities/state", params={**params, "registration": "nope"}, json=doc()).status_code == 400
    assert lrs.post("activities/state", params=params, content=b"[1, 2]",
                    headers={"Content-Type": "application/json"}).status_code == 400
    assert lrs.delete("activities/state", params={**params, "agent": "not json"}).status_code == 400
    assert lrs.get("activities/state", params=params).json() == body
    fresh = state()
    assert lrs.put("activities/state", params={**fresh, "registration": "nope"}, json=body).status_code == 400
    assert lrs.get("activities/state", params=fresh).status_code == 404


# ================================================================================== state

def test_xapi_00230_00231_00189_post_to_base_iri_activities_state_is_204_and_stored(lrs):
    params, body = state(), doc()
    res = lrs.post(lrs.base + "activities/state", params=params, json=body)
    assert res.status_code == 204 and res.content == b""
    assert lrs.get(lrs.base + "activities/state", params=params).json() == body


def test_xapi_00188_00217_get_with_state_id_returns_200_and_the_document(lrs):
    params, body = state(), doc()
    assert lrs.post("activities/state", params=params, json=body).status_code == 204
    res = lrs.get("activities/state", params=params)
    assert res.status_code == 200
    assert res.json() == body
    assert res.headers["content-type"].split(";")[0] == "application/json"


def test_xapi_00187_00191_00216_delete_with_state_id_is_204_and_deletes_only_that_document(lrs):
    params, body = state(), doc()
    sibling = {**params, "stateId": str(uuid.uuid4())}
    assert lrs.post("activities/state", params=params, json=body).status_code == 204
    assert lrs.post("activities/state", params=sibling, json=body).status_code == 204
    res = lrs.delete("activities/state", params=params)
    assert res.status_code == 204 and res.content == b""
    assert lrs.get("activities/state", params=params).status_code == 404
    assert lrs.get("activities/state", params=sibling).json() == body


def test_xapi_00227_post_with_registration_is_processed_and_keyed_by_it(lrs):
    reg = str(uuid.uuid4())
    params, body = state(registration=reg), doc()
    assert lrs.post("activities/state", params=params, json=body).status_code == 204
    assert lrs.get("activities/state", params=params).json() == body
    assert lrs.get("activities/state", params=without(params, "registration")).status_code == 404
    assert lrs.get("activities/state", params={**params, "registration": str(uuid.uuid4())}).status_code == 404


# Each row: the method, how the parameters are spoiled, the id it cites.
BAD_STATE_REQUESTS = [
    pytest.param("GET", "activityId", None, id="XAPI-00208"),
    pytest.param("POST", "activityId", None, id="XAPI-00209"),
    pytest.param("PUT", "activityId", None, id="XAPI-00210"),
    pytest.param("DELETE", "agent", None, id="XAPI-00212"),
    pytest.param("GET", "agent", None, id="XAPI-00213"),
    pytest.param("PUT", "agent", None, id="XAPI-00215"),
    pytest.param("GET", "agent", "not JSON", id="XAPI-00197-not-json"),
    pytest.param("GET", "agent", "true", id="XAPI-00197-true"),
    pytest.param("POST", "agent", "not JSON", id="XAPI-00198-not-json"),
    pytest.param("POST", "agent", "true", id="XAPI-00198-true"),
    pytest.param("PUT", "agent", "not JSON", id="XAPI-00199-not-json"),
    pytest.param("PUT", "agent", "true", id="XAPI-00199-true"),
    pytest.param("GET", "registration", "true", id="XAPI-00201-true"),
    pytest.param("GET", "registration", "not-a-uuid", id="XAPI-00201-text"),
    pytest.param("POST", "registration", "true", id="XAPI-00202-true"),
    pytest.param("POST", "registration", "1234", id="XAPI-00202-number"),
    pytest.param("PUT", "registration", "true", id="XAPI-00203-true"),
    pytest.param("PUT", "registration", "1e0e3b4c-ffff-gggg-8ab2-0db1b26b5f05", id="XAPI-00203-almost"),
]


@pytest.mark.parametrize("method,param,value", BAD_STATE_REQUESTS)
def test_state_request_missing_or_invalid_parameter_is_400(lrs, method, param, value):
    params = state()
    params = without(params, param) if value is None else {**params, param: value}
    body = json.dumps(doc()).encode() if method in ("PUT", "POST") else None
    res = lrs.request(method, "activities/state", params=params, content=body,
                      headers={"Content-Type": "application/json"})
    assert res.status_code == 400
    assert res.headers["x-experience-api-version"] == lrs.version
    if method in ("PUT", "POST") and param != "activityId" and value is not None:
        # nothing stored under the well-formed key either
        fixed = {**params, param: state()[param]} if param == "agent" else without(params, "registration")
        assert lrs.get("activities/state", params=fixed).status_code == 404


# ========================================================================= agents resource

def person_of(lrs, actor: dict) -> dict:
    post(lrs, statement(actor=actor))
    res = lrs.get("agents", params=q(agent=actor))
    assert res.status_code == 200
    assert res.headers["content-type"].split(";")[0] == "application/json"
    return res.json()


def test_xapi_00245_agents_resource_is_base_iri_plus_agents(lrs):
    actor = {"objectType": "Agent", "name": "Base IRI", "mbox": mbox()}
    post(lrs, statement(actor=actor))
    res = lrs.get(lrs.base + "agents", params=q(agent=actor))
    assert res.status_code == 200 and res.json()["objectType"] == "Person"


def test_xapi_00236_agents_accepts_get_even_for_an_agent_never_seen(lrs):
    unseen = agent()
    res = lrs.get("agents", params=q(agent=unseen))
    assert res.status_code == 200
    assert res.json() == {"objectType": "Person", "account": [unseen["account"]]}


def test_xapi_00238_person_name_is_an_array_of_strings(lrs):
    actor = {"objectType": "Agent", "name": "Ada Lovelace", "mbox": mbox()}
    person = person_of(lrs, actor)
    assert person["name"] == ["Ada Lovelace"]
    assert all(isinstance(n, str) for n in person["name"])


def test_xapi_00239_00244_person_mbox_is_an_array_of_mailto_iris(lrs):
    actor = {"objectType": "Agent", "name": "Mailbox", "mbox": mbox()}
    person = person_of(lrs, actor)
    assert person["mbox"] == [actor["mbox"]]
    for item in person["mbox"]:
        assert re.fullmatch(r"mailto:[^@\s]+@[^@\s]+\.[^@\s]+", item)


def test_xapi_00240_person_mbox_sha1sum_is_an_array_of_strings(lrs):
    sha1 = hashlib.sha1(mbox().encode()).hexdigest()
    person = person_of(lrs, {"objectType": "Agent", "name": "Hashed", "mbox_sha1sum": sha1})
    assert person == {"objectType": "Person", "name": ["Hashed"], "mbox_sha1sum": [sha1]}


def test_xapi_00241_person_openid_is_an_array_of_strings(lrs):
    openid = f"http://openid.example.org/{uuid.uuid4().hex}"
    person = person_of(lrs, {"objectType": "Agent", "name": "Open", "openid": openid})
    assert person == {"objectType": "Person", "name": ["Open"], "openid": [openid]}


def test_xapi_00242_person_account_is_an_array_of_account_objects(lrs):
    account = {"homePage": "http://www.example.com", "name": uuid.uuid4().hex}
    person = person_of(lrs, {"objectType": "Agent", "name": "Account", "account": account})
    assert person == {"objectType": "Person", "name": ["Account"], "account": [account]}
    assert all(isinstance(a, dict) and set(a) == {"homePage", "name"} for a in person["account"])


# ===================================================================== activities resource

def test_xapi_00253_activities_accepts_get(lrs):
    st = statement()
    post(lrs, st)
    res = lrs.get(lrs.base + "activities", params={"activityId": st["object"]["id"]})
    assert res.status_code == 200
    assert res.json()["id"] == st["object"]["id"] and res.json()["objectType"] == "Activity"


def test_xapi_00254_activity_holds_everything_known_from_all_statements(lrs):
    iri = f"http://www.example.com/verify/complete/{uuid.uuid4().hex}"
    first = statement(object={"objectType": "Activity", "id": iri, "definition": {
        "name": {"en-US": "example meeting"}, "description": {"en-US": "a meeting"},
        "type": "http://adlnet.gov/expapi/activities/meeting"}})
    second = statement(object={"objectType": "Activity", "id": iri, "definition": {
        "name": {"fr-FR": "réunion"}, "type": "http://adlnet.gov/expapi/activities/meeting"}})
    post(lrs, [first, second])
    res = lrs.get("activities", params={"activityId": iri})
    assert res.status_code == 200
    definition = res.json()["definition"]
    assert definition["name"] == {"en-US": "example meeting", "fr-FR": "réunion"}
    assert definition["description"] == {"en-US": "a meeting"}
    assert definition["type"] == "http://adlnet.gov/expapi/activities/meeting"


# ========================================================================== about resource

def test_xapi_00315_00319_about_is_base_iri_plus_about_and_has_a_version(lrs):
    res = lrs.get(lrs.base + "about")
    assert res.status_code == 200
    assert "version" in res.json()


def test_xapi_00318_about_version_is_an_array_of_strings(lrs):
    version = lrs.get("about").json()["version"]
    assert isinstance(version, list) and version
    assert all(isinstance(v, str) for v in version)


def test_xapi_00317_about_version_lists_the_version_under_test(lrs):
    assert lrs.version in lrs.get("about").json()["version"]


def test_xapi_00316_about_version_only_has_valid_version_values(lrs):
    version = lrs.get("about").json()["version"]
    assert all(re.fullmatch(r"0\.9|0\.95|1\.0\.\d+|2\.0\.\d+", v) for v in version), version
    assert {"1.0.3", "2.0.0"} <= set(version)
    assert len(set(version)) == len(version)


@pytest.mark.parametrize("path,params", [
    pytest.param("statements", {}, id="XAPI-00321-statements"),
    pytest.param("activities", {"activityId": ACTIVITY}, id="XAPI-00321-activities"),
    pytest.param("activities/profile", {"activityId": ACTIVITY}, id="XAPI-00321-activities-profile"),
    pytest.param("activities/state", {"activityId": ACTIVITY, "agent": json.dumps(agent())},
                 id="XAPI-00321-activities-state"),
    pytest.param("agents", {"agent": json.dumps(agent())}, id="XAPI-00321-agents"),
    pytest.param("agents/profile", {"agent": json.dumps(agent())}, id="XAPI-00321-agents-profile"),
])
def test_xapi_00321_request_without_version_header_is_400_except_about(live_server, path, params):
    creds = live_server.default_app
    base = f"{live_server.base_url}/lrs/{creds.app_id}/"
    res = httpx.get(base + path, params=params, auth=(creds.app_id, creds.secret), timeout=30)
    assert res.status_code == 400
    assert re.fullmatch(r"2\.0\.\d+|1\.0\.\d+", res.headers["x-experience-api-version"])
    # the same request with the header is fine, so the header was the only fault
    ok = httpx.get(base + path, params=params, auth=(creds.app_id, creds.secret),
                   headers={"X-Experience-API-Version": "1.0.3"}, timeout=30)
    assert ok.status_code == 200
    about = httpx.get(base + "about", auth=(creds.app_id, creds.secret), timeout=30)
    assert about.status_code == 200 and "version" in about.json()
