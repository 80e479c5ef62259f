"""Realms in the console: "Your realms" (create, rename), the realm picker in the header, the users of
a realm (add by e-mail, change a role, remove), the rules about Owners, and isolation between realms:
Chromium pages checked with axe-core, and forged requests over plain HTTP."""

from __future__ import annotations

import email
import email.policy
import re
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from coursehost.db.session import unit_of_work
from coursehost.domain.accounts import members, realms, users
from coursehost.domain.applications import service as apps
from tests.console.support import check_page, csrf_of, http_session, make_user, sign_in


def _unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def _fresh_realm(live_server, name: str | None = None) -> tuple[int, str]:
    """A realm of the test's own (made as the console makes one), so that its members are known."""
    with unit_of_work(live_server.services.session_factory) as session:
        realm = apps.create_realm(session, box=live_server.services.box, name=name or _unique("Realm"))[0]
        return realm.id, realm.name


def _user_id(live_server, email: str) -> int:
    with unit_of_work(live_server.services.session_factory) as session:
        return users.find_user(session, email).id


def _role(live_server, email: str, realm_id: int) -> str | None:
    with unit_of_work(live_server.services.session_factory) as session:
        role = users.role_in(session, user_id=users.find_user(session, email).id, realm_id=realm_id)
        return role.value if role else None


def _realm_name(live_server, realm_id: int) -> str:
    with unit_of_work(live_server.services.session_factory) as session:
        return users.find_realm(session, str(realm_id)).name


def _join(live_server, email: str, realm_id: int, role: str) -> None:
    """Give an existing user a role in one more realm, as the users page does."""
    with unit_of_work(live_server.services.session_factory) as session:
        members.add_member(session, realm_id=realm_id, actor_role=users.Role.OWNER, email=email, role=users.Role(role))


def _first_realm(live_server) -> int:
    with unit_of_work(live_server.services.session_factory) as session:
        return apps.ensure_realm(session).id


def _page(context):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


def test_owner_creates_renames_and_switches_realms(live_server, context):
    home_realm, home_name = _fresh_realm(live_server)
    owner = make_user(live_server, "owner", name="Olive Owner", realm_id=home_realm)
    page = _page(context)
    sign_in(page, live_server, owner)
    expect(page.get_by_label("Realm", exact=True)).to_have_count(0)  # one realm: no picker, just its name
    expect(page.get_by_role("banner")).to_contain_text(home_name)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Realms").click()
    expect(page.get_by_role("heading", name="Your realms")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(re.escape(home_name)))
    expect(row).to_contain_text("Owner")
    expect(row).to_contain_text("current")
    check_page(page, "realms")

    # A blank name: the field's message, the value kept, nothing made.
    page.get_by_label("Name", exact=True).fill("   ")
    page.get_by_role("button", name="Create realm").click()
    expect(page.get_by_role("alert")).to_have_text("Name is required")
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    check_page(page, "realms-create-error")

    created = _unique("Training")
    page.get_by_label("Name", exact=True).fill(created)
    page.get_by_role("button", name="Create realm").click()
    expect(page.get_by_role("status")).to_contain_text(f"The realm {created} was created")
    expect(page.get_by_role("row", name=re.compile(re.escape(created)))).to_contain_text("Owner")
    with unit_of_work(live_server.services.session_factory) as session:
        mine = {r.name: r for r in realms.user_realms(session, user_id=_user_id(live_server, owner.email))}
        new_apps = apps.list_child_applications(session, realm_id=mine[created].realm_id)
    assert [a.name for a in new_apps] == [apps.DEFAULT_APP_NAME]  # what every new realm starts with
    new_id = mine[created].realm_id

    renamed = _unique("Renamed")
    page.get_by_label(f"New name for {created}").fill(renamed)
    page.get_by_role("button", name=f"Rename {created}").click()
    expect(page.get_by_role("status")).to_have_text(f"The realm is now called {renamed}.")
    assert _realm_name(live_server, new_id) == renamed

    # The picker in the header (two realms now) switches the session; every page then shows that realm.
    picker = page.get_by_label("Realm", exact=True)
    expect(picker.locator("option")).to_have_count(2)
    picker.select_option(label=renamed)
    page.get_by_role("button", name="Switch").click()
    expect(page).to_have_url(f"{live_server.service_url}/console/")
    expect(page.get_by_role("heading", level=1)).to_have_text(renamed)
    expect(page.get_by_label("Realm", exact=True)).to_have_value(str(new_id))
    check_page(page, "realm-switched")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name=f"Users of {renamed}")).to_be_visible()
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(1)  # only its creator


