"""XapiApi statement pipes through the official client: CRUD, and forwarding between two LRSs of
the live server (each application's LRS at /lrs/{appId}/)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from coursehost.outbound import AddressPolicy, OutboundClient
from tests.contract.helpers import message, new_child_app
from tests.contract.receiver import Receiver
from tests.contract.xapi_statements import all_ids, post_statements, wait_for_ids


@dataclass
class Lrs:
    app_id: str
    xapi: cloud.XapiApi
    url: str
    auth: tuple[str, str]  # an xAPI credential of the application

    def endpoint(self) -> cloud.XapiEndpointSchema:
        return cloud.XapiEndpointSchema(url=self.url, user_name=self.auth[0], password=self.auth[1])


def make_lrs(base_url: str, xapi: cloud.XapiApi, app_id: str, level: str = "ROOT") -> Lrs:
    """An application's LRS with a new credential of LEVEL (ROOT reads every statement)."""
    cred_id = xapi.create_xapi_credential(cloud.XapiCredentialPostSchema(
        name=f"pipe {level}", secret=f"secret-{level.lower()}-long-enough", is_enabled=True,
        auth=cloud.XapiCredentialAuthTypeSchema(xapi_credential_auth_type="BASICAUTH"),
        permissions_level=cloud.XapiCredentialPermissionsLevelSchema(xapi_credential_permissions_level=level))).result
    return Lrs(app_id, xapi, f"{base_url}/lrs/{app_id}/", (cred_id, f"secret-{level.lower()}-long-enough"))


def _new_lrs(live_server, level: str = "ROOT") -> Lrs:
    app_id, creds = new_child_app(live_server)
    return make_lrs(live_server.base_url, cloud.XapiApi(live_server.client(creds)), app_id, level)


