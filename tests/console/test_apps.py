"""The Apps/API pages in Chromium: applications created, renamed and deleted (after a confirmation),
secret keys shown on request and copied with the keyboard, a credential disabled in the console and
then refused by the API (official client), the registrations-per-month chart and its table, the
configuration cascade, and what an administrator of another realm or a learner cannot do."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect
from rustici_software_cloud_v2.rest import ApiException
from sqlalchemy import update

from coursehost.db.base import utcnow
from coursehost.db.models.registrations import Registration
from coursehost.db.session import unit_of_work
from coursehost.domain.accounts import users
from coursehost.domain.months import month_starts
from tests.builders.scorm import scorm12_zip
from tests.console.support import check_page, csrf_of, http_session, make_user, sign_in
from tests.e2e.support import create_registration, import_course
from tests.servers import AppCreds


@pytest.fixture
def mgmt(live_server):
    return cloud.ApplicationManagementApi(live_server.client(live_server.management_app))


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


def _unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def _create_in_console(page, live_server, name: str) -> str:
    """Create an application through the list page's form; its app id (from the details page)."""
    page.goto(f"{live_server.service_url}/console/apps")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return page.locator(".facts dd code").inner_text()


def _credential(page, name: str):
    return page.locator("li.credential").filter(has=page.get_by_role("heading", name=name, exact=True))


