"""The Invitations tab in Chromium: the list with its filters, creating a public invitation (the URL
shown is GetPublicInvitation's), closing it (the public page refuses) and extending it, sending a
private invitation with an edited subject after a preview (the job's e-mails are written as .eml
files), the field errors that create nothing; the role matrix, the session and another realm."""

from __future__ import annotations

import email
import email.policy
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect

from coursehost.db.session import unit_of_work
from coursehost.domain.accounts import users
from tests.builders.scorm import scorm12_zip
from tests.console.support import check_page, csrf_of, http_session, make_user, sign_in, signed_in_page
from tests.e2e.support import import_course


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("invc"), scorm12_zip(
        "Safety basics", scos=[("sco1", "Lesson one", "one.html")]))


@pytest.fixture(scope="module")
def api(live_server) -> cloud.InvitationsApi:
    return cloud.InvitationsApi(live_server.client())


@pytest.fixture
def admin_page(live_server, context):
    return signed_in_page(live_server, context)


def _app(live_server) -> str:
    return live_server.default_app.app_id


def _ids(api, course_id: str) -> set[str]:
    return {i.id for i in api.get_all_invitations(course_id=course_id).invitations}


def test_share_link_creates_a_public_invitation_whose_url_is_the_apis(live_server, course, api, admin_page):
    page = admin_page
    page.goto(f"{live_server.service_url}/console/courses/{_app(live_server)}/{course}")
    page.get_by_role("link", name="Share this course by invitation").click()
    public = page.locator("#public")
    expect(public.get_by_label("Course")).to_have_value(course)
    check_page(page, "invitations-new")
    public.get_by_label("Most learners who may register").fill("3")
    public.get_by_role("button", name="Create public invitation").click()
    expect(page.get_by_role("status").first).to_contain_text("public invitation was created")
    invitation_id = page.url.split("?")[0].rsplit("/", 1)[1]
    shown = page.get_by_label("Share this address").input_value()
    inv = api.get_public_invitation(invitation_id)
    assert shown == inv.url and inv.registration_cap == 3 and inv.course_id == course
    expect(page.get_by_role("button", name="Copy the public URL")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("0 of 3")
    check_page(page, "invitations-public")


def test_public_invitation_with_errors_keeps_the_form_and_creates_nothing(live_server, course, api, admin_page):
    page = admin_page
    before = _ids(api, course)
    page.goto(f"{live_server.service_url}/console/invitations/new?app={_app(live_server)}&course={course}")
    public = page.locator("#public")
    public.get_by_label("Most learners who may register").fill("many")
    public.get_by_label("Expiration date").fill("2001-01-01")
    public.get_by_role("button", name="Create public invitation").click()
    expect(page.locator("#public-cap-error")).to_have_text("Enter a whole number of learners (0 or empty: no limit).")
    expect(page.locator("#public-expires-error")).to_have_text("The expiration date must be in the future.")
    expect(public.get_by_label("Most learners who may register")).to_have_value("many")
    expect(public.get_by_label("Course")).to_have_value(course)
    check_page(page, "invitations-new-errors")
    assert _ids(api, course) == before


def test_close_makes_the_public_page_refuse_then_reopen_and_extend(live_server, course, api, admin_page, browser):
    inv = api.create_public_invitation(cloud.CreatePublicInvitationSchema(
        course_id=course, creating_user_email="owner@example.org"))
    page = admin_page
    page.goto(f"{live_server.service_url}/console/invitations/{_app(live_server)}/{inv.id}")
    page.get_by_role("link", name="Close invitation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close this invitation?")
    check_page(page, "invitations-close-confirm")
    page.get_by_role("button", name="Close invitation").click()
    expect(page.get_by_role("status").first).to_contain_text("The invitation was closed.")
    expect(page.locator(".facts")).to_contain_text("Closed")
    got = api.get_public_invitation(inv.id)
    assert (got.allow_new_registrations, got.allow_launch) == (False, False)
    stranger = browser.new_context().new_page()
    stranger.goto(inv.url)
    expect(stranger.get_by_text("cannot be started through this invitation")).to_be_visible()
    expect(stranger.get_by_role("button", name="Start course")).to_have_count(0)
    stranger.context.close()

    page.get_by_role("button", name="Reopen invitation").click()
    expect(page.get_by_role("status").first).to_contain_text("reopened")
    assert api.get_public_invitation(inv.id).allow_new_registrations is True

    page.get_by_label("New expiration date").fill("2001-02-03")
    page.get_by_role("button", name="Change expiration").click()
    expect(page.locator("#expires-error")).to_have_text("The expiration date must be in the future.")
    assert api.get_public_invitation(inv.id).expiration_date is None
    day = date.today() + timedelta(days=30)
    page.get_by_label("New expiration date").fill(day.isoformat())
    page.get_by_role("button", name="Change expiration").click()
    expect(page.get_by_role("status").first).to_contain_text("expiration date was changed")
    expires = api.get_public_invitation(inv.id).expiration_date
    assert expires.astimezone(UTC) == datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
    check_page(page, "invitations-public-extended")


def test_a_registration_shows_with_its_progress_and_the_list_filters(live_server, course, api, admin_page, browser):
    inv = api.create_public_invitation(cloud.CreatePublicInvitationSchema(
        course_id=course, creating_user_email="owner@example.org", registration_cap=2))
    stranger = browser.new_context().new_page()
    stranger.goto(inv.url)
    stranger.get_by_label("First name").fill("Ada")
    stranger.get_by_label("Last name").fill("Lovelace")
    address = f"ada-{uuid.uuid4().hex[:6]}@example.com"
    stranger.get_by_label("Email").fill(address)
    stranger.get_by_role("button", name="Start course").click()
    stranger.wait_for_load_state()
    stranger.context.close()
    people = api.get_public_user_invitations(inv.id).user_invitations
    assert [p.email for p in people] == [address]

    page = admin_page
    page.goto(f"{live_server.service_url}/console/invitations/{_app(live_server)}/{inv.id}")
    row = page.locator("table.invitation-people tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name=address)).to_have_attribute(
        "href", f"/console/registrations/{_app(live_server)}/{people[0].registration_id}")
    expect(page.locator(".facts")).to_contain_text("1 of 2")
    check_page(page, "invitations-public-people")

    closed = api.create_public_invitation(cloud.CreatePublicInvitationSchema(
        course_id=course, creating_user_email="owner@example.org"))
    api.update_public_invitation(closed.id, cloud.PublicInvitationUpdateSchema(allow_new_registrations=False))
    page.goto(f"{live_server.service_url}/console/invitations?app={_app(live_server)}")
    page.get_by_label("Course").select_option(course)
    page.get_by_label("Kind").select_option("public")
    page.get_by_label("State").select_option("closed")
    page.get_by_role("button", name="Filter").click()
    links = [a.get_attribute("href") for a in page.locator("table.invitations tbody a").all()]
    assert any(h.endswith(f"/{closed.id}") for h in links)
    assert not any(h.endswith(f"/{inv.id}") for h in links)
    page.get_by_label("State").select_option("open")
    page.get_by_role("button", name="Filter").click()
    links = [a.get_attribute("href") for a in page.locator("table.invitations tbody a").all()]
    assert any(h.endswith(f"/{inv.id}") for h in links) and not any(h.endswith(f"/{closed.id}") for h in links)
    page.get_by_label("Kind").select_option("private")
    page.get_by_role("button", name="Filter").click()
    links = [a.get_attribute("href") for a in page.locator("table.invitations tbody a").all()]
    assert not any(h.endswith((f"/{inv.id}", f"/{closed.id}")) for h in links)
    page.get_by_role("link", name="Clear filters").click()
    check_page(page, "invitations-list")


def _mails_to(mail_dir: Path, addresses: set[str]) -> dict[str, list[email.message.EmailMessage]]:
    found: dict[str, list] = {a: [] for a in addresses}
    for path in mail_dir.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] in found:
            found[message["To"]].append(message)
    return found


