"""A generated Tin Can package in Chromium: its page reads the launch parameters, POSTs its
statements cross-origin to `endpoint` with `auth`, and the official client's
GetRegistrationProgress shows the results."""

from __future__ import annotations

import json

from tests.builders.aicc import zip_bytes
from tests.builders.xapi import Act, tincan_xml
from tests.e2e.support import create_registration, import_course, launch_history, launch_link, progress

ACTIVITY = "http://example.com/tincan/e2e-course"

# The course's own script: the Tin Can launch parameters from its URL, statements sent with fetch
# (cross-origin, no cookies) to the LRS the launch names; the outcome is written into the page.
APP_JS = """
const q = new URLSearchParams(location.search);
const actor = JSON.parse(q.get("actor"));
const send = (verb, result) => fetch(q.get("endpoint") + "statements", {
  method: "POST", credentials: "omit",
  headers: {"Authorization": q.get("auth"), "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"},
  body: JSON.stringify({actor, verb: {id: "http://adlnet.gov/expapi/verbs/" + verb, display: {"en-US": verb}},
                        object: {objectType: "Activity", id: q.get("activity_id")},
                        context: {registration: q.get("registration")}, ...(result ? {result} : {})}),
}).then((r) => r.status);
(async () => {
  const statuses = [await send("initialized"),
                    await send("completed", {completion: true, duration: "PT2M"}),
                    await send("passed", {success: true, score: {scaled: 0.9}, duration: "PT2M"})];
  document.getElementById("out").textContent = JSON.stringify({statuses, lang: q.get("lang")});
})().catch((e) => { document.getElementById("out").textContent = "error: " + e; });
"""

INDEX = """<!DOCTYPE html><html><head><title>Tin Can course</title></head>
<body><p id="out">running</p><script src="app.js"></script></body></html>"""


def tincan_course() -> bytes:
    return zip_bytes({"tincan.xml": tincan_xml([Act(ACTIVITY, "Tin Can in Chromium", "index.html?lang=de")]),
                      "index.html": INDEX, "app.js": APP_JS})


def test_tin_can_course_reports_through_the_lrs(live_server, context, tmp_path):
    course = import_course(live_server, tmp_path, tincan_course())
    reg = create_registration(live_server, course)
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    frame = None
    for _ in range(600):  # up to 30 s: the machine is shared
        frame = next((f for f in page.frames if "/index.html" in f.url), None)
        if frame is not None:
            break
        page.wait_for_timeout(50)
    assert frame is not None, [f.url for f in page.frames]
    assert frame.url.startswith(live_server.content_url)  # the content origin, in the player's frame
    # the frame's URL is known before its document has parsed: wait for the element, then its outcome
    frame.wait_for_function("(document.getElementById('out')?.textContent ?? 'running') !== 'running'",
                            timeout=30000)
    out = frame.evaluate("document.getElementById('out').textContent")
    assert json.loads(out) == {"statuses": [200, 200, 200], "lang": "de"}, out
    page.click("#btn-exit")  # the learner leaves through the player, as from a SCORM course
    page.wait_for_url("**/player/exit/message", timeout=30000)
    got = progress(live_server, reg)
    assert (got.registration_completion, got.registration_success) == ("COMPLETED", "PASSED")
    assert got.score.scaled == 90 and got.total_seconds_tracked == 120
    history = launch_history(live_server, reg)
    assert history[-1].exit_time and [e["status"] for e in history[-1].log if e.get("type") == "xapi"] == [200] * 3
