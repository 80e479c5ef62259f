"""Rustici's "Golf Explained - Run-time Basic Calls" SCORM 1.2 example (jcputney/elearning-module-parser,
src/test/resources/modules/scorm12/RuntimeBasicCalls_SCORM12), dispatched: imported into the dispatching
server, its SCORM 1.2 dispatch package imported into a second Coursehost server (the receiving LMS,
every origin different), and played there in Chromium as a learner does: through every page with the
course's own Next button (the last page completes it), the final test answered (all but one right),
Submit, then Exit. The course's own run-time calls (score.raw / min / max, lesson_status passed,
session_time) arrive in both registrations: the detail in the dispatching server's, completion,
success and score through the shell in the receiving LMS's."""

from __future__ import annotations

import io
import zipfile

import rustici_software_cloud_v2 as cloud

from tests.conformance.packages.conftest import source
from tests.dispatch_support import dispatch_registrations, make_dispatch
from tests.e2e.support import create_registration, import_course, launch_link, progress
from tests.e2e.test_dispatch_shell import _frame, lms  # noqa: F401  (lms: the receiving server fixture)

GOLF = "src/test/resources/modules/scorm12/RuntimeBasicCalls_SCORM12"

# The learner answers every question of the final test right except the first (the page marks the
# right answer of each question with class correctAnswer), then submits.
ANSWER = """() => {
  const questions = test.Questions;
  questions.forEach((q, i) => {
    if (q.Type === QUESTION_TYPE_NUMERIC) {
      document.getElementById("question_" + q.Id + "_Text").value = i === 0 ? "-1" : String(q.CorrectAnswer);
      return;
    }
    const right = document.querySelector(".correctAnswer input[name='question_" + q.Id + "_choices']");
    const all = [...document.querySelectorAll("input[name='question_" + q.Id + "_choices']")];
    (i === 0 ? all.find(input => input !== right) : right).checked = true;
  });
  return questions.length;
}"""


def golf_zip() -> bytes:
    folder = source("elearning_module_parser") / GOLF
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return buf.getvalue()


def test_the_golf_example_dispatched_to_another_lms_reports_to_both(live_server, lms, context, tmp_path):  # noqa: F811
    course = import_course(live_server, tmp_path, golf_zip())
    made = make_dispatch(live_server, course_id=course)
    package = cloud.DispatchApi(live_server.client()).get_dispatch_zip(made.dispatch_id, type="SCORM_12")
    with open(package, "rb") as fh:
        lms_course = import_course(lms, tmp_path, fh.read())
    reg = create_registration(lms, lms_course, learner_id="golfer-1")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.dismiss())  # the course asks before resuming; never here
    page.goto(launch_link(lms, reg, redirect_on_exit_url="message"))
    sco = _frame(page, f"{live_server.content_url}/content/", "/shared/launchpage.html")
    sco.wait_for_load_state()
    next_button = sco.locator("#butNext")
    next_button.wait_for()
    pages = 0
    while next_button.is_enabled():
        next_button.click()
        pages += 1
        assert pages < 50, "the Next button never disabled"
    test_page = _frame(page, f"{live_server.content_url}/content/", "shared/assessmenttemplate.html"
                       "?questions=Playing&questions=Etiquette&questions=Handicapping&questions=HavingFun")
    test_page.wait_for_load_state()
    questions = test_page.evaluate(ANSWER)
    test_page.get_by_role("button", name="Submit Answers").click()
    expected = round((questions - 1) * 100 / questions)
    sco.locator("#butExit").click()
    page.wait_for_url(f"{lms.content_url}/player/exit/message", timeout=30000)

    count, [ours] = dispatch_registrations(live_server.services, made.dispatch_key)
    assert count == 1 and pages == 14
    detail = progress(live_server, ours)
    assert (detail.registration_completion, detail.registration_success, detail.score.scaled) == (
        "COMPLETED", "PASSED", expected)
    runtime = detail.activity_details.children[0].runtime
    assert (runtime.score_raw, runtime.score_min, runtime.score_max, runtime.location) == (
        str(expected), "0", "100", "14")
    assert detail.learner.id == "golfer-1" and detail.total_seconds_tracked > 0
    theirs = progress(lms, reg)
    assert (theirs.registration_completion, theirs.registration_success, theirs.score.scaled) == (
        "COMPLETED", "PASSED", expected)
    assert theirs.total_seconds_tracked > 0
    page.close()