def test_private_invitation_previewed_then_sent_to_two_addresses(live_server, course, api, admin_page):
    page = admin_page
    tag = uuid.uuid4().hex[:6]
    addresses = [f"pat-{tag}@example.com", f"sam-{tag}@example.com"]
    before = _ids(api, course)
    page.goto(f"{live_server.service_url}/console/invitations/new?app={_app(live_server)}&course={course}")
    private = page.locator("#private")
    private.get_by_label("E-mail addresses, one per line").fill(f"{addresses[0]}\nnot an address\n")
    private.get_by_label("Subject").fill(f"Please take Safety basics {tag}")
    private.get_by_label("Message").fill("It takes ten minutes.")
    private.get_by_role("button", name="Send invitations").click()
    expect(page.locator("#private-addresses-error")).to_contain_text("[not an address] is not an e-mail address")
    expect(private.get_by_label("Subject")).to_have_value(f"Please take Safety basics {tag}")
    assert _ids(api, course) == before

    private.get_by_label("E-mail addresses, one per line").fill("\n".join(addresses))
    private.get_by_role("button", name="Preview e-mail").click()
    preview = page.locator(".invitation-preview")
    expect(preview.locator(".preview-subject")).to_have_text(f"Please take Safety basics {tag}")
    expect(preview.locator("pre")).to_contain_text("It takes ten minutes.")
    expect(preview.locator("pre")).to_contain_text("You are invited to the course Safety basics.")
    check_page(page, "invitations-private-preview")
    assert _ids(api, course) == before  # a preview sends and creates nothing

    page.locator("#private").get_by_role("button", name="Send invitations").click()
    expect(page.get_by_role("status").first).to_contain_text("private invitation was created")
    invitation_id = page.url.split("?")[0].rsplit("/", 1)[1]
    got = api.get_private_invitation(invitation_id)
    assert got.invitation_email.subject == f"Please take Safety basics {tag}"
    assert sorted(got.invitation_email.addresses) == sorted(addresses)

    mail_dir = live_server.services.settings.data_dir / "mail"
    deadline = time.time() + 30
    while time.time() < deadline:
        found = _mails_to(mail_dir, set(addresses))
        if all(len(v) == 1 for v in found.values()):
            break
        time.sleep(0.3)
    assert {a: len(v) for a, v in found.items()} == {a: 1 for a in addresses}
    for messages in found.values():
        assert messages[0]["Subject"] == f"Please take Safety basics {tag}"
        assert f"/invite/{invitation_id}/learner/" in messages[0].get_body(("plain",)).get_content()
    page.reload()
    expect(page.get_by_text("All 2 addresses done. E-mails: 2 sent, 0 waiting, 0 failed.")).to_be_visible()
    expect(page.locator("table.invitation-people tbody tr")).to_have_count(2)
    expect(page.locator("table.invitation-people td.delivery")).to_have_text(["Sent", "Sent"])
    check_page(page, "invitations-private")

    page.get_by_role("link", name="Close invitation").click()
    page.get_by_role("button", name="Close invitation").click()
    assert api.get_private_invitation(invitation_id).allow_launch is False


