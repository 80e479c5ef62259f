"""The LMS connections pages in Chromium (issue 17): a configuration created in two steps (a bad
e-mail and a bad URL refused on their fields first, nothing saved), its page with the status and
what it means, edited with the secret kept, "Send test statement" against a closed port answered
with Can't Connect in words, attached on a course page and detached, a result that could not be
sent with its reason, deleted after a confirmation; every step checked against /api/ext/v1. Plus
the role matrix, every route needing a session, and another realm's configuration being a 404."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from coursehost.db.models.lms import LmsConfiguration
from coursehost.db.models.registrations import Registration
from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from coursehost.domain.lms.results import enqueue_results
from tests.builders.scorm import scorm12_zip
from tests.console.support import check_page, csrf_of, http_session, make_user, sign_in
from tests.e2e.support import create_registration, import_course
from tests.servers import free_port

ROLES = ["owner", "administrator", "learner"]
ALLOWED = {"owner", "administrator"}


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


@pytest.fixture
def api(live_server):
    """/api/ext/v1 with the default application's Basic credentials."""
    creds = live_server.default_app
    with httpx.Client(base_url=live_server.service_url + "/api/ext/v1", auth=(creds.app_id, creds.secret),
                      timeout=30) as client:
        yield client


def _closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}/xapi/"


def _configs(api) -> dict[str, dict]:
    answer = api.get("/lmsConfigurations")
    assert answer.status_code == 200, answer.text
    return {c["name"]: c for c in answer.json()["configurations"]}


def _stored_secret(live_server, config_id: str) -> str:
    with unit_of_work(live_server.services.session_factory) as session:
        config = session.scalars(select(LmsConfiguration).where(LmsConfiguration.config_id == config_id)).one()
        return config.properties["secretEncrypted"]


