"""Conformance requirements of ADL's LRS suite on statements, content types, encoding, versioning
and authentication (xAPI 1.0.3 Data §2.2-4.5, Communication §1.1-4.0; 9274.1.1 4.1.x-4.2.x),
against a live server on every backend. Each test names the XAPI-00xxx ids it covers; the checks
are ours, written from what each requirement asks."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.contract.helpers import XAPI_VERSIONS, LrsClient
from tests.factories.xapi import statement

BOUNDARY = "-------314159265358979323846"
STORED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,}(Z|[+-]\d\d:\d\d)$")


def get_statement(lrs, sid: str) -> dict:
    res = lrs.get("statements", params={"statementId": sid})
    assert res.status_code == 200, res.text
    return res.json()


def assert_absent(lrs, sid: str) -> None:
    """A rejected request leaves nothing behind."""
    assert lrs.get("statements", params={"statementId": sid}).status_code == 404


def assert_400(res: httpx.Response) -> None:
    assert res.status_code == 400, (res.status_code, res.text)
    assert res.headers["content-type"].startswith("application/json")
    assert res.json()["message"]


# --- Data 2.2 formatting ---------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {"statementId": "wrong"}, {"voidedStatementId": "wrong"}, {"agent": "wrong"},
    {"agent": json.dumps({"mbox": "not-a-mailto"})}, {"verb": "not.a.valid.iri.com/verb"},
    {"activity": "not.a.valid.iri.com/activity"}, {"registration": "wrong"},
    {"since": "2012-13-45T99:00:00Z"}, {"until": "not a time"},
])
def test_xapi_00012_query_values_validate_like_statement_values(lrs, params):
    assert_400(lrs.get("statements", params=params))


def test_xapi_00014_objects_must_be_well_formed_json(lrs):
    st = {**statement(), "id": str(uuid.uuid4())}
    broken = {**st, "actor": {**st["actor"], "objectType": '"objectType": "Agent"'}}
    assert_400(lrs.post("statements", json=broken))
    assert_400(lrs.post("statements", content=json.dumps(st)[:-1].encode(), headers={"Content-Type": "application/json"}))
    assert_400(lrs.post("statements", content=b'{"actor": {}, "actor": ', headers={"Content-Type": "application/json"}))
    assert_400(lrs.post("statements", json=[st, "not an object"]))
    assert_absent(lrs, st["id"])


def test_xapi_00015_strings_are_utf8(lrs):
    display = {"en-US": "tested ✓", "zh-CN": "测试", "ar": "اختبار", "ru": "тест", "ja": "テスト 🎓",
               "el": "δοκιμή", "he": "בדיקה"}
    st = statement(verb={"id": f"http://example.com/unicode/{uuid.uuid4().hex}", "display": display})
    body = json.dumps(st, ensure_ascii=False).encode("utf-8")
    res = lrs.post("statements", content=body, headers={"Content-Type": "application/json"})
    assert res.status_code == 200, res.text
    got = lrs.get("statements", params={"verb": st["verb"]["id"]})
    assert got.status_code == 200
    assert json.loads(got.content.decode("utf-8"))["statements"][0]["verb"]["display"] == display
    # Latin-1 bytes are not UTF-8: refused rather than read as something else
    latin1 = json.dumps(statement(verb={"id": "http://example.com/v", "display": {"fr": "été"}}),
                        ensure_ascii=False).encode("latin-1")
    assert_400(lrs.post("statements", content=latin1, headers={"Content-Type": "application/json"}))


# --- Data 2.4 statement properties -----------------------------------------------------------------------

def test_xapi_00026_lrs_generates_the_id(lrs):
    ids = lrs.post("statements", json=[statement(), statement()])
    assert ids.status_code == 200, ids.text
    first, second = ids.json()
    assert first != second
    for sid in (first, second):
        assert str(uuid.UUID(sid)) == sid
        assert get_statement(lrs, sid)["id"] == sid


def test_xapi_00023_00097_stored_is_assigned_by_the_lrs_as_a_timestamp(lrs):
    given = "2011-07-15T00:00:00.000Z"
    before = datetime.now(UTC) - timedelta(seconds=5)
    posted = lrs.post("statements", json=statement(stored=given))
    assert posted.status_code == 200, posted.text
    put_id = str(uuid.uuid4())
    assert lrs.put("statements", params={"statementId": put_id}, json=statement(stored=given)).status_code == 204
    after = datetime.now(UTC) + timedelta(seconds=5)
    for sid in (posted.json()[0], put_id):
        stored = get_statement(lrs, sid)["stored"]
        assert stored != given
        assert STORED.match(stored), stored
        assert before <= datetime.fromisoformat(stored.replace("Z", "+00:00")) <= after


def test_xapi_00099_authority_is_filled_in_from_the_credentials(lrs, live_server):
    app_id = live_server.default_app.app_id
    sid = lrs.post("statements", json=statement()).json()[0]
    authority = get_statement(lrs, sid)["authority"]
    assert authority["objectType"] == "Agent"
    assert authority["account"]["name"] == app_id
    assert authority["account"]["homePage"].endswith(f"/lrs/{app_id}")


@pytest.mark.parametrize("kind", ["parent", "grouping", "category", "other"])
def test_xapi_00096_context_activities_come_back_as_arrays(lrs, kind):
    activity = {"objectType": "Activity", "id": f"http://example.com/ctx/{uuid.uuid4().hex}"}
    context = {"contextActivities": {kind: activity}}
    sub = {"objectType": "SubStatement", "actor": {"mbox": "mailto:sub@example.com"},
           "verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/o"}, "context": context}
    sids = lrs.post("statements", json=[statement(context=context), statement(object=sub)]).json()
    top = get_statement(lrs, sids[0])
    assert top["context"]["contextActivities"][kind] == [activity]
    nested = get_statement(lrs, sids[1])
    assert nested["object"]["context"]["contextActivities"][kind] == [activity]


# --- Data 4.5 timestamps ---------------------------------------------------------------------------------

@pytest.mark.parametrize("given, millis", [
    ("2013-05-18T05:32:34.804789Z", ".804"), ("2013-05-18T05:32:34.123456789+00:00", ".123"),
    ("2013-05-18T05:32:34.007Z", ".007"),
])
def test_xapi_00122_timestamps_keep_milliseconds(lrs, given, millis):
    sid = lrs.post("statements", json=statement(timestamp=given)).json()[0]
    got = get_statement(lrs, sid)
    match = re.match(r"^2013-05-18T05:32:34(\.\d+)", got["timestamp"])
    assert match and len(match.group(1)) >= 4 and match.group(1).startswith(millis), got["timestamp"]
    assert STORED.match(got["stored"]), got["stored"]


# --- Communication 1.1 HEAD ------------------------------------------------------------------------------

def test_xapi_00126_head_is_accepted_on_every_resource(lrs):
    st = statement()
    assert lrs.post("statements", json=st).status_code == 200
    agent = json.dumps(st["actor"])
    activity = st["object"]["id"]
    state = {"activityId": activity, "agent": agent, "stateId": "s1"}
    aprofile = {"activityId": activity, "profileId": "p1"}
    gprofile = {"agent": agent, "profileId": "p1"}
    for path, params in (("activities/state", state), ("activities/profile", aprofile),
                         ("agents/profile", gprofile)):
        assert lrs.post(path, params=params, json={"k": 1}).status_code == 204
    for path, params in (("statements", {}), ("statements", {"agent": agent}), ("activities", {"activityId": activity}),
                         ("agents", {"agent": agent}), ("activities/state", state),
                         ("activities/profile", aprofile), ("agents/profile", gprofile)):
        head = lrs.head(path, params=params)
        assert head.status_code == 200, (path, head.status_code)
        assert head.content == b""
        assert head.headers["X-Experience-API-Version"] == lrs.version
    head = lrs.head("statements", params={"statementId": str(uuid.uuid4())})
    assert head.status_code == 404 and head.content == b""


# --- Communication 1.5 content types (attachments) -------------------------------------------------------

def _att(content: bytes, **extra) -> dict:
    return {"usageType": "http://example.com/attachment-usage/test", "display": {"en-US": "A test attachment"},
            "contentType": "text/plain", "length": len(content), "sha2": hashlib.sha256(content).hexdigest(), **extra}


def _part(content: bytes, *, ctype="text/plain", sha2: str | None = None, cte: str | None = "binary") -> bytes:
    head = f"Content-Type: {ctype}\r\n"
    if cte:
        head += f"Content-Transfer-Encoding: {cte}\r\n"
    if sha2:
        head += f"X-Experience-API-Hash: {sha2}\r\n"
    return head.encode() + b"\r\n" + content + b"\r\n"


def _json_part(st) -> bytes:
    return b"Content-Type: application/json\r\n\r\n" + json.dumps(st).encode() + b"\r\n"


def _body(*parts: bytes, leading=True) -> bytes:
    sep = f"--{BOUNDARY}\r\n".encode()
    out = b""
    for i, part in enumerate(parts):
        out += (sep if leading or i else b"") + part
    return out + f"--{BOUNDARY}--\r\n".encode()


def _send(lrs, body: bytes, ctype=f"multipart/mixed; boundary={BOUNDARY}"):
    return lrs.post("statements", content=body, headers={"Content-Type": ctype})


def test_xapi_00127_attachments_need_json_or_multipart_mixed(lrs):
    text = f"here is a simple attachment {uuid.uuid4()}".encode()
    by_url = {**statement(), "attachments": [_att(text, fileUrl="http://over.there.com/file.txt")]}
    assert lrs.post("statements", json=by_url).status_code == 200
    form_data = f"multipart/form-data; boundary={BOUNDARY}"
    assert_400(_send(lrs, json.dumps(by_url).encode(), form_data))
    raw_id = str(uuid.uuid4())
    raw = {**statement(), "id": raw_id, "attachments": [_att(text)]}
    raw_body = _body(_json_part(raw), _part(text, sha2=raw["attachments"][0]["sha2"]))
    assert_400(_send(lrs, raw_body, form_data))
    assert_400(lrs.post("statements", content=raw_body, headers={"Content-Type": "text/plain"}))
    assert_absent(lrs, raw_id)
    assert _send(lrs, raw_body).status_code == 200
    assert get_statement(lrs, raw_id)["attachments"][0]["sha2"] == raw["attachments"][0]["sha2"]
    # multipart/mixed with the statement part only: fine for fileUrl attachments and for none
    assert _send(lrs, _body(_json_part({**by_url, "id": str(uuid.uuid4())}))).status_code == 200
    assert _send(lrs, _body(_json_part(statement()))).status_code == 200


def _two_attachments():
    one = f"here is a simple attachment {uuid.uuid4()}".encode()
    two = f"here is another simple attachment {uuid.uuid4()}".encode()
    st = {**statement(), "id": str(uuid.uuid4()), "attachments": [_att(one), _att(two)]}
    return st, one, two


def test_xapi_00128_excess_parts_that_are_not_attachments_are_400(lrs):
    st, one, two = _two_attachments()
    three = b"a third part nobody declared"
    parts = [_json_part(st), _part(one, sha2=st["attachments"][0]["sha2"]),
             _part(two, sha2=st["attachments"][1]["sha2"])]
    assert_400(_send(lrs, _body(*parts, _part(three, sha2=hashlib.sha256(three).hexdigest()))))
    assert_absent(lrs, st["id"])
    assert _send(lrs, _body(*parts)).status_code == 200  # the same without the excess part


def test_xapi_00129_missing_part_for_a_raw_attachment_is_400(lrs):
    st, one, two = _two_attachments()
    assert_400(_send(lrs, _body(_json_part(st), _part(one, sha2=st["attachments"][0]["sha2"]))))
    assert_400(lrs.post("statements", json=st))  # application/json, attachments without fileUrl
    assert_absent(lrs, st["id"])


def _one_attachment():
    text = f"here is a simple attachment {uuid.uuid4()}".encode()
    st = {**statement(), "id": str(uuid.uuid4()), "attachments": [_att(text)]}
    return st, text, st["attachments"][0]["sha2"]


def test_xapi_00130_each_part_needs_a_boundary_before_it(lrs):
    st, text, sha2 = _one_attachment()
    assert_400(_send(lrs, _body(_json_part(st), _part(text, sha2=sha2), leading=False)))
    # the second part's headers glued to the first part, no boundary between them
    glued = f"--{BOUNDARY}\r\n".encode() + _json_part(st) + _part(text, sha2=sha2) + f"--{BOUNDARY}--\r\n".encode()
    assert_400(_send(lrs, glued))
    assert_absent(lrs, st["id"])


def test_xapi_00131_multipart_needs_a_boundary_parameter(lrs):
    st, text, sha2 = _one_attachment()
    body = _body(_json_part(st), _part(text, sha2=sha2))
    assert_400(_send(lrs, body, "multipart/mixed;"))
    assert_400(_send(lrs, body, "multipart/mixed"))
    assert_400(_send(lrs, body, "multipart/mixed; boundary=some-other-boundary"))
    assert_absent(lrs, st["id"])
    assert _send(lrs, body).status_code == 200


def test_xapi_00132_attachment_parts_need_a_declared_hash(lrs):
    st, text, sha2 = _one_attachment()
    assert_400(_send(lrs, _body(_json_part(st), _part(text))))
    other = "b018994f8bbe0f08992a65c48c8c8c56f09e9baceaa6227ed85c90ae52b73c89"
    assert_400(_send(lrs, _body(_json_part(st), _part(text, sha2=other))))
    assert_absent(lrs, st["id"])


def test_xapi_00133_all_statements_are_in_the_first_part(lrs):
    st, text, sha2 = _one_attachment()
    assert_400(_send(lrs, _body(_json_part(st), _json_part(st), _part(text, sha2=sha2))))
    second = {**statement(), "id": str(uuid.uuid4())}
    assert_400(_send(lrs, _body(_json_part(st), _part(text, sha2=sha2), _json_part(second))))
    assert_absent(lrs, st["id"])
    assert_absent(lrs, second["id"])


def test_xapi_00134_first_part_is_application_json(lrs):
    st, text, sha2 = _one_attachment()
    first = b"Content-Type: text/plain\r\n\r\n" + json.dumps(st).encode() + b"\r\n"
    assert_400(_send(lrs, _body(first, _part(text, sha2=sha2))))
    no_type = b"\r\n" + json.dumps(st).encode() + b"\r\n"
    assert_400(_send(lrs, _body(no_type, _part(text, sha2=sha2))))
    assert_absent(lrs, st["id"])


@pytest.mark.parametrize("cte", ["base64", "quoted-printable", None])
def test_xapi_00135_attachment_parts_are_binary(lrs, cte):
    st, text, sha2 = _one_attachment()
    content = base64.b64encode(text) if cte == "base64" else text
    assert_400(_send(lrs, _body(_json_part(st), _part(content, sha2=sha2, cte=cte))))
    assert_absent(lrs, st["id"])


# --- Communication 1.3 alternate request syntax (1.0.3) --------------------------------------------------

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_xapi_00148_alternate_get_returns_a_statement_result(lrs_103):
    res = lrs_103.post("statements", params={"method": "GET"}, data={"limit": "1"}, headers=FORM)
    assert res.status_code == 200, res.text
    body = res.json()
    assert set(body) >= {"statements", "more"} and len(body["statements"]) <= 1
    assert "X-Experience-API-Consistent-Through" in res.headers


def test_xapi_00336_alternate_request_syntax(lrs_103, live_server):
    creds = live_server.default_app
    st = statement()
    # PUT issued as a POST, headers in the form (Authorization too)
    sid = str(uuid.uuid4())
    auth = "Basic " + base64.b64encode(f"{creds.app_id}:{creds.secret}".encode()).decode()
    with httpx.Client(base_url=str(lrs_103.base_url), timeout=30) as bare:
        res = bare.post("statements", params={"method": "PUT"}, headers=FORM,
                        data={"statementId": sid, "content": json.dumps(st), "X-Experience-API-Version": "1.0.3",
                              "Authorization": auth})
    assert res.status_code == 204, res.text
    assert get_statement(lrs_103, sid)["verb"]["id"] == st["verb"]["id"]
    # the alternate syntax is only a POST
    assert_400(lrs_103.put("statements", params={"method": "POST"}, headers=FORM,
                           content=f"content={json.dumps(st)}".encode()))
    # form fields that are headers are headers: a bad version in the form is 400
    bad = str(uuid.uuid4())
    assert_400(lrs_103.post("statements", params={"method": "PUT"}, headers=FORM,
                            data={"statementId": bad, "X-Experience-API-Version": "0.8", "content": json.dumps(st)}))
    # any other query parameter is extra information
    assert_400(lrs_103.post("statements", params={"method": "PUT", "statementId": bad}, headers=FORM,
                            data={"statementId": bad, "content": json.dumps(st)}))
    # no content; content not form-encoded
    assert_400(lrs_103.post("statements", params={"method": "PUT"}, headers=FORM))
    assert_400(lrs_103.post("statements", params={"method": "PUT"}, headers=FORM,
                            content=json.dumps({"statementId": bad, "content": json.dumps(st)}).encode()))
    assert_absent(lrs_103, bad)


def test_xapi_00336_alternate_request_syntax_is_not_in_2_0(live_server):
    with LrsClient(live_server, "2.0.0") as lrs:
        res = lrs.post("statements", params={"method": "GET"}, data={"limit": "1"}, headers=FORM)
        assert_400(res)


# --- Communication 3.2 error codes -----------------------------------------------------------------------

@pytest.mark.parametrize("path, params", [
    ("statements", {"foo": "bar"}),
    ("statements", {"statementId": "00000000-0000-4000-8000-000000000000", "foo": "bar"}),
    ("activities", {"activityId": "http://example.com/a", "foo": "bar"}),
    ("agents", {"agent": '{"mbox":"mailto:a@example.com"}', "foo": "bar"}),
    ("activities/state", {"activityId": "http://example.com/a", "agent": '{"mbox":"mailto:a@example.com"}',
                          "foo": "bar"}),
    ("activities/profile", {"activityId": "http://example.com/a", "foo": "bar"}),
    ("agents/profile", {"agent": '{"mbox":"mailto:a@example.com"}', "foo": "bar"}),
])
def test_xapi_00324_unrecognized_parameters_are_400(lrs, path, params):
    assert_400(lrs.get(path, params=params))


@pytest.mark.parametrize("params", [
    pytest.param({"StatementId": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"}, id="StatementId"),
    pytest.param({"VoidedStatementId": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"}, id="VoidedStatementId"),
    pytest.param({"Agent": '{"mbox":"mailto:a@example.com"}'}, id="Agent"),
    pytest.param({"Verb": "http://adlnet.gov/expapi/verbs/attended"}, id="Verb"),
    pytest.param({"Activity": "http://www.example.com/meetings/occurances/34534"}, id="Activity"),
    pytest.param({"Registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"}, id="Registration"),
    pytest.param({"Related_Activities": "true"}, id="Related_Activities"),
    pytest.param({"Related_Agents": "true"}, id="Related_Agents"),
    pytest.param({"Since": "2012-06-01T19:09:13.245Z"}, id="Since"),
    pytest.param({"Until": "2012-06-01T19:09:13.245Z"}, id="Until"),
    pytest.param({"Limit": "10"}, id="Limit"),
    pytest.param({"Format": "ids"}, id="Format"),
    pytest.param({"Attachments": "true"}, id="Attachments"),
    pytest.param({"Ascending": "true"}, id="Ascending"),
])
def test_xapi_00325_parameter_names_are_case_sensitive_on_get(lrs, params):
    assert_400(lrs.get("statements", params=params))


def test_xapi_00325_parameter_names_are_case_sensitive_on_put(lrs):
    sid = str(uuid.uuid4())
    assert_400(lrs.put("statements", params={"StatementId": sid}, json={**statement(), "id": sid}))
    assert_absent(lrs, sid)


# --- Communication 3.3 versioning ------------------------------------------------------------------------

def test_xapi_00330_statements_are_not_rewritten_to_an_older_version(lrs):
    st = {**statement(), "id": str(uuid.uuid4())}
    st["actor"]["name"] = "Róisín"
    st["verb"]["display"] = {"en-US": "attended", "en-GB": "attended"}
    st["object"]["definition"] = {"name": {"en-US": "Thing"}, "description": {"en-US": "A thing"},
                                  "type": "http://adlnet.gov/expapi/activities/meeting",
                                  "moreInfo": "http://example.com/more"}
    assert lrs.post("statements", json=st).status_code == 200
    got = get_statement(lrs, st["id"])
    assert (got["actor"], got["verb"], got["object"]) == (st["actor"], st["verb"], st["object"])
    assert got["version"].startswith("2.0" if lrs.version == "2.0.0" else "1.0")


@pytest.mark.parametrize("version", XAPI_VERSIONS)
def test_xapi_00331_version_header_is_required_except_on_about(live_server, version):
    with LrsClient(live_server, None) as bare, LrsClient(live_server, version) as lrs:
        latest = live_server.services.settings.lrs_latest_version
        about = bare.get("about")
        assert about.status_code == 200 and "1.0.3" in about.json()["version"]
        sid = str(uuid.uuid4())
        assert lrs.put("statements", params={"statementId": sid}, json=statement()).status_code == 204
        for res in (bare.get("statements", params={"statementId": sid}), bare.post("statements", json=statement()),
                    bare.put("statements", params={"statementId": str(uuid.uuid4())}, json=statement()),
                    bare.get("statements", headers={"X-Experience-API-Version": "BAD"}),
                    bare.get("statements", headers={"X-Experience-API-Version": "0.95"}),
                    bare.get("statements", headers={"X-Experience-API-Version": "3.0.0"})):
            assert_400(res)
            assert res.headers["X-Experience-API-Version"] == latest
        major = version.rsplit(".", 1)[0]
        assert bare.get("statements", params={"statementId": sid},
                        headers={"X-Experience-API-Version": major}).status_code == 200


@pytest.mark.parametrize("sent, answered", [
    ("1.0", "1.0.3"), ("1.0.0", "1.0.3"), ("1.0.1", "1.0.3"), ("1.0.3", "1.0.3"), ("2.0", "2.0.0"),
    ("2.0.0", "2.0.0"),
])
def test_xapi_00333_response_names_the_latest_patch_version(live_server, sent, answered):
    with LrsClient(live_server, sent) as lrs:
        posted = lrs.post("statements", json=statement())
        assert posted.status_code == 200 and posted.headers["X-Experience-API-Version"] == answered
        got = lrs.get("statements", params={"statementId": posted.json()[0]})
        assert got.status_code == 200 and got.headers["X-Experience-API-Version"] == answered
        missing = lrs.get("statements", params={"statementId": str(uuid.uuid4())})
        assert missing.status_code == 404 and missing.headers["X-Experience-API-Version"] == answered


# --- Communication 4.0 authentication --------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [
    pytest.param("Basic " + base64.b64encode(b"RobCIsNot:AUserOnThisLRS123").decode(), id="unknown-pair"),
    pytest.param("Basic:" + base64.b64encode(b"RobCIsNot:AUserOnThisLRS").decode(), id="malformed"),
    pytest.param("Basic not-base64!", id="not-base64"),
    pytest.param(None, id="none"),
])
def test_xapi_00334_bad_credentials_are_401(live_server, lrs, authorization):
    creds = live_server.default_app
    wrong_secret = "Basic " + base64.b64encode(f"{creds.app_id}:wrong".encode()).decode()
    for value in (authorization, wrong_secret):
        headers = {"X-Experience-API-Version": lrs.version}
        if value:
            headers["Authorization"] = value
        with httpx.Client(base_url=str(lrs.base_url), headers=headers, timeout=30) as bad:
            sid = str(uuid.uuid4())
            res = bad.put("statements", params={"statementId": sid}, json=statement())
            assert res.status_code == 401, res.text
            assert res.headers["WWW-Authenticate"].lower().startswith("basic")
            assert bad.get("statements").status_code == 401
            assert bad.get("statements", headers={"X-Experience-API-Version": "BAD"}).status_code in (400, 401)
            assert_absent(lrs, sid)


def test_xapi_00335_http_basic_authentication(live_server, lrs):
    creds = live_server.default_app
    value = "Basic " + base64.b64encode(f"{creds.app_id}:{creds.secret}".encode()).decode()
    headers = {"X-Experience-API-Version": lrs.version, "Authorization": value}
    with httpx.Client(base_url=str(lrs.base_url), headers=headers, timeout=30) as basic:
        sid = str(uuid.uuid4())
        assert basic.put("statements", params={"statementId": sid}, json=statement()).status_code == 204
        assert basic.get("statements", params={"statementId": sid}).json()["id"] == sid