def test_owner_creates_renames_and_deletes_an_application(live_server, page, mgmt):
    owner = make_user(live_server, "owner")
    sign_in(page, live_server, owner)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Apps/API").click()
    expect(page.get_by_role("heading", name="Applications", level=1)).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("row", name=re.compile(live_server.management_app.app_id))).to_contain_text(
        "Management application")
    expect(table.get_by_role("row", name=re.compile(live_server.default_app.app_id))).not_to_contain_text(
        "Management application")
    check_page(page, "apps")

    # A blank name is refused with the field's message; nothing is created.
    before = len(mgmt.get_application_list().applications)
    page.get_by_label("Name").fill("   ")
    page.get_by_role("button", name="Create application").click()
    expect(page.get_by_text("Name is required.")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    assert len(mgmt.get_application_list().applications) == before
    check_page(page, "apps-create-error")

    name = _unique("Sales training")
    app_id = _create_in_console(page, live_server, name)
    expect(page.get_by_role("status")).to_contain_text("was created")
    assert (mgmt.get_application_info(app_id).name) == name  # the API sees it
    expect(page.get_by_role("table", name="Registrations created per month").get_by_role("row")).to_have_count(14)
    check_page(page, "app-details")

    # Rename: a blank name is refused, the page kept filled in; then a good name.
    page.get_by_label("Application name").fill("  ")
    page.get_by_role("button", name="Rename application").click()
    expect(page.get_by_role("alert")).to_contain_text("Name is required.")
    expect(page.get_by_label("Application name")).to_have_value("  ")
    expect(page.get_by_label("Application name")).to_have_attribute("aria-invalid", "true")
    check_page(page, "app-rename-error")
    assert mgmt.get_application_info(app_id).name == name
    renamed = _unique("Renamed")
    page.get_by_label("Application name").fill(renamed)
    page.get_by_role("button", name="Rename application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(renamed)
    assert mgmt.get_application_info(app_id).name == renamed

    # Delete: not allowed yet (allowDelete), then allowed, confirmed, gone.
    page.goto(f"{live_server.service_url}/console/apps/{app_id}/delete")
    expect(page.get_by_role("alert")).to_contain_text("does not allow deletion")
    expect(page.get_by_role("button", name="Delete application")).to_have_count(0)
    page.goto(f"{live_server.service_url}/console/apps/{app_id}")
    page.get_by_role("button", name="Allow deletion").click()
    assert mgmt.get_application_info(app_id).allow_delete is True
    page.get_by_role("link", name="Delete application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete {renamed}?")
    check_page(page, "app-delete-confirm")
    page.get_by_role("button", name="Delete application").click()
    expect(page).to_have_url(f"{live_server.service_url}/console/apps?notice=deleted")
    expect(page.get_by_role("status")).to_have_text("The application was deleted.")
    expect(page.get_by_role("table")).not_to_contain_text(app_id)
    with pytest.raises(ApiException) as err:
        mgmt.get_application_info(app_id)
    assert err.value.status == 404


def test_secret_is_shown_on_request_and_copied_with_the_keyboard(live_server, context, page, mgmt):
    admin = make_user(live_server, "administrator")
    sign_in(page, live_server, admin)
    app_id = _create_in_console(page, live_server, _unique("Secrets"))
    (cred,) = mgmt.get_credentials(app_id).credentials
    assert cred.credential not in page.content()  # hidden until asked for
    card = _credential(page, "Default")
    expect(card).to_contain_text("Hidden")
    card.get_by_role("button", name="Show the secret key of Default").click()
    card = _credential(page, "Default")
    expect(card.locator("code.secret")).to_have_text(cred.credential)

    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.service_url)
    copy = card.get_by_role("button", name="Copy the secret key of Default")
    copy.focus()
    expect(copy).to_be_focused()
    page.keyboard.press("Enter")
    expect(card.get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("() => navigator.clipboard.readText()") == cred.credential
    check_page(page, "app-secret-shown")

    # The revealed secret works with the official client.
    assert cloud.PingApi(live_server.client(AppCreds(app_id, cred.credential))).ping_app_id().api_message == "pong"


def test_disabled_credential_is_refused_by_the_api(live_server, page, mgmt):
    owner = make_user(live_server, "owner")
    sign_in(page, live_server, owner)
    app_id = _create_in_console(page, live_server, _unique("Disable me"))
    page.get_by_label("Name of the new credential").fill("")
    page.get_by_role("button", name="Create credential").click()
    expect(page.get_by_text("Name is required.").first).to_be_visible()
    assert len(mgmt.get_credentials(app_id).credentials) == 1
    page.get_by_label("Name of the new credential").fill("integration")
    page.get_by_role("button", name="Create credential").click()
    expect(page.get_by_role("status")).to_contain_text("A new credential was created.")
    integration = next(c for c in mgmt.get_credentials(app_id).credentials if c.name == "integration")
    api = cloud.CourseApi(live_server.client(AppCreds(app_id, integration.credential)))
    assert api.get_courses().courses == []

    _credential(page, "integration").get_by_role("button", name="Disable credential integration").click()
    expect(page.get_by_role("status")).to_contain_text("the API refuses it from now on")
    expect(_credential(page, "integration")).to_contain_text("Disabled")
    check_page(page, "app-credential-disabled")
    with pytest.raises(ApiException) as err:
        api.get_courses()
    assert err.value.status == 401
    default = next(c for c in mgmt.get_credentials(app_id).credentials if c.name == "Default")
    assert cloud.PingApi(live_server.client(AppCreds(app_id, default.credential))).ping_app_id().api_message == "pong"

    _credential(page, "integration").get_by_role("button", name="Enable credential integration").click()
    assert api.get_courses().courses == []

    # Rename (blank refused), then delete after the confirmation.
    card = _credential(page, "integration")
    card.get_by_label("New name for credential integration").fill("")
    card.get_by_role("button", name="Rename credential integration").click()
    expect(_credential(page, "integration").get_by_label("New name for credential integration")).to_have_value("")
    expect(_credential(page, "integration")).to_contain_text("Name is required.")
    _credential(page, "integration").get_by_label("New name for credential integration").fill("nightly sync")
    _credential(page, "integration").get_by_role("button", name="Rename credential integration").click()
    expect(_credential(page, "nightly sync")).to_be_visible()
    _credential(page, "nightly sync").get_by_role("link", name="Delete credential nightly sync").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete credential nightly sync?")
    check_page(page, "app-credential-delete-confirm")
    page.get_by_role("button", name="Delete credential").click()
    expect(page.get_by_role("status")).to_have_text("The credential was deleted.")
    assert [c.name for c in mgmt.get_credentials(app_id).credentials] == ["Default"]
    with pytest.raises(ApiException) as err:
        api.get_courses()
    assert err.value.status == 401


def test_registrations_per_month_chart_and_table(live_server, page, mgmt, tmp_path):
    admin = make_user(live_server, "administrator")
    app = mgmt.create_application(cloud.ApplicationRequestSchema(name=_unique("Chart")))
    creds = AppCreds(app.id, mgmt.get_credentials(app.id).credentials[0].credential)
    course_id = import_course(live_server, tmp_path, scorm12_zip(), creds)
    registrations = [create_registration(live_server, course_id, creds) for _ in range(3)]
    # One registration made two months ago, one 14 months ago (outside the 13 months shown).
    now = utcnow()
    starts = month_starts(now, 13)
    with unit_of_work(live_server.services.session_factory) as session:
        for registration_id, when in ((registrations[0], starts[10] + timedelta(days=3)),
                                      (registrations[1], starts[0] - timedelta(days=2))):
            session.execute(update(Registration).where(Registration.registration_id == registration_id)
                            .values(created=when))

    sign_in(page, live_server, admin)
    page.goto(f"{live_server.service_url}/console/apps/{app.id}")
    table = page.get_by_role("table", name="Registrations created per month")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(13)
    counts = {row.locator("th").inner_text(): int(row.locator("td").inner_text()) for row in rows.all()}
    labels = [start.strftime("%b %Y") for start in starts[:13]]
    assert list(counts) == labels  # oldest first, this month last
    assert counts == {label: {labels[10]: 1, labels[12]: 1}.get(label, 0) for label in labels}
    chart = page.get_by_role("img", name=re.compile("Bar chart of registrations per month"))
    expect(chart).to_have_attribute("data-drawn", "true")  # Chart.js drew it from the table
    assert chart.bounding_box()["height"] > 100
    check_page(page, "app-registrations-chart")


def test_configuration_shows_which_level_set_each_value(live_server, page, mgmt):
    admin = make_user(live_server, "administrator")
    app = mgmt.create_application(cloud.ApplicationRequestSchema(name=_unique("Settings")))
    creds = AppCreds(app.id, mgmt.get_credentials(app.id).credentials[0].credential)
    cloud.ApplicationManagementApi(live_server.client(creds)).set_application_configuration(
        cloud.SettingsPostSchema(settings=[cloud.SettingsIndividualSchema(setting_id="PlayerLaunchType",
                                                                          value="NEW_WINDOW")]))
    sign_in(page, live_server, admin)
    page.goto(f"{live_server.service_url}/console/apps/{app.id}")
    settings = page.get_by_role("table", name=re.compile("Configuration settings"))
    launch = settings.get_by_role("row", name=re.compile(r"^PlayerLaunchType\b"))
    expect(launch.get_by_role("cell").nth(0)).to_have_text("NEW_WINDOW")
    expect(launch.get_by_role("cell").nth(1)).to_have_text("Application")
    postback = settings.get_by_role("row", name=re.compile(r"^ApiRollupRegistrationPostBackUrl\b"))
    expect(postback.get_by_role("cell").nth(1)).to_have_text("Default")
    check_page(page, "app-settings")


def test_management_app_cannot_be_deleted(live_server):
    owner = make_user(live_server, "owner")
    mgmt_id = live_server.management_app.app_id
    with http_session(live_server, owner) as client:
        confirm = client.get(f"/console/apps/{mgmt_id}/delete")
        assert confirm.status_code == 200 and "cannot be deleted" in confirm.text
        assert 'action="/console/apps/' not in confirm.text  # no delete form to send
        refused = client.post(f"/console/apps/{mgmt_id}/delete", data={"csrf_token": csrf_of(client)})
        assert refused.status_code == 400 and "cannot be deleted" in refused.text
        refused = client.post(f"/console/apps/{mgmt_id}/allow-delete",
                              data={"csrf_token": csrf_of(client), "allow": "true"})
        assert refused.status_code == 400
    assert httpx.get(live_server.api_url + "/appManagement/applications",
                     auth=(mgmt_id, live_server.management_app.secret)).status_code == 200


def test_another_realms_applications_are_not_reachable(live_server, mgmt):
    with unit_of_work(live_server.services.session_factory) as session:
        other_realm = users.find_realm(session, "Other realm").id
    outsider = make_user(live_server, "owner", realm_id=other_realm)
    app = mgmt.create_application(cloud.ApplicationRequestSchema(name=_unique("Private")))
    with http_session(live_server, outsider) as client:
        listing = client.get("/console/apps").text
        assert app.id not in listing and live_server.other_management_app.app_id in listing
        assert client.get(f"/console/apps/{app.id}").status_code == 404
        token = csrf_of(client)
        assert client.post(f"/console/apps/{app.id}/rename", data={"csrf_token": token, "name": "x"}).status_code == 404
        cred = mgmt.get_credentials(app.id).credentials[0]
        answer = client.post(f"/console/apps/{app.id}/credentials/{cred.id}/enabled",
                             data={"csrf_token": token, "enabled": "false"})
        assert answer.status_code == 404
        answer = client.post(f"/console/apps/{app.id}/credentials/{cred.id}/reveal", data={"csrf_token": token})
        assert answer.status_code == 404 and cred.credential not in answer.text
    assert mgmt.get_application_info(app.id).name == app.name
    assert mgmt.get_credentials(app.id).credentials[0].status == "Enabled"
