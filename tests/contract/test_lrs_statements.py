"""The statements resource against a live server (xAPI 1.0.3 Communication §2.1; 9274.1.1
4.1.6.1), on every backend. Test names carry the XAPI-00xxx ids of ADL's suite."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.factories.xapi import statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def post(lrs, body, status=200):
    res = lrs.post("statements", json=body)
    assert res.status_code == status, res.text
    return res


def test_xapi_00146_post_returns_ids_and_get_returns_the_statement(lrs):
    st = statement()
    ids = post(lrs, [st, statement()]).json()
    assert len(ids) == 2 and len(set(ids)) == 2
    got = lrs.get("statements", params={"statementId": ids[0]})
    assert got.status_code == 200
    body = got.json()
    assert body["id"] == ids[0] and body["actor"] == st["actor"]
    assert body["stored"].endswith("Z") and len(body["stored"]) == 24  # ms precision, UTC
    assert body["version"] == ("2.0.0" if lrs.version == "2.0.0" else "1.0.0")
    assert body["authority"]["objectType"] == "Agent"
    assert "X-Experience-API-Consistent-Through" in got.headers and "Last-Modified" in got.headers


def test_xapi_00143_put_204_and_00142_same_statement_is_no_op_different_is_409(lrs):
    sid = str(uuid.uuid4())
    st = statement()
    assert lrs.put("statements", params={"statementId": sid}, json=st).status_code == 204
    stored = lrs.get("statements", params={"statementId": sid}).json()["stored"]
    assert lrs.put("statements", params={"statementId": sid}, json=st).status_code == 204
    assert lrs.post("statements", json={**st, "id": sid}).status_code == 200
    changed = {**st, "verb": {"id": "http://example.com/other"}}
    assert lrs.put("statements", params={"statementId": sid}, json=changed).status_code == 409
    assert lrs.post("statements", json={**changed, "id": sid}).status_code == 409
    assert lrs.get("statements", params={"statementId": sid}).json()["stored"] == stored


def test_xapi_00144_put_needs_statement_id(lrs):
    assert lrs.put("statements", json=statement()).status_code == 400
    sid = str(uuid.uuid4())
    other = str(uuid.uuid4())
    assert lrs.put("statements", params={"statementId": sid}, json={**statement(), "id": other}).status_code == 400


def test_xapi_00326_batch_is_all_or_nothing(lrs):
    good = {**statement(), "id": str(uuid.uuid4())}
    bad = {**statement(), "verb": {"id": "not an iri"}}
    assert lrs.post("statements", json=[good, bad]).status_code == 400
    dup = str(uuid.uuid4())
    assert lrs.post("statements", json=[{**statement(), "id": dup}, {**statement(), "id": dup}]).status_code == 400
    assert lrs.get("statements", params={"statementId": good["id"]}).status_code == 404
    assert lrs.get("statements", params={"statementId": dup}).status_code == 404


def test_xapi_00018_00163_voided_statements_only_by_voided_statement_id(lrs):
    st = statement()
    target = post(lrs, st).json()[0]
    voiding = post(lrs, statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target})).json()[0]
    assert lrs.get("statements", params={"statementId": target}).status_code == 404
    assert lrs.get("statements", params={"voidedStatementId": target}).json()["id"] == target
    listed = lrs.get("statements", params={"agent": json.dumps(st["actor"])}).json()["statements"]
    # XAPI-00162: the voided statement is left out, the voiding statement that targets it matches
    assert [s["id"] for s in listed] == [voiding]
    # XAPI-00016: a voiding statement cannot be voided
    post(lrs, statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": voiding}))
    assert lrs.get("statements", params={"statementId": voiding}).status_code == 200


def test_xapi_00164_statement_ref_filter_rule(lrs):
    st = statement()
    target = post(lrs, st).json()[0]
    ref = post(lrs, statement(object={"objectType": "StatementRef", "id": target})).json()[0]
    found = lrs.get("statements", params={"activity": st["object"]["id"]}).json()["statements"]
    assert {s["id"] for s in found} == {target, ref}


def test_xapi_00181_00180_00179_00178_00176_filters(lrs):
    reg = str(uuid.uuid4())
    team = {"objectType": "Group", "mbox": f"mailto:{uuid.uuid4().hex}@example.com"}
    parent = f"http://example.com/p/{uuid.uuid4().hex}"
    st = statement(context={"registration": reg, "team": team,
                            "contextActivities": {"parent": {"id": parent}}})
    sid = post(lrs, st).json()[0]
    post(lrs, statement())

    def ids(**params):
        res = lrs.get("statements", params=params)
        assert res.status_code == 200, res.text
        return [s["id"] for s in res.json()["statements"]]

    assert ids(agent=json.dumps(st["actor"])) == [sid]
    assert ids(agent=json.dumps(team)) == []
    assert ids(agent=json.dumps(team), related_agents="true") == [sid]
    assert ids(activity=parent) == []
    assert ids(activity=parent, related_activities="true") == [sid]
    assert ids(registration=reg) == [sid]
    assert ids(registration=reg, verb="http://example.com/none") == []


def test_xapi_00173_00166_limit_ascending_and_more_paging(lrs):
    actor = {"mbox": f"mailto:{uuid.uuid4().hex}@example.com"}
    sent = post(lrs, [statement(actor=actor) for _ in range(5)]).json()
    seen = []
    url = "statements?" + httpx.QueryParams({"agent": json.dumps(actor), "limit": "2", "ascending": "true"}).__str__()
    while url:
        res = lrs.get(url) if not url.startswith("/") else lrs.get(lrs.root + url)
        assert res.status_code == 200, res.text
        page = res.json()
        assert len(page["statements"]) <= 2
        seen += [s["id"] for s in page["statements"]]
        url = page["more"]
    assert seen == sent  # one batch: same stored, ordered by arrival
    desc = lrs.get("statements", params={"agent": json.dumps(actor)}).json()
    assert [s["id"] for s in desc["statements"]] == sent[::-1] and desc["more"] == ""


def test_xapi_00175_00174_since_and_until(lrs):
    actor = {"mbox": f"mailto:{uuid.uuid4().hex}@example.com"}
    first = post(lrs, statement(actor=actor)).json()[0]
    stored = lrs.get("statements", params={"statementId": first}).json()["stored"]
    second = post(lrs, statement(actor=actor)).json()[0]
    agent = json.dumps(actor)
    assert [s["id"] for s in lrs.get("statements", params={"agent": agent, "since": stored}).json()["statements"]] \
        == [second]
    assert [s["id"] for s in lrs.get("statements", params={"agent": agent, "until": stored}).json()["statements"]] \
        == [first]


@pytest.mark.parametrize("params", [
    {"foo": "bar"}, {"limit": "-1"}, {"since": "yesterday"}, {"registration": "nope"}, {"format": "short"},
    {"agent": "{}"}, {"ascending": "maybe"},
    {"statementId": "00000000-0000-4000-8000-000000000000", "agent": '{"mbox":"mailto:a@b.c"}'},
    {"statementId": "00000000-0000-4000-8000-000000000000", "voidedStatementId": "00000000-0000-4000-8000-000000000000"},
])
def test_xapi_00150_00151_00153_bad_query_parameters_are_400_with_consistent_through(lrs, params):
    res = lrs.get("statements", params=params)
    assert res.status_code == 400
    assert "X-Experience-API-Consistent-Through" in res.headers


def test_xapi_00171_00169_00172_formats(lrs):
    st = statement(verb={"id": "http://example.com/v", "display": {"en-US": "did", "fr": "a fait"}},
                   object={"id": f"http://example.com/a/{uuid.uuid4().hex}",
                           "definition": {"name": {"en-US": "Thing", "fr": "Chose"}}})
    sid = post(lrs, st).json()[0]
    ids = lrs.get("statements", params={"statementId": sid, "format": "ids"}).json()
    assert ids["object"] == {"id": st["object"]["id"]} and ids["verb"] == {"id": "http://example.com/v"}
    canonical = lrs.get("statements", params={"statementId": sid, "format": "canonical"},
                        headers={"Accept-Language": "fr"}).json()
    assert canonical["verb"]["display"] == {"fr": "a fait"}
    assert canonical["object"]["definition"]["name"] == {"fr": "Chose"}
    head = lrs.head("statements", params={"statementId": sid})
    assert head.status_code == 200 and head.content == b""


def multipart(parts: list[tuple[dict, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = b""
    for headers, body in parts:
        out += f"--{boundary}\r\n".encode() + "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() \
            + b"\r\n" + body + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/mixed; boundary={boundary}"


def attachment_statement(content: bytes, **extra):
    sha2 = hashlib.sha256(content).hexdigest()
    return statement(attachments=[{"usageType": "http://example.com/u", "display": {"en-US": "file"},
                                   "contentType": "text/plain", "length": len(content), "sha2": sha2, **extra}]), sha2


def send_multipart(lrs, st, files: list[tuple[str, bytes]], binary=True):
    parts = [({"Content-Type": "application/json"}, json.dumps(st).encode())]
    for sha2, content in files:
        headers = {"Content-Type": "text/plain", "X-Experience-API-Hash": sha2}
        if binary:
            headers["Content-Transfer-Encoding"] = "binary"
        parts.append((headers, content))
    body, ctype = multipart(parts)
    return lrs.post("statements", content=body, headers={"Content-Type": ctype})


def test_xapi_00167_attachments_round_trip_and_00128_00135_bad_parts(lrs):
    content = f"hello {uuid.uuid4()}".encode()
    st, sha2 = attachment_statement(content)
    assert lrs.post("statements", json=st).status_code == 400  # raw attachment sent as JSON
    assert send_multipart(lrs, st, []).status_code == 400  # missing part
    assert send_multipart(lrs, st, [(sha2, content), (hashlib.sha256(b"x").hexdigest(), b"x")]).status_code == 400
    assert send_multipart(lrs, st, [(sha2, content)], binary=False).status_code == 400
    assert send_multipart(lrs, st, [(sha2, content + b"!")]).status_code == 400  # hash mismatch
    res = send_multipart(lrs, st, [(sha2, content)])
    assert res.status_code == 200, res.text
    sid = res.json()[0]
    got = lrs.get("statements", params={"statementId": sid, "attachments": "true"})
    assert got.headers["content-type"].startswith("multipart/mixed")
    assert content in got.content and f"X-Experience-API-Hash: {sha2}".encode() in got.content
    plain = lrs.get("statements", params={"statementId": sid})
    assert plain.headers["content-type"] == "application/json"


def test_attachment_content_is_kept_in_the_blob_store_once_per_hash(lrs, live_server):
    from sqlalchemy import select

    from coursehost.db.models.lrs import XapiAttachment
    from coursehost.domain.lrs.attachments import blob_key

    content = f"kept {uuid.uuid4()}".encode()
    st, sha2 = attachment_statement(content)
    assert send_multipart(lrs, st, [(sha2, content)]).status_code == 200
    st2, _ = attachment_statement(content)
    assert send_multipart(lrs, st2, [(sha2, content)]).status_code == 200
    with live_server.services.session_factory() as session:
        rows = session.execute(select(XapiAttachment.application_pk, XapiAttachment.blob_key, XapiAttachment.length)
                               .where(XapiAttachment.sha2 == sha2)).all()
    assert len(rows) == 1 and rows[0].length == len(content)
    assert rows[0].blob_key == blob_key(rows[0].application_pk, sha2)
    assert live_server.services.store.get(rows[0].blob_key) == content


def test_file_url_only_attachment_is_accepted_as_json(lrs):
    st, _ = attachment_statement(b"remote", fileUrl="http://example.com/remote.txt")
    post(lrs, st)


def _jws(payload: dict, key, alg="RS256") -> bytes:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    algorithm = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}.get(alg, hashes.SHA256())
    signing_input = b64(json.dumps({"alg": alg}).encode()) + "." + b64(json.dumps(payload).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), algorithm)
    return (signing_input + "." + b64(signature)).encode()


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize("case", ["RS256", "RS512", "HS256", "other-payload", "not-jws", "text/plain"])
def test_xapi_00115_00116_00117_signed_statements(lrs, rsa_key, case):
    st = {**statement(), "id": str(uuid.uuid4())}
    payload = {**st, "verb": {"id": "http://example.com/changed"}} if case == "other-payload" else st
    token = b"not a jws" if case == "not-jws" else _jws(payload, rsa_key, case if case.startswith(("RS", "HS")) else "RS256")
    sha2 = hashlib.sha256(token).hexdigest()
    ctype = "text/plain" if case == "text/plain" else "application/octet-stream"
    signed = {**st, "attachments": [{"usageType": "http://adlnet.gov/expapi/attachments/signature",
                                     "display": {"en-US": "sig"}, "contentType": ctype,
                                     "length": len(token), "sha2": sha2}]}
    body, content_type = multipart([({"Content-Type": "application/json"}, json.dumps(signed).encode()),
                                    ({"Content-Type": ctype, "Content-Transfer-Encoding": "binary",
                                      "X-Experience-API-Hash": sha2}, token)])
    res = lrs.post("statements", content=body, headers={"Content-Type": content_type})
    assert res.status_code == (200 if case in ("RS256", "RS512") else 400), res.text


def _credential(live_server, level: str):
    from coursehost.db.models.tenancy import Application
    from coursehost.db.models.xapi import XapiCredential
    from coursehost.db.session import unit_of_work

    svc = live_server.services
    key, secret = f"cred-{uuid.uuid4().hex[:12]}", uuid.uuid4().hex
    with unit_of_work(svc.session_factory) as session:
        app = session.query(Application).filter_by(app_id=live_server.default_app.app_id).one()
        session.add(XapiCredential(application_pk=app.pk, credential_id=key, name=key, permissions_level=level,
                                   secret_encrypted=svc.box.encrypt(secret)))
    return key, secret


def test_permission_levels_on_statements(live_server):
    base = f"{live_server.base_url}/lrs/{live_server.default_app.app_id}/statements"
    headers = {"X-Experience-API-Version": "1.0.3"}
    clients = {level: httpx.Client(auth=_credential(live_server, level), headers=headers)
               for level in ("DEFAULT", "READONLY", "WRITEONLY")}
    mine = clients["DEFAULT"].post(base, json=statement())
    assert mine.status_code == 200
    root_id = httpx.post(base, json=statement(), headers=headers,
                         auth=(live_server.default_app.app_id, live_server.default_app.secret)).json()[0]
    assert clients["READONLY"].post(base, json=statement()).status_code == 403
    assert clients["WRITEONLY"].post(base, json=statement()).status_code == 200
    assert clients["WRITEONLY"].get(base).status_code == 403
    assert clients["DEFAULT"].get(base, params={"statementId": root_id}).status_code == 404
    assert clients["DEFAULT"].get(base, params={"statementId": mine.json()[0]}).status_code == 200
    assert clients["READONLY"].get(base, params={"statementId": root_id}).status_code == 200
    for client in clients.values():
        client.close()


def test_canonical_activity_definition_is_kept(live_server, lrs):
    from sqlalchemy import select

    from coursehost.db.models.lrs import XapiActivity

    activity = f"http://example.com/a/{uuid.uuid4().hex}"
    post(lrs, statement(object={"id": activity, "definition": {"name": {"en-US": "One"}}}))
    post(lrs, statement(object={"id": activity, "definition": {"name": {"fr": "Un"}, "type": "http://x/t"}}))
    with live_server.services.session_factory() as session:
        stored = session.scalar(select(XapiActivity.definition).where(XapiActivity.activity_id == activity))
    assert json.loads(stored) == {"name": {"en-US": "One", "fr": "Un"}, "type": "http://x/t"}