def set_when_idle(xapi: cloud.XapiApi, pipe_id: str, body, timeout: float = 20.0):
    """SetStatementPipe, retried while the pipe is forwarding (409 is the documented answer then)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return xapi.set_statement_pipe(pipe_id, body)
        except ApiException as exc:
            if exc.status != 409 or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def source(live_server):
    return _new_lrs(live_server, "READONLY")


@pytest.fixture
def target(live_server):
    return _new_lrs(live_server, "DEFAULT")


def test_pipe_crud_and_wire_shape(live_server, source, target):
    xapi = source.xapi
    pipe_id = xapi.create_statement_pipe(cloud.XapiStatementPipePostSchema(
        source=source.endpoint(), target=target.endpoint())).result
    pipe = xapi.get_statement_pipe(pipe_id)
    assert pipe.id == pipe_id and isinstance(pipe.attempts, int)
    assert (pipe.source.url, pipe.source.user_name, pipe.source.password) == (source.url, *source.auth)
    assert (pipe.target.url, pipe.target.user_name, pipe.target.password) == (target.url, *target.auth)
    assert [p.id for p in xapi.get_statement_pipes().xapi_statement_pipes] == [pipe_id]

    other = _new_lrs(live_server)
    assert set_when_idle(xapi, pipe_id, cloud.XapiStatementPipePutSchema(target=other.endpoint())).result == pipe_id
    assert xapi.get_statement_pipe(pipe_id).target.url == other.url
    assert xapi.get_statement_pipe(pipe_id).source.url == source.url  # not given: kept

    made = set_when_idle(xapi, "my-own-pipe", cloud.XapiStatementPipePutSchema(
        source=source.endpoint(), target=target.endpoint()))
    assert made.result == "my-own-pipe"
    assert {p.id for p in xapi.get_statement_pipes().xapi_statement_pipes} == {pipe_id, "my-own-pipe"}

    xapi.delete_statement_pipe(pipe_id)
    xapi.delete_statement_pipe("my-own-pipe")
    with pytest.raises(ApiException) as err:
        xapi.get_statement_pipe(pipe_id)
    assert err.value.status == 404 and pipe_id in message(err.value)
    assert xapi.get_statement_pipes().xapi_statement_pipes == []
    # Another application sees none of them.
    assert other.xapi.get_statement_pipes().xapi_statement_pipes == []


def test_pipe_needs_absolute_urls(live_server, source):
    cfg = source.xapi.api_client.configuration
    for body in ({"source": {"url": source.url}}, {"source": {"url": "ftp://x/"}, "target": {"url": source.url}},
                 {"target": {"url": source.url}}):
        r = httpx.post(f"{live_server.api_url}/xapi/statementPipes", json=body, auth=(cfg.username, cfg.password))
        assert r.status_code == 400, body
        assert "url" in r.json()["message"] or "required" in r.json()["message"]


def test_pipe_forwards_everything_once_and_keeps_forwarding(live_server, source, target):
    first = post_statements(source.url, source_writer(live_server, source), 130)
    pipe_id = source.xapi.create_statement_pipe(cloud.XapiStatementPipePostSchema(
        source=source.endpoint(), target=target.endpoint())).result
    wait_for_ids(target.url, target_reader(live_server, target), set(first))
    later = post_statements(source.url, source_writer(live_server, source), 20)
    got = wait_for_ids(target.url, target_reader(live_server, target), set(first + later))
    assert len(got) == len(set(got)) == 150
    assert set(got) == set(all_ids(source.url, source.auth))
    pipe = source.xapi.get_statement_pipe(pipe_id)
    assert pipe.attempts == 0 and pipe.last_forwarded_statement_date


def test_attachments_travel_with_their_statements(live_server, source, target):
    import hashlib
    import json
    import uuid

    content = f"certificate {uuid.uuid4()}".encode()
    sha2 = hashlib.sha256(content).hexdigest()
    sid = str(uuid.uuid4())
    st = {"id": sid, "actor": {"mbox": "mailto:ada@example.com"}, "verb": {"id": "http://example.com/earned"},
          "object": {"id": "http://example.com/certificate"},
          "attachments": [{"usageType": "http://example.com/cert", "display": {"en-US": "certificate"},
                           "contentType": "text/plain", "length": len(content), "sha2": sha2}]}
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(st)}\r\n"
            f"--{boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    headers = {"X-Experience-API-Version": "1.0.3", "Content-Type": f"multipart/mixed; boundary={boundary}"}
    res = httpx.post(source.url + "statements", content=body, headers=headers, auth=source_writer(live_server, source))
    assert res.status_code == 200, res.text
    plain = post_statements(source.url, source_writer(live_server, source), 3)
    source.xapi.create_statement_pipe(cloud.XapiStatementPipePostSchema(
        source=source.endpoint(), target=target.endpoint()))
    wait_for_ids(target.url, target_reader(live_server, target), {sid, *plain})
    got = httpx.get(target.url + "statements", params={"statementId": sid, "attachments": "true"},
                    headers={"X-Experience-API-Version": "1.0.3"}, auth=target_reader(live_server, target))
    assert got.status_code == 200 and got.headers["content-type"].startswith("multipart/mixed")
    assert content in got.content and f"X-Experience-API-Hash: {sha2}".encode() in got.content


def test_update_forwards_again_from_the_beginning_and_delete_stops(live_server, source, target):
    ids = post_statements(source.url, source_writer(live_server, source), 40)
    pipe_id = source.xapi.create_statement_pipe(cloud.XapiStatementPipePostSchema(
        source=source.endpoint(), target=target.endpoint())).result
    wait_for_ids(target.url, target_reader(live_server, target), set(ids))
    second = _new_lrs(live_server, "DEFAULT")
    set_when_idle(source.xapi, pipe_id, cloud.XapiStatementPipePutSchema(
        source=source.endpoint(), target=second.endpoint()))
    got = wait_for_ids(second.url, target_reader(live_server, second), set(ids))
    assert sorted(got) == sorted(ids)

    source.xapi.delete_statement_pipe(pipe_id)
    after = post_statements(source.url, source_writer(live_server, source), 5)
    time.sleep(6)  # two poll intervals and the settle time: nothing more may arrive
    assert not set(after) & set(all_ids(second.url, target_reader(live_server, second)))


def test_set_while_forwarding_is_409_and_failures_count_attempts(live_server, source, target):
    slow = Receiver(path="/lrs/")
    slow.delay_seconds = 2.0  # the source answers slowly: the pass is under way meanwhile
    slow.start()
    try:
        endpoint = cloud.XapiEndpointSchema(url=slow.url, user_name="u", password="p")
        pipe_id = source.xapi.create_statement_pipe(cloud.XapiStatementPipePostSchema(
            source=endpoint, target=target.endpoint())).result
        got = slow.wait_for(1, timeout=20)[0]
        assert got.method == "GET" and got.path.startswith("/lrs/statements?")
        assert got.headers["x-experience-api-version"] == "1.0.3" and got.basic_auth() == ("u", "p")
        with pytest.raises(ApiException) as err:
            source.xapi.set_statement_pipe(pipe_id, cloud.XapiStatementPipePutSchema(target=target.endpoint()))
        assert err.value.status == 409
        deadline = time.monotonic() + 20
        while source.xapi.get_statement_pipe(pipe_id).attempts < 1:
            assert time.monotonic() < deadline, "the failed pass was not recorded"
            time.sleep(0.1)
        pipe = source.xapi.get_statement_pipe(pipe_id)
        assert pipe.visible_after  # when the next attempt is due
    finally:
        slow.stop()


def source_writer(live_server, lrs: Lrs) -> tuple[str, str]:
    """The application's own keys (root on its LRS) for posting test statements."""
    return _app_keys(lrs)