def test_rename_keeps_the_typed_name_on_error(live_server, context):
    realm_id, name = _fresh_realm(live_server)
    owner = make_user(live_server, "owner", realm_id=realm_id)
    page = _page(context)
    sign_in(page, live_server, owner)
    page.goto(f"{live_server.service_url}/console/realms")
    page.get_by_label(f"New name for {name}").fill("x" * 256)  # one more than the field allows
    page.get_by_label(f"New name for {name}").evaluate("e => e.removeAttribute('maxlength')")
    page.get_by_label(f"New name for {name}").fill("x" * 256)
    page.get_by_role("button", name=f"Rename {name}").click()
    expect(page.get_by_role("alert")).to_contain_text("longer than 255 characters")
    expect(page.get_by_label(f"New name for {name}")).to_have_value("x" * 256)
    assert _realm_name(live_server, realm_id) == name
    check_page(page, "realms-rename-error")


def test_a_user_never_reaches_a_realm_they_do_not_belong_to(live_server, context):
    mine, _ = _fresh_realm(live_server)
    second, second_name = _fresh_realm(live_server)
    theirs, theirs_name = _fresh_realm(live_server)
    user = make_user(live_server, "owner", realm_id=mine)
    _join(live_server, user.email, second, "learner")

    page = _page(context)
    sign_in(page, live_server, user)
    options = page.get_by_label("Realm", exact=True).locator("option")
    expect(options).to_have_count(2)
    expect(page.get_by_label("Realm", exact=True)).not_to_contain_text(theirs_name)
    page.goto(f"{live_server.service_url}/console/realms")
    expect(page.get_by_role("main")).not_to_contain_text(theirs_name)
    expect(page.get_by_role("row", name=re.compile(re.escape(second_name)))).to_contain_text("Learner")
    expect(page.get_by_role("button", name=f"Rename {second_name}")).to_have_count(0)  # a Learner there

    # A tampered picker: the other realm's id is refused with the 403 page, the session stays where it was.
    page.get_by_label("Realm", exact=True).evaluate(f"s => {{ s.options[1].value = '{theirs}'; s.selectedIndex = 1; }}")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()
    check_page(page, "realm-switch-forbidden")
    page.goto(f"{live_server.service_url}/console/")
    expect(page.get_by_role("heading", level=1)).to_have_text(_realm_name(live_server, mine))

    with http_session(live_server, user) as client:
        token = csrf_of(client)
        for realm_id in (theirs, 987654):  # another's realm, and one that does not exist: the same answer
            switched = client.post("/console/realms/switch", data={"realm_id": str(realm_id), "csrf_token": token})
            assert switched.status_code == 403 and "You do not have a role in this realm" in switched.text
            renamed = client.post(f"/console/realms/{realm_id}/rename", data={"name": "Mine now", "csrf_token": token})
            assert renamed.status_code == 403
        assert _realm_name(live_server, theirs) == theirs_name
        # Owner of one realm, Learner in another: renaming the other is refused too.
        refused = client.post(f"/console/realms/{second}/rename", data={"name": "Mine now", "csrf_token": token})
        assert refused.status_code == 403 and "Only an Owner" in refused.text
        assert _realm_name(live_server, second) == second_name
        assert mine == int(re.search(r'option value="(\d+)" selected', client.get("/console/").text).group(1))


