"""A two-SCO SCORM 1.2 course in Chromium: API discovery, commits, SCO-to-SCO flow, resume,
sendBeacon on tab close, SCORM error codes in the launch's debug log."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from coursehost.db.models.registrations import ActivityState, Launch, Registration, RegistrationInstance
from coursehost.db.session import unit_of_work
from tests.builders.scorm import scorm12_zip
from tests.e2e.support import create_registration, import_course, launch_history, launch_link, progress

SCO_1 = """() => {
  const api = window.parent.API;
  const r = {init: api.LMSInitialize(""), entry: api.LMSGetValue("cmi.core.entry"),
             name: api.LMSGetValue("cmi.core.student_name"), id: api.LMSGetValue("cmi.core.student_id")};
  api.LMSSetValue("cmi.core.lesson_status", "incomplete");
  api.LMSSetValue("cmi.core.lesson_location", "page-3");
  api.LMSSetValue("cmi.suspend_data", "abc=1");
  api.LMSSetValue("cmi.core.score.raw", "55");
  api.LMSSetValue("cmi.interactions.0.id", "q1");
  api.LMSSetValue("cmi.interactions.0.type", "choice");
  api.LMSSetValue("cmi.interactions.0.student_response", "a");
  api.LMSSetValue("cmi.interactions.0.correct_responses.0.pattern", "a");
  api.LMSSetValue("cmi.interactions.0.result", "correct");
  r.readOnly = api.LMSSetValue("cmi.core.student_id", "x"); r.readOnlyErr = api.LMSGetLastError();
  r.badType = api.LMSSetValue("cmi.core.lesson_status", "bogus"); r.badTypeErr = api.LMSGetLastError();
  r.notImpl = api.LMSGetValue("cmi.core.nonsense"); r.notImplErr = api.LMSGetLastError();
  r.keyword = api.LMSSetValue("cmi.core._children", "x"); r.keywordErr = api.LMSGetLastError();
  api.LMSSetValue("cmi.core.exit", "suspend");
  r.commit = api.LMSCommit("");
  r.finish = api.LMSFinish("");
  return r;
}"""

SCO_2 = """() => {
  const api = window.parent.API;
  const r = {init: api.LMSInitialize(""), entry: api.LMSGetValue("cmi.core.entry")};
  api.LMSSetValue("cmi.core.score.raw", "90");
  api.LMSSetValue("cmi.core.lesson_status", "passed");
  api.LMSSetValue("cmi.core.session_time", "00:01:30");
  r.finish = api.LMSFinish("");
  return r;
}"""


@pytest.fixture
def context(context):
    context.on("page", lambda p: (p.on("console", lambda m: print("console:", m.text)),
                                  p.on("pageerror", lambda e: print("pageerror:", e))))
    return context


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("c12"), scorm12_zip(
        "Two SCO course", scos=[("sco1", "Lesson one", "one.html"), ("sco2", "Lesson two", "two.html")],
        masteryscore=80))


def states(live_server, registration_id: str) -> dict[str, ActivityState]:
    with unit_of_work(live_server.services.session_factory) as session:
        reg = session.scalars(select(Registration).where(Registration.registration_id == registration_id)).one()
        inst = session.scalars(select(RegistrationInstance).where(RegistrationInstance.registration_pk == reg.pk)).one()
        rows = session.scalars(select(ActivityState).where(ActivityState.instance_pk == inst.pk)).all()
        session.expunge_all()
        return {r.activity_id: r for r in rows}


def launches(live_server, registration_id: str) -> list[Launch]:
    with unit_of_work(live_server.services.session_factory) as session:
        reg = session.scalars(select(Registration).where(Registration.registration_id == registration_id)).one()
        inst = session.scalars(select(RegistrationInstance).where(RegistrationInstance.registration_pk == reg.pk)).one()
        rows = session.scalars(select(Launch).where(Launch.instance_pk == inst.pk).order_by(Launch.pk)).all()
        session.expunge_all()
        return list(rows)


def content_frame(page, name: str):
    deadline = time.time() + 15
    while time.time() < deadline:
        for frame in page.frames:
            if frame.url.endswith("/" + name):
                frame.wait_for_load_state()
                return frame
        page.wait_for_timeout(50)  # (time.sleep would stop Playwright's event processing)
    raise AssertionError(f"{name} never loaded; frames: {[f.url for f in page.frames]}")


def wait_for(check, timeout=10.0):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(0.1)


def test_two_sco_course_flow_resume_and_beacon(live_server, course, context):
    reg = create_registration(live_server, course, learner_id="ada")
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    page.wait_for_function("window.API && typeof window.API.LMSInitialize === 'function'")

    r1 = content_frame(page, "one.html").evaluate(SCO_1)
    assert r1["init"] == "true" and r1["entry"] == "ab-initio" and r1["id"] == "ada"
    assert r1["name"] == "Lovelace, Ada"
    assert (r1["readOnly"], r1["readOnlyErr"]) == ("false", "403")
    assert (r1["badType"], r1["badTypeErr"]) == ("false", "405")
    assert r1["notImplErr"] == "401"
    assert (r1["keyword"], r1["keywordErr"]) == ("false", "402")
    assert r1["commit"] == "true" and r1["finish"] == "true"

    # exit=suspend on an intermediate SCO: the default exit action goes on to the next SCO
    r2 = content_frame(page, "two.html").evaluate(SCO_2)
    assert r2["init"] == "true" and r2["entry"] == "ab-initio"
    page.wait_for_url("**/player/exit/message", timeout=15000)
    assert "You have finished this course" in page.content()

    rows = states(live_server, reg)
    one, two = rows["sco1"].runtime, rows["sco2"].runtime
    assert one["suspend_data"] == "abc=1" and one["core"]["lesson_location"] == "page-3"
    assert one["core"]["lesson_status"] == "incomplete" and one["core"]["exit"] == "suspend"
    assert one["interactions"][0]["id"] == "q1" and one["interactions"][0]["student_response"] == "a"
    assert one["interactions"][0]["correct_responses"] == [{"pattern": "a"}]
    assert two["core"]["lesson_status"] == "passed" and two["core"]["score"]["raw"] == "90"

    # What the integrator sees, through the official client: exactly what the SCOs set.
    got = progress(live_server, reg)
    assert (got.registration_completion, got.registration_success) == ("INCOMPLETE", "UNKNOWN")
    assert got.registration_completion_amount == 0.5  # one of two SCOs completed
    assert got.score.scaled == 72.5  # the average of 55 and 90 (PlayerScoreRollupModeValue default)
    assert got.total_seconds_tracked == 90 and got.suspended_activity_id == "sco1"
    root = got.activity_details
    assert (root.id, root.attempts, root.activity_completion, root.time_tracked) == ("org", 1, "INCOMPLETE", "PT0H1M30S")
    sco1, sco2 = root.children
    assert (sco1.id, sco1.activity_completion, sco1.activity_success, sco1.score.scaled, sco1.suspended) == \
        ("sco1", "INCOMPLETE", "UNKNOWN", 55.0, True)
    assert (sco1.runtime.location, sco1.runtime.suspend_data, sco1.runtime.exit, sco1.runtime.score_raw) == \
        ("page-3", "abc=1", "suspend", "55")
    (q1,) = sco1.runtime.runtime_interactions
    assert (q1.id, q1.type, q1.learner_response, q1.correct_responses, q1.result) == \
        ("q1", "Choice", "a", ["a"], "correct")
    assert (sco2.activity_completion, sco2.activity_success, sco2.score.scaled, sco2.time_tracked) == \
        ("COMPLETED", "PASSED", 90.0, "PT0H1M30S")
    assert sco2.runtime.runtime_interactions == [] and sco2.runtime.total_time == "PT0H1M30S"

    # The launch's debug log, through GetRegistrationLaunchHistory: every API call with its error code.
    (first,) = launch_history(live_server, reg)
    assert first.exit_time is not None and first.completion_status == "INCOMPLETE"
    calls = [e for e in first.log if e.get("type") == "runtime"]
    bad = [e for e in calls if e["method"] == "LMSSetValue" and e["args"][0] == "cmi.core.student_id"]
    assert bad and bad[0]["errorCode"] == "403" and bad[0]["result"] == "false"
    kinds = {(e["method"], e["errorCode"]) for e in calls if e["result"] == "false" or e["errorCode"] != "0"}
    assert {("LMSSetValue", "405"), ("LMSGetValue", "401"), ("LMSSetValue", "402")} <= kinds
    assert any(e["method"] == "LMSFinish" for e in calls)

    # Relaunch: the unfinished SCO resumes with its suspend data and location.
    page = context.new_page()
    page.goto(launch_link(live_server, reg))
    frame = content_frame(page, "one.html")
    resumed = frame.evaluate("""() => { const api = window.parent.API; api.LMSInitialize("");
      const r = {entry: api.LMSGetValue("cmi.core.entry"), data: api.LMSGetValue("cmi.suspend_data"),
                 loc: api.LMSGetValue("cmi.core.lesson_location"), n: api.LMSGetValue("cmi.interactions._count")};
      api.LMSSetValue("cmi.suspend_data", "closed-without-finish");
      api.LMSSetValue("cmi.core.lesson_location", "page-9");
      return r; }""")
    assert resumed == {"entry": "resume", "data": "abc=1", "loc": "page-3", "n": "1"}
    # Close the tab without LMSFinish or LMSCommit: the beacon carries the data.
    page.close(run_before_unload=True)
    def sco1_runtime():
        return progress(live_server, reg).activity_details.children[0].runtime

    assert wait_for(lambda: sco1_runtime().suspend_data == "closed-without-finish")
    assert sco1_runtime().location == "page-9"


def test_start_sco_and_table_of_contents(live_server, course, context):
    reg = create_registration(live_server, course)
    page = context.new_page()
    page.goto(launch_link(live_server, reg, start_sco="sco2", redirect_on_exit_url="blank"))
    content_frame(page, "two.html")
    page.wait_for_selector("#toc-list button[data-id='sco1']")
    assert page.locator("#toc-list button").count() == 2
    page.click("#btn-prev")
    content_frame(page, "one.html")
    page.click("#btn-exit")
    page.wait_for_url("**/player/exit/blank", timeout=15000)


def test_expired_and_altered_links_show_a_page(live_server, course, context):
    from coursehost.domain.registrations.launch_tokens import make_launch_token

    page = context.new_page()
    old = make_launch_token(live_server.services.instance_key, registration_pk=1, application_pk=1, instance=0,
                            options={}, tracking=True, expiry_seconds=10, now=time.time() - 30)
    answer = page.goto(f"{live_server.content_url}/player/launch?token={old}")
    assert answer.status in (403, 410)
    assert "This launch link has expired. Ask for a new link." in page.content()
    reg = create_registration(live_server, course)
    link = launch_link(live_server, reg)
    answer = page.goto(link[:-3] + ("abc" if not link.endswith("abc") else "xyz"))
    assert answer.status in (400, 403) and "This launch link is not valid" in page.content()
