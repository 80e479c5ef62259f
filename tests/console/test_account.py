"""The Account tab (issue 15, owners only): the overview (owners and administrators, limits and
usage, linked realms), the usage report (chart, table, CSV export checked against what the official
client created), and "Clear existing registrations" (a confirmation step; the count resets, every
registration stays). Administrators get the 403 page and nothing is done. Every page is checked with
axe-core and photographed at 1280 and 390 px (tests/console/support.py)."""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect
from rustici_software_cloud_v2.rest import ApiException

from coursehost.db.models.tenancy import Realm
from coursehost.db.session import unit_of_work
from coursehost.domain import limits
from coursehost.domain.applications import service as apps
from tests.builders.scorm import scorm12_zip
from tests.console.support import check_page, csrf_of, http_session, make_user, sign_in
from tests.contract.courses import course_api, upload
from tests.contract.helpers import LrsClient
from tests.servers import AppCreds


def new_realm(live_server, name: str | None = None) -> tuple[int, str, AppCreds]:
    """A realm of its own (its counts and limits touch no other test) with one application."""
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        realm = Realm(name=name or f"Realm {uuid.uuid4().hex[:6]}")
        session.add(realm)
        session.flush()
        app, secret = apps.create_application(session, box=svc.box, realm_id=realm.id, name="Account app")
        return realm.id, realm.name, AppCreds(app.app_id, secret)


def set_limits(live_server, realm_id: int, **values) -> limits.Limits:
    with unit_of_work(live_server.services.session_factory) as session:
        return limits.set_limits(session, realm_id=realm_id, **values)


def get_limits(live_server, realm_id: int) -> limits.Limits:
    with unit_of_work(live_server.services.session_factory) as session:
        return limits.get_limits(session, realm_id=realm_id)


def import_course(live_server, creds: AppCreds, tmp_path, package: bytes) -> str:
    course_id = f"c-{uuid.uuid4().hex[:8]}"
    status = upload(course_api(live_server, creds), tmp_path, package, course_id=course_id)
    assert status.status == "COMPLETE", status.message
    return course_id


def register(live_server, creds: AppCreds, course_id: str) -> str:
    registration_id = f"r-{uuid.uuid4().hex[:10]}"
    cloud.RegistrationApi(live_server.client(creds)).create_registration(cloud.CreateRegistrationSchema(
        course_id=course_id, registration_id=registration_id, learner=cloud.LearnerSchema(id="learner-1")))
    return registration_id


def registration_ids(live_server, creds: AppCreds) -> set[str]:
    return {r.id for r in cloud.RegistrationApi(live_server.client(creds)).get_registrations().registrations}


def open_page(context, live_server, user):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, user)
    return page


def test_owner_sees_staff_limits_and_linked_realms(live_server, context):
    realm_id, realm_name, _ = new_realm(live_server)
    linked_id, linked_name, _ = new_realm(live_server)
    owner = make_user(live_server, "owner", name="Olive Owner", realm_id=realm_id)
    admin = make_user(live_server, "administrator", name="Ada Admin", realm_id=realm_id)
    learner = make_user(live_server, "learner", name="Lee Learner", realm_id=realm_id)
    outsider = make_user(live_server, "owner", name="Otto Outsider", realm_id=linked_id)
    set_limits(live_server, realm_id, storage_bytes=5_000_000, registrations=40, resettable=False)
    with unit_of_work(live_server.services.session_factory) as session:
        limits.link_limits(session, realm_id=linked_id, to_realm_id=realm_id)

    page = open_page(context, live_server, owner)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name=f"Account of {realm_name}")).to_be_visible()
    staff = page.locator("#staff")
    expect(staff.get_by_role("row", name=re.compile(re.escape(owner.email)))).to_contain_text("Owner")
    expect(staff.get_by_role("row", name=re.compile(re.escape(admin.email)))).to_contain_text("Administrator")
    expect(staff).not_to_contain_text(learner.email)  # learners are not staff
    expect(staff).not_to_contain_text(outsider.email)  # another realm's users, even a linked one's
    expect(page.locator("#storage-limit")).to_have_text("5.0 MB (5,000,000 bytes)")
    expect(page.locator("#storage-used")).to_have_text("0 bytes")
    expect(page.locator("#registration-limit")).to_have_text("40")
    expect(page.locator("#registrations-used")).to_have_text("0")
    expect(page.locator("#linked-realms")).to_contain_text(linked_name)
    expect(page.get_by_role("link", name="Clear existing registrations")).to_have_count(0)  # not resettable
    check_page(page, "account-overview")

    # The linked realm's owner sees the shared limits and whose they are.
    page = open_page(context, live_server, outsider)
    page.goto(f"{live_server.service_url}/console/account")
    expect(page.get_by_role("main")).to_contain_text(f"shares the limits of {realm_name}")
    expect(page.locator("#registration-limit")).to_have_text("40")
    expect(page.locator("#staff")).not_to_contain_text(owner.email)
    check_page(page, "account-overview-linked")


