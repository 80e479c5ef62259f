"""Issue 13, server-side request forgery, against a live server that keeps the default
COURSEHOST_ALLOW_PRIVATE_URLS=false (the suite's own live server allows them for its local
receivers): every server-side URL entry point answers 400 for loopback, private, link-local and
decimal-IP targets, stores nothing, and sends nothing; a stored target is refused again when sent."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest
from sqlalchemy import select

from coursehost.app import create_app
from coursehost.db.migrate import upgrade
from coursehost.db.models.tenancy import Application
from coursehost.db.models.xapi import StatementPipe
from coursehost.db.session import unit_of_work
from coursehost.domain.lrs import pipes
from coursehost.domain.postbacks import delivery
from coursehost.domain.postbacks.formats import PostbackRequest
from coursehost.settings import Settings
from tests.contract.receiver import Receiver
from tests.databases import create_pg_database, drop_pg_database
from tests.servers import _applications, free_port, start_server

REFUSED = "the URL's host resolves to a private or local address; such targets are not allowed"
#: A public address written as a literal: passes the check without DNS (nothing is sent to it).
PUBLIC = "93.184.215.14"
#: Where the receiver listens is filled in for {port}; the others have nothing behind them.
TARGETS = ["http://127.0.0.1:{port}/in", "http://[::1]:{port}/in", "http://10.0.0.1/in",
           "http://169.254.169.254/latest/meta-data/", "http://2130706433:{port}/in"]


@pytest.fixture(scope="module")
def guarded(database_url, tmp_path_factory):
    """A second live service over a database of its own, with allow_private_urls=False."""
    data_dir = tmp_path_factory.mktemp("ssrf")
    url = create_pg_database() if database_url.startswith("postgresql") else f"sqlite:///{data_dir / 'ssrf.db'}"
    upgrade(url)
    port = free_port()
    settings = Settings(data_dir=data_dir, database_url=url, storage_url=f"file://{data_dir / 'content'}",
                        port=port, content_port=free_port(), secret_key=secrets.token_urlsafe(48), worker_poll_seconds=0.2,
                        allow_private_urls=False)
    app = create_app(settings)
    default, _, _ = _applications(app.state.services)
    server, thread = start_server(app, port)
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v2", auth=(default.app_id, default.secret),
                       timeout=30)
    try:
        yield api, app.state.services, default
    finally:
        api.close()
        server.should_exit = True
        thread.join(timeout=10)
        if url.startswith("postgresql"):
            drop_pg_database(url)


@pytest.fixture
def receiver():
    with Receiver(path="/in") as r:
        yield r


def _message(response: httpx.Response) -> str:
    return response.json().get("message", "")


@pytest.mark.parametrize("target", TARGETS)
def test_import_by_url_is_refused_and_nothing_is_stored(guarded, receiver, target):
    api = guarded[0]
    url = target.format(port=receiver.port)
    response = api.post("/courses/importJobs", params={"courseId": "ssrf-course"}, json={"url": url})
    assert response.status_code == 400, response.text
    assert REFUSED in _message(response)
    assert api.get("/courses/ssrf-course").status_code == 404
    time.sleep(0.5)  # a queued job would have run by now
    assert receiver.requests == []


def test_a_media_reference_is_never_fetched_so_any_address_may_be_named(guarded, receiver):
    """CreateNoUploadAndImportCourseJob keeps a media file at its URL: the learner's browser loads it
    (an intranet media server is a real case), the server never requests it, so nothing is refused."""
    api = guarded[0]
    url = f"http://127.0.0.1:{receiver.port}/talk.mp3"
    response = api.post("/courses/importJobs/noUpload", params={"courseId": "ssrf-reference"},
                        json={"url": url, "contentType": "audio/mpeg"})
    assert response.status_code == 200, response.text
    job = response.json()["result"]
    deadline = time.time() + 20
    while (status := api.get(f"/courses/importJobs/{job}").json())["status"] == "RUNNING" and time.time() < deadline:
        time.sleep(0.2)
    assert status["status"] == "COMPLETE", status
    assert receiver.requests == []


@pytest.mark.parametrize("target", TARGETS)
def test_postback_test_is_refused_and_nothing_is_sent(guarded, receiver, target):
    api = guarded[0]
    response = api.post("/registrations/postBackTest", json={"url": target.format(port=receiver.port)})
    assert response.status_code == 400, response.text
    assert REFUSED in _message(response)
    assert receiver.requests == []


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("side", ["source", "target"])
def test_statement_pipe_endpoints_are_refused_and_nothing_is_stored(guarded, receiver, target, side):
    api = guarded[0]
    endpoints = {"source": {"url": f"https://{PUBLIC}/xapi/", "userName": "u", "password": "p"},
                 "target": {"url": f"https://{PUBLIC}/lrs/", "userName": "u", "password": "p"}}
    endpoints[side]["url"] = target.format(port=receiver.port)
    created = api.post("/xapi/statementPipes", json=endpoints)
    assert created.status_code == 400, created.text
    assert REFUSED in _message(created) and side in _message(created)
    put = api.put("/xapi/statementPipes/SSRFPIPE", json=endpoints)
    assert put.status_code == 400 and REFUSED in _message(put)
    assert api.get("/xapi/statementPipes").json()["xapiStatementPipes"] == []
    assert receiver.requests == []


def test_a_stored_pipe_endpoint_is_refused_when_forwarded(guarded):
    # As if its DNS changed after it was accepted: stored with the check off, forwarded with it on.
    _, services, default = guarded
    with Receiver(path="/lrs/") as source:
        with unit_of_work(services.session_factory) as session:
            app_pk = session.scalar(select(Application.pk).where(Application.app_id == default.app_id))
            pipe = pipes.create_pipe(session, box=services.box, app_pk=app_pk, source=pipes.Endpoint(source.url),
                                     target=pipes.Endpoint("http://10.0.0.1/"), allow_private_urls=True)
            pipe_pk = pipe.pk
        deadline = time.monotonic() + 20
        while True:
            with services.session_factory() as session:
                error = session.get(StatementPipe, pipe_pk).last_error
            if error or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert REFUSED in (error or "")
        assert source.requests == []


def test_a_stored_postback_url_is_refused_when_sent(receiver):
    request = PostbackRequest(url=receiver.url, body=b"x=1", headers={"Content-Type": "text/plain"})
    with pytest.raises(delivery.PostbackFailed) as info:
        delivery.send(request)
    assert REFUSED in str(info.value) and receiver.requests == []
