"""What every console browser test uses: an accessibility check with axe-core (WCAG 2.x A and AA),
screenshots at a desktop and a phone width, and users made through the domain functions the CLI uses.

    check_accessibility(page)          # axe-core from node_modules, run in the page as it is now
    screenshots(page, "signin-error")  # var/screenshots/console/signin-error-1280.png and -390.png
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from coursehost.db.session import unit_of_work
from coursehost.domain.accounts import users
from coursehost.domain.applications.service import ensure_realm

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # npm devDependency; never served
SCREENSHOTS = ROOT / "var" / "screenshots" / "console"
WIDTHS = {"1280": (1280, 800), "390": (390, 844)}  # a desktop and a phone (iPhone 12-15) width
PASSWORD = "correct horse battery"


def check_accessibility(page) -> None:
    """Run axe-core's WCAG 2.0/2.1 A and AA rules on the page; fail listing every violation.

    The script goes in through the DevTools protocol (page.evaluate), which the console's CSP does not
    govern: the page itself allows only its own scripts, and keeps doing so during the test."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    assert result == [], f"axe-core found WCAG A/AA violations on {page.url}:\n{json.dumps(result, indent=2)}"


def screenshots(page, name: str) -> list[Path]:
    """Full-page screenshots at 1280 and 390 px wide under var/screenshots/console/; at 390 px the page
    must not scroll sideways (a phone user would have to pan). The viewport is put back afterwards."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    paths = []
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        if width < 600:
            overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px at {width} px wide"
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    if before:
        page.set_viewport_size(before)
    return paths


def check_page(page, name: str) -> None:
    """Both checks: axe-core at the desktop width and at the phone width, and the two screenshots."""
    check_accessibility(page)
    screenshots(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    check_accessibility(page)
    page.set_viewport_size({"width": 1280, "height": 800})


@dataclass
class ConsoleUser:
    email: str
    password: str
    role: str
    realm_name: str


def make_user(live_server, role: str, *, password: str | None = PASSWORD, name: str = "",
              realm_id: int | None = None, operator: bool = False) -> ConsoleUser:
    """A new console user (a unique e-mail address) with ROLE in the first realm (or REALM_ID);
    OPERATOR: the installation's operator (sets realms' limits)."""
    svc = live_server.services
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    with unit_of_work(svc.session_factory) as session:
        realm = ensure_realm(session) if realm_id is None else users.find_realm(session, str(realm_id))
        users.create_user(session, email=email, name=name, role=users.Role(role), realm_id=realm.id,
                          password=password, operator=operator)
        realm_name = realm.name
    return ConsoleUser(email, password or "", role, realm_name)


def sign_in(page, live_server, user: ConsoleUser, *, password: str | None = None) -> None:
    """Fill in and send the sign-in form as a person would."""
    page.goto(f"{live_server.service_url}/console/signin")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password if password is not None else user.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@contextmanager
def http_session(live_server, user: ConsoleUser) -> Iterator[httpx.Client]:
    """A plain HTTP client signed in through the sign-in form (its cookies kept), for checks a browser
    cannot make (a forged POST, a replayed cookie)."""
    with httpx.Client(base_url=live_server.service_url, follow_redirects=False, timeout=30) as client:
        form = client.get("/console/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        answer = client.post("/console/signin", data={"email": user.email, "password": user.password,
                                                      "csrf_token": token, "next": "/console/"})
        assert answer.status_code == 303 and answer.headers["location"] == "/console/", answer.text
        yield client


def csrf_of(client: httpx.Client) -> str:
    """The session's CSRF token, read from a signed-in page's form."""
    page = client.get("/console/")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def signed_in_page(live_server, context, role: str = "administrator", *, width: int = 1280, height: int = 900):
    """A new page at a desktop size, signed in as a new user of ROLE."""
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server, make_user(live_server, role))
    return page
