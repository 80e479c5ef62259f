"""The API docs page (/api/docs on the service origin) renders in Chromium from our own copy of
Swagger UI (npm's swagger-ui-dist, no CDN) under its Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

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
    operations = page.locator(".opblock").count()
    assert operations >= 97, operations  # every routed API v2 operation is listed
    assert page.get_by_text("/api/v2/ping").count() >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "api-docs.png"))
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=str(SCREENSHOTS / "api-docs-phone.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling
    assert problems == []
    assert all(url.startswith(live_server.base_url) for url in requested), requested
