"""The browser fixtures (Debian's Chromium through Playwright), registered once for the whole suite
(tests/conftest.py) so that every folder with browser tests shares one Playwright instance."""

import os

import pytest
from playwright.sync_api import sync_playwright


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        # Debian's Chromium: Playwright's own browser download is not possible here.
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        yield b
        b.close()


def _print_page_problems(page) -> None:
    """Print the page's console errors and uncaught exceptions (pytest shows them on failure)."""
    verbose = "COURSEHOST_E2E_CONSOLE" in os.environ
    page.on("console", lambda m: print(f"[console.{m.type}] {m.text}") if m.type in ("error", "warning") or verbose else None)
    page.on("pageerror", lambda e: print(f"[pageerror] {e}"))
    page.on("response", lambda r: print(f"[http {r.status}] {r.request.method} {r.url}") if r.status >= 400 or "runtime" in r.url else None)


def close_context(ctx) -> None:
    """Close CTX after taking each page to about:blank first, so that a page's unload work (the player's
    exit beacons, a course's pending fetches) runs while the browser still answers it. Closing a context
    with such requests in flight, with HTTP credentials (request interception) on, once hung a CI run in
    context.close() for the whole test timeout."""
    for page in list(ctx.pages):
        try:
            page.goto("about:blank", timeout=15_000)
            page.close(run_before_unload=False)
        except Exception as exc:  # noqa: BLE001 - a page that cannot be left is closed with its context
            print(f"[close_context] {page.url}: {exc}")
    ctx.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    ctx.on("page", _print_page_problems)
    yield ctx
    close_context(ctx)
