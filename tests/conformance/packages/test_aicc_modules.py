"""The AICC test modules of jcputney/elearning-module-parser (src/test/resources/modules/aicc),
zipped at test time from the checkout COURSEHOST_ELEARNING_MODULE_PARSER names, imported and
registered through the official client, launched from its launch link in Chromium and driven
like a learner; the official client's GetRegistrationProgress then tells what the course got.

- aicc/package: one HACP AU ("UniversitySite AICC Testing Tool"): Api.js posts GETPARAM on load,
  PUTPARAM with Lesson_Status=i at once, PUTPARAM with p / f / c from its buttons, and
  PUTPARAM + EXITAU from its unload handler, all by synchronous XMLHttpRequest to AICC_URL.
  Its page loads jQuery 1.7.1 from ajax.googleapis.com, which this sandbox cannot reach: the
  browser gets Debian's jQuery (libjs-jquery) there instead, with jQuery 1.x's .unload()
  (removed in jQuery 3) put back as jQuery Migrate does.
- aicc/complex: three AUs with a .pre (A2 after A1, A3 after A1 and A2), an .ort and a .cst
  with extra columns; its AU pages are placeholders without any script (they never talk HACP):
  the LMS completes each when the learner leaves it, so A1 -> A2 -> A3 unlock and the course
  completes."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

from tests.conformance.packages.conftest import source
from tests.e2e.support import create_registration, import_course, launch_history, launch_link, progress

JQUERY = Path("/usr/share/javascript/jquery/jquery.js")
UNLOAD_SHIM = "\n;jQuery.fn.unload = function (fn) { return this.on('unload', fn); };\n"


def module_zip(name: str) -> bytes:
    folder = source("elearning_module_parser") / "src/test/resources/modules/aicc" / name
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                zf.write(path, path.name)
    return buf.getvalue()


def serve_jquery(context) -> None:
    body = JQUERY.read_text(encoding="utf-8") + UNLOAD_SHIM
    context.route("https://ajax.googleapis.com/**", lambda route: route.fulfill(
        status=200, content_type="application/javascript", body=body))


def frame_of(page, name: str):
    deadline = time.time() + 15
    while time.time() < deadline:
        for frame in page.frames:
            if f"/{name}?" in frame.url:
                frame.wait_for_load_state()
                return frame
        page.wait_for_timeout(50)
    raise AssertionError(f"{name} never loaded; frames: {[f.url for f in page.frames]}")


def hacp_commands(live_server, reg) -> list[tuple[str, str]]:
    return [(e["command"], e["answer"].split("\r\n", 1)[0])
            for h in launch_history(live_server, reg) for e in h.log if e.get("event") == "hacp"]


def test_package_hacp_au_passed_by_the_learner(live_server, context, tmp_path):
    serve_jquery(context)
    dialogs: list[str] = []
    course = import_course(live_server, tmp_path, module_zip("package"))
    reg = create_registration(live_server, course, learner_id="ada")
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    au = frame_of(page, "default.htm")
    au.wait_for_selector("#apiLog")
    au.click("input[value='Set LMS to Passed']")
    assert au.is_disabled("input[value='Set LMS to Passed']")
    result = progress(live_server, reg)
    assert (result.registration_completion, result.registration_success) == ("COMPLETED", "PASSED")
    detail = result.activity_details.children[0]
    assert (detail.id, detail.activity_completion, detail.activity_success) == ("A1", "COMPLETED", "PASSED")

    page.click("#btn-exit")  # the learner leaves the player
    page.wait_for_url("**/player/exit/message")
    # GETPARAM, PUTPARAM (i) on load, PUTPARAM (p) from the button. The PUTPARAM and EXITAU of its
    # unload handler never leave: Chromium refuses synchronous XMLHttpRequest while a page unloads
    # ("Synchronous XHR in page dismissal"); the player's exit ends the launch instead.
    assert hacp_commands(live_server, reg) == [("getparam", "error=0"), ("putparam", "error=0"),
                                               ("putparam", "error=0")]
    assert dialogs == []  # Api.js alerts on any answer that is not error=0
    result = progress(live_server, reg)
    assert (result.registration_completion, result.registration_success) == ("COMPLETED", "PASSED")


def test_complex_multi_au_outline_follows_its_pre(live_server, context, tmp_path):
    course = import_course(live_server, tmp_path, module_zip("complex"))
    reg = create_registration(live_server, course, learner_id="ada")
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    au = frame_of(page, "intro.html")
    assert au.inner_text("body") == "Intro AU"
    page.wait_for_selector("#toc-list button[data-id=A3]")

    def shown():
        return page.eval_on_selector_all(
            "#toc-list button", "bs => bs.map(b => [b.dataset.id, b.textContent, !b.disabled])")
    # .pre: A2 after A1, A3 after A1 and A2.
    assert shown() == [["A1", "Intro AU", True], ["A2", "Scenario AU", False], ["A3", "Assessment AU", False]]
    # Its AU pages have no script: leaving one that never talked HACP completes it (SCORM 1.2 RTE
    # 3.4.4, launch_aicc.au_session_left), which unlocks the next.
    page.click("#btn-next")
    frame_of(page, "scenario.html")
    assert shown() == [["A1", "Intro AU", True], ["A2", "Scenario AU", True], ["A3", "Assessment AU", False]]
    page.click("#btn-next")
    frame_of(page, "assessment.html")
    assert [available for _, _, available in shown()] == [True, True, True]
    page.click("#btn-exit")
    page.wait_for_url("**/player/exit/message")
    result = progress(live_server, reg)
    assert result.registration_completion == "COMPLETED"
    assert [(c.id, c.activity_completion, c.attempts) for c in result.activity_details.children] == [
        ("A1", "COMPLETED", 1), ("A2", "COMPLETED", 1), ("A3", "COMPLETED", 1)]
    assert hacp_commands(live_server, reg) == [("(none)", "The AU was left without any HACP request: the LMS "
                                                "set lesson_status completed (SCORM 1.2 RTE 3.4.4)")] * 3
