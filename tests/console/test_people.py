"""The People tab in Chromium: learners (search, details, delete data), the registration page and its
actions, a real SCORM 1.2 launch's debug log in the console and through its shared link while signed
out (then revoked, expired, altered), each checked against the official client; the role matrix,
sessions, and another realm's ids."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect
from rustici_software_cloud_v2.rest import ApiException
from sqlalchemy import select

from coursehost.db.base import utcnow
from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from coursehost.domain.registrations import core
from coursehost.domain.runtime import debuglog, launch_logs, launches
from tests.builders.scorm import scorm12_zip
from tests.console.support import check_page, csrf_of, http_session, make_user, sign_in
from tests.e2e.support import import_course, launch_history, launch_link, progress
from tests.servers import AppCreds

SCO_1 = """() => {
  const api = window.parent.API;
  api.LMSInitialize("");
  api.LMSGetValue("cmi.core.student_name");
  api.LMSSetValue("cmi.core.lesson_status", "incomplete");
  api.LMSSetValue("cmi.core.lesson_location", "page-3");
  api.LMSSetValue("cmi.suspend_data", "abc=1");
  api.LMSSetValue("cmi.core.score.raw", "55");
  api.LMSSetValue("cmi.objectives.0.id", "obj-capitals");
  api.LMSSetValue("cmi.objectives.0.status", "passed");
  api.LMSSetValue("cmi.objectives.0.score.raw", "80");
  api.LMSSetValue("cmi.interactions.0.id", "q-capital-of-france");
  api.LMSSetValue("cmi.interactions.0.type", "choice");
  api.LMSSetValue("cmi.interactions.0.student_response", "lyon");
  api.LMSSetValue("cmi.interactions.0.correct_responses.0.pattern", "paris");
  api.LMSSetValue("cmi.interactions.0.result", "wrong");
  api.LMSSetValue("cmi.interactions.0.latency", "00:00:12");
  api.LMSSetValue("cmi.core.student_id", "x");
  api.LMSSetValue("cmi.core.exit", "suspend");
  api.LMSCommit("");
  return api.LMSFinish("");
}"""

SCO_2 = """() => {
  const api = window.parent.API;
  api.LMSInitialize("");
  api.LMSSetValue("cmi.core.score.raw", "90");
  api.LMSSetValue("cmi.core.lesson_status", "passed");
  api.LMSSetValue("cmi.core.session_time", "00:01:30");
  return api.LMSFinish("");
}"""


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _registration_api(live_server, creds=None) -> cloud.RegistrationApi:
    return cloud.RegistrationApi(live_server.client(creds))


def _register(live_server, course_id: str, learner_id: str, *, first="Ada", last="Lovelace", email=None,
              creds=None, state: cloud.RegistrationSchema | None = None) -> str:
    """CreateRegistration through the official client; the registration id."""
    registration_id = f"reg-{_tag()}"
    _registration_api(live_server, creds).create_registration(cloud.CreateRegistrationSchema(
        course_id=course_id, registration_id=registration_id, initial_registration_state=state,
        learner=cloud.LearnerSchema(id=learner_id, first_name=first, last_name=last, email=email)))
    return registration_id


def _exists(live_server, registration_id: str, creds=None) -> bool:
    try:
        _registration_api(live_server, creds).get_registration(registration_id)
        return True
    except ApiException as exc:
        assert exc.status == 404
        return False


def _admin_page(live_server, context, role: str = "administrator"):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, make_user(live_server, role, name=f"{role.title()} of people"))
    return page


def _path(*parts: str) -> str:
    return "/".join(quote(p, safe="") for p in parts)


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("people"), scorm12_zip(
        "Capitals of Europe", scos=[("sco1", "Lesson one", "one.html"), ("sco2", "Lesson two", "two.html")],
        masteryscore=80))


def _content_frame(page, name: str):
    deadline = time.time() + 15
    while time.time() < deadline:
        for frame in page.frames:
            if frame.url.endswith("/" + name):
                frame.wait_for_load_state()
                return frame
        page.wait_for_timeout(50)
    raise AssertionError(f"{name} never loaded")


@pytest.fixture(scope="module")
def launched(live_server, course, browser):
    """A registration whose one launch in Chromium played both SCOs (an error on the way), exited,
    and left its debug log: (registration id, learner id, the launch as the official client sees it)."""
    learner_id = f"ada-{_tag()}"
    registration_id = _register(live_server, course, learner_id, email="ada@example.com")
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(launch_link(live_server, registration_id, redirect_on_exit_url="message"))
    page.wait_for_function("window.API && typeof window.API.LMSInitialize === 'function'")
    assert _content_frame(page, "one.html").evaluate(SCO_1) == "true"
    assert _content_frame(page, "two.html").evaluate(SCO_2) == "true"
    page.wait_for_url("**/player/exit/message", timeout=15000)
    deadline = time.time() + 15
    while True:  # the last log entries travel with the exit call
        (launch,) = launch_history(live_server, registration_id)
        if launch.exit_time and any(e.get("event") == "exit" for e in launch.log) or time.time() > deadline:
            break
        time.sleep(0.2)
    ctx.close()
    assert launch.exit_time is not None
    return registration_id, learner_id, launch


# ---------------------------------------------------------------------------------------------- learners


def test_learners_are_listed_and_searched_by_id_name_and_email(live_server, course, context):
    tag = _tag()
    grace = f"grace-{tag}"
    for _ in range(2):
        _register(live_server, course, grace, first="Grace", last=f"Hopper{tag}", email=f"grace.{tag}@example.com")
    _register(live_server, course, f"alan-{tag}", first="Alan", last=f"Turing{tag}")
    official = _registration_api(live_server).get_registrations(learner_id=grace).registrations
    assert len(official) == 2

    page = _admin_page(live_server, context)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="Learners", exact=True)).to_be_visible()
    search = page.get_by_label("Search by id, name or e-mail")
    table = page.get_by_role("table")
    for text in (tag, f"Hopper{tag}", f"grace.{tag}@example", f"GRACE HOPPER{tag}"):
        search.fill(text)
        page.get_by_role("button", name="Search").click()
        row = table.get_by_role("row", name=re.compile(grace))
        expect(row).to_contain_text(f"Grace Hopper{tag}")
        expect(row).to_contain_text(f"grace.{tag}@example.com")
        expect(row.locator("td[data-label=Registrations]")).to_have_text(str(len(official)))
    expect(table.get_by_role("row", name=re.compile(f"alan-{tag}"))).to_have_count(0)  # the last search
    search.fill(tag)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status").filter(has_text="learners")).to_have_text(f"2 learners matching “{tag}”.")
    check_page(page, "people-learners")

    search.fill(f"nobody-{tag}")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text(f"No learner matches “nobody-{tag}”.")).to_be_visible()

    page.get_by_label("Application").select_option(label="Management")  # the picker: another application
    page.get_by_role("button", name="Show").click()
    assert f"app={live_server.management_app.app_id}" in page.url
    expect(page.get_by_text("This application has no learner yet.")).to_be_visible()


def test_learner_details_are_edited_on_every_registration(live_server, course, context):
    learner_id = f"edit-{_tag()}"
    regs = [_register(live_server, course, learner_id, first="Edsger", last="Dijkstra") for _ in range(2)]
    page = _admin_page(live_server, context)
    page.goto(f"{live_server.service_url}/console/learners/{_path(live_server.default_app.app_id, learner_id)}")
    expect(page.get_by_role("heading", name="Edsger Dijkstra")).to_be_visible()
    for reg in regs:  # each registration, linking to its page
        expect(page.get_by_role("link", name=reg)).to_have_attribute(
            "href", f"/console/registrations/{live_server.default_app.app_id}/{reg}")

    page.get_by_label("First name").fill("Edsger W.")
    page.get_by_label("E-mail").fill("not an address")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("First name")).to_have_value("Edsger W.")  # the form kept as filled in
    check_page(page, "people-learner-invalid")
    assert progress(live_server, regs[0]).learner.first_name == "Edsger"  # nothing half-saved

    page.get_by_label("E-mail").fill("ewd@example.com")
    page.get_by_label("Last name").fill("")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("status").filter(has_text="saved")).to_be_visible()
    expect(page.get_by_role("heading", name="Edsger W.", exact=True)).to_be_visible()
    check_page(page, "people-learner")
    for reg in regs:
        learner = progress(live_server, reg).learner
        assert (learner.id, learner.first_name, learner.last_name, learner.email) == \
            (learner_id, "Edsger W.", "", "ewd@example.com")  # "" empties it, as in the API


def test_delete_learner_data_says_what_goes_then_erases_it(live_server, course, launched, context):
    learner_id = f"gdpr-{_tag()}"
    regs = [_register(live_server, course, learner_id) for _ in range(2)]
    other = _register(live_server, course, f"other-{_tag()}")
    learners = cloud.LearnerApi(live_server.client())
    learners.put_learner_tags(learner_id, cloud.TagListSchema(tags=["cohort-7"]))

    page = _admin_page(live_server, context)
    page.goto(f"{live_server.service_url}/console/learners/{_path(live_server.default_app.app_id, learner_id)}")
    page.get_by_role("link", name="Delete learner data…").click()
    expect(page.get_by_role("heading", name=f"Delete the data of learner {learner_id}?")).to_be_visible()
    goes = page.locator("ul.goes")
    for reg in regs:
        expect(goes).to_contain_text(f"Registration {reg} (course {course})")
    expect(goes).to_contain_text("tags")
    check_page(page, "people-learner-delete")
    assert all(_exists(live_server, r) for r in regs)  # showing the page changed nothing

    page.get_by_role("button", name="Delete all data of this learner").click()
    expect(page.get_by_role("status").filter(has_text="deleted")).to_contain_text("The learner's data was deleted")
    assert not any(_exists(live_server, r) for r in regs)
    assert _exists(live_server, other)
    assert learners.get_learner_tags(learner_id).tags == []
    assert page.goto(f"{live_server.service_url}/console/learners/"
                     f"{_path(live_server.default_app.app_id, learner_id)}").status == 404


# ---------------------------------------------------------------------------------------------- registration


def test_registration_page_shows_what_get_registration_progress_says(live_server, launched, context):
    registration_id, learner_id, launch = launched
    got = progress(live_server, registration_id)
    page = _admin_page(live_server, context)
    page.goto(f"{live_server.service_url}/console/learners/{_path(live_server.default_app.app_id, learner_id)}")
    page.get_by_role("link", name=registration_id).click()
    expect(page.get_by_role("heading", name=f"Registration {registration_id}")).to_be_visible()

    summary = page.locator("dl.summary")
    expect(summary.locator("div", has_text="Completion")).to_contain_text(
        f"{got.registration_completion.title()} ({got.registration_completion_amount * 100:g}%)")
    expect(summary.locator("div", has_text="Success")).to_contain_text(got.registration_success.title())
    expect(summary.locator("div", has_text="Score")).to_contain_text(f"{got.score.scaled:g}%")
    expect(summary.locator("div", has_text="Total time")).to_contain_text(
        f"{int(got.total_seconds_tracked) // 60} min {int(got.total_seconds_tracked) % 60:02d} s")
    expect(summary.locator("div", has_text="Attempts")).to_contain_text(str(got.activity_details.attempts))
    instances = _registration_api(live_server).get_registration_instances(registration_id).registrations
    expect(summary.locator("div", has_text="Instances")).to_contain_text(str(len(instances)))
    expect(summary.locator("div", has_text="Suspended at")).to_contain_text(got.suspended_activity_id)

    for act in got.activity_details.children:  # each activity with its own status
        box = page.locator(".activity", has=page.get_by_role("heading", name=re.compile(act.title)))
        expect(box.locator(".inline-facts")).to_contain_text(act.activity_completion.title())
        expect(box.locator(".inline-facts")).to_contain_text(act.activity_success.title())
        expect(box.locator(".inline-facts")).to_contain_text(act.time_tracked)
    sco1 = got.activity_details.children[0]
    (q,) = sco1.runtime.runtime_interactions
    row = page.get_by_role("row", name=re.compile(q.id))
    for cell, value in (("Learner response", q.learner_response), ("Correct response", q.correct_responses[0]),
                        ("Result", q.result), ("Latency", q.latency)):
        expect(row.locator(f'td[data-label="{cell}"]')).to_have_text(value)
    (objective,) = [o for o in sco1.objectives if o.id == "obj-capitals"]
    expect(page.get_by_role("row", name=re.compile("obj-capitals"))).to_contain_text(objective.objective_success.title())
    page.locator("details.runtime summary").first.click()
    runtime = page.locator("details.runtime").first
    expect(runtime).to_contain_text(f"Location (bookmark){sco1.runtime.location}")
    expect(runtime.locator("pre.data")).to_have_text(sco1.runtime.suspend_data)

    history = page.get_by_role("table", name=re.compile("Launches of registration"))
    expect(history.locator("tbody tr")).to_have_count(1)
    expect(history.get_by_role("link", name=re.compile("Debug log"))).to_have_attribute(
        "href", f"/console/registrations/{live_server.default_app.app_id}/{registration_id}/launches/{launch.id}")
    check_page(page, "people-registration")


def test_reset_new_instance_and_delete_call_the_apis_functions(live_server, course, context):
    learner_id = f"actions-{_tag()}"
    reg = _register(live_server, course, learner_id, state=cloud.RegistrationSchema(
        registration_completion="COMPLETED", registration_success="PASSED", score=cloud.ScoreSchema(scaled=88),
        total_seconds_tracked=120))
    keep = _register(live_server, course, learner_id)  # so that deleting one leads back to the learner
    assert progress(live_server, reg).registration_completion == "COMPLETED"
    page = _admin_page(live_server, context)
    url = f"{live_server.service_url}/console/registrations/{_path(live_server.default_app.app_id, reg)}"
    page.goto(url)

    page.get_by_role("link", name="Reset progress…").click()
    expect(page.get_by_role("heading", name=f"Reset registration {reg}?")).to_be_visible()
    check_page(page, "people-registration-reset")
    assert progress(live_server, reg).registration_completion == "COMPLETED"
    page.get_by_role("button", name="Reset progress").click()
    expect(page.get_by_role("status").filter(has_text="reset")).to_be_visible()
    got = progress(live_server, reg)
    assert (got.registration_completion, got.registration_success, got.total_seconds_tracked) == ("UNKNOWN", "UNKNOWN", 0)

    page.get_by_role("button", name="Create new instance").click()
    expect(page.get_by_role("status").filter(has_text="new instance")).to_be_visible()
    assert [i.instance for i in _registration_api(live_server).get_registration_instances(reg).registrations] == [0, 1]
    expect(page.locator("dl.summary div", has_text="Instances")).to_contain_text("2")
    expect(page.get_by_role("heading", name="Progress of instance 1")).to_be_visible()

    page.get_by_role("link", name="Delete registration…").click()
    expect(page.get_by_role("heading", name=f"Delete registration {reg}?")).to_contain_text(reg)
    expect(page.locator("ul.goes")).to_contain_text("with its 2 instances")
    check_page(page, "people-registration-delete")
    page.get_by_role("button", name="Delete registration").click()
    expect(page.get_by_role("status").filter(has_text="deleted")).to_be_visible()
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()  # back on the learner's page
    assert not _exists(live_server, reg) and _exists(live_server, keep)
    assert page.goto(url).status == 404


# ---------------------------------------------------------------------------------------------- debug log


def test_debug_log_shows_every_call_filters_and_searches(live_server, launched, context):
    registration_id, _, launch = launched
    calls = [e for e in launch.log if e.get("type") == "runtime"]
    refused = [e for e in calls if e["errorCode"] != "0"]
    assert [e["method"] for e in refused] == ["LMSSetValue"]  # cmi.core.student_id is read only
    page = _admin_page(live_server, context)
    page.goto(f"{live_server.service_url}/console/registrations/{_path(live_server.default_app.app_id, registration_id)}")
    page.get_by_role("link", name=re.compile("Debug log")).click()
    expect(page.get_by_role("heading", name="Debug log of a launch")).to_be_visible()
    rows = page.locator("table.log tbody tr")
    expect(rows).to_have_count(len(launch.log))  # every entry the official client's historyLog has
    expect(page.get_by_text(f"{len(launch.log)} entries: {len(calls)} run-time API calls")).to_be_visible()
    read_only = rows.filter(has_text='LMSSetValue("cmi.core.student_id", "x")')
    expect(read_only.locator('td[data-label="Result"]')).to_have_text("false")
    expect(read_only.locator('td[data-label="Error"]')).to_have_text("403 Element is read only")
    expect(read_only.locator('td[data-label="Activity"]')).to_have_text("sco1")
    expect(rows.filter(has_text='LMSGetValue("cmi.core.student_name")').locator('td[data-label="Result"]')).to_have_text(
        "Lovelace, Ada")
    expect(rows.filter(has_text='LMSSetValue("cmi.core.lesson_location", "page-3")')
           .locator('td[data-label="Error"]')).to_have_text("0 No error")
    check_page(page, "people-launch")

    page.get_by_label("Show").select_option(label="Errors")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(len(refused))
    expect(rows.first).to_contain_text("cmi.core.student_id")
    page.get_by_label("Show").select_option(label="Run-time API calls")
    page.get_by_label("containing").fill("LESSON_STATUS")
    page.get_by_role("button", name="Filter").click()
    wanted = [e for e in calls if "lesson_status" in json.dumps(e).lower()]
    expect(rows).to_have_count(len(wanted))
    expect(page.get_by_text(f"{len(wanted)} of {len(launch.log)} entries match.")).to_be_visible()
    assert "kind=call" in page.url and "q=LESSON_STATUS" in page.url  # a plain GET form: the URL can be shared
    page.get_by_label("Show").select_option(label="Player events")
    page.get_by_label("containing").fill("")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(sum(1 for e in launch.log if e.get("type") == "event"))
    check_page(page, "people-launch-filtered")


def test_shared_link_works_signed_out_until_revoked(live_server, launched, context, browser):
    registration_id, _, launch = launched
    page = _admin_page(live_server, context)
    launch_path = (f"/console/registrations/{_path(live_server.default_app.app_id, registration_id)}"
                   f"/launches/{launch.id}")
    page.goto(live_server.service_url + launch_path)
    page.get_by_label("Link valid for").select_option(label="1 day")
    page.get_by_role("button", name="Create link").click()
    expect(page.get_by_role("status").filter(has_text="support staff")).to_be_visible()
    share = page.locator("li.share.new")
    expect(share).to_contain_text("Active link")
    url = share.get_by_label("Link").input_value()
    assert url.startswith(f"{live_server.service_url}/console/shared/launches/")
    check_page(page, "people-launch-shared")

    outsider = browser.new_context()  # signed out: no console cookie at all
    try:
        shared = outsider.new_page()
        response = shared.goto(url)
        assert response.status == 200
        assert response.headers["x-robots-tag"] == "noindex, nofollow"
        assert response.headers["referrer-policy"] == "no-referrer"
        expect(shared.locator('meta[name="robots"]')).to_have_attribute("content", "noindex, nofollow")
        expect(shared.get_by_role("heading", name="Debug log of a launch")).to_be_visible()
        expect(shared.locator("table.log tbody tr")).to_have_count(len(launch.log))
        expect(shared.get_by_role("navigation", name="Console")).to_have_count(0)
        body = shared.locator("body").inner_text()
        assert registration_id not in body and "ada@example.com" not in body and "Sign out" not in body
        shared.get_by_label("Show").select_option(label="Errors")
        shared.get_by_role("button", name="Filter").click()
        expect(shared.locator("table.log tbody tr")).to_have_count(1)
        check_page(shared, "people-shared-launch")

        page.reload()
        page.locator("li.share", has_text="Active link").get_by_role("button", name=re.compile("Revoke")).click()
        expect(page.get_by_role("status").filter(has_text="revoked")).to_be_visible()
        expect(page.locator("li.share").first).to_contain_text("Revoked link")
        response = shared.goto(url)
        assert response.status == 410
        expect(shared.get_by_role("heading", name="This link no longer works")).to_be_visible()
        expect(shared.get_by_role("main")).to_contain_text("revoked")
        expect(shared.locator("table.log")).to_have_count(0)
        check_page(shared, "people-shared-revoked")
    finally:
        outsider.close()


def _launch_with_log(live_server, registration_id: str, app_id: str | None = None, entries: list[dict] | None = None) -> int:
    """A launch of REGISTRATION_ID started as the player starts one, with one logged call (or ENTRIES); its pk."""
    with unit_of_work(live_server.services.session_factory) as session:
        app = session.scalars(select(Application).where(
            Application.app_id == (app_id or live_server.default_app.app_id))).one()
        reg = core.get_registration(session, application_pk=app.pk, registration_id=registration_id)
        launch = launches.start_launch(session, registration=reg)
        debuglog.append_log(session, launch, entries or [{"type": "runtime", "method": "LMSInitialize", "args": [""],
                                                          "result": "true", "errorCode": "0", "activityId": "sco1"}])
        return launch.pk


def test_expired_altered_and_deleted_shared_links_are_refused(live_server, course):
    registration_id = _register(live_server, course, f"short-{_tag()}")
    launch_pk = _launch_with_log(live_server, registration_id)
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        old = launch_logs.share_launch_log(session, launch_pk=launch_pk, created_by="test",
                                           lifetime=timedelta(hours=1), now=utcnow() - timedelta(hours=2))
        expired = launch_logs.share_token(svc.instance_key, old)
        fresh = launch_logs.share_launch_log(session, launch_pk=launch_pk, created_by="test",
                                             lifetime=timedelta(hours=1))
        valid = launch_logs.share_token(svc.instance_key, fresh)
    with httpx.Client(base_url=live_server.service_url) as client:
        answer = client.get(f"/console/shared/launches/{valid}")
        assert answer.status_code == 200 and "LMSInitialize" in answer.text
        answer = client.get(f"/console/shared/launches/{expired}")
        assert answer.status_code == 410 and "This link has expired" in answer.text
        assert "LMSInitialize" not in answer.text
        body, mac = valid.split(".")
        for altered in (f"{body}.{mac[:-2]}AA", f"{body[:-1]}x.{mac}", "nonsense", f"{expired.split('.')[0]}.{mac}"):
            answer = client.get(f"/console/shared/launches/{altered}")
            assert answer.status_code == 404, altered
            assert "LMSInitialize" not in answer.text
        # The registration goes (DeleteRegistration through the official client): so do the links to its logs.
        _registration_api(live_server).delete_registration(registration_id)
        answer = client.get(f"/console/shared/launches/{valid}")
        assert answer.status_code == 404 and "LMSInitialize" not in answer.text


def test_sequencing_audit_lines_and_pages_of_a_long_log(live_server, course):
    """A SCORM 2004 launch's entries as the player writes them (static/player/player.js): the sequencer's
    audit lines under its decision, its exception as an error; a log longer than a page is paged."""
    sequencing = {"type": "control", "event": "sequencing", "request": "continue", "activityId": "sco2",
                  "exception": "SB.2.7-2", "log": ["Navigation Request Process [NB.2.1] continue",
                                                   "Flow Subprocess [SB.2.3] no activity beyond sco2"],
                  "timestamp": "2026-01-05T10:00:00.000Z"}
    calls = [{"type": "runtime", "method": "SetValue", "args": ["cmi.location", str(n)], "result": "true",
              "errorCode": "0", "activityId": "sco2", "timestamp": f"2026-01-05T10:00:{1 + n // 100:02d}.{n % 100:02d}0Z"}
             for n in range(600)]
    registration_id = _register(live_server, course, f"long-{_tag()}")
    launch_pk = _launch_with_log(live_server, registration_id, entries=[sequencing, *calls])
    with unit_of_work(live_server.services.session_factory) as session:
        made = launch_logs.share_launch_log(session, launch_pk=launch_pk, created_by="test", lifetime=timedelta(hours=1))
        url = f"/console/shared/launches/{launch_logs.share_token(live_server.services.instance_key, made)}"
    with httpx.Client(base_url=live_server.service_url) as client:
        first = client.get(url).text
        assert first.count('<tr class="kind-') == 500 and "Page 1 of 2" in first
        assert "Navigation Request Process [NB.2.1] continue" in first and "SB.2.7-2" in first
        second = client.get(url, params={"page": "2"}).text
        assert second.count('<tr class="kind-') == 101 and 'SetValue("cmi.location", "599")' in second
        audit = client.get(url, params={"kind": "sequencing"}).text
        assert audit.count('<tr class="kind-') == 1
        assert audit.count("<li><code>") == 2 and "Flow Subprocess [SB.2.3] no activity beyond sco2" in audit
        errors = client.get(url, params={"kind": "error"}).text
        assert errors.count('<tr class="kind-sequencing is-error">') == 1 and errors.count('<tr class="kind-') == 1
        found = client.get(url, params={"q": 'cmi.location", "42"'}).text
        assert found.count('<tr class="kind-') == 1 and "1 of 601 entries match." in found


def test_sandbox_registrations_are_not_counted_among_learners(live_server, course):
    learner_id = f"preview-{_tag()}"
    _register(live_server, course, learner_id)
    with unit_of_work(live_server.services.session_factory) as session:
        app = session.scalars(select(Application).where(Application.app_id == live_server.default_app.app_id)).one()
        core.create_registration(session, application_pk=app.pk, registration_id=f"sandbox-{_tag()}",
                                 course_id=course, learner={"id": learner_id}, sandbox=True)
    with http_session(live_server, make_user(live_server, "administrator")) as client:
        listing = client.get("/console/learners", params={"app": live_server.default_app.app_id, "q": learner_id}).text
        row = re.search(r'<tr>.*?</tr>', listing.split("<tbody>")[1], re.S).group(0)
        assert learner_id in row and '<td data-label="Registrations" class="num">1</td>' in row
        page = client.get(f"/console/learners/{live_server.default_app.app_id}/{learner_id}").text
        assert page.count('<span class="badge">Sandbox</span>') == 1  # listed there, marked


def _share(live_server, launch_pk: int) -> str:
    with unit_of_work(live_server.services.session_factory) as session:
        return launch_logs.share_launch_log(session, launch_pk=launch_pk, created_by="matrix",
                                            lifetime=timedelta(days=1)).share_id


def _shares(live_server, launch_pk: int) -> list[tuple[str, bool]]:
    with unit_of_work(live_server.services.session_factory) as session:
        return [(s.share_id, s.revoked is not None) for s in launch_logs.launch_shares(session, launch_pk=launch_pk)]


# ---------------------------------------------------------------------------------------------- who may do what

REG = "/console/registrations/{app}/{reg}"
LAUNCH = REG + "/launches/{launch}"
# (method, path, form, status for owners and administrators), in an order that leaves each one something to act on.
PEOPLE_ROUTES = [
    ("GET", "/console/learners?app={app}", {}, 200),
    ("GET", "/console/learners/{app}/{learner}", {}, 200),
    ("POST", "/console/learners/{app}/{learner}", {"first_name": "Matrix", "last_name": "Role", "email": ""}, 303),
    ("GET", "/console/learners/{app}/{learner}/delete", {}, 200),
    ("GET", REG, {}, 200),
    ("GET", LAUNCH, {}, 200),
    ("POST", LAUNCH + "/shares", {"lifetime": "1h"}, 303),
    ("POST", LAUNCH + "/shares/{share}/revoke", {}, 303),
    ("POST", REG + "/instances", {}, 303),
    ("GET", REG + "/reset", {}, 200),
    ("POST", REG + "/reset", {"confirm": "yes"}, 303),
    ("GET", REG + "/delete", {}, 200),
    ("POST", REG + "/delete", {"confirm": "yes"}, 303),
    ("POST", "/console/learners/{app}/{learner}/delete", {"confirm": "yes"}, 303),
]
PEOPLE_ROLES = {"owner", "administrator"}


@pytest.mark.parametrize("role", ["owner", "administrator", "learner"])
def test_role_matrix_of_the_people_pages(live_server, course, role):
    """Owners and administrators may use every People page and action; a learner gets 403 for each,
    and nothing changes (checked through the official client)."""
    learner_id = f"matrix-{_tag()}"
    reg = _register(live_server, course, learner_id, first="Mat", last="Rix")
    other = _register(live_server, course, learner_id, first="Mat", last="Rix")
    launch_pk = _launch_with_log(live_server, reg)
    launch_id = launch_history(live_server, reg)[0].id
    share = _share(live_server, launch_pk)
    values = {"app": live_server.default_app.app_id, "learner": learner_id, "reg": reg, "launch": launch_id,
              "share": share}
    with http_session(live_server, make_user(live_server, role)) as client:
        token = csrf_of(client)
        for method, template, form, status in PEOPLE_ROUTES:
            path = template.format(**values)
            answer = client.request(method, path, data={"csrf_token": token, **form} if method == "POST" else None)
            if role in PEOPLE_ROLES:
                assert answer.status_code == status, (role, method, path, answer.text[:300])
            else:
                assert answer.status_code == 403, (role, method, path)
                assert "You do not have access to this page" in answer.text
                assert learner_id not in answer.text
    if role in PEOPLE_ROLES:
        assert not _exists(live_server, reg) and not _exists(live_server, other)
    else:
        assert _exists(live_server, reg) and _exists(live_server, other)
        got = progress(live_server, reg)
        assert (got.learner.first_name, got.learner.last_name, got.instance) == ("Mat", "Rix", 0)
        assert _shares(live_server, launch_pk) == [(share, False)]


@pytest.mark.parametrize(("method", "template"), sorted({(m, t) for m, t, _, _ in PEOPLE_ROUTES}))
def test_every_people_route_needs_a_session(live_server, method, template):
    path = template.format(app=live_server.default_app.app_id, learner="someone", reg="some-reg",
                           launch="some-launch", share="some-share")
    with httpx.Client(base_url=live_server.service_url) as client:
        answer = client.request(method, path, data={"confirm": "yes"} if method == "POST" else None,
                                follow_redirects=False)
    assert answer.status_code == 303  # to the sign-in page; a POST does nothing
    assert answer.headers["location"].startswith("/console/signin")


def test_another_realms_learners_registrations_and_launches_are_not_found(live_server, tmp_path):
    mgmt = cloud.ApplicationManagementApi(live_server.client(live_server.other_management_app))
    app = mgmt.create_application(cloud.ApplicationRequestSchema(name=f"Elsewhere {_tag()}"))
    secret = mgmt.create_credential(app.id, cloud.CredentialRequestSchema(name="tests", active=True)).credential
    creds = AppCreds(app.id, secret)
    course_id = import_course(live_server, tmp_path, scorm12_zip("Elsewhere course"), creds)
    learner_id = f"elsewhere-{_tag()}"
    surname = f"Person{_tag()}"
    reg = _register(live_server, course_id, learner_id, first="Secret", last=surname, email="secret@example.com",
                    creds=creds)
    launch_pk = _launch_with_log(live_server, reg, app.id)
    launch_id = launch_history(live_server, reg, creds)[0].id
    share = _share(live_server, launch_pk)
    mine = live_server.default_app.app_id
    with http_session(live_server, make_user(live_server, "owner")) as client:
        token = csrf_of(client)
        for app_id in (app.id, mine):  # the other realm's application, or one's own with the other's ids
            values = {"app": app_id, "learner": learner_id, "reg": reg, "launch": launch_id, "share": share}
            for method, template, form, _ in PEOPLE_ROUTES:
                if app_id == mine and template == "/console/learners?app={app}":
                    continue  # one's own list: found, but without the other realm's learner (below)
                path = template.format(**values)
                answer = client.request(method, path, data={"csrf_token": token, **form} if method == "POST" else None)
                assert answer.status_code == 404, (method, path, answer.status_code)
                # (the 404 page names the id that was asked for; nothing the other realm keeps is shown)
                assert surname not in answer.text and "secret@example.com" not in answer.text
                assert "LMSInitialize" not in answer.text and course_id not in answer.text
        listing = client.get("/console/learners", params={"app": mine, "q": learner_id})
        assert listing.status_code == 200 and f"No learner matches “{learner_id}”." in listing.text
        assert surname not in listing.text
    assert _exists(live_server, reg, creds)
    got = progress(live_server, reg, creds)
    assert (got.learner.first_name, got.instance) == ("Secret", 0)
    assert _shares(live_server, launch_pk) == [(share, False)]
