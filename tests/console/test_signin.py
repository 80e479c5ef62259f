"""Signing in to the console in Chromium: the right password, a wrong one, the lock-out and its
message, signing out and out everywhere, and forms refused without their CSRF token."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from coursehost.db.migrate import upgrade
from coursehost.db.session import unit_of_work
from coursehost.domain.accounts import users
from tests.console.support import ConsoleUser, check_page, csrf_of, http_session, make_user, sign_in
from tests.servers import running_live_server


def test_owner_signs_in_and_sees_realm_and_role(live_server, context):
    owner = make_user(live_server, "owner", name="Olive Owner")
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.service_url}/console/")
    expect(page).to_have_url(re.compile(r"/console/signin\?next=/console/$"))  # not signed in yet
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    check_page(page, "signin")

    sign_in(page, live_server, owner)
    expect(page).to_have_url(f"{live_server.service_url}/console/")
    header = page.get_by_role("banner")
    expect(header).to_contain_text("Coursehost")
    expect(header).to_contain_text(owner.realm_name)
    expect(header).to_contain_text("Olive Owner")
    expect(header.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Your role")
    expect(page.locator(".facts")).to_contain_text("Owner")
    check_page(page, "home")

    # The skip link is the first thing the keyboard reaches, and it moves focus to the main content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_email_is_case_insensitive_and_next_page_is_kept(live_server, context):
    admin = make_user(live_server, "administrator")
    page = context.new_page()
    page.goto(f"{live_server.service_url}/console/users")
    page.get_by_label("Email").fill(admin.email.upper())
    page.get_by_label("Password").fill(admin.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.service_url}/console/users")
    expect(page.get_by_role("heading", name=re.compile("Users of"))).to_be_visible()


def test_wrong_password_is_refused_with_a_message(live_server, context):
    user = make_user(live_server, "learner")
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, user, password="not the password")
    expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")
    expect(page.get_by_label("Email")).to_have_value(user.email)  # kept filled in
    expect(page.get_by_label("Password")).to_have_value("")
    check_page(page, "signin-wrong-password")
    page.goto(f"{live_server.service_url}/console/")
    expect(page).to_have_url(re.compile(r"/console/signin"))  # still not signed in

    sign_in(page, live_server, ConsoleUser("nobody-at-all@example.com", "whatever password", "learner", ""))
    expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")  # no hint who exists


def test_lockout_after_max_failed_attempts_says_until_when(live_server, context):
    user = make_user(live_server, "administrator")
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    limit = live_server.services.settings.console_max_failed_signins
    assert limit == 5  # the documented default
    for _ in range(limit - 1):
        sign_in(page, live_server, user, password="guess-guess-guess")
        expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")
    sign_in(page, live_server, user, password="guess-guess-guess")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This account is locked after too many wrong passwords, until")
    until = re.search(r"until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", alert.inner_text()).group(1)
    check_page(page, "signin-locked")

    # Locked: even the right password is refused, and the page says until when (30 minutes by default).
    sign_in(page, live_server, user)
    expect(page.get_by_role("alert")).to_contain_text(f"locked after too many wrong passwords, until {until} UTC")
    page.goto(f"{live_server.service_url}/console/")
    expect(page).to_have_url(re.compile(r"/console/signin"))


def test_right_password_resets_the_failed_count(live_server, context):
    user = make_user(live_server, "learner")
    page = context.new_page()
    limit = live_server.services.settings.console_max_failed_signins
    for _ in range(limit - 1):
        sign_in(page, live_server, user, password="guess-guess-guess")
    sign_in(page, live_server, user)
    expect(page).to_have_url(f"{live_server.service_url}/console/")
    page.context.clear_cookies()
    sign_in(page, live_server, user, password="guess-guess-guess")  # one more: counted from zero again
    expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")


def test_sign_out_ends_the_session_on_the_server(live_server, context):
    user = make_user(live_server, "learner")
    page = context.new_page()
    sign_in(page, live_server, user)
    cookie = next(c for c in context.cookies() if c["name"] == "coursehost_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/console"
    assert not cookie["secure"]  # the live server's public URL is http; https makes it Secure

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/console/signin"))
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    # The old cookie, replayed, no longer signs anyone in: the session row is revoked.
    replay = http_get_with_cookie(live_server, cookie["value"])
    assert replay.status_code == 303 and replay.headers["location"].startswith("/console/signin")


def http_get_with_cookie(live_server, value: str):
    with httpx.Client(base_url=live_server.service_url, cookies={"coursehost_console": value}) as client:
        return client.get("/console/", follow_redirects=False)


def test_sign_out_everywhere_ends_every_session_of_the_user(live_server, browser):
    user = make_user(live_server, "owner")
    other = make_user(live_server, "owner")
    laptop, phone, colleague = browser.new_context(), browser.new_context(), browser.new_context()
    try:
        pages = [ctx.new_page() for ctx in (laptop, phone, colleague)]
        sign_in(pages[0], live_server, user)
        sign_in(pages[1], live_server, user)
        sign_in(pages[2], live_server, other)
        pages[0].reload()
        expect(pages[0].get_by_role("main")).to_contain_text("signed in on 2 browsers")
        pages[0].get_by_role("button", name="Sign out everywhere").click()
        expect(pages[0].get_by_role("status")).to_have_text("You are signed out on every device and browser.")
        pages[1].reload()
        expect(pages[1]).to_have_url(re.compile(r"/console/signin"))
        pages[2].reload()  # another user's session is not touched
        expect(pages[2]).to_have_url(f"{live_server.service_url}/console/")
    finally:
        for ctx in (laptop, phone, colleague):
            ctx.close()


def test_post_without_csrf_token_is_refused_and_changes_nothing(live_server, context):
    user = make_user(live_server, "owner")
    with http_session(live_server, user) as client:
        for data, headers in (({}, {}), ({"csrf_token": "forged"}, {}), ({}, {"X-CSRF-Token": "forged"})):
            forged = client.post("/console/signout-everywhere", data=data, headers=headers)
            assert forged.status_code == 403
            assert "did not carry this page" in forged.text
        assert client.get("/console/").status_code == 200  # still signed in: nothing was revoked
        # With the token (as a form field, or as htmx sends it, a header), the same POST works.
        assert client.post("/console/signout", headers={"X-CSRF-Token": csrf_of(client)}).status_code == 303
        assert client.get("/console/").status_code == 303

    # In the browser: a form whose token was removed is refused with a page saying so.
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, user)
    page.evaluate("() => document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("heading", name="This form has expired")).to_be_visible()
    check_page(page, "csrf-refused")
    page.goto(f"{live_server.service_url}/console/")
    expect(page).to_have_url(f"{live_server.service_url}/console/")  # the session was not revoked


def test_signin_form_without_its_token_signs_nobody_in(live_server):
    user = make_user(live_server, "owner")
    with httpx.Client(base_url=live_server.service_url) as client:
        forged = client.post("/console/signin", data={"email": user.email, "password": user.password})
        assert forged.status_code == 403
        assert "coursehost_console" not in forged.cookies
        assert client.get("/console/", follow_redirects=False).status_code == 303


@pytest.fixture
def throttled_server(tmp_path):
    """A service of its own (its throttle counts no other test's failures) allowing 3 failures per address."""
    url = f"sqlite:///{tmp_path / 'throttle.db'}"
    upgrade(url)
    with running_live_server(url, tmp_path / "data", auth_failures_per_address_per_minute=3) as server:
        yield server


def test_guessing_many_accounts_from_one_address_is_throttled(throttled_server, context):
    """Each account is tried once only (no account lock), yet the address is refused after 3 failures,
    even with a right password, with how long to wait; the accounts themselves stay unlocked."""
    server = throttled_server
    victims = [make_user(server, "learner") for _ in range(3)]
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    for victim in victims:
        sign_in(page, server, victim, password="a wrong guess")
        expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")
    sign_in(page, server, victims[0])  # the right password, from the throttled address
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Too many failed sign-ins from your address; try again in")
    wait = int(re.search(r"try again in (\d+) seconds", alert.inner_text()).group(1))
    assert 1 <= wait <= 60
    check_page(page, "signin-throttled")
    page.goto(f"{server.service_url}/console/")
    expect(page).to_have_url(re.compile(r"/console/signin"))  # nobody was signed in
    with unit_of_work(server.services.session_factory) as session:
        assert all(users.find_user(session, v.email).locked_until is None for v in victims)
