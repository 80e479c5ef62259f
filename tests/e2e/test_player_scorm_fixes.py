"""SCORM fixes found with real authoring-tool exports (issue 14), in Chromium from official-client
launch links: SCORM 2004 total time in the runtime report, nothing accepted after LMSFinish, and the
calls a SCO makes while its page closes reaching the launch's debug log with the final commit."""

from __future__ import annotations

import pytest

from tests.builders.scorm import scorm12_zip, scorm2004_zip
from tests.e2e.support import create_registration, import_course, launch_history, launch_link, progress
from tests.e2e.test_player_scorm12 import content_frame, wait_for

SESSION_2004 = """(span) => {
  const api = window.parent.API_1484_11;
  const r = {init: api.Initialize(""), total: api.GetValue("cmi.total_time")};
  api.SetValue("cmi.completion_status", "incomplete");
  api.SetValue("cmi.exit", "suspend");
  api.SetValue("cmi.session_time", span);
  r.terminate = api.Terminate("");
  return r;
}"""

# A SCO whose unload handler writes after LMSFinish and finishes again (the export).
LATE_WRITER_12 = """<html><body>late writer<script>
window.addEventListener("unload", function () {
  var api = window.parent.API, r = [];
  r.push(api.LMSSetValue("cmi.core.session_time", "0000:00:00"), api.LMSGetLastError());
  r.push(api.LMSSetValue("cmi.core.exit", "suspend"), api.LMSGetLastError());
  r.push(api.LMSCommit(""), api.LMSGetLastError());
  r.push(api.LMSFinish(""), api.LMSGetLastError());
  window.parent.coursehostLate = r;
});
</script></body></html>"""

# A SCO (Adapt-like) that reports its last time, exit and commit only in its unload handler.
CLOSING_WRITER_12 = """<html><body>closing writer<script>
var api = window.parent.API;
api.LMSInitialize("");
api.LMSSetValue("cmi.core.lesson_status", "incomplete");
window.addEventListener("unload", function () {
  api.LMSSetValue("cmi.core.session_time", "00:03:00");
  api.LMSSetValue("cmi.core.exit", "suspend");
  api.LMSSetValue("cmi.core.lesson_location", "closing");
  api.LMSCommit("");
  api.LMSFinish("");
});
</script></body></html>"""


@pytest.fixture(scope="module")
def course2004(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("fix2004"), scorm2004_zip(
        "4th", "Time course", items=[("sco1", "The lesson", "index.html")]))


def test_scorm2004_total_time_in_the_runtime_report(live_server, course2004, context):
    reg = create_registration(live_server, course2004)
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    r = content_frame(page, "index.html").evaluate(SESSION_2004, "PT2M15S")
    assert (r["init"], r["total"], r["terminate"]) == ("true", "PT0H0M0S", "true")
    page.wait_for_url("**/player/exit/message", timeout=15000)
    (sco,) = progress(live_server, reg).activity_details.children
    assert (sco.time_tracked, sco.runtime.time_tracked) == ("PT0H2M15S", "PT0H2M15S")
    assert sco.runtime.total_time == "PT0H2M15S"

    # The next session starts from it (cmi.total_time) and adds to it.
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    r = content_frame(page, "index.html").evaluate(SESSION_2004, "PT1M")
    assert r["total"] == "PT0H2M15S"
    page.wait_for_url("**/player/exit/message", timeout=15000)
    got = progress(live_server, reg)
    (sco,) = got.activity_details.children
    assert got.total_seconds_tracked == 195
    assert (sco.time_tracked, sco.runtime.total_time) == ("PT0H3M15S", "PT0H3M15S")


def test_scorm12_calls_after_lmsfinish_are_refused_and_change_nothing(live_server, context, tmp_path):
    course = import_course(live_server, tmp_path, scorm12_zip(
        "Late writer", scos=[("sco1", "Only SCO", "index.html")], extra_files={"index.html": LATE_WRITER_12}))
    reg = create_registration(live_server, course)
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    r = content_frame(page, "index.html").evaluate("""() => { const api = window.parent.API;
      return [api.LMSInitialize(""), api.LMSSetValue("cmi.core.session_time", "00:05:00"),
              api.LMSSetValue("cmi.core.lesson_status", "completed"), api.LMSCommit(""), api.LMSFinish("")]; }""")
    assert r == ["true"] * 5
    # The player unloads the finished SCO; its unload handler writes, commits and finishes again.
    page.wait_for_url("**/player/exit/message", timeout=15000)

    got = progress(live_server, reg)
    (sco,) = got.activity_details.children
    assert got.total_seconds_tracked == 300 and sco.time_tracked == "PT0H5M0S"
    assert (sco.runtime.exit, sco.runtime.completion_status, sco.suspended) == ("", "completed", False)
    (launch,) = launch_history(live_server, reg)
    late = [(e["method"], e["args"][:1], e["result"], e["errorCode"]) for e in launch.log
            if e.get("type") == "runtime" and e["errorCode"] == "301"]
    assert late == [("LMSSetValue", ["cmi.core.session_time"], "false", "301"),
                    ("LMSSetValue", ["cmi.core.exit"], "false", "301"),
                    ("LMSCommit", [""], "false", "301"), ("LMSFinish", [""], "false", "301")]


def test_calls_made_while_the_window_closes_reach_the_debug_log(live_server, context, tmp_path):
    course = import_course(live_server, tmp_path, scorm12_zip(
        "Closing writer", scos=[("sco1", "Only SCO", "index.html")], extra_files={"index.html": CLOSING_WRITER_12}))
    reg = create_registration(live_server, course)
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    content_frame(page, "index.html")
    page.wait_for_function("window.coursehostPlayer && window.coursehostPlayer.state.initialized")
    page.close(run_before_unload=True)

    def location():
        return progress(live_server, reg).activity_details.children[0].runtime.location

    assert wait_for(lambda: location() == "closing")
    got = progress(live_server, reg)
    assert got.total_seconds_tracked == 180
    assert wait_for(lambda: any(e.get("method") == "LMSFinish" for e in launch_history(live_server, reg)[0].log))
    (launch,) = launch_history(live_server, reg)
    calls = [(e["method"], e["args"][:1], e["result"]) for e in launch.log if e.get("type") == "runtime"]
    # Every call made while the window closed is in the log. The page's last requests (the Commit's
    # and the Finish's beacons, and a commit still in flight) are sent at once, so their chunks of
    # the log may be stored in any order: the test asks that each call is there, not where.
    closing = [("LMSSetValue", ["cmi.core.session_time"], "true"), ("LMSSetValue", ["cmi.core.exit"], "true"),
               ("LMSSetValue", ["cmi.core.lesson_location"], "true"), ("LMSCommit", [""], "true"),
               ("LMSFinish", [""], "true")]
    assert all(call in calls for call in closing), calls