# (method, path with {app} {inv}, form, status for administrators and owners)
ROUTES = [
    ("GET", "/console/invitations?app={app}", {}, 200),
    ("GET", "/console/invitations/new?app={app}&course={course}", {}, 200),
    ("POST", "/console/invitations/new?app={app}", {"kind": "public", "course": "{course}"}, 303),
    ("POST", "/console/invitations/new?app={app}", {"kind": "private", "course": "{course}", "action": "preview",
                                                    "addresses": "a@example.com"}, 200),
    ("GET", "/console/invitations/{app}/{inv}", {}, 200),
    ("POST", "/console/invitations/{app}/{inv}/extend", {"expires": "2099-01-01"}, 303),
    ("GET", "/console/invitations/{app}/{inv}/close", {}, 200),
    ("POST", "/console/invitations/{app}/{inv}/close", {}, 303),
    ("POST", "/console/invitations/{app}/{inv}/reopen", {}, 303),
]


@pytest.mark.parametrize("role", ["owner", "administrator", "learner"])
def test_role_matrix_of_the_invitations_pages(live_server, course, api, role):
    inv = api.create_public_invitation(cloud.CreatePublicInvitationSchema(
        course_id=course, creating_user_email="owner@example.org"))
    before = _ids(api, course)
    with http_session(live_server, make_user(live_server, role)) as client:
        token = csrf_of(client)
        for method, template, data, status in ROUTES:
            path = template.format(app=_app(live_server), inv=inv.id, course=course)
            form = {k: v.format(course=course) for k, v in data.items()}
            answer = client.request(method, path, data={"csrf_token": token, **form} if method == "POST" else None)
            if role == "learner":
                assert answer.status_code == 403, (method, path)
                assert inv.id not in answer.text
            else:
                assert answer.status_code == status, (role, method, path, answer.text[:300])
    after = api.get_public_invitation(inv.id)
    if role == "learner":
        assert _ids(api, course) == before
        assert (after.expiration_date, after.allow_launch) == (None, True)
    else:
        assert len(_ids(api, course) - before) == 1
        assert after.expiration_date is not None and after.allow_launch is True


@pytest.mark.parametrize(("method", "template"), sorted({(m, t) for m, t, _, _ in ROUTES}))
def test_every_invitations_route_needs_a_session(live_server, method, template):
    path = template.format(app=_app(live_server), inv="anything", course="anything")
    with httpx.Client(base_url=live_server.service_url) as client:
        answer = client.request(method, path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/signin")


def test_another_realms_invitation_is_not_found(live_server, course, api, context):
    inv = api.create_public_invitation(cloud.CreatePublicInvitationSchema(
        course_id=course, creating_user_email="owner@example.org"))
    with unit_of_work(live_server.services.session_factory) as session:
        other_realm = users.find_realm(session, "Other realm").id
    outsider = make_user(live_server, "owner", realm_id=other_realm)
    with http_session(live_server, outsider) as client:
        token = csrf_of(client)
        for method, template, data, _ in ROUTES:
            path = template.format(app=_app(live_server), inv=inv.id, course=course)
            form = {k: v.format(course=course) for k, v in data.items()}
            answer = client.request(method, path, data={"csrf_token": token, **form} if method == "POST" else None)
            assert answer.status_code == 404, (method, path)
            assert inv.id not in answer.text and "Safety basics" not in answer.text
    after = api.get_public_invitation(inv.id)
    assert (after.expiration_date, after.allow_launch) == (None, True)
    page = context.new_page()
    sign_in(page, live_server, outsider)
    page.goto(f"{live_server.service_url}/console/invitations/{_app(live_server)}/{inv.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Application not found")
    check_page(page, "invitations-other-realm")
