"""The Dispatch tab in Chromium: destinations created (field errors create nothing), listed and filtered,
edited, their LTI 1.3 platform settings, enable/disable all and hashing, deleted after a confirmation;
courses dispatched from the course page and several at once from the Library (all or nothing); a
dispatch's settings (field errors change nothing), its count reset, its LTI 1.1 secret shown on a POST,
its zip downloaded and opened, PENS publishing and its history. What the console did is read back
through the official client (the DispatchApi the console shares its domain functions with). Roles (a
Learner gets 403) and tenancy (another realm's dispatch is a 404)."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect

from coursehost.db.session import unit_of_work
from coursehost.domain.accounts import users
from tests.builders.scorm import scorm12_zip
from tests.console.support import check_page, csrf_of, http_session, make_user, sign_in, signed_in_page
from tests.dispatch_support import update_dispatch
from tests.e2e.support import import_course


@pytest.fixture(scope="module")
def courses(live_server, tmp_path_factory) -> list[str]:
    tmp = tmp_path_factory.mktemp("dispc")
    return [import_course(live_server, tmp, scorm12_zip(title, scos=[("sco1", "Lesson one", "one.html")]))
            for title in ("Forklift safety", "Ladder safety", "Fire drill")]


@pytest.fixture(scope="module")
def api(live_server) -> cloud.DispatchApi:
    return cloud.DispatchApi(live_server.client())


@pytest.fixture
def admin_page(live_server, context):
    return signed_in_page(live_server, context)


def _app(live_server) -> str:
    return live_server.default_app.app_id


def _destination(api, name: str = "Acme LMS") -> str:
    dest_id = f"dest-{uuid.uuid4().hex[:8]}"
    api.create_destinations(cloud.DestinationListSchema(destinations=[
        cloud.DestinationIdSchema(id=dest_id, data=cloud.DestinationSchema(name=name))]))
    return dest_id


def _dispatch(api, dest_id: str, course_id: str) -> str:
    dispatch_id = f"disp-{uuid.uuid4().hex[:8]}"
    api.create_dispatches(cloud.CreateDispatchListSchema(dispatches=[cloud.CreateDispatchIdSchema(
        id=dispatch_id, data=cloud.CreateDispatchSchema(destination_id=dest_id, course_id=course_id))]))
    return dispatch_id


def _dispatches_of(api, dest_id: str) -> list:
    return list(api.get_destination_dispatches(dest_id).dispatches)


def _names(api) -> set[str]:
    return {d.data.name for d in api.get_destinations().destinations}


def test_destination_created_after_field_errors_then_listed_filtered_and_edited(live_server, api, admin_page):
    page = admin_page
    name = f"Globex {uuid.uuid4().hex[:6]}"
    before = _names(api)
    page.goto(f"{live_server.service_url}/console/dispatch?app={_app(live_server)}")
    expect(page.get_by_role("link", name="Dispatch", exact=True)).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="New destination").click()
    page.get_by_label("E-mail of the contact there").fill("not an address")
    page.get_by_role("button", name="Create destination").click()
    expect(page.locator("#name-error")).to_have_text("Enter the destination's name.")
    expect(page.locator("#email-error")).to_contain_text("Enter an e-mail address")
    expect(page.get_by_label("E-mail of the contact there")).to_have_value("not an address")
    check_page(page, "dispatch-destination-errors")
    assert _names(api) == before

    page.get_by_label("Name").fill(name)
    page.get_by_label("E-mail of the contact there").fill("lms@globex.example")
    page.get_by_label("Tags").fill("emea, partner")
    page.get_by_role("button", name="Create destination").click()
    expect(page.get_by_role("status").first).to_contain_text("The destination was created")
    dest_id = page.locator(".facts code").first.inner_text()
    got = api.get_destination(dest_id)
    assert (got.name, got.email) == (name, "lms@globex.example")
    assert sorted(api.get_destination_tags(dest_id).tags) == ["emea", "partner"]
    check_page(page, "dispatch-destination")

    page.goto(f"{live_server.service_url}/console/dispatch?app={_app(live_server)}")
    page.get_by_label("Name", exact=True).fill(name[-6:])
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.destinations tbody tr")).to_have_count(1)
    expect(page.locator("table.destinations")).to_contain_text(name)
    check_page(page, "dispatch-list")
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_label("Tag").fill("no-such-tag")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status").first).to_have_text("No destination matches these filters.")

    page.goto(f"{live_server.service_url}/console/dispatch/{_app(live_server)}/destinations/{dest_id}")
    page.get_by_role("link", name="Edit destination").click()
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Save destination").click()
    expect(page.locator("#name-error")).to_have_text("Enter the destination's name.")
    assert api.get_destination(dest_id).name == name
    page.get_by_label("Name").fill(name + " EU")
    page.get_by_role("button", name="Save destination").click()
    expect(page.get_by_role("status").first).to_contain_text("saved")
    assert api.get_destination(dest_id).name == name + " EU"


def test_the_destinations_list_pages_newest_first_with_newer_and_older(live_server, api, admin_page):
    assert live_server.services.settings.page_size == 10
    tag = f"batch-{uuid.uuid4().hex[:6]}"
    ids = [f"{tag}-{n:02d}" for n in range(12)]
    api.create_destinations(cloud.DestinationListSchema(destinations=[
        cloud.DestinationIdSchema(id=i, data=cloud.DestinationSchema(name=f"Branch {i[-2:]}", tags=[tag]))
        for i in ids]))
    page = admin_page
    page.goto(f"{live_server.service_url}/console/dispatch?app={_app(live_server)}&tag={tag}")
    shown = page.locator("table.destinations tbody tr td:nth-child(2)")
    expect(shown).to_have_count(10)
    assert shown.all_inner_texts() == ids[::-1][:10]
    expect(page.get_by_role("link", name="Newer destinations")).to_have_count(0)
    page.get_by_role("link", name="Older destinations").click()
    assert shown.all_inner_texts() == ids[1::-1]
    page.get_by_role("link", name="Newer destinations").click()
    expect(shown).to_have_count(10)
    assert shown.all_inner_texts() == ids[::-1][:10]
    page.goto(f"{live_server.service_url}/console/dispatch?app={_app(live_server)}&older=garbage")
    expect(page.get_by_role("heading", level=1)).to_have_text("This list cannot be shown")


def test_courses_dispatched_from_the_course_page_and_from_the_library(live_server, api, courses, admin_page):
    page = admin_page
    dest_id = _destination(api, f"Initech {uuid.uuid4().hex[:6]}")
    page.goto(f"{live_server.service_url}/console/courses/{_app(live_server)}/{courses[0]}")
    page.get_by_role("link", name="Dispatch this course to a destination").click()
    expect(page.locator(".dispatch-courses")).to_contain_text("Forklift safety")
    page.get_by_role("button", name="Dispatch", exact=True).click()
    expect(page.locator("#destination-error")).to_have_text("Choose the destination to dispatch the courses to.")
    check_page(page, "dispatch-new-errors")
    assert _dispatches_of(api, dest_id) == []
    page.get_by_label("Destination").select_option(dest_id)
    page.get_by_role("button", name="Dispatch", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("The courses were dispatched.")
    assert [d.data.course_id for d in _dispatches_of(api, dest_id)] == [courses[0]]

    page.goto(f"{live_server.service_url}/console/library?app={_app(live_server)}")
    for title in ("Forklift safety", "Ladder safety"):  # the first is already there: all or nothing
        page.get_by_label(f"Select {title} to dispatch").check()
    check_page(page, "dispatch-library")
    page.get_by_role("button", name="Dispatch selected").click()
    expect(page.locator(".dispatch-courses li")).to_have_count(2)
    page.get_by_label("Destination").select_option(dest_id)
    page.get_by_role("button", name="Dispatch", exact=True).click()
    expect(page.locator("#destination-error")).to_contain_text("already dispatched")
    assert len(_dispatches_of(api, dest_id)) == 1

    page.goto(f"{live_server.service_url}/console/library?app={_app(live_server)}")
    for title in ("Ladder safety", "Fire drill"):
        page.get_by_label(f"Select {title} to dispatch").check()
    page.get_by_role("button", name="Dispatch selected").click()
    page.get_by_label("Destination").select_option(dest_id)
    page.get_by_role("button", name="Dispatch", exact=True).click()
    expect(page.locator("table.dispatches tbody tr")).to_have_count(3)
    assert sorted(d.data.course_id for d in _dispatches_of(api, dest_id)) == sorted(courses)


def test_destination_switches_lti13_settings_and_delete(live_server, api, courses, admin_page):
    page = admin_page
    dest_id = _destination(api)
    dispatch_id = _dispatch(api, dest_id, courses[1])
    page.goto(f"{live_server.service_url}/console/dispatch/{_app(live_server)}/destinations/{dest_id}")
    page.get_by_role("button", name="Disable all dispatches").click()
    expect(page.get_by_role("status").first).to_contain_text("disabled")
    assert api.get_dispatch_enabled(dispatch_id).enabled is False
    page.get_by_role("button", name="Enable all dispatches").click()
    assert api.get_dispatch_enabled(dispatch_id).enabled is True
    page.get_by_role("button", name="Hash learner ids").click()
    expect(page.get_by_role("status").first).to_contain_text("stored hashed")
    assert api.get_destination_hash_user_info(dest_id).enabled is True
    assert api.get_dispatch_hash_user_info(dispatch_id).enabled is True

    page.get_by_label("Client ID").fill("client-42")
    page.get_by_label("OIDC authorization endpoint").fill("ftp://lms.example/auth")
    page.get_by_role("button", name="Save LTI 1.3 settings").click()
    expect(page.locator("#auth_endpoint-error")).to_contain_text("absolute https:// URL")
    expect(page.locator("#deployment_id-error")).to_contain_text("Enter the Deployment ID")
    check_page(page, "dispatch-destination-lti13-errors")
    expect(page.get_by_label("Client ID")).to_have_value("client-42")
    assert api.get_destination(dest_id).lti13_data is None
    page.get_by_label("OIDC authorization endpoint").fill("https://lms.example/auth")
    page.get_by_label("Platform issuer").fill("https://lms.example")
    page.get_by_label("Deployment ID").fill("deployment-1")
    page.get_by_label("JWKS URL").fill("https://lms.example/jwks")
    page.get_by_role("button", name="Save LTI 1.3 settings").click()
    expect(page.get_by_role("status").first).to_contain_text("LTI 1.3 platform settings were saved")
    lti13 = api.get_destination(dest_id).lti13_data
    assert (lti13.client_id, lti13.platform_issuer_identifier, lti13.oidc_authorization_endpoint) == (
        "client-42", "https://lms.example", "https://lms.example/auth")
    expect(page.get_by_label("Client ID")).to_have_value("client-42")

    page.get_by_role("link", name="Delete destination").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete Acme LMS?")
    check_page(page, "dispatch-destination-delete")
    page.get_by_role("button", name="Delete destination").click()
    expect(page.get_by_role("status").first).to_contain_text("were deleted")
    with pytest.raises(cloud.rest.ApiException) as err:
        api.get_destination(dest_id)
    assert err.value.status == 404


def test_dispatch_page_settings_count_secret_and_zip(live_server, api, courses, admin_page):
    page = admin_page
    dest_id = _destination(api)
    dispatch_id = _dispatch(api, dest_id, courses[2])
    page.goto(f"{live_server.service_url}/console/dispatch/{_app(live_server)}/destinations/{dest_id}")
    page.get_by_role("link", name="Fire drill").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dispatch of Fire drill")

    page.get_by_label("Registration cap").fill("many")
    page.get_by_label("Allow new registrations").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#cap-error")).to_contain_text("Enter a whole number")
    expect(page.get_by_label("Registration cap")).to_have_value("many")
    check_page(page, "dispatch-settings-errors")
    got = api.get_dispatch(dispatch_id)
    assert (got.registration_cap, got.allow_new_registrations) == (0, True)
    page.get_by_label("Registration cap").fill("25")
    page.get_by_label("Expiration date").fill("2030-12-31")
    page.get_by_label("Notes").fill("Pilot for the EMEA sites")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").first).to_contain_text("settings were saved")
    got = api.get_dispatch(dispatch_id)
    assert (got.registration_cap, got.allow_new_registrations, got.notes) == (25, False, "Pilot for the EMEA sites")
    assert got.expiration_date.date().isoformat() == "2030-12-31"

    key = page.get_by_label("Consumer key").input_value()
    update_dispatch(live_server, dispatch_id, registration_count=7)
    page.reload()
    expect(page.locator(".facts")).to_contain_text("7 of 25")
    page.get_by_role("link", name="Reset count").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset the registration count?")
    page.get_by_role("button", name="Reset count").click()
    expect(page.get_by_role("status").first).to_contain_text("reset to 0")
    assert api.get_dispatch_registration_count(dispatch_id).registration_count == 0

    creds = api.get_lti_dispatch(dispatch_id)
    assert page.get_by_label("Launch URL").input_value() == creds.url
    assert key == creds.consumer_key
    expect(page.get_by_label("Shared secret")).to_have_count(0)
    assert creds.shared_secret not in page.content()
    base = live_server.base_url.rstrip("/")
    target = api.get_lti13_dispatch(dispatch_id).target_link_uri
    tool = api.get_lti13_tool_configuration_schema(dest_id)
    assert target == f"{base}/dispatch/lti13/dispatches/{key}"
    expect(page.get_by_label("Target link URI")).to_have_value(target)
    expect(page.get_by_label("OIDC login initiation URL")).to_have_value(tool.oidc_login_initiations_url)
    expect(page.get_by_label("Redirect URI")).to_have_value(tool.redirect_uri)
    expect(page.get_by_label("Public key set (JWKS) URL")).to_have_value(tool.json_web_key_set_url)
    assert tool.json_web_key_set_url == f"{base}/lti/jwks"
    page.get_by_role("button", name="Show secret").click()
    expect(page.get_by_label("Shared secret")).to_have_value(creds.shared_secret)
    expect(page.get_by_role("button", name="Copy the shared secret")).to_be_visible()
    check_page(page, "dispatch-page")

    page.get_by_label("Package type").select_option("SCORM_2004_3RD")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download zip").click()
    data = Path(info.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        manifest = zf.read("imsmanifest.xml").decode()
    assert "2004 3rd Edition" in manifest and "Fire drill" in manifest

    page.get_by_label("Style sheet URL").fill("javascript:alert(1)")
    page.get_by_role("button", name="Download zip").click()
    expect(page.locator("#zip-css-error")).to_be_visible()


def test_pens_publish_form_and_history(live_server, api, courses, admin_page):
    page = admin_page
    dispatch_id = _dispatch(api, _destination(api), courses[0])
    page.goto(f"{live_server.service_url}/console/dispatch/{_app(live_server)}/dispatches/{dispatch_id}")
    expect(page.get_by_text("This dispatch has not been published yet.")).to_be_visible()
    page.get_by_label("Target URL").fill("lms.example/pens")
    page.get_by_label("System user ID").fill("coursehost")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#pens-url-error")).to_contain_text("The target URL must be an absolute http(s) URL")
    expect(page.get_by_label("System user ID")).to_have_value("coursehost")
    expect(page.get_by_text("This dispatch has not been published yet.")).to_be_visible()
    page.get_by_label("Target URL").fill("http://127.0.0.1:9/pens")
    page.get_by_label("Password").fill("s3cret-pass")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status").first).to_contain_text("collect request is queued")
    expect(page.locator("table.pens tbody tr")).to_have_count(1)
    expect(page.locator("table.pens")).to_contain_text("http://127.0.0.1:9/pens")
    assert "s3cret-pass" not in page.content()
    check_page(page, "dispatch-pens")


LTI13_FORM = {"client_id": "c", "issuer": "https://lms.example", "deployment_id": "1",
              "auth_endpoint": "https://lms.example/auth", "jwks_url": "https://lms.example/jwks"}


def _routes(dest_id: str, dispatch_id: str, course_id: str) -> list[tuple[str, str, dict]]:
    d, x = f"/console/dispatch/{{app}}/destinations/{dest_id}", f"/console/dispatch/{{app}}/dispatches/{dispatch_id}"
    return [("GET", "/console/dispatch?app={app}", {}), ("GET", "/console/dispatch/new?app={app}", {}),
            ("GET", d, {}), ("GET", d + "/edit", {}), ("POST", d + "/edit", {"name": "Renamed"}),
            ("POST", d + "/enabled", {"enabled": "false"}), ("POST", d + "/hash", {"enabled": "true"}),
            ("POST", d + "/lti13", LTI13_FORM), ("GET", d + "/delete", {}),
            ("GET", f"/console/dispatch/{{app}}/new-dispatch?course={course_id}", {}),
            ("GET", x, {}), ("POST", x + "/settings", {"cap": "3"}), ("GET", x + "/reset", {}),
            ("POST", x + "/reset", {}), ("POST", x + "/secret", {}), ("GET", x + "/zip", {}),
            ("POST", d + "/delete", {})]


@pytest.mark.parametrize("role", ["owner", "administrator", "learner"])
def test_role_matrix_of_the_dispatch_pages(live_server, api, courses, role):
    dest_id = _destination(api, "Role matrix LMS")
    dispatch_id = _dispatch(api, dest_id, courses[0])
    secret = api.get_lti_dispatch(dispatch_id).shared_secret
    with http_session(live_server, make_user(live_server, role)) as client:
        token = csrf_of(client)
        for method, template, data in _routes(dest_id, dispatch_id, courses[0]):
            path = template.format(app=_app(live_server))
            answer = client.request(method, path, data={"csrf_token": token, **data} if method == "POST" else None)
            if role == "learner":
                assert answer.status_code == 403, (method, path)
                assert secret not in answer.text and "Role matrix LMS" not in answer.text
            else:
                assert answer.status_code in (200, 303), (role, method, path, answer.text[:300])
                if path.endswith("/secret"):
                    assert secret in answer.text
    if role == "learner":
        got = api.get_destination(dest_id)
        assert got.name == "Role matrix LMS" and api.get_dispatch(dispatch_id).registration_cap == 0
    else:
        with pytest.raises(cloud.rest.ApiException):
            api.get_destination(dest_id)


def test_every_dispatch_route_needs_a_session(live_server):
    with httpx.Client(base_url=live_server.service_url) as client:
        for method, template, _ in _routes("x", "y", "z"):
            answer = client.request(method, template.format(app=_app(live_server)), follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/console/signin"), template


def test_another_realms_dispatch_is_not_found(live_server, api, courses, context):
    dest_id = _destination(api, "Private LMS")
    dispatch_id = _dispatch(api, dest_id, courses[1])
    secret = api.get_lti_dispatch(dispatch_id).shared_secret
    with unit_of_work(live_server.services.session_factory) as session:
        other_realm = users.find_realm(session, "Other realm").id
    outsider = make_user(live_server, "owner", realm_id=other_realm)
    with http_session(live_server, outsider) as client:
        token = csrf_of(client)
        for method, template, data in _routes(dest_id, dispatch_id, courses[1])[2:]:
            path = template.format(app=_app(live_server))
            answer = client.request(method, path, data={"csrf_token": token, **data} if method == "POST" else None)
            assert answer.status_code == 404, (method, path)
            assert secret not in answer.text and "Private LMS" not in answer.text
    assert api.get_destination(dest_id).name == "Private LMS"
    assert api.get_dispatch_enabled(dispatch_id).enabled is True
    page = context.new_page()
    sign_in(page, live_server, outsider)
    page.goto(f"{live_server.service_url}/console/dispatch/{_app(live_server)}/dispatches/{dispatch_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Application not found")
    check_page(page, "dispatch-other-realm")
