"""The user's own settings page, password reset by e-mail (through a real SMTP server, aiosmtpd, and
the real job worker), and the first `coursehost serve` printing a one-time link for the first owner."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from email import policy
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from coursehost.db.base import utcnow
from coursehost.db.migrate import upgrade
from coursehost.db.session import unit_of_work
from coursehost.domain.accounts import password_reset, sessions, users
from tests.console.support import PASSWORD, ConsoleUser, check_page, http_session, make_user, sign_in
from tests.databases import create_pg_database, drop_pg_database
from tests.servers import free_port, running_live_server, smtp_server

NEW_PASSWORD = "a brand new passphrase"


def open_settings(page) -> None:
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Your settings", level=1)).to_be_visible()


def field_error(page, label: str):
    """The message the field labelled LABEL is described by (its error, then its hint)."""
    return page.locator(f"#{page.get_by_label(label, exact=True).get_attribute('id')}-error")


# --- the settings page -------------------------------------------------------------------------------

def test_settings_page_saves_name_email_and_lockout_time(live_server, context):
    user = make_user(live_server, "administrator", name="Ada Admin")
    taken = make_user(live_server, "learner")
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, user)
    open_settings(page)
    expect(page.get_by_label("Name")).to_have_value("Ada Admin")
    expect(page.get_by_label("Email", exact=True)).to_have_value(user.email)
    expect(page.get_by_label("Password lock-out time (minutes)")).to_have_value("30")
    check_page(page, "settings")

    # Every field wrong at once: each says what is wrong beside it, the values stay, nothing is saved.
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email", exact=True).fill("not an address")
    page.get_by_label("Password lock-out time (minutes)").fill("0")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert").first).to_contain_text("Your settings were not saved")
    expect(field_error(page, "Email")).to_have_text("Error: Email must be an e-mail address such as name@example.com")
    expect(field_error(page, "Password lock-out time (minutes)")).to_have_text(
        "Error: Lock-out time must be a whole number of minutes from 1 to 1440")
    expect(page.get_by_label("Email", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name")).to_have_value("Ada Lovelace")
    expect(page.get_by_label("Email", exact=True)).to_have_value("not an address")
    expect(page.get_by_label("Password lock-out time (minutes)")).to_have_value("0")
    check_page(page, "settings-errors")
    expect(page.get_by_role("banner")).to_contain_text("Ada Admin")  # the name was not saved either

    # Another user's address, in other letters, is taken.
    page.get_by_label("Email", exact=True).fill(taken.email.upper())
    page.get_by_label("Password lock-out time (minutes)").fill("2")
    page.get_by_role("button", name="Save settings").click()
    expect(field_error(page, "Email")).to_have_text("Error: Another user has this e-mail address")
    expect(page.get_by_label("Password lock-out time (minutes)")).to_have_value("2")

    new_email = f"Ada-{uuid.uuid4().hex[:6]}@Example.com"
    page.get_by_label("Email", exact=True).fill(new_email)
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Your settings are saved.")
    expect(page.get_by_role("banner")).to_contain_text("Ada Lovelace")
    expect(page.get_by_label("Email", exact=True)).to_have_value(new_email)
    expect(page.get_by_label("Password lock-out time (minutes)")).to_have_value("2")

    # The new address signs in (any letter case), the old one no longer does.
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in(page, live_server, ConsoleUser(user.email, PASSWORD, "administrator", ""))
    expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")
    sign_in(page, live_server, ConsoleUser(new_email.lower(), PASSWORD, "administrator", ""))
    expect(page).to_have_url(f"{live_server.service_url}/console/")

    # The lock-out time is the one just saved: two minutes, not the default thirty.
    page.context.clear_cookies()
    for _ in range(live_server.services.settings.console_max_failed_signins):
        sign_in(page, live_server, ConsoleUser(new_email, "guess-guess-guess", "administrator", ""))
    until = re.search(r"until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", page.get_by_role("alert").inner_text()).group(1)
    with unit_of_work(live_server.services.session_factory) as session:
        locked_until = users.find_user(session, new_email).locked_until
    assert until == f"{locked_until:%Y-%m-%d %H:%M}"
    assert timedelta(minutes=1) < locked_until - utcnow() <= timedelta(minutes=2)


def test_password_change_needs_the_current_password_and_signs_out_other_browsers(live_server, browser):
    user = make_user(live_server, "learner")
    here, elsewhere = browser.new_context(), browser.new_context()
    try:
        page, other = here.new_page(), elsewhere.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        sign_in(other, live_server, user)
        sign_in(page, live_server, user)
        open_settings(page)
        expect(page.get_by_role("heading", name="Change your password")).to_be_visible()

        page.get_by_label("Current password").fill("not my password")
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(field_error(page, "Current password")).to_have_text("Error: Current password is wrong")
        expect(page.get_by_role("alert")).to_contain_text("Your password was not changed")
        check_page(page, "settings-password-errors")

        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_label("New password", exact=True).fill("short")
        page.get_by_label("New password again").fill("short")
        page.get_by_role("button", name="Change password").click()
        expect(field_error(page, "New password")).to_have_text("Error: New password must be at least 10 characters")

        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill(NEW_PASSWORD + "!")
        page.get_by_role("button", name="Change password").click()
        expect(field_error(page, "New password again")).to_contain_text("The two new passwords differ")

        other.reload()  # nothing was changed so far: the other browser is still signed in
        expect(other).to_have_url(f"{live_server.service_url}/console/")

        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("status")).to_contain_text("Your password is changed.")
        other.reload()
        expect(other).to_have_url(re.compile(r"/console/signin"))  # signed out by the change
        page.goto(f"{live_server.service_url}/console/")
        expect(page).to_have_url(f"{live_server.service_url}/console/")  # this browser stays signed in

        sign_in(other, live_server, user)
        expect(other.get_by_role("alert")).to_have_text("The email or password is wrong.")
        sign_in(other, live_server, user, password=NEW_PASSWORD)
        expect(other).to_have_url(f"{live_server.service_url}/console/")
    finally:
        here.close()
        elsewhere.close()


def test_user_signed_in_by_link_sets_a_first_password(live_server, context):
    user = make_user(live_server, "owner", password=None)
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        token = sessions.create_signin_link(session, box=svc.box, user_id=users.find_user(session, user.email).id,
                                            valid_for=timedelta(minutes=5))
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.service_url}/console/signin/link/{token}")
    open_settings(page)
    expect(page.get_by_role("heading", name="Set a password")).to_be_visible()
    expect(page.get_by_label("Current password")).to_have_count(0)
    check_page(page, "settings-first-password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed.")
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in(page, live_server, user, password=NEW_PASSWORD)
    expect(page).to_have_url(f"{live_server.service_url}/console/")


def test_settings_need_a_session_and_the_csrf_token(live_server):
    user = make_user(live_server, "learner", name="Lee")
    with httpx.Client(base_url=live_server.service_url) as client:
        assert client.get("/console/settings").headers["location"].startswith("/console/signin")
    with http_session(live_server, user) as client:
        forged = client.post("/console/settings", data={"name": "Mallory", "email": "m@example.com",
                                                        "lockout_minutes": "5"})
        assert forged.status_code == 403
        assert "Lee" in client.get("/console/settings").text  # nothing changed


# --- password reset through a real SMTP server --------------------------------------------------------

class Inbox:
    """aiosmtpd handler: keeps every message that arrives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 2.0.0 queued"

    def wait_for(self, to: str, timeout: float = 30.0) -> email.message.EmailMessage:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for message in self.messages:
                if message["To"] == to:
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no message to {to} within {timeout} s; got {[m['To'] for m in self.messages]}")


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(Inbox()) as served:
        yield served


