"""The API docs page (/api/docs on the service origin) renders in Chromium from our own copy of
Swagger UI (npm's swagger-ui-dist, no CDN) under its Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

import httpx

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_api_docs_render_every_operation_without_a_policy_violation(live_server, context):
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{live_server.base_url}/api/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.title() == "Coursehost API"
    # Swagger UI renders a long list lazily (only the operations near the viewport are in the DOM), so
    # the operations it knows are read from its own state and compared with the served document.
    spec = httpx.get(f"{live_server.base_url}/api/openapi.json").json()
    served = sum(len(methods) for methods in spec["paths"].values())
    v2 = sum(len(methods) for path, methods in spec["paths"].items() if path.startswith("/api/v2/"))
    assert v2 >= 161, v2  # every API v2 operation of the official client is routed and documented
    assert page.evaluate("ui.specSelectors.operations().size") == served
    assert page.locator(".opblock").count() >= 1
    assert page.get_by_text("/api/v2/ping").count() >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "api-docs.png"))
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=str(SCREENSHOTS / "api-docs-phone.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling
    assert problems == []
    assert all(url.startswith(live_server.base_url) for url in requested), requested