def test_usage_report_counts_what_the_official_client_made_and_exports_it(live_server, context, tmp_path):
    realm_id, _, creds = new_realm(live_server)
    owner = make_user(live_server, "owner", realm_id=realm_id)
    package = scorm12_zip("Usage course", extra_files={"extra.txt": "x" * 12345})
    course_id = import_course(live_server, creds, tmp_path, package)
    content_bytes = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(package)).infolist()
                        if not info.is_dir())
    client = live_server.client(creds)
    regs = cloud.RegistrationApi(client)
    made = [register(live_server, creds, course_id) for _ in range(3)]
    for registration_id in made[:2]:  # two launches, as a learner's browser opens the link
        link = regs.build_registration_launch_link(
            registration_id, cloud.LaunchLinkRequestSchema(redirect_on_exit_url="blank")).launch_link
        assert httpx.get(link if link.startswith("http") else live_server.service_url + link).status_code == 200
    launches = sum(len(regs.get_registration_launch_history(r).launch_history or []) for r in made)
    assert launches == 2
    with LrsClient(live_server, "1.0.3", creds=creds) as lrs:
        for n in range(4):
            sent = lrs.post("statements", json={
                "actor": {"mbox": "mailto:learner@example.com"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                "object": {"id": f"http://example.com/activities/{n}"}})
            assert sent.status_code == 200, sent.text
        statements = len(lrs.get("statements", params={"limit": 0}).json()["statements"])
    assert statements >= 4

    page = open_page(context, live_server, owner)
    page.goto(f"{live_server.service_url}/console/account")
    page.get_by_role("link", name="Usage report").click()
    expect(page.get_by_role("heading", name=re.compile("Usage report of"))).to_be_visible()
    expect(page.locator("#usage-chart")).to_have_attribute("data-drawn", "true")  # Chart.js drew it
    month = datetime.now(UTC).strftime("%Y-%m")
    expected = [str(len(made)), str(launches), str(content_bytes), str(statements)]
    for key in (month, "last-30-days"):
        cells = page.locator(f'#usage-table tr[data-period="{key}"] td')
        expect(cells).to_have_text(expected)
    rows = page.locator("#usage-table tbody tr")
    expect(rows).to_have_count(12)
    expect(rows.first.locator("td")).to_have_text(["0", "0", "0", "0"])  # a year ago: nothing yet
    check_page(page, "account-usage")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename.startswith(f"usage-realm-{realm_id}-")
    table = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [r["period"] for r in table][-2:] == [month, "last-30-days"] and len(table) == 13
    for row in (table[-2], table[-1]):
        assert [row["registrations"], row["launches"], row["storage_bytes"], row["lrs_statements"]] == expected
    assert all(r["registrations"] == "0" for r in table[:11])


def test_owner_clears_registrations_after_confirming_and_nothing_is_deleted(live_server, context, tmp_path):
    realm_id, _, creds = new_realm(live_server)
    owner = make_user(live_server, "owner", realm_id=realm_id)
    set_limits(live_server, realm_id, registrations=3, resettable=True)
    course_id = import_course(live_server, creds, tmp_path, scorm12_zip("Resettable"))
    made = {register(live_server, creds, course_id) for _ in range(3)}

    page = open_page(context, live_server, owner)
    page.goto(f"{live_server.service_url}/console/account")
    expect(page.locator("#registrations-used")).to_have_text("3")
    page.get_by_role("link", name="Clear existing registrations").click()
    expect(page.get_by_role("heading", name="Clear existing registrations")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("No registration is deleted")
    check_page(page, "account-clear-confirm")
    page.get_by_role("link", name="Cancel").click()  # cancelling changes nothing
    expect(page.locator("#registrations-used")).to_have_text("3")
    assert get_limits(live_server, realm_id).registrations_used == 3

    page.get_by_role("link", name="Clear existing registrations").click()
    page.get_by_role("button", name="Reset the registration count").click()
    expect(page.get_by_role("status")).to_have_text("The registration count was reset to 0. No registration was deleted.")
    expect(page.locator("#registrations-used")).to_have_text("0")
    check_page(page, "account-cleared")
    assert registration_ids(live_server, creds) == made  # every registration is still there
    register(live_server, creds, course_id)  # and the limit counts from 0 again
    assert get_limits(live_server, realm_id).registrations_used == 1


def test_clearing_is_refused_where_the_count_is_not_resettable(live_server, context, tmp_path):
    realm_id, _, creds = new_realm(live_server)
    owner = make_user(live_server, "owner", realm_id=realm_id)
    set_limits(live_server, realm_id, registrations=10, resettable=False)
    course_id = import_course(live_server, creds, tmp_path, scorm12_zip("Not resettable"))
    made = {register(live_server, creds, course_id) for _ in range(2)}
    with http_session(live_server, owner) as client:
        token = csrf_of(client)
        refused = client.post("/console/account/registrations/clear", data={"csrf_token": token, "confirm": "yes"})
        assert refused.status_code == 409 and "cannot be reset" in refused.text
        assert client.get("/console/account/registrations/clear").status_code == 409
        # Without the confirmation the POST only asks for it.
        asked = client.post("/console/account/registrations/clear", data={"csrf_token": token})
        assert asked.status_code == 303 and asked.headers["location"] == "/console/account/registrations/clear"
    assert get_limits(live_server, realm_id).registrations_used == 2
    assert registration_ids(live_server, creds) == made
    page = open_page(context, live_server, owner)
    response = page.goto(f"{live_server.service_url}/console/account/registrations/clear")
    assert response.status == 409
    expect(page.get_by_role("heading", name="The registration count cannot be reset")).to_be_visible()
    check_page(page, "account-clear-refused")


def test_administrator_has_no_account_tab_and_changes_nothing(live_server, context, tmp_path):
    realm_id, _, creds = new_realm(live_server)
    admin = make_user(live_server, "administrator", realm_id=realm_id)
    set_limits(live_server, realm_id, registrations=10, resettable=True)
    course_id = import_course(live_server, creds, tmp_path, scorm12_zip("Admin realm"))
    register(live_server, creds, course_id)
    with http_session(live_server, admin) as client:
        token = csrf_of(client)
        for path in ("/console/account", "/console/account/usage", "/console/account/usage.csv",
                     "/console/account/registrations/clear"):
            assert client.get(path).status_code == 403, path
        refused = client.post("/console/account/registrations/clear", data={"csrf_token": token, "confirm": "yes"})
        assert refused.status_code == 403
    assert get_limits(live_server, realm_id).registrations_used == 1  # nothing done
    page = open_page(context, live_server, admin)
    expect(page.get_by_role("navigation", name="Console").get_by_role("link", name="Account")).to_have_count(0)
    response = page.goto(f"{live_server.service_url}/console/account/usage")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()
    check_page(page, "account-forbidden")


def test_the_operator_sets_limits_that_the_api_then_enforces(live_server, context, tmp_path):
    realm_id, realm_name, creds = new_realm(live_server)
    other_id, other_name, _ = new_realm(live_server)
    operator = make_user(live_server, "owner", name="Opal Operator", realm_id=realm_id, operator=True)
    course_id = import_course(live_server, creds, tmp_path, scorm12_zip("Limited course"))
    page = open_page(context, live_server, operator)
    page.goto(f"{live_server.service_url}/console/account")
    form = page.locator("form[action='/console/account/limits']")

    # A wrong value is named on its field, the page keeps what was typed, and nothing is saved.
    form.get_by_label("Registration limit").fill("-3")
    form.get_by_label("Storage limit").fill("lots")
    form.get_by_role("button", name="Save limits").click()
    expect(page.get_by_role("alert")).to_contain_text("The limits were not saved")
    expect(page.locator("#limit-registrations-error")).to_contain_text("whole number")
    expect(page.locator("#limit-storage-error")).to_contain_text("Enter a number of GB")
    expect(form.get_by_label("Registration limit")).to_have_value("-3")
    check_page(page, "account-limits-error")
    assert get_limits(live_server, realm_id).registration_limit is None

    form.get_by_label("Storage limit").fill("2.5")
    form.locator("#limit-storage-unit").select_option("MB")
    form.get_by_label("Registration limit").fill("1")
    form.get_by_label("The owners may reset the registration count").check()
    form.get_by_role("button", name="Save limits").click()
    expect(page.get_by_role("status")).to_contain_text("The limits were saved")
    expect(page.locator("#storage-limit")).to_have_text("2.5 MB (2,500,000 bytes)")
    expect(page.locator("#registration-limit")).to_have_text("1")
    expect(page.get_by_role("link", name="Clear existing registrations")).to_be_visible()
    check_page(page, "account-limits")
    shown = get_limits(live_server, realm_id)
    assert (shown.storage_limit_bytes, shown.registration_limit, shown.registrations_resettable) == (2_500_000, 1, True)

    # The API enforces what the operator set: one registration, then the limit's error.
    register(live_server, creds, course_id)
    with pytest.raises(ApiException) as refused:
        register(live_server, creds, course_id)
    assert refused.value.status == 403 and "limit" in (refused.value.body or "").lower(), refused.value.body

    # Linking: the realm now shares the other realm's limits, and the page says so.
    form = page.locator("form[action='/console/account/limits']")
    form.get_by_label("Share the limits of").select_option(label=other_name)
    form.get_by_label("Registration limit").fill("")
    form.get_by_label("Storage limit").fill("")
    form.get_by_role("button", name="Save limits").click()
    expect(page.get_by_role("main")).to_contain_text(f"shares the limits of {other_name}")
    assert get_limits(live_server, realm_id).shared_from_id == other_id
    assert get_limits(live_server, other_id).registration_limit is None


def test_an_owner_who_is_not_the_operator_cannot_set_limits(live_server, context):
    realm_id, _, _ = new_realm(live_server)
    owner = make_user(live_server, "owner", realm_id=realm_id)
    set_limits(live_server, realm_id, registrations=7)
    page = open_page(context, live_server, owner)
    page.goto(f"{live_server.service_url}/console/account")
    expect(page.locator("#registration-limit")).to_have_text("7")
    expect(page.get_by_role("button", name="Save limits")).to_have_count(0)
    expect(page.get_by_role("main")).to_contain_text("The installation's operator sets the limits")
    with http_session(live_server, owner) as client:
        answer = client.post("/console/account/limits", data={"csrf_token": csrf_of(client), "registrations": "999"})
    assert answer.status_code == 403 and "Only the operator sets limits" in answer.text
    assert get_limits(live_server, realm_id).registration_limit == 7
