"""A registration's configuration settings in Chromium (console/settings_editor.py, the registration level):
the cascade down to the registration, saving and clearing the registration's own values, each checked
through the official client's GetRegistrationConfiguration; and what a learner, a signed-out visitor or
another realm's administrator cannot do."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect

from coursehost.db.session import unit_of_work
from coursehost.domain.applications import service as apps
from tests.builders.scorm import Item, scorm12_zip
from tests.console.support import check_page, csrf_of, http_session, make_user, sign_in
from tests.e2e.support import create_registration, import_course, set_registration_settings

SCOS = [Item("sco1", "Lesson one", "lesson1.html"), Item("sco2", "Lesson two", "lesson2.html")]
TITLE = "Fire drill"


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


def _registration(live_server, tmp_path, creds=None, **course_settings) -> tuple[str, str]:
    """A SCORM 1.2 course with COURSE_SETTINGS set at the course level, and a registration of learner
    "dana-1" on it: (course id, registration id)."""
    course_id = import_course(live_server, tmp_path, scorm12_zip(TITLE, scos=SCOS), creds)
    if course_settings:
        cloud.CourseApi(live_server.client(creds)).set_course_configuration(course_id, cloud.SettingsPostSchema(
            settings=[cloud.SettingsIndividualSchema(setting_id=k, value=v) for k, v in course_settings.items()]))
    return course_id, create_registration(live_server, course_id, creds, learner_id="dana-1")


def _config(live_server, registration_id: str, creds=None) -> dict[str, tuple[str, str]]:
    """{setting id: (value, source)} as GetRegistrationConfiguration answers it."""
    items = cloud.RegistrationApi(live_server.client(creds)).get_registration_configuration(registration_id)
    return {s.id: (s.effective_value, s.effective_value_source) for s in items.setting_items}


def _setting(page, setting_id: str):
    return page.locator(f"li#setting-{setting_id}")


def _base(live_server, registration_id: str, app_id: str | None = None) -> str:
    return f"/console/registrations/{app_id or live_server.default_app.app_id}/{registration_id}"


def test_registration_settings_show_the_cascade_save_and_clear(live_server, page, tmp_path):
    _, reg = _registration(live_server, tmp_path, PlayerDesiredWidth="1200")
    sign_in(page, live_server, make_user(live_server, "administrator"))
    page.goto(live_server.service_url + _base(live_server, reg))
    page.get_by_role("link", name="Configuration settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Configuration settings of registration {reg}")
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(crumbs.get_by_role("link")).to_have_text([re.compile(r"^Learners of "), "dana-1", f"Registration {reg}"])
    width = _setting(page, "PlayerDesiredWidth")
    expect(width.locator(".effective")).to_contain_text("Applies now: 1200, set by course.")
    expect(width).to_contain_text("Valid values: a whole number of pixels, 0 or more.")
    expect(width.locator(".badge")).to_have_count(0)
    launch = _setting(page, "PlayerLaunchType")
    expect(launch.locator(".effective")).to_contain_text("Applies now: FRAMESET, set by default.")
    expect(launch.get_by_label("PlayerLaunchType")).to_contain_text("Not set for this registration: FRAMESET (default)")
    # Only what a registration may set: a course-level setting is on the course's page, not here.
    expect(_setting(page, "WhenToRestartRegistration")).to_have_count(0)
    check_page(page, "registration-settings")

    launch.get_by_label("PlayerLaunchType").select_option("NEW_WINDOW")
    width.get_by_label("PlayerDesiredWidth").fill("700")
    page.get_by_role("button", name="Save settings").last.click()
    expect(page.get_by_role("status")).to_have_text("The settings were saved.")
    width = _setting(page, "PlayerDesiredWidth")
    expect(width.locator(".badge")).to_have_text("Set for this registration")
    expect(width.locator(".effective")).to_contain_text(
        "Applies now: 700, set by this registration. Without the registration's value: 1200 (course).")
    config = _config(live_server, reg)
    assert config["PlayerDesiredWidth"] == ("700", "registration")
    assert config["PlayerLaunchType"] == ("NEW_WINDOW", "registration")
    assert config["PlayerDesiredHeight"] == ("800", "default")  # untouched fields stay unset

    # A bad value: the field says what it accepts, the form is kept, nothing is saved (not even the valid change).
    _setting(page, "PlayerLaunchType").get_by_label("PlayerLaunchType").select_option("FRAMESET")
    _setting(page, "PlayerDesiredHeight").get_by_label("PlayerDesiredHeight").fill("-5")
    page.get_by_role("button", name="Save settings").first.click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved: 1 setting has a value that is not valid.")
    height = _setting(page, "PlayerDesiredHeight")
    expect(height.locator(".field-error")).to_have_text(
        "“-5” is not a valid value. Allowed: a whole number of pixels, 0 or more.")
    expect(height.get_by_label("PlayerDesiredHeight")).to_have_attribute("aria-invalid", "true")
    expect(_setting(page, "PlayerLaunchType").get_by_label("PlayerLaunchType")).to_have_value("FRAMESET")
    check_page(page, "registration-settings-error")
    assert _config(live_server, reg) == config

    # Clear the registration's value: the course's shows through again, here and through the API.
    page.goto(live_server.service_url + _base(live_server, reg) + "/settings")
    page.get_by_role("button", name="Clear the registration's value of PlayerDesiredWidth").click()
    expect(page.get_by_role("status")).to_contain_text("The registration's own value was cleared")
    expect(_setting(page, "PlayerDesiredWidth").locator(".effective")).to_contain_text(
        "Applies now: 1200, set by course.")
    assert _config(live_server, reg)["PlayerDesiredWidth"] == ("1200", "course")
    assert _config(live_server, reg)["PlayerLaunchType"] == ("NEW_WINDOW", "registration")
    check_page(page, "registration-settings-cleared")

    # The breadcrumb leads back to the registration.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=f"Registration {reg}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Registration {reg}")


def test_course_settings_page_still_says_this_course(live_server, page, tmp_path):
    """The same editor on a course: its own level is "This course", a registration's value does not show."""
    course_id, reg = _registration(live_server, tmp_path, PlayerDesiredWidth="1200")
    set_registration_settings(live_server, reg, PlayerDesiredWidth="640")
    sign_in(page, live_server, make_user(live_server, "owner"))
    page.goto(f"{live_server.service_url}/console/courses/{live_server.default_app.app_id}/{course_id}/settings")
    width = _setting(page, "PlayerDesiredWidth")
    expect(width.locator(".badge")).to_have_text("Set for this course")
    expect(width.locator(".effective")).to_contain_text("Applies now: 1200, set by this course.")
    expect(_setting(page, "WhenToRestartRegistration")).to_have_count(1)


