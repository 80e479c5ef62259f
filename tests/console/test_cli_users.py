"""`coursehost user create` run as a real process against the live server's database: a password from
stdin signs in through the form; without it a one-time link is printed that signs in once and expires."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid

from playwright.sync_api import expect

from tests.console.support import ConsoleUser, check_page, sign_in


def coursehost(live_server, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """The CLI over the live server's database and instance key (so its links and hashes are the server's)."""
    settings = live_server.services.settings
    environ = {**os.environ, "COURSEHOST_DATA_DIR": str(settings.data_dir),
               "COURSEHOST_DATABASE_URL": settings.database_url, "COURSEHOST_SECRET_KEY": settings.secret_key,
               "COURSEHOST_PUBLIC_URL": live_server.service_url, "COURSEHOST_CONTENT_URL": live_server.content_url,
               **env}
    return subprocess.run([sys.executable, "-m", "coursehost.cli.main", *args], input=stdin, env=environ,
                          capture_output=True, text=True, timeout=120)


def _email(kind: str) -> str:
    return f"cli-{kind}-{uuid.uuid4().hex[:8]}@example.com"


def test_user_create_with_password_from_stdin(live_server, context):
    email = _email("learner")
    done = coursehost(live_server, "user", "create", "--email", email, "--role", "learner", "--password-stdin",
                      stdin="a learner's password\n")
    assert done.returncode == 0, done.stderr
    assert f"Created learner {email} in realm 'Default realm'" in done.stdout
    assert "/console/signin/link/" not in done.stdout  # a password was given: no link
    page = context.new_page()
    sign_in(page, live_server, ConsoleUser(email, "a learner's password", "learner", "Default realm"))
    expect(page.locator(".facts")).to_contain_text("Learner")

    again = coursehost(live_server, "user", "create", "--email", email.upper(), "--role", "owner", "--password-stdin",
                       stdin="another password\n")
    assert again.returncode == 2
    assert "already exists" in again.stderr  # the same address in other letters is the same user

    short = coursehost(live_server, "user", "create", "--email", _email("x"), "--role", "owner", "--password-stdin",
                       stdin="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr


def test_user_create_prints_a_one_time_link(live_server, browser):
    email = _email("owner")
    done = coursehost(live_server, "user", "create", "--email", email, "--role", "owner", "--realm", "Other realm")
    assert done.returncode == 0, done.stderr
    link = re.search(r"(http://\S+/console/signin/link/\S+)", done.stdout).group(1)
    assert done.stdout.count(link) == 1  # printed once

    first, second = browser.new_context(), browser.new_context()
    try:
        page = first.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(link)
        expect(page).to_have_url(f"{live_server.service_url}/console/")
        expect(page.get_by_role("banner")).to_contain_text("Other realm")
        expect(page.locator(".facts")).to_contain_text("Owner")

        again = second.new_page()
        again.set_viewport_size({"width": 1280, "height": 800})
        response = again.goto(link)
        assert response.status == 400
        expect(again.get_by_role("heading", name="This sign-in link cannot be used")).to_be_visible()
        again.goto(f"{live_server.service_url}/console/")
        expect(again).to_have_url(re.compile(r"/console/signin"))  # the second use signed nobody in
        check_page(again, "signin-link-used")
    finally:
        first.close()
        second.close()


def test_one_time_link_expires(live_server, context):
    email = _email("admin")
    done = coursehost(live_server, "user", "create", "--email", email, "--role", "administrator",
                      COURSEHOST_CONSOLE_SIGNIN_LINK_HOURS="0.0003")  # about one second
    assert done.returncode == 0, done.stderr
    link = re.search(r"(http://\S+/console/signin/link/\S+)", done.stdout).group(1)
    time.sleep(1.5)
    page = context.new_page()
    assert page.goto(link).status == 400
    expect(page.get_by_role("main")).to_contain_text("expired")


def test_user_create_refuses_an_unknown_realm(live_server):
    done = coursehost(live_server, "user", "create", "--email", _email("x"), "--role", "owner", "--realm", "No such")
    assert done.returncode == 2 and "No realm 'No such'" in done.stderr


def test_user_create_operator_may_set_limits(live_server, context):
    email = _email("operator")
    done = coursehost(live_server, "user", "create", "--email", email, "--role", "owner", "--operator",
                      "--password-stdin", stdin="the operator's password\n")
    assert done.returncode == 0, done.stderr
    assert f"Created owner {email} in realm 'Default realm' (operator)" in done.stdout
    page = context.new_page()
    sign_in(page, live_server, ConsoleUser(email, "the operator's password", "owner", "Default realm"))
    page.goto(f"{live_server.service_url}/console/account")
    expect(page.get_by_role("button", name="Save limits")).to_be_visible()
