"""The sandbox and My courses in Chromium: a sandbox launch plays a real SCORM 1.2 course to
completion, resumes on the next launch, is listed apart, leaves the usage report, the realm's
registration count, GetRegistrations and the Apps chart unchanged, and is reset after a confirmation;
a learner's My courses lists only their registrations and plays one; nobody launches another's
registration; the role matrix, the sign-in redirect and another realm's ids."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect
from rustici_software_cloud_v2.rest import ApiException
from sqlalchemy import func, select

from coursehost.db.models.registrations import Launch, Registration, RegistrationInstance
from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from coursehost.domain import limits, usage_report
from coursehost.domain.applications import service as apps
from coursehost.domain.registrations import sandbox
from tests.builders.scorm import scorm12_zip
from tests.console.support import check_page, csrf_of, http_session, make_user, sign_in
from tests.e2e.support import create_registration, import_course
from tests.servers import AppCreds

# The one SCO of the course: it reads who the learner is, then passes with 90, keeps a bookmark
# (exit "suspend": the next launch resumes this attempt) and finishes.
PASS_AND_FINISH = """() => {
  const api = window.parent.API;
  const r = {init: api.LMSInitialize(""), id: api.LMSGetValue("cmi.core.student_id"),
             entry: api.LMSGetValue("cmi.core.entry")};
  api.LMSSetValue("cmi.core.score.raw", "90");
  api.LMSSetValue("cmi.core.lesson_status", "passed");
  api.LMSSetValue("cmi.core.lesson_location", "page-7");
  api.LMSSetValue("cmi.core.exit", "suspend");
  r.finish = api.LMSFinish("");
  return r;
}"""
# Only look: where this launch starts, then finish without changing anything.
LOOK_AND_FINISH = """() => {
  const api = window.parent.API;
  const r = {init: api.LMSInitialize(""), entry: api.LMSGetValue("cmi.core.entry"),
             status: api.LMSGetValue("cmi.core.lesson_status"), location: api.LMSGetValue("cmi.core.lesson_location"),
             score: api.LMSGetValue("cmi.core.score.raw")};
  r.finish = api.LMSFinish("");
  return r;
}"""


@dataclass
class Realm:
    id: int
    name: str
    creds: AppCreds  # its default application


def new_realm(live_server) -> Realm:
    """A realm of its own (so that its usage and registration count are this test's alone)."""
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        realm, creds = apps.create_realm(session, box=svc.box, name=f"Sandbox {uuid.uuid4().hex[:6]}")
        return Realm(realm.id, realm.name, AppCreds(creds.app_id, creds.secret_key))


def course_in(live_server, tmp_path, realm: Realm, title: str) -> str:
    return import_course(live_server, tmp_path, scorm12_zip(title, scos=[("sco1", "The lesson", "index.html")]),
                         realm.creds)


def content_frame(page, name: str = "index.html"):
    deadline = time.time() + 15
    while time.time() < deadline:
        for frame in page.frames:
            if frame.url.endswith("/" + name):
                frame.wait_for_load_state()
                return frame
        page.wait_for_timeout(50)
    raise AssertionError(f"{name} never loaded; frames: {[f.url for f in page.frames]}")


def play(page, script: str) -> dict:
    """Run SCRIPT in the launched course's SCO (the player is the page now)."""
    page.wait_for_function("window.API && typeof window.API.LMSInitialize === 'function'")
    return content_frame(page).evaluate(script)


def sandbox_rows(live_server, app_id: str, learner_id: str) -> list[Registration]:
    """LEARNER_ID's sandbox registrations in application APP_ID, straight from the database."""
    with unit_of_work(live_server.services.session_factory) as session:
        rows = session.scalars(select(Registration).join(Application, Application.pk == Registration.application_pk)
                               .where(Application.app_id == app_id, Registration.learner_id == learner_id,
                                      Registration.sandbox.is_(True)).order_by(Registration.pk)).all()
        session.expunge_all()
        return list(rows)


def own_sandbox(live_server, app_id: str, course_id: str, email: str, *, progress: bool = False) -> str:
    """EMAIL's sandbox registration of the course, made as the console makes it; with PROGRESS, completed."""
    with unit_of_work(live_server.services.session_factory) as session:
        app_pk = session.scalar(select(Application.pk).where(Application.app_id == app_id))
        reg = sandbox.open_sandbox_registration(session, application_pk=app_pk, course_id=course_id, version=None,
                                                learner=sandbox.sandbox_learner(email=email))
        if progress:
            reg.completion, reg.success, reg.score_scaled = "COMPLETED", "PASSED", 80.0
        return reg.registration_id


def launch_count(live_server, registration_pk: int) -> int:
    with unit_of_work(live_server.services.session_factory) as session:
        return session.scalar(select(func.count()).select_from(Launch).join(
            RegistrationInstance, RegistrationInstance.pk == Launch.instance_pk).where(
            RegistrationInstance.registration_pk == registration_pk))


def usage_now(live_server, realm_id: int) -> tuple:
    """(registrations used against the limit, this month's and the last 30 days' registrations and launches)."""
    with unit_of_work(live_server.services.session_factory) as session:
        used = limits.get_limits(session, realm_id=realm_id).registrations_used
        report = usage_report.usage_report(session, realm_id=realm_id)
    month, recent = report.months[-1], report.recent
    return used, month.registrations, month.launches, recent.registrations, recent.launches


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


def nav_links(page) -> list[str]:
    return page.get_by_role("navigation", name="Console").get_by_role("link").all_inner_texts()


def test_sandbox_launch_plays_the_course_for_free_resumes_and_resets(live_server, page, tmp_path):
    realm = new_realm(live_server)
    app_id = realm.creds.app_id
    course_id = course_in(live_server, tmp_path, realm, "Safety basics")
    with unit_of_work(live_server.services.session_factory) as session:
        limits.set_limits(session, realm_id=realm.id, registrations=1)
    real = create_registration(live_server, course_id, realm.creds, learner_id="real-learner")  # the limit is reached
    before = usage_now(live_server, realm.id)
    assert before == (1, 1, 0, 1, 0)
    owner = make_user(live_server, "owner", realm_id=realm.id, name="Grace Hopper")

    sign_in(page, live_server, owner)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Sandbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sandbox")
    expect(page.get_by_text("You have not tested any course of Default application in the sandbox yet.")).to_be_visible()
    check_page(page, "sandbox-empty")

    # Launch from the sandbox page's form: the player plays the course as the console user.
    page.get_by_label("Course", exact=True).select_option(course_id)
    page.get_by_role("button", name="Launch in sandbox").click()
    page.wait_for_url(f"{live_server.content_url}/player/**")
    first = play(page, PASS_AND_FINISH)
    assert (first["init"], first["id"], first["entry"], first["finish"]) == ("true", owner.email, "ab-initio", "true")
    page.wait_for_url(f"{live_server.service_url}/console/sandbox?app={app_id}", timeout=15000)
    row = page.get_by_role("row").filter(has_text="Safety basics")
    expect(row.locator("td[data-label=Completion]")).to_have_text("Completed")
    expect(row.locator("td[data-label=Success]")).to_have_text("Passed")
    expect(row.locator("td[data-label=Score]")).to_have_text("90%")
    expect(row.locator("td[data-label=Version]")).to_have_text("0")
    expect(row.locator("td[data-label='Last launched'] time")).to_have_count(1)
    check_page(page, "sandbox-list")

    # Launch again from the list: the same registration resumes with its results.
    row.get_by_role("button", name=re.compile("^Launch")).click()
    page.wait_for_url(f"{live_server.content_url}/player/**")
    assert play(page, LOOK_AND_FINISH) == {"init": "true", "entry": "resume", "status": "passed",
                                           "location": "page-7", "score": "90", "finish": "true"}
    page.wait_for_url(f"{live_server.service_url}/console/sandbox?app={app_id}", timeout=15000)
    (mine,) = sandbox_rows(live_server, app_id, owner.email)
    assert launch_count(live_server, mine.pk) == 2
    assert mine.learner == {"id": owner.email, "email": owner.email, "firstName": "Grace", "lastName": "Hopper"}

    # Not usage: the realm's count, the usage report, GetRegistrations and the Apps chart are as before.
    assert usage_now(live_server, realm.id) == before
    listed = cloud.RegistrationApi(live_server.client(realm.creds)).get_registrations().registrations
    assert [r.id for r in listed] == [real]
    with pytest.raises(ApiException) as refused:  # while a real registration is over the limit
        create_registration(live_server, course_id, realm.creds, learner_id="one-too-many")
    assert refused.value.status == 403
    page.goto(f"{live_server.service_url}/console/apps/{app_id}")
    months = page.get_by_role("table", name="Registrations created per month").locator("tbody tr")
    expect(months.last.locator("td")).to_have_text("1")  # the real registration only

    # Reset my sandbox progress, after a confirmation: the same registration starts over.
    page.goto(f"{live_server.service_url}/console/sandbox?app={app_id}")
    row.get_by_role("link", name=re.compile("^Reset my sandbox progress")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset my sandbox progress?")
    expect(page.get_by_text("Your progress in Safety basics (version 0) in the sandbox is deleted")).to_be_visible()
    check_page(page, "sandbox-reset-confirm")
    page.get_by_role("button", name="Reset my sandbox progress").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your sandbox progress in that course was reset: its next launch starts from the beginning.")
    expect(row.locator("td[data-label=Completion]")).to_have_text("Unknown")
    expect(row.locator("td[data-label=Success]")).to_have_text("Unknown")
    expect(row.locator("td[data-label=Score]")).to_have_text("None")
    row.get_by_role("button", name=re.compile("^Launch")).click()
    page.wait_for_url(f"{live_server.content_url}/player/**")
    assert play(page, LOOK_AND_FINISH) == {"init": "true", "entry": "ab-initio", "status": "not attempted",
                                           "location": "", "score": "", "finish": "true"}
    page.wait_for_url(f"{live_server.service_url}/console/sandbox?app={app_id}", timeout=15000)
    assert [r.pk for r in sandbox_rows(live_server, app_id, owner.email)] == [mine.pk]
    assert usage_now(live_server, realm.id) == before


def test_reset_all_my_sandbox_progress(live_server, page, tmp_path):
    realm = new_realm(live_server)
    app_id = realm.creds.app_id
    courses = [course_in(live_server, tmp_path, realm, title) for title in ("Course A", "Course B")]
    admin = make_user(live_server, "administrator", realm_id=realm.id)
    other_admin = make_user(live_server, "administrator", realm_id=realm.id)
    with http_session(live_server, admin) as client, http_session(live_server, other_admin) as other:
        for c, course_id in ((client, courses[0]), (client, courses[1]), (other, courses[0])):
            answer = c.post(f"/console/courses/{app_id}/{course_id}/sandbox", data={"csrf_token": csrf_of(c)})
            assert answer.status_code == 303 and answer.headers["location"].startswith(live_server.content_url)
    with unit_of_work(live_server.services.session_factory) as session:  # progress, as if played
        for reg in session.scalars(select(Registration).where(Registration.sandbox.is_(True),
                                                              Registration.course_id.in_(courses))):
            reg.completion, reg.success, reg.score_scaled = "COMPLETED", "PASSED", 80.0
    sign_in(page, live_server, admin)
    page.goto(f"{live_server.service_url}/console/sandbox?app={app_id}")
    expect(page.locator("td[data-label=Completion]")).to_have_text(["Completed", "Completed"])
    page.get_by_role("link", name="Reset all my sandbox progress in Default application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset all my sandbox progress?")
    check_page(page, "sandbox-reset-all-confirm")
    page.get_by_role("button", name="Reset all my sandbox progress").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your sandbox progress in every course of this application was reset.")
    expect(page.locator("td[data-label=Completion]")).to_have_text(["Not started", "Not started"])  # never launched
    # Only the signed-in user's sandbox: the other administrator's progress is untouched.
    (theirs,) = sandbox_rows(live_server, app_id, other_admin.email)
    assert (theirs.completion, theirs.success, theirs.score_scaled) == ("COMPLETED", "PASSED", 80.0)


def test_sandbox_registration_per_course_version_and_the_form_messages(live_server, page, tmp_path):
    from tests.contract.courses import course_api, upload

    realm = new_realm(live_server)
    app_id = realm.creds.app_id
    course_id = course_in(live_server, tmp_path, realm, "Versioned")
    status = upload(course_api(live_server, realm.creds), tmp_path, scorm12_zip("Versioned"), course_id=course_id,
                    may_create_new_version=True)
    assert status.status == "COMPLETE"
    admin = make_user(live_server, "administrator", realm_id=realm.id)
    with http_session(live_server, admin) as client:
        token = csrf_of(client)
        url = f"/console/courses/{app_id}/{course_id}/sandbox"
        for version in ("0", "0", "", "1"):
            assert client.post(url, data={"csrf_token": token, "version": version}).status_code == 303
        versions = {}
        for reg in sandbox_rows(live_server, app_id, admin.email):
            with unit_of_work(live_server.services.session_factory) as session:
                versions[reg.registration_id] = session.scalar(select(RegistrationInstance.course_version).where(
                    RegistrationInstance.registration_pk == reg.pk))
        assert sorted(versions.values()) == [0, 1]  # one per version: the latest (1) asked for twice
        for version, status_code in (("7", 404), ("one", 400), ("-1", 400)):
            answer = client.post(url, data={"csrf_token": token, "version": version})
            assert answer.status_code == status_code, answer.text[:300]
        missing = client.post(f"/console/courses/{app_id}/no-such-course/sandbox", data={"csrf_token": token})
        assert missing.status_code == 404 and "There is no course no-such-course in this application." in missing.text
    assert len(sandbox_rows(live_server, app_id, admin.email)) == 2  # nothing made by the refused ones

    sign_in(page, live_server, admin)
    page.goto(f"{live_server.service_url}/console/sandbox?app={app_id}")
    expect(page.locator("td[data-label=Version]")).to_have_count(2)
    page.get_by_label("Course", exact=True).select_option(course_id)
    page.get_by_label("Version (optional)").fill("7")
    page.get_by_role("button", name="Launch in sandbox").click()
    expect(page.get_by_text(f"Course {course_id} has no version 7.")).to_be_visible()
    expect(page.get_by_label("Version (optional)")).to_have_value("7")  # the form kept filled in
    expect(page.get_by_label("Version (optional)")).to_have_attribute("aria-invalid", "true")
    check_page(page, "sandbox-launch-error")


def test_my_courses_lists_only_the_learners_registrations_and_plays_one(live_server, page, tmp_path):
    realm = new_realm(live_server)
    learner = make_user(live_server, "learner", realm_id=realm.id)
    fire, aid, theirs = (course_in(live_server, tmp_path, realm, t) for t in ("Fire drill", "First aid", "Not yours"))
    by_id = create_registration(live_server, fire, realm.creds, learner_id=learner.email)
    cloud.RegistrationApi(live_server.client(realm.creds)).create_registration(cloud.CreateRegistrationSchema(
        course_id=aid, registration_id=f"reg-{uuid.uuid4().hex[:8]}",  # their e-mail, in capitals, as the learner's
        learner=cloud.LearnerSchema(id="employee-1234", first_name="Ada", last_name="L", email=learner.email.upper())))
    create_registration(live_server, theirs, realm.creds, learner_id="someone-else")
    with unit_of_work(live_server.services.session_factory) as session:  # a second application of the realm
        second, secret = apps.create_application(session, box=live_server.services.box, realm_id=realm.id,
                                                 name="Second app")
        second_creds = AppCreds(second.app_id, secret)
    other_app_course = import_course(live_server, tmp_path, scorm12_zip("From the second app"), second_creds)
    create_registration(live_server, other_app_course, second_creds, learner_id=learner.email)
    elsewhere = new_realm(live_server)  # another realm: the same e-mail there is not this realm's
    create_registration(live_server, course_in(live_server, tmp_path, elsewhere, "Elsewhere"), elsewhere.creds,
                        learner_id=learner.email)
    own_sandbox(live_server, realm.creds.app_id, theirs, learner.email)  # a sandbox is not an assigned course

    sign_in(page, live_server, learner)
    assert nav_links(page) == ["Home", "My courses", "Realms", "Settings"]
    page.get_by_role("navigation", name="Console").get_by_role("link", name="My courses").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My courses")
    titles = page.locator("td[data-label=Course]")
    expect(titles).to_have_count(3)
    assert sorted(titles.all_inner_texts()) == ["Fire drill", "First aid", "From the second app"]
    expect(page.locator("td[data-label=Application]").filter(has_text="Second app")).to_have_count(1)
    check_page(page, "my-courses")

    row = page.get_by_role("row").filter(has_text="Fire drill")
    expect(row.locator("td[data-label=Completion]")).to_have_text("Not started")
    row.get_by_role("button", name="Launch Fire drill").click()
    page.wait_for_url(f"{live_server.content_url}/player/**")
    played = play(page, PASS_AND_FINISH)
    assert (played["id"], played["finish"]) == (learner.email, "true")
    page.wait_for_url(f"{live_server.service_url}/console/my-courses", timeout=15000)
    expect(row.locator("td[data-label=Completion]")).to_have_text("Completed")
    expect(row.locator("td[data-label=Success]")).to_have_text("Passed")
    expect(row.locator("td[data-label=Score]")).to_have_text("90%")
    got = cloud.RegistrationApi(live_server.client(realm.creds)).get_registration_progress(by_id)
    assert (got.registration_completion, got.registration_success, got.score.scaled) == ("COMPLETED", "PASSED", 90.0)


def test_my_courses_when_there_are_none(live_server, page):
    learner = make_user(live_server, "learner", realm_id=new_realm(live_server).id)
    sign_in(page, live_server, learner)
    page.goto(f"{live_server.service_url}/console/my-courses")
    expect(page.get_by_text(f"You have no courses in {learner.realm_name} yet.")).to_be_visible()
    check_page(page, "my-courses-empty")


def test_nobody_launches_someone_elses_registration(live_server, tmp_path):
    realm = new_realm(live_server)
    app_id = realm.creds.app_id
    owner_of = make_user(live_server, "learner", realm_id=realm.id)
    intruder = make_user(live_server, "learner", realm_id=realm.id)
    admin = make_user(live_server, "administrator", realm_id=realm.id)
    course_id = course_in(live_server, tmp_path, realm, "Private course")
    reg = create_registration(live_server, course_id, realm.creds, learner_id=owner_of.email)
    for user in (intruder, admin):  # not even an administrator launches it as the learner from My courses
        with http_session(live_server, user) as client:
            assert "Private course" not in client.get("/console/my-courses").text
            answer = client.post(f"/console/my-courses/{app_id}/{reg}/launch", data={"csrf_token": csrf_of(client)})
            assert answer.status_code == 404, answer.text[:300]
            assert "location" not in answer.headers and "/player/launch" not in answer.text
    with http_session(live_server, owner_of) as client:
        token = csrf_of(client)
        mine = client.post(f"/console/my-courses/{app_id}/{reg}/launch", data={"csrf_token": token})
        assert mine.status_code == 303
        assert mine.headers["location"].startswith(f"{live_server.content_url}/player/launch?token=")
        forged = client.post(f"/console/my-courses/{app_id}/{reg}/launch")  # no CSRF token
        assert forged.status_code == 403
    with unit_of_work(live_server.services.session_factory) as session:
        pk = session.scalar(select(Registration.pk).where(Registration.registration_id == reg))
    assert launch_count(live_server, pk) == 0  # a link is not a launch until the player opens it


def test_another_realms_ids_give_404_and_nothing_is_made(live_server, tmp_path):
    mine, theirs = new_realm(live_server), new_realm(live_server)
    their_course = course_in(live_server, tmp_path, theirs, "Their course")
    their_learner = make_user(live_server, "learner", realm_id=theirs.id)
    their_reg = create_registration(live_server, their_course, theirs.creds, learner_id=their_learner.email)
    admin = make_user(live_server, "owner", realm_id=mine.id)
    app = theirs.creds.app_id
    with http_session(live_server, admin) as client:
        token = csrf_of(client)
        for method, path in (("GET", f"/console/sandbox?app={app}"),
                             ("POST", f"/console/courses/{app}/{their_course}/sandbox"),
                             ("POST", f"/console/sandbox/{app}/launch"),
                             ("GET", f"/console/sandbox/{app}/reset"), ("POST", f"/console/sandbox/{app}/reset"),
                             ("POST", f"/console/my-courses/{app}/{their_reg}/launch")):
            data = {"csrf_token": token, "course_id": their_course, "confirm": "yes"} if method == "POST" else None
            answer = client.request(method, path, data=data)
            assert answer.status_code == 404, (method, path, answer.text[:300])
            assert "Their course" not in answer.text
    assert sandbox_rows(live_server, app, admin.email) == []


ROLES = ["owner", "administrator", "learner"]
# (method, path, form, status for owners and administrators); learners get 403 and nothing is done.
# {course}: a course of {app}; {sandbox}: the user's own sandbox registration of it.
SANDBOX_ROUTES = [
    ("GET", "/console/sandbox?app={app}", {}, 200),
    ("POST", "/console/courses/{app}/{course}/sandbox", {}, 303),
    ("POST", "/console/sandbox/{app}/launch", {"course_id": "{course}"}, 303),
    ("GET", "/console/sandbox/{app}/registrations/{sandbox}/reset", {}, 200),
    ("POST", "/console/sandbox/{app}/registrations/{sandbox}/reset", {"confirm": "yes"}, 303),
    ("GET", "/console/sandbox/{app}/reset", {}, 200),
    ("POST", "/console/sandbox/{app}/reset", {"confirm": "yes"}, 303),
]
# Every role: My courses and launching one's own registration ({mine}).
MY_ROUTES = [
    ("GET", "/console/my-courses", {}, 200),
    ("POST", "/console/my-courses/{app}/{mine}/launch", {}, 303),
]


@pytest.fixture(scope="module")
def matrix_realm(live_server, tmp_path_factory):
    realm = new_realm(live_server)
    return realm, course_in(live_server, tmp_path_factory.mktemp("matrix"), realm, "Matrix course")


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_of_the_sandbox_and_my_courses(live_server, matrix_realm, role):
    realm, course_id = matrix_realm
    app_id = realm.creds.app_id
    user = make_user(live_server, role, realm_id=realm.id)
    sandbox_id = own_sandbox(live_server, app_id, course_id, user.email, progress=True)
    mine = create_registration(live_server, course_id, realm.creds, learner_id=user.email)
    ids = {"app": app_id, "course": course_id, "sandbox": sandbox_id, "mine": mine}
    with http_session(live_server, user) as client:
        token = csrf_of(client)
        for method, template, form, status in SANDBOX_ROUTES + MY_ROUTES:
            path = template.format(**ids)
            data = {"csrf_token": token, **{k: v.format(**ids) for k, v in form.items()}} if method == "POST" else None
            answer = client.request(method, path, data=data)
            if role != "learner" or (template, status) in {(t, s) for _, t, _, s in MY_ROUTES}:
                assert answer.status_code == status, (role, method, path, answer.text[:300])
            else:
                assert answer.status_code == 403, (role, method, path)
                assert "You do not have access to this page" in answer.text
                assert "/player/launch" not in answer.text and "location" not in answer.headers
    (kept,) = sandbox_rows(live_server, app_id, user.email)  # launching again reuses it; nothing else is made
    assert kept.registration_id == sandbox_id
    reset = role != "learner"
    assert (kept.completion, kept.success, kept.score_scaled) == (
        ("UNKNOWN", "UNKNOWN", None) if reset else ("COMPLETED", "PASSED", 80.0))


@pytest.mark.parametrize(("method", "template"), sorted({(m, t) for m, t, _, _ in SANDBOX_ROUTES + MY_ROUTES}))
def test_every_sandbox_route_needs_a_session(live_server, method, template):
    path = template.format(app=live_server.default_app.app_id, course="c", sandbox="s", mine="m")
    with httpx.Client(base_url=live_server.service_url) as client:
        answer = client.request(method, path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/signin")


def test_the_course_pages_test_in_sandbox_button_plays_the_course(live_server, page, tmp_path, browser):
    """The course page (console/courses.py) and the sandbox together: "Test in sandbox" opens the course
    in the player on the content origin, as the signed-in user, and the run lands in their sandbox."""
    realm = new_realm(live_server)
    course_id = course_in(live_server, tmp_path, realm, "Course page sandbox")
    admin = make_user(live_server, "administrator", realm_id=realm.id)
    before = usage_now(live_server, realm.id)
    sign_in(page, live_server, admin)
    page.goto(f"{live_server.service_url}/console/courses/{realm.creds.app_id}/{course_id}")
    page.get_by_role("button", name="Test in sandbox").click()
    page.wait_for_url(f"{live_server.content_url}/**")
    result = play(page, """() => { const api = window.parent.API; api.LMSInitialize("");
        api.LMSSetValue("cmi.core.lesson_status", "completed"); return api.LMSFinish(""); }""")
    assert result == "true"
    rows = sandbox_rows(live_server, realm.creds.app_id, admin.email)
    assert len(rows) == 1 and rows[0].course_id == course_id
    deadline = time.time() + 15
    while time.time() < deadline and sandbox_rows(live_server, realm.creds.app_id, admin.email)[0].completion != "COMPLETED":
        time.sleep(0.2)
    assert sandbox_rows(live_server, realm.creds.app_id, admin.email)[0].completion == "COMPLETED"
    assert usage_now(live_server, realm.id) == before  # a preview: no registration or launch counted

    # That launch's debug log, in the console and through a support link opened while signed out.
    registration_id = rows[0].registration_id
    page.wait_for_url(f"{live_server.service_url}/console/sandbox?app={realm.creds.app_id}", timeout=15000)
    page.goto(f"{live_server.service_url}/console/registrations/{realm.creds.app_id}/{registration_id}")
    page.get_by_role("link", name="Debug log").first.click()
    expect(page.locator("table.log")).to_contain_text("cmi.core.lesson_status")
    page.get_by_role("button", name="Create link").click()
    url = page.locator("li.share.new").get_by_label("Link").input_value()
    outsider = browser.new_context()
    try:
        shared = outsider.new_page()
        assert shared.goto(url).status == 200
        expect(shared.get_by_role("heading", name="Debug log of a launch")).to_be_visible()
        expect(shared.locator("table.log")).to_contain_text("LMSSetValue")
        expect(shared.locator("table.log")).to_contain_text("cmi.core.lesson_status")
        assert admin.email not in shared.content()
    finally:
        outsider.close()
