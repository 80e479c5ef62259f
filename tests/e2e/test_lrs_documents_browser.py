"""In Chromium: a text/html State document stored in the LRS does not run script at the service
origin, neither through another site's auto-submitted form using the alternate request syntax
(refused, 403) nor when opened directly with the application's credentials (CSP sandbox)."""

from __future__ import annotations

import base64
import html
import json
import uuid
from urllib.parse import urlencode

import httpx
import pytest

from tests.browser import close_context
from tests.servers import file_servers

MARKER = "PWNED-" + uuid.uuid4().hex[:8]
SCRIPT = (f"<html><head><title>stored</title></head><body><p>stored document</p>"
          f"<script>document.title='{MARKER}';console.log('{MARKER}')</script></body></html>").encode()
V1 = {"X-Experience-API-Version": "1.0.3"}


@pytest.fixture
def http_files():
    """A real HTTP server on another port, for the attacker's page."""
    with file_servers() as serve:
        yield serve


@pytest.fixture
def stored(live_server):
    """The query of a stored text/html State document on the default application's LRS."""
    creds = live_server.default_app
    params = {"activityId": "http://example.com/browser", "agent": json.dumps({"mbox": "mailto:b@example.com"}),
              "stateId": str(uuid.uuid4())}
    put = httpx.put(f"{live_server.base_url}/lrs/{creds.app_id}/activities/state", params=params, content=SCRIPT,
                    headers={**V1, "Content-Type": "text/html"}, auth=(creds.app_id, creds.secret))
    assert put.status_code == 204, put.text
    return params


def _console(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text))
    return seen


def test_another_sites_form_post_with_the_alternate_syntax_is_refused(live_server, http_files, context, stored):
    creds = live_server.default_app
    auth = "Basic " + base64.b64encode(f"{creds.app_id}:{creds.secret}".encode()).decode()
    fields = {**stored, "Authorization": auth, "X-Experience-API-Version": "1.0.3"}
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    action = f"{live_server.base_url}/lrs/{creds.app_id}/activities/state?method=GET"
    attacker = (f'<html><body><form id="f" method="POST" action="{html.escape(action)}">{inputs}</form>'
                f'<script>document.getElementById("f").submit()</script></body></html>').encode()
    # "localhost" is another site than the service's 127.0.0.1 (and another origin anyway).
    page_url = http_files({"/attack.html": attacker}).replace("127.0.0.1", "localhost") + "/attack.html"
    page = context.new_page()
    seen = _console(page)
    with page.expect_response(lambda r: "/lrs/" in r.url) as answer:
        page.goto(page_url)
    page.wait_for_load_state("load")
    assert answer.value.status == 403
    assert "alternate request syntax" in answer.value.text()
    page.wait_for_timeout(300)
    assert page.title() != MARKER
    assert MARKER not in seen


def test_opening_the_document_directly_runs_no_script(live_server, browser, stored):
    creds = live_server.default_app
    ctx = browser.new_context(http_credentials={"username": creds.app_id, "password": creds.secret},
                              extra_http_headers=V1)
    try:
        page = ctx.new_page()
        seen = _console(page)
        answer = page.goto(f"{live_server.base_url}/lrs/{creds.app_id}/activities/state?{urlencode(stored)}")
        assert answer.status == 200 and answer.headers["content-type"].startswith("text/html")
        assert page.locator("p").inner_text() == "stored document"  # it was rendered, as HTML
        page.wait_for_timeout(300)
        assert page.title() == "stored"
        assert MARKER not in seen
    finally:
        close_context(ctx)
