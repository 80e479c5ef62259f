"""The service origin's security headers as the configuration decides them (no real TLS needed:
HSTS depends only on the public URL's scheme), and the two-origin settings startup refuses."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
from collections.abc import Iterator

import httpx
import pytest

from coursehost.app import create_app, create_content_app
from coursehost.settings import Settings
from tests.servers import free_port, start_server


@contextlib.contextmanager
def serving(app, *, lifespan: str = "on") -> Iterator[httpx.Client]:
    """APP on a free port; a client for it."""
    server, thread = start_server(app, free_port(), lifespan=lifespan)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.config.port}") as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def service(tmp_path, database_url):
    """service(**urls): a client of the service app built from Settings with those URLs."""
    with contextlib.ExitStack() as stack:
        def start(**urls) -> httpx.Client:
            settings = Settings(data_dir=tmp_path, database_url=database_url, run_worker=False, **urls)
            return stack.enter_context(serving(create_app(settings)))
        yield start


def test_hsts_when_the_public_url_is_https(service):
    client = service(public_url="https://learn.example.com",
                     content_url="https://content.example-cdn.com")
    for path in ("/api/v2/ping", "/api/v2/no/such/operation", "/lrs/APP/about"):
        answer = client.get(path)
        assert answer.headers["strict-transport-security"].startswith("max-age="), path
        assert int(answer.headers["strict-transport-security"].split("=")[1].split(";")[0]) >= 15552000


def test_hsts_when_the_older_base_url_name_is_https(service):
    client = service(base_url="https://learn.example.com",
                     content_url="https://content.example-cdn.com")
    assert "strict-transport-security" in client.get("/api/v2/ping").headers


def test_no_hsts_over_http(service):
    client = service(public_url="http://learn.example.com:8000",
                     content_url="http://learn.example.com:8001")
    answer = client.get("/api/v2/ping")
    assert "strict-transport-security" not in answer.headers
    assert answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_api_docs_page_has_a_policy_that_lets_it_render(service):
    client = service()
    page = client.get("/api/docs")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    # Swagger UI comes from our own copy (npm's swagger-ui-dist), never a CDN; its inline script by hash.
    assert "https://" not in csp
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/api/docs/assets/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    for inline in re.findall(r"<script>(.*?)</script>", page.text, re.S):
        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "connect-src 'self'" in csp  # it fetches /api/openapi.json from its own origin
    assert "'unsafe-eval'" not in csp


def test_content_app_has_no_api_and_the_service_app_no_player(tmp_path, database_url):
    service_app = create_app(Settings(data_dir=tmp_path, database_url=database_url, run_worker=False))
    with serving(create_content_app(service_app.state.services), lifespan="off") as content:
        assert content.get("/api/v2/ping").status_code == 404
        assert content.get("/api/openapi.json").status_code == 404
        assert content.get("/static/player/player.js").status_code == 200
    with serving(service_app) as service_client:
        assert service_client.get("/static/player/player.js").status_code == 404


@pytest.mark.parametrize(("public", "content"), [
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000/content"),
    ("https://learn.example.com", "https://LEARN.example.com:443/player"),
    ("http://learn.example.com", "http://learn.example.com:80"),
])
def test_one_origin_for_both_is_refused(tmp_path, public, content):
    settings = Settings(data_dir=tmp_path, public_url=public, content_url=content).resolved()
    with pytest.raises(ValueError, match="COURSEHOST_CONTENT_URL .* must differ in origin"):
        settings.check_safe()


def test_defaults_are_two_ports_on_one_host(tmp_path):
    settings = Settings(data_dir=tmp_path, host="127.0.0.1", port=9000, content_port=9001).resolved()
    settings.check_safe()
    assert (settings.public_url, settings.content_url) == ("http://127.0.0.1:9000", "http://127.0.0.1:9001")
    assert settings.base_url == settings.public_url  # the older name still reads the service origin


def test_a_public_url_without_a_content_url_is_refused(tmp_path):
    settings = Settings(data_dir=tmp_path, public_url="https://learn.example.com").resolved()
    with pytest.raises(ValueError, match="COURSEHOST_CONTENT_URL"):
        settings.check_safe()
