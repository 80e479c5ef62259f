"""Dispatch end to end in Chromium: a second Coursehost server (its own database, data and ports, so
every origin differs) is the receiving LMS. The destination and the dispatch are made with the official
client's DispatchApi (CreateDestinations, CreateDispatches), the zip comes from GetDispatchZip and is
imported into the LMS through its API; its SCORM 1.2 player launches the shell, which opens the course
from the dispatching server's content origin. The learner plays it; completion, success and score
appear in the receiving registration (its progress) and in the dispatch registration (detail). The
registration count grows once per learner, and a cap of 1 refuses a second learner with the message
in the LMS's frame and nothing reported to the LMS. SCORM 2004 and AICC shells report through
the LMS's 2004 API and HACP the same way."""

from __future__ import annotations

import time

import pytest
import rustici_software_cloud_v2 as cloud

from coursehost.db.migrate import upgrade
from tests.browser import close_context
from tests.builders.scorm import scorm12_zip
from tests.databases import create_pg_database, drop_pg_database
from tests.dispatch_support import dispatch_api, dispatch_registrations, make_dispatch, update_dispatch
from tests.e2e.support import create_registration, import_course, launch_link, progress
from tests.servers import running_live_server

# The golf course's SCO as a learner plays it: a passing score, then Finish.
SCO = """() => {
  const api = window.parent.API;
  const r = {init: api.LMSInitialize(""), id: api.LMSGetValue("cmi.core.student_id"),
             name: api.LMSGetValue("cmi.core.student_name")};
  api.LMSSetValue("cmi.core.score.raw", "90");
  api.LMSSetValue("cmi.core.lesson_status", "passed");
  api.LMSSetValue("cmi.core.session_time", "00:01:30");
  r.finish = api.LMSFinish("");
  return r;
}"""


@pytest.fixture(scope="module")
def lms(database_url, tmp_path_factory):
    """The receiving LMS: another live Coursehost over a database of its own."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('lmsdb') / 'lms.db'}"
    else:
        url = create_pg_database()
    upgrade(url)
    try:
        with running_live_server(url, tmp_path_factory.mktemp("lmsdata")) as server:
            yield server
    finally:
        if not url.startswith("sqlite"):
            drop_pg_database(url)


def _frame(page, prefix: str, suffix: str = "", timeout: float = 20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = next((f for f in page.frames if f.url.startswith(prefix) and f.url.endswith(suffix)), None)
        if found is not None:
            return found
        page.wait_for_timeout(100)
    raise AssertionError(f"no frame {prefix}...{suffix}: {[f.url for f in page.frames]}")


def test_a_dispatched_course_plays_in_another_lms_and_reports_to_both(live_server, lms, context, tmp_path):
    course = import_course(live_server, tmp_path, scorm12_zip("Golf explained", masteryscore=80))
    made = make_dispatch(live_server, course_id=course)
    package = cloud.DispatchApi(live_server.client()).get_dispatch_zip(made.dispatch_id, type="SCORM_12")
    with open(package, "rb") as fh:
        lms_course = import_course(lms, tmp_path, fh.read())

    # The LMS's learner plays the course: the shell on the LMS's content origin frames ours.
    reg = create_registration(lms, lms_course, learner_id="lms-learner-1")
    page = context.new_page()
    page.goto(launch_link(lms, reg, redirect_on_exit_url="message"))
    shell = _frame(page, lms.content_url, "/index.html")
    player = _frame(page, f"{live_server.content_url}/player/launch")
    sco = _frame(page, f"{live_server.content_url}/content/", "/index.html")
    sco.wait_for_load_state()
    assert player.parent_frame == shell
    played = sco.evaluate(SCO)
    assert played == {"init": "true", "finish": "true", "id": "lms-learner-1", "name": "Lovelace, Ada"}
    # Our player exits in its frame; the shell finishes the LMS's SCO, and the LMS's player exits.
    page.wait_for_url(f"{lms.content_url}/player/exit/message", timeout=20000)

    count, [ours] = dispatch_registrations(live_server.services, made.dispatch_key)
    assert count == 1 == dispatch_api(live_server).get_dispatch_registration_count(made.dispatch_id).registration_count
    detail = progress(live_server, ours)
    assert (detail.registration_completion, detail.registration_success, detail.score.scaled) == (
        "COMPLETED", "PASSED", 90)
    assert detail.learner.id == "lms-learner-1" and detail.total_seconds_tracked == 90
    assert detail.activity_details.children[0].runtime.score_raw == "90"  # the detail lives here
    theirs = progress(lms, reg)
    assert (theirs.registration_completion, theirs.registration_success, theirs.score.scaled) == (
        "COMPLETED", "PASSED", 90)
    assert theirs.total_seconds_tracked == 90
    runtime = theirs.activity_details.children[0].runtime
    assert (runtime.runtime_success_status, runtime.score_raw, runtime.score_max) == ("PASSED", "90", "100")
    page.close()

    # The same learner again resumes the one registration; a cap of 1 then refuses a new learner.
    update_dispatch(live_server, made.dispatch_id, registration_cap=1)
    second = create_registration(lms, lms_course, learner_id="lms-learner-2")
    page = context.new_page()
    page.goto(launch_link(lms, second, redirect_on_exit_url="message"))
    refused = _frame(page, f"{live_server.content_url}/dispatch/launch/")
    refused.wait_for_load_state()
    assert "reached its limit of learners" in refused.locator("body").inner_text()
    page.screenshot(path=str(tmp_path / "dispatch-capped.png"))
    page.wait_for_timeout(1500)
    assert dispatch_registrations(live_server.services, made.dispatch_key) == (1, [ours])
    page.close()
    nothing = progress(lms, second)
    assert (nothing.registration_completion, nothing.registration_success, nothing.score.scaled) == (
        "UNKNOWN", "UNKNOWN", None)
    close_context(context)


@pytest.mark.parametrize("kind", ["SCORM_2004_3RD", "AICC"])
def test_scorm_2004_and_aicc_shells_report_through_the_lms_s_own_run_time(live_server, lms, context, tmp_path, kind):
    course = import_course(live_server, tmp_path, scorm12_zip("Golf explained", masteryscore=80))
    made = make_dispatch(live_server, course_id=course)
    package = cloud.DispatchApi(live_server.client()).get_dispatch_zip(made.dispatch_id, type=kind)
    with open(package, "rb") as fh:
        lms_course = import_course(lms, tmp_path, fh.read())
    reg = create_registration(lms, lms_course, learner_id="lms-learner-2004")
    page = context.new_page()
    page.goto(launch_link(lms, reg, redirect_on_exit_url="message"))
    sco = _frame(page, f"{live_server.content_url}/content/", "/index.html")
    sco.wait_for_load_state()
    assert sco.evaluate(SCO)["id"] == "lms-learner-2004"  # the LMS's learner, through the shell
    page.wait_for_url(f"{lms.content_url}/player/exit/message", timeout=20000)
    _, [ours] = dispatch_registrations(live_server.services, made.dispatch_key)
    assert progress(live_server, ours).registration_success == "PASSED"
    theirs = progress(lms, reg)
    assert (theirs.registration_completion, theirs.registration_success, theirs.score.scaled) == (
        "COMPLETED", "PASSED", 90)
    if kind == "SCORM_2004_3RD":
        runtime = theirs.activity_details.children[0].runtime
        assert (runtime.completion_status, runtime.score_raw, runtime.score_scaled) == ("completed", "90", "0.9")
    page.close()