@pytest.fixture(scope="module")
def mail_server(database_url, tmp_path_factory, inbox):
    """A live server of its own, sending e-mail to the inbox, over a database of its own (the shared
    live server's worker would otherwise take its mail jobs and write them as files)."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('resetdb') / 'reset.db'}"
    else:
        url = create_pg_database()
    upgrade(url)
    try:
        with running_live_server(url, tmp_path_factory.mktemp("resetdata"),
                                 smtp_url=f"smtp://127.0.0.1:{inbox[1]}") as server:
            yield server
    finally:
        if not url.startswith("sqlite"):
            drop_pg_database(url)


def reset_link_in(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = re.search(r"(http://\S+/console/password-reset/[A-Za-z0-9_-]+)", text).group(1)
    assert f'href="{link}"' in html
    return link


def ask_for_reset(page, server, address: str) -> str:
    page.goto(f"{server.service_url}/console/signin")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("Email").fill(address)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    return page.get_by_role("main").inner_text().replace(address, "ADDRESS")


def test_password_reset_by_email_lifts_the_lockout_and_signs_out_everywhere(mail_server, inbox, browser):
    handler, _ = inbox
    user = make_user(mail_server, "administrator", name="Rita Reset")
    signed_in, page_context = browser.new_context(), browser.new_context()
    try:
        other = signed_in.new_page()
        sign_in(other, mail_server, user)
        page = page_context.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        for _ in range(mail_server.services.settings.console_max_failed_signins):
            sign_in(page, mail_server, user, password="guess-guess-guess")
        expect(page.get_by_role("alert")).to_contain_text("locked")

        page.goto(f"{mail_server.service_url}/console/password-reset")
        check_page(page, "password-reset-ask")
        page.get_by_role("button", name="Send reset link").click()  # empty: said so, nothing sent
        expect(page.get_by_role("alert")).to_have_text("Error: Enter the e-mail address of your account")
        check_page(page, "password-reset-ask-error")

        ask_for_reset(page, mail_server, user.email.upper())
        expect(page.get_by_role("status")).to_contain_text("expires in 60 minutes")
        check_page(page, "password-reset-sent")
        message = handler.wait_for(user.email)
        assert message["Subject"] == "Reset your Coursehost password"
        assert "Rita Reset" in message.get_body(preferencelist=("plain",)).get_content()
        link = reset_link_in(message)

        page.goto(link)
        expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
        expect(page.get_by_role("main")).to_contain_text(user.email)
        check_page(page, "password-reset-form")
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill("something else entirely")
        page.get_by_role("button", name="Set new password").click()
        expect(field_error(page, "New password again")).to_contain_text("The two new passwords differ")
        check_page(page, "password-reset-form-error")

        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set new password").click()
        expect(page.get_by_role("heading", name="Your password is set")).to_be_visible()
        check_page(page, "password-reset-done")

        other.reload()  # the session opened before the reset is revoked
        expect(other).to_have_url(re.compile(r"/console/signin"))
        sign_in(page, mail_server, user, password=NEW_PASSWORD)  # the lock-out is lifted
        expect(page).to_have_url(f"{mail_server.service_url}/console/")

        used = page_context.new_page()
        assert used.goto(link).status == 400  # a second use is refused, in words
        expect(used.get_by_role("heading", name="This password reset link cannot be used")).to_be_visible()
        expect(used.get_by_role("main")).to_contain_text("was used already")
        check_page(used, "password-reset-link-used")
    finally:
        signed_in.close()
        page_context.close()


def test_reset_answer_never_says_whether_the_account_exists(mail_server, inbox, context):
    handler, _ = inbox
    user = make_user(mail_server, "learner")
    nobody = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    page = context.new_page()
    unknown_answer = ask_for_reset(page, mail_server, nobody)
    known_answer = ask_for_reset(page, mail_server, user.email)
    assert unknown_answer == known_answer
    handler.wait_for(user.email)  # the known address got its message, sent after the unknown one was asked
    assert all(m["To"] != nobody for m in handler.messages)


def test_reset_link_expires_and_is_no_sign_in_link(mail_server, inbox, context):
    user = make_user(mail_server, "owner")
    svc = mail_server.services
    with unit_of_work(svc.session_factory) as session:
        assert password_reset.request_reset(session, box=svc.box, email=user.email,
                                            public_url=mail_server.service_url, valid_for=timedelta(seconds=1))
    link = reset_link_in(inbox[0].wait_for(user.email))
    token = link.rsplit("/", 1)[1]
    page = context.new_page()
    assert page.goto(f"{mail_server.service_url}/console/signin/link/{token}").status == 400  # not a sign-in link
    time.sleep(1.2)
    assert page.goto(link).status == 400
    expect(page.get_by_role("main")).to_contain_text("This password reset link has expired")
    # The expired link cannot set a password either.
    form = httpx.post(link, data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
                                  "csrf_token": "t"}, cookies={"coursehost_console_csrf": "t"})
    assert form.status_code == 400 and "has expired" in form.text
    sign_in(page, mail_server, user)  # the old password still works
    expect(page).to_have_url(f"{mail_server.service_url}/console/")


# --- the first `coursehost serve` ---------------------------------------------------------------------

BIN = Path(sys.executable).parent / "coursehost"


@pytest.fixture
def fresh_database_url(database_url, tmp_path):
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = create_pg_database()
    yield url
    drop_pg_database(url)


def _serve(tmp_path, database_url, until: str) -> tuple[str, int, subprocess.Popen]:
    """Run `coursehost serve` until it printed UNTIL and answers; returns (its output, its port, it)."""
    port, content_port = free_port(), free_port()
    env = dict(os.environ, COURSEHOST_DATA_DIR=str(tmp_path), COURSEHOST_DATABASE_URL=database_url)
    proc = subprocess.Popen([str(BIN), "serve", "--port", str(port), "--content-port", str(content_port),
                             "--no-access-log"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = ""
    try:
        deadline = time.time() + 60
        while until not in output and time.time() < deadline and proc.poll() is None:
            output += proc.stdout.readline()
        for _ in range(400):
            try:
                httpx.get(f"http://127.0.0.1:{port}/console/signin")
                break
            except httpx.TransportError:
                time.sleep(0.05)
    except BaseException:
        proc.kill()
        raise
    return output, port, proc


def test_first_serve_prints_a_one_time_link_for_the_first_owner(tmp_path, fresh_database_url, context):
    output, port, proc = _serve(tmp_path, fresh_database_url, until="console sign-in:")
    try:
        assert "secretKey:" in output  # beside the API credentials
        assert "Created the first console owner, owner@coursehost.localhost" in output
        link = re.search(r"console sign-in: (http://\S+/console/signin/link/\S+)", output).group(1)
        page = context.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(link)
        expect(page).to_have_url(f"http://127.0.0.1:{port}/console/")
        expect(page.locator(".facts")).to_contain_text("Owner")
        page.goto(f"http://127.0.0.1:{port}/console/account")  # the first owner is the operator
        expect(page.get_by_role("button", name="Save limits")).to_be_visible()
        open_settings(page)
        expect(page.get_by_role("heading", name="Set a password")).to_be_visible()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        proc.stdout.close()

    # A console user exists now: the second start creates nobody and prints no link.
    again, _, proc = _serve(tmp_path, fresh_database_url, until="Content (player")
    try:
        proc.terminate()
        proc.wait(timeout=20)
        again += proc.stdout.read()
    finally:
        proc.stdout.close()
    assert "console sign-in" not in again and "first console owner" not in again