def test_owner_adds_changes_and_removes_members(live_server, context):
    realm_id, realm_name = _fresh_realm(live_server)
    owner = make_user(live_server, "owner", realm_id=realm_id)
    elsewhere = make_user(live_server, "learner")  # an existing account, in another realm
    page = _page(context)
    sign_in(page, live_server, owner)
    page.goto(f"{live_server.service_url}/console/users")
    expect(page.get_by_role("heading", name=f"Users of {realm_name}")).to_be_visible()
    check_page(page, "users-manage")

    # A bad address: the field's message, the form kept filled in, nobody added.
    form = page.locator("form[action='/console/users']")
    form.get_by_label("Email").fill("someone@nowhere")
    form.get_by_label("Name (for a new account)").fill("Sam Someone")
    form.get_by_label("Role").select_option(label="Administrator")
    form.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("alert")).to_contain_text("Email must be an e-mail address")
    expect(form.get_by_label("Email")).to_have_value("someone@nowhere")
    expect(form.get_by_label("Name (for a new account)")).to_have_value("Sam Someone")
    expect(form.get_by_label("Role")).to_have_value("administrator")
    check_page(page, "users-add-error")

    new_email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    form.get_by_label("Email").fill(new_email)
    form.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_have_text(
        f"{new_email} was added to the realm with a new account; they have no password yet. An e-mail with a "
        f"one-time sign-in link is on its way to them.")
    expect(page.get_by_role("row", name=re.compile(re.escape(new_email)))).to_contain_text("Administrator")
    expect(page.get_by_role("row", name=re.compile(re.escape(new_email)))).to_contain_text("Sam Someone")

    form.get_by_label("Email").fill(elsewhere.email.upper())  # the same person in other letters
    form.get_by_label("Role").select_option(label="Learner")
    form.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_contain_text("was added to the realm; an e-mail tells them so.")
    assert _role(live_server, elsewhere.email, realm_id) == "learner"
    assert _role(live_server, elsewhere.email, _first_realm(live_server)) == "learner"  # their own realm: untouched

    form.get_by_label("Email").fill(elsewhere.email)
    form.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("alert")).to_contain_text("already a member of this realm, as Learner")

    page.get_by_label(f"Role of {elsewhere.email}").select_option(label="Owner")
    page.get_by_role("button", name=f"Change role of {elsewhere.email}").click()
    expect(page.get_by_role("status")).to_have_text(f"{elsewhere.email}'s role was changed.")
    assert _role(live_server, elsewhere.email, realm_id) == "owner"

    page.get_by_role("button", name=f"Remove {new_email}").click()  # asks first
    expect(page.get_by_role("heading", name=re.compile(f"^Remove .* from {re.escape(realm_name)}"))).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Their account stays")
    check_page(page, "users-remove-confirm")
    assert _role(live_server, new_email, realm_id) == "administrator"  # nothing done yet
    page.get_by_role("button", name=f"Remove {new_email}").click()
    expect(page.get_by_role("status")).to_have_text(f"{new_email} was removed from the realm.")
    expect(page.get_by_role("row", name=re.compile(re.escape(new_email)))).to_have_count(0)
    assert _role(live_server, new_email, realm_id) is None
    check_page(page, "users-removed")


def test_an_administrator_cannot_make_change_or_remove_an_owner(live_server, context):
    realm_id, _ = _fresh_realm(live_server)
    owner = make_user(live_server, "owner", realm_id=realm_id)
    admin = make_user(live_server, "administrator", realm_id=realm_id)
    learner = make_user(live_server, "learner", password=None, realm_id=realm_id)
    page = _page(context)
    sign_in(page, live_server, admin)
    page.goto(f"{live_server.service_url}/console/users")
    expect(page.get_by_role("row", name=re.compile(re.escape(owner.email)))).to_contain_text(
        "Only an Owner can change an Owner")
    expect(page.get_by_label("Role", exact=True).locator("option")).to_have_text(["Administrator", "Learner"])
    check_page(page, "users-administrator")

    owner_id, learner_id = _user_id(live_server, owner.email), _user_id(live_server, learner.email)
    with http_session(live_server, admin) as client:
        token = csrf_of(client)
        attempts = [
            ("/console/users", {"email": f"x-{uuid.uuid4().hex[:6]}@example.com", "role": "owner"}),
            (f"/console/users/{learner_id}/role", {"role": "owner"}),
            (f"/console/users/{owner_id}/role", {"role": "learner"}),
            (f"/console/users/{owner_id}/remove", {"confirm": "yes"}),
        ]
        for path, form in attempts:
            answer = client.post(path, data={**form, "csrf_token": token})
            assert answer.status_code == 403, path
            assert "Only an Owner may make someone an Owner" in answer.text
    assert _role(live_server, owner.email, realm_id) == "owner"
    assert _role(live_server, learner.email, realm_id) == "learner"
    with unit_of_work(live_server.services.session_factory) as session:
        assert users.find_user(session, attempts[0][1]["email"]) is None  # no account made either


def test_the_last_owner_stays(live_server):
    realm_id, _ = _fresh_realm(live_server)
    owner = make_user(live_server, "owner", realm_id=realm_id)
    owner_id = _user_id(live_server, owner.email)
    with http_session(live_server, owner) as client:
        token = csrf_of(client)
        demoted = client.post(f"/console/users/{owner_id}/role", data={"role": "administrator", "csrf_token": token})
        assert demoted.status_code == 409 and "last Owner cannot be given another role" in demoted.text
        removed = client.post(f"/console/users/{owner_id}/remove", data={"csrf_token": token, "confirm": "yes"})
        assert removed.status_code == 409 and "last Owner cannot be removed" in removed.text
        assert _role(live_server, owner.email, realm_id) == "owner"

        second = make_user(live_server, "owner", password=None, realm_id=realm_id)
        demoted = client.post(f"/console/users/{owner_id}/role", data={"role": "learner", "csrf_token": token})
        assert demoted.status_code == 303 and demoted.headers["location"] == "/console/"
        assert _role(live_server, owner.email, realm_id) == "learner"
        assert _role(live_server, second.email, realm_id) == "owner"
        assert client.get("/console/users").status_code == 403  # a Learner now: the page is not theirs