def target_reader(live_server, lrs: Lrs) -> tuple[str, str]:
    return _app_keys(lrs)


def _app_keys(lrs: Lrs) -> tuple[str, str]:
    cfg = lrs.xapi.api_client.configuration
    return cfg.username, cfg.password


def test_a_batch_refused_with_409_is_sent_again_one_statement_at_a_time():
    """Some LRSs refuse a whole batch when one id is stored already: each statement then goes by
    PUT ?statementId=, where 204 is stored and 409 is already there; a 5xx is a failure to retry."""
    from coursehost.domain.lrs.forwarding import ForwardError, write_batch
    from coursehost.domain.lrs.pipes import Endpoint
    from tests.factories.xapi import numbered_statement

    batch = [numbered_statement(1), numbered_statement(2), numbered_statement(3)]
    with Receiver(path="/lrs/") as lrs, OutboundClient(policy=AddressPolicy(allow_private=True)) as client:
        target = Endpoint(lrs.url, "u", "p")
        lrs.answer(409, 204, 409, 204)
        assert write_batch(client, target, batch) == []
        methods = [(r.method, r.path) for r in lrs.requests]
        assert methods == [("POST", "/lrs/statements")] + [
            ("PUT", f"/lrs/statements?statementId={s['id']}") for s in batch]
        assert all(r.headers["x-experience-api-version"] == "1.0.3" and r.basic_auth() == ("u", "p")
                   for r in lrs.requests)
        lrs.clear()
        lrs.answer(409, 204, 503)
        with pytest.raises(ForwardError):
            write_batch(client, target, batch)
        lrs.clear()
        lrs.answer(400, 204, 400, 204)  # one statement the target will never take: skipped, noted
        notes = write_batch(client, target, batch)
        assert len(notes) == 1 and batch[1]["id"] in notes[0]
    with OutboundClient(policy=AddressPolicy(allow_private=True)) as client, pytest.raises(ForwardError):
        write_batch(client, Endpoint(lrs.url, "u", "p"), batch)  # connection refused
