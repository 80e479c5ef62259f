import pytest


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Debian's Chromium: Playwright's own browser download is not possible here.
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    yield ctx
    ctx.close()


@pytest.fixture(autouse=True)
def _browser_errors(context):
    """Print the page's console errors and uncaught exceptions (pytest shows them on failure)."""
    def hook(page):
        page.on("console", lambda m: print(f"[console.{m.type}] {m.text}") if m.type in ("error", "warning") or "COURSEHOST_E2E_CONSOLE" in __import__("os").environ else None)
        page.on("pageerror", lambda e: print(f"[pageerror] {e}"))
        page.on("response", lambda r: print(f"[http {r.status}] {r.request.method} {r.url}") if r.status >= 400 or "runtime" in r.url else None)
    context.on("page", hook)
    yield