@pytest.mark.parametrize("action", ["role", "remove"])
def test_members_of_another_realm_cannot_be_touched(live_server, action):
    mine, _ = _fresh_realm(live_server)
    theirs, _ = _fresh_realm(live_server)
    admin = make_user(live_server, "owner", realm_id=mine)
    stranger = make_user(live_server, "learner", password=None, realm_id=theirs)
    with http_session(live_server, admin) as client:
        answer = client.post(f"/console/users/{_user_id(live_server, stranger.email)}/{action}",
                             data={"role": "owner", "confirm": "yes", "csrf_token": csrf_of(client)})
        assert answer.status_code == 404 and "not a member of the realm" in answer.text
        if action == "remove":  # nor is the confirmation page shown for them
            asked = client.get(f"/console/users/{_user_id(live_server, stranger.email)}/remove")
            assert asked.status_code == 404 and stranger.email not in asked.text
        assert stranger.email not in client.get("/console/users").text
    assert _role(live_server, stranger.email, theirs) == "learner"
    assert _role(live_server, stranger.email, mine) is None


def test_leaving_the_current_realm_moves_the_session_to_another(live_server):
    first, first_name = _fresh_realm(live_server)
    second, second_name = _fresh_realm(live_server)
    owner = make_user(live_server, "owner", realm_id=first)
    make_user(live_server, "owner", password=None, realm_id=second)  # the realm keeps an owner
    owner_id = _user_id(live_server, owner.email)
    _join(live_server, owner.email, second, "administrator")
    with http_session(live_server, owner) as client:
        token = csrf_of(client)
        assert client.post("/console/realms/switch", data={"realm_id": str(second), "csrf_token": token}
                           ).status_code == 303
        assert f"<h1>{second_name}</h1>" in client.get("/console/").text
        left = client.post(f"/console/users/{owner_id}/remove", data={"csrf_token": token, "confirm": "yes"})
        assert left.status_code == 303 and left.headers["location"] == "/console/realms"
        home = client.get("/console/")
        assert home.status_code == 200 and f"<h1>{first_name}</h1>" in home.text  # still signed in, in a realm of theirs
        assert second_name not in client.get("/console/realms").text


def _mail_to(live_server, address: str, timeout: float = 20.0) -> email.message.EmailMessage:
    """The e-mail the live server's worker wrote for ADDRESS (no SMTP configured: .eml files in DATA_DIR/mail)."""
    folder = Path(live_server.services.settings.data_dir) / "mail"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address:
                return message
        time.sleep(0.2)
    raise AssertionError(f"no e-mail to {address} in {folder}")


def test_a_user_added_by_email_is_told_and_signs_in_with_the_link(live_server, context, browser):
    realm_id, realm_name = _fresh_realm(live_server)
    owner = make_user(live_server, "owner", name="Olga Owner", realm_id=realm_id)
    elsewhere = make_user(live_server, "learner")
    page = _page(context)
    sign_in(page, live_server, owner)
    page.goto(f"{live_server.service_url}/console/users")
    form = page.locator("form[action='/console/users']")
    new_email = f"welcome-{uuid.uuid4().hex[:8]}@example.com"
    form.get_by_label("Email").fill(new_email)
    form.get_by_label("Role").select_option(label="Administrator")
    form.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_contain_text("An e-mail with a one-time sign-in link is on its way")
    form.get_by_label("Email").fill(elsewhere.email)
    form.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_contain_text("an e-mail tells them so")

    welcome = _mail_to(live_server, new_email)
    assert welcome["Subject"] == f"You have been added to {realm_name} on Coursehost"
    text = welcome.get_body(("plain",)).get_content()
    assert "Olga Owner added you to the realm" in text and "as Administrator" in text
    link = re.search(r"(http://\S+/console/signin/link/\S+)", text).group(1)
    assert link in welcome.get_body(("html",)).get_content()
    told = _mail_to(live_server, elsewhere.email).get_body(("plain",)).get_content()
    assert f"{live_server.service_url}/console/" in told and "/signin/link/" not in told  # has an account

    newcomer = browser.new_context()
    try:
        fresh = newcomer.new_page()
        fresh.goto(link)
        expect(fresh).to_have_url(f"{live_server.service_url}/console/")
        expect(fresh.locator(".facts")).to_contain_text("Administrator")
        fresh.goto(link)  # once only
        expect(fresh.get_by_role("heading", name="This sign-in link cannot be used")).to_be_visible()
    finally:
        newcomer.close()
