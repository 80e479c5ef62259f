"""AICC AUs that never talk HACP (scriptless pages, like jcputney/elearning-module-parser's
`aicc/complex`), in Chromium: leaving such an AU completes it (SCORM 1.2 RTE 3.4.4, the data model
AICC's is: a SCO that exits without setting lesson_status is completed by the LMS), so the .pre
prerequisites unlock and the course completes when every AU has been visited."""

from __future__ import annotations

import time

from tests.builders.aicc import AU, aicc_files, zip_bytes
from tests.e2e.support import create_registration, import_course, launch_history, launch_link, progress
from tests.e2e.test_player_aicc import au_frame, outline

SCRIPTLESS = b"<!DOCTYPE html><html><head><title>Placeholder</title></head><body><h1>Lesson</h1></body></html>"


def silent_course() -> bytes:
    """A1; A2 after A1; A3 after A1 and A2: every AU page without a script."""
    files = aicc_files(title="Silent AUs", aus=[AU("A1", "One", "a1.html"), AU("A2", "Two", "a2.html"),
                                                 AU("A3", "Three", "a3.html")],
                       pre=[("A2", "A1"), ("A3", "A1&A2")])
    for name in ("a1.html", "a2.html", "a3.html"):
        files[name] = SCRIPTLESS
    return zip_bytes(files)


def _aus(result) -> list[tuple[str, str]]:
    return [(c.id, c.activity_completion) for c in result.activity_details.children]


def test_leaving_aus_that_never_talk_completes_them_in_order(live_server, context, tmp_path):
    course = import_course(live_server, tmp_path, silent_course())
    reg = create_registration(live_server, course, learner_id="quiet")
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    au_frame(page, "a1.html")
    assert outline(page) == {"A1": True, "A2": False, "A3": False}
    assert progress(live_server, reg).registration_completion != "COMPLETED"

    page.click("#btn-next")  # the learner moves on: A1 is completed, A2 unlocked and delivered
    au_frame(page, "a2.html")
    assert outline(page) == {"A1": True, "A2": True, "A3": False}
    assert _aus(progress(live_server, reg)) == [("A1", "COMPLETED"), ("A2", "UNKNOWN"), ("A3", "UNKNOWN")]

    page.click("#btn-next")
    au_frame(page, "a3.html")
    assert outline(page) == {"A1": True, "A2": True, "A3": True}

    page.click("#btn-exit")  # the last AU, left by Exit: the course completes
    page.wait_for_url("**/player/exit/message", timeout=20000)
    result = progress(live_server, reg)
    assert result.registration_completion == "COMPLETED"
    assert _aus(result) == [("A1", "COMPLETED"), ("A2", "COMPLETED"), ("A3", "COMPLETED")]
    answers = [e["answer"] for h in launch_history(live_server, reg) for e in h.log
               if e.get("event") == "hacp" and e.get("command") == "(none)"]
    assert len(answers) == 3 and all("SCORM 1.2 RTE 3.4.4" in a for a in answers)


def test_closing_the_window_on_a_silent_au_completes_it(live_server, context, tmp_path):
    course = import_course(live_server, tmp_path, silent_course())
    reg = create_registration(live_server, course, learner_id="closer")
    page = context.new_page()
    page.goto(launch_link(live_server, reg))
    au_frame(page, "a1.html")
    page.close(run_before_unload=True)
    deadline = time.time() + 15
    while _aus(progress(live_server, reg))[0] != ("A1", "COMPLETED"):
        assert time.time() < deadline, "closing the window did not complete A1"
        time.sleep(0.2)
    assert _aus(progress(live_server, reg))[1:] == [("A2", "UNKNOWN"), ("A3", "UNKNOWN")]