def _create_by_api(api, name: str, url: str | None = None) -> dict:
    answer = api.post("/lmsConfigurations", json={"name": name, "contactEmail": "ops@example.com", "type": "xapi",
                                                  "xapiUrl": url or _closed_url(), "xapiKey": "key",
                                                  "xapiSecret": "secret-value"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_create_edit_test_attach_detach_and_delete(live_server, page, api, tmp_path):
    admin = make_user(live_server, "administrator")
    name, url = f"Campus LMS {uuid.uuid4().hex[:6]}", _closed_url()
    course_id = import_course(live_server, tmp_path, scorm12_zip(title="LMS panel course"))
    sign_in(page, live_server, admin)
    page.get_by_role("link", name="LMS connections").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("LMS connections")
    check_page(page, "lms-list")

    # Step 1 then step 2; the type comes first. A bad e-mail is refused on its field, nothing saved.
    assert page.locator("#create select, #create input:not([type=hidden])").first.get_attribute("id") == "type"
    page.get_by_label("Configuration name").fill(name)
    page.get_by_label("Contact e-mail").fill("not-an-address")
    page.get_by_label("xAPI URL").fill(url)
    page.get_by_label("xAPI key", exact=True).fill("campus-key")
    page.get_by_label("xAPI key secret").fill("campus-secret")
    page.get_by_role("button", name="Create LMS configuration").click()
    expect(page.locator("#contact_email-error")).to_contain_text("is not an e-mail address")
    expect(page.get_by_label("Contact e-mail")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Configuration name")).to_have_value(name)
    expect(page.get_by_label("xAPI key secret")).to_have_value("")  # a secret is never sent back
    check_page(page, "lms-create-error")
    assert name not in _configs(api)

    # A URL that is not http(s): refused on the URL field, nothing saved.
    page.get_by_label("Contact e-mail").fill("ops@example.com")
    page.get_by_label("xAPI URL").fill("ftp://lms.example.com/xapi")
    page.get_by_label("xAPI key secret").fill("campus-secret")
    page.get_by_role("button", name="Create LMS configuration").click()
    expect(page.locator("#xapi_url-error")).to_contain_text("xAPI URL must be an absolute http or https URL")
    assert name not in _configs(api)

    page.get_by_label("xAPI URL").fill(url)
    page.get_by_label("xAPI key secret").fill("campus-secret")
    page.get_by_role("button", name="Create LMS configuration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("status")).to_contain_text("The LMS configuration was created")
    created = _configs(api)[name]
    assert (created["contactEmail"], created["xapiUrl"], created["xapiKey"], created["status"]) == (
        "ops@example.com", url, "campus-key", "OK")
    assert "campus-secret" not in page.content()
    expect(page.locator("#status-heading")).to_contain_text("OK")
    expect(page.locator(".lms-legend")).to_contain_text("We cannot connect to the URL you provided.")
    expect(page.locator(".lms-legend")).to_contain_text(
        "We can connect to the LMS, but it isn't accepting the activity results.")
    check_page(page, "lms-details")

    # Edit with the secret left empty: a missing key is refused on its field, then the edit is saved
    # and the stored (encrypted) secret is still the one given at creation.
    secret_before = _stored_secret(live_server, created["id"])
    page.get_by_label("Configuration name").fill(name + " renamed")
    page.get_by_label("xAPI key", exact=True).fill("")
    page.get_by_role("button", name="Save LMS configuration").click()
    expect(page.locator("#xapi_key-error")).to_contain_text("xAPI key is required")
    assert _configs(api)[name]["xapiKey"] == "campus-key"
    page.get_by_label("Configuration name").fill(name + " renamed")
    page.get_by_label("xAPI key", exact=True).fill("campus-key-2")
    page.get_by_role("button", name="Save LMS configuration").click()
    expect(page.get_by_role("status")).to_have_text("The LMS configuration was saved.")
    name += " renamed"
    assert _configs(api)[name]["xapiKey"] == "campus-key-2"
    expect(page.locator("#edit")).to_contain_text("Set")
    assert _stored_secret(live_server, created["id"]) == secret_before
    assert live_server.services.box.decrypt(secret_before) == "campus-secret"

    # Send test statement to the closed port: Can't Connect, in words.
    page.get_by_role("button", name="Send test statement").click()
    outcome = page.locator("#test-outcome")
    expect(outcome).to_contain_text("The LMS did not take the test statement")
    expect(outcome).to_contain_text("Can't Connect: we cannot connect to the URL you provided")
    check_page(page, "lms-test-failed")
    config_id = _configs(api)[name]["id"]
    assert api.post(f"/lmsConfigurations/{config_id}/test").status_code == 400  # the API agrees

    # Attach on the course page, then see it there and on the configuration page.
    page.goto(f"{live_server.service_url}/console/courses/{live_server.default_app.app_id}/{course_id}")
    panel = page.locator("#lms")
    expect(panel).to_contain_text("No LMS configuration is attached")
    panel.get_by_label("LMS configuration").select_option(label=name)
    panel.get_by_role("button", name="Attach LMS configuration").click()
    expect(page.get_by_role("status")).to_contain_text("The LMS configuration was attached")
    expect(panel).to_contain_text(f"This course's results are sent to {name}")
    expect(panel).to_contain_text("OK")
    check_page(page, "lms-course-attached")
    registration_id = create_registration(live_server, course_id, learner_id="learner-without-mail")
    with unit_of_work(live_server.services.session_factory) as session:  # the learner completes the course
        reg = session.scalars(select(Registration).where(Registration.registration_id == registration_id)).one()
        reg.completion = "COMPLETED"
        enqueue_results(session, registration=reg)
    page.goto(f"{live_server.service_url}/console/lms/{config_id}")
    expect(page.locator("#courses")).to_contain_text("LMS panel course")
    expect(page.locator("#status .facts")).to_contain_text("Attached courses1")
    not_sent = page.locator("#not-sent")
    expect(not_sent).to_contain_text(registration_id)
    expect(not_sent).to_contain_text("The learner id is not an e-mail address.")
    check_page(page, "lms-details-attached")
    page.goto(f"{live_server.service_url}/console/lms")
    row = page.locator("table.lms-configs tr").filter(has=page.get_by_role("link", name=name))
    expect(row.locator("td").nth(6)).to_have_text("1")

    # Detach.
    page.goto(f"{live_server.service_url}/console/courses/{live_server.default_app.app_id}/{course_id}")
    panel.get_by_role("button", name="Detach").click()
    expect(page.get_by_role("status")).to_contain_text("The LMS configuration was detached")
    expect(panel).to_contain_text("No LMS configuration is attached")
    assert api.delete(f"/courses/{course_id}/lmsConfiguration").status_code == 404  # nothing attached any more

    # Delete after the confirmation page; Cancel first changes nothing.
    page.goto(f"{live_server.service_url}/console/lms/{config_id}")
    page.get_by_role("link", name="Delete LMS configuration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete {name}?")
    check_page(page, "lms-delete-confirm")
    page.get_by_role("link", name="Cancel").click()
    assert name in _configs(api)
    page.get_by_role("link", name="Delete LMS configuration").click()
    page.get_by_role("button", name="Delete LMS configuration").click()
    expect(page.get_by_role("status")).to_contain_text("The LMS configuration was deleted")
    assert name not in _configs(api)
    expect(page.locator("body")).not_to_contain_text(name)


def _other_realm_admin(live_server):
    with unit_of_work(live_server.services.session_factory) as session:
        realm_id = session.scalars(select(Application.realm_id).where(
            Application.app_id == live_server.other_management_app.app_id)).one()
    return make_user(live_server, "administrator", realm_id=realm_id)


def test_another_realms_configuration_is_not_found(live_server, api, tmp_path):
    ours = _create_by_api(api, f"Ours {uuid.uuid4().hex[:6]}")
    course_id = import_course(live_server, tmp_path, scorm12_zip(title="Ours"))
    other = _other_realm_admin(live_server)
    with http_session(live_server, other) as client:
        token = csrf_of(client)
        assert ours["name"] not in client.get("/console/lms").text
        for method, path, data in [("GET", f"/console/lms/{ours['id']}", None),
                                   ("POST", f"/console/lms/{ours['id']}", {"name": "Taken"}),
                                   ("POST", f"/console/lms/{ours['id']}/test", {}),
                                   ("GET", f"/console/lms/{ours['id']}/delete", None),
                                   ("POST", f"/console/lms/{ours['id']}/delete", {"confirm": "yes"}),
                                   ("POST", f"/console/courses/{live_server.default_app.app_id}/{course_id}/lms",
                                    {"configuration": ours["id"]})]:
            answer = client.request(method, path, data={"csrf_token": token, **data} if data is not None else None)
            assert answer.status_code == 404, (method, path, answer.status_code)
            assert ours["name"] not in answer.text and "ops@example.com" not in answer.text
    assert _configs(api)[ours["name"]]["id"] == ours["id"]
    assert api.delete(f"/courses/{course_id}/lmsConfiguration").status_code == 404  # nothing was attached


ROUTES = [
    ("GET", "/console/lms", {}, 200),
    ("POST", "/console/lms", {"name": "Matrix LMS", "contact_email": "m@example.com", "type": "xapi",
                              "xapi_url": "http://127.0.0.1:9/xapi/", "xapi_key": "k", "xapi_secret": "s"}, 303),
    ("GET", "/console/lms/{config}", {}, 200),
    ("POST", "/console/lms/{config}", {"name": "Matrix renamed", "contact_email": "m@example.com",
                                       "xapi_url": "http://127.0.0.1:9/xapi/", "xapi_key": "k2"}, 303),
    ("POST", "/console/lms/{config}/test", {}, 200),
    ("POST", "/console/courses/{app}/{course}/lms", {"configuration": "{config}"}, 303),
    ("POST", "/console/courses/{app}/{course}/lms/detach", {}, 303),
    ("GET", "/console/lms/{config}/delete", {}, 200),
    ("POST", "/console/lms/{config}/delete", {"confirm": "yes"}, 303),
]


@pytest.fixture(scope="module")
def matrix_course(live_server, tmp_path_factory) -> str:
    return import_course(live_server, tmp_path_factory.mktemp("lms"), scorm12_zip(title="Matrix course"))


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_of_the_lms_pages(live_server, api, role, matrix_course):
    """Owners and administrators may do everything; a learner gets 403 for each page and action,
    and nothing changes (checked through /api/ext/v1)."""
    config = _create_by_api(api, f"Matrix {role} {uuid.uuid4().hex[:6]}", url="http://127.0.0.1:9/xapi/")
    before = _configs(api)
    user = make_user(live_server, role)
    values = {"config": config["id"], "app": live_server.default_app.app_id, "course": matrix_course}
    with http_session(live_server, user) as client:
        token = csrf_of(client)
        for method, template, data, status in ROUTES:
            path = template.format(**values)
            form = {k: v.format(**values) for k, v in data.items()}
            answer = client.request(method, path, data={"csrf_token": token, **form} if method == "POST" else None)
            if role in ALLOWED:
                assert answer.status_code == status, (role, method, path, answer.text[:300])
            else:
                assert answer.status_code == 403, (role, method, path)
                assert "You do not have access to this page" in answer.text
                assert config["name"] not in answer.text
    after = _configs(api)
    if role in ALLOWED:
        assert config["name"] not in after and "Matrix renamed" not in after  # renamed, then deleted
        assert "Matrix LMS" in after
        api.delete(f"/lmsConfigurations/{after['Matrix LMS']['id']}")
    else:
        assert after == before


@pytest.mark.parametrize(("method", "template"), sorted({(m, t) for m, t, _, _ in ROUTES}))
def test_every_lms_route_needs_a_session(live_server, method, template):
    path = template.format(config="anything", app=live_server.default_app.app_id, course="anything")
    with httpx.Client(base_url=live_server.service_url) as client:
        answer = client.request(method, path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/signin")