# (method, path after the registration's, form, status for owners and administrators), in an order that
# leaves each one something to act on.
ROUTES = [
    ("GET", "/settings", {}, 200),
    ("POST", "/settings", {"setting-PlayerLaunchType": "NEW_WINDOW"}, 303),
    ("POST", "/settings/clear", {"clear": "PlayerDesiredWidth"}, 303),
]


def _send(client, method: str, path: str, token: str, data: dict):
    return client.get(path) if method == "GET" else client.post(path, data={"csrf_token": token, **data})


@pytest.mark.parametrize("role", ["owner", "administrator", "learner"])
def test_role_matrix_of_the_registration_settings(live_server, tmp_path, role):
    """Owners and administrators may read, save and clear; a learner gets 403 for each and nothing changes."""
    _, reg = _registration(live_server, tmp_path)
    set_registration_settings(live_server, reg, PlayerDesiredWidth="640")
    before = _config(live_server, reg)
    with http_session(live_server, make_user(live_server, role)) as client:
        token = csrf_of(client)
        for method, tail, data, status in ROUTES:
            answer = _send(client, method, _base(live_server, reg) + tail, token, data)
            if role in ("owner", "administrator"):
                assert answer.status_code == status, (role, method, tail, answer.text[:300])
            else:
                assert answer.status_code == 403, (role, method, tail)
                assert "You do not have access to this page" in answer.text
                assert "PlayerDesiredWidth" not in answer.text and "dana-1" not in answer.text
    after = _config(live_server, reg)
    if role == "learner":
        assert after == before
    else:
        assert after["PlayerLaunchType"] == ("NEW_WINDOW", "registration")
        assert after["PlayerDesiredWidth"] == ("1000", "default")


@pytest.mark.parametrize(("method", "tail"), [(m, t) for m, t, _, _ in ROUTES])
def test_every_registration_settings_route_needs_a_session(live_server, method, tail):
    with httpx.Client(base_url=live_server.service_url) as client:
        answer = client.request(method, _base(live_server, "any-registration") + tail, follow_redirects=False)
    assert answer.status_code == 303  # to the sign-in page; a POST does nothing
    assert answer.headers["location"].startswith("/console/signin")


def test_another_realms_registration_is_not_found(live_server, tmp_path):
    """An administrator of another realm gets 404 for every route on this realm's registration, with none of
    its data, and changes nothing; nor does their own application id reach it."""
    _, reg = _registration(live_server, tmp_path, PlayerDesiredHeight="600")
    set_registration_settings(live_server, reg, PlayerDesiredWidth="640")
    before = _config(live_server, reg)
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        realm, new = apps.create_realm(session, box=svc.box, name=f"Elsewhere {uuid.uuid4().hex[:6]}")
        realm_id = realm.id
    with http_session(live_server, make_user(live_server, "administrator", realm_id=realm_id)) as client:
        token = csrf_of(client)
        for app_id in (live_server.default_app.app_id, new.app_id):
            for method, tail, data, _ in ROUTES:
                answer = _send(client, method, _base(live_server, reg, app_id) + tail, token, data)
                assert answer.status_code == 404, (app_id, method, tail, answer.status_code)
                assert "dana-1" not in answer.text and TITLE not in answer.text
                assert "640" not in answer.text and "PlayerDesiredWidth" not in answer.text
    assert _config(live_server, reg) == before
