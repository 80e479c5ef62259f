"""In Chromium, a single PDF, MP4 or MP3 imported through the official client plays as a one-AU cmi5
course from an official-client launch link: the viewer (static/player/media-viewer.js on the content
origin) renders the PDF's pages with pdf.js and counts the pages seen, counts the time of a video or
audio actually played (seeking to the end counts for nothing), talks cmi5 to the LRS (initialized,
progressed, completed, passed, terminated), keeps its place in the State resource for the next launch,
and follows the completion-rule settings; GetRegistrationProgress shows the result."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

from tests.builders.media import mp3_silence, mp4_video, pdf_document
from tests.contract.courses import course_api, upload
from tests.contract.helpers import LrsClient
from tests.e2e.support import create_registration, launch_link, progress, set_registration_settings

PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
PLAYED_SEGMENTS = "https://w3id.org/xapi/video/extensions/played-segments"
LAUNCH_PARAMETERS = "https://w3id.org/xapi/cmi5/context/extensions/launchparameters"
STATE_ID = "https://coursehost.dev/xapi/state/media-viewer"
ADL = "http://adlnet.gov/expapi/verbs/"


def import_media(live_server, tmp_path, data: bytes, filename: str) -> str:
    course_id = f"media-{filename.replace('.', '-')}-{tmp_path.name[-6:]}"
    status = upload(course_api(live_server), tmp_path, data, course_id=course_id, filename=filename)
    assert status.status == "COMPLETE", status.message
    assert status.import_result.course.course_learning_standard == "CMI5"
    return course_id


def open_viewer(page, live_server, registration: str) -> dict:
    """Launch REGISTRATION from a new launch link; the AU's launch parameters (cmi5 §8.1)."""
    answer = page.goto(launch_link(live_server, registration))
    assert answer.ok, answer.status  # never the player's 501 for a standard it cannot run
    assert page.url.startswith(live_server.content_url) and "/index.html?" in page.url, page.url
    query = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    page.wait_for_function("window.mediaViewer && document.getElementById('exit')", timeout=30000)
    return query


def leave(page):
    """The learner presses Exit: terminated, then the launch link's exit page."""
    page.get_by_role("button", name="Exit").click()
    page.wait_for_url("**/player/exit/message", timeout=30000)


def statements(live_server, launch: dict) -> list[dict]:
    """The registration's statements in the application's LRS, oldest first."""
    with LrsClient(live_server, "1.0.3") as lrs:
        answer = lrs.get("statements", params={"registration": launch["registration"], "limit": 500,
                                               "ascending": "true"})
        assert answer.status_code == 200, answer.text
        return answer.json()["statements"]


def saved_place(live_server, launch: dict) -> dict:
    """The viewer's State document (where the next launch resumes)."""
    with LrsClient(live_server, "1.0.3") as lrs:
        answer = lrs.get("activities/state", params={"stateId": STATE_ID, "activityId": launch["activityId"],
                                                     "agent": launch["actor"], "registration": launch["registration"]})
        assert answer.status_code == 200, answer.text
        return answer.json()


def verbs(stmts: list[dict]) -> list[str]:
    return [s["verb"]["id"].rsplit("/", 1)[-1] for s in stmts]


def progressed(stmts: list[dict]) -> list[int]:
    return [s["result"]["extensions"][PROGRESS] for s in stmts if s["verb"]["id"] == ADL + "progressed"]


def shown_page(page) -> str:
    page.wait_for_function("document.getElementById('pdf-canvas') && document.getElementById('pdf-canvas').dataset.page"
                           " === document.getElementById('page-number').value", timeout=30000)
    return page.locator("#pdf-canvas").get_attribute("data-page")


def test_pdf_pages_seen_complete_it_and_the_next_launch_resumes(live_server, context, tmp_path):
    course = import_media(live_server, tmp_path, pdf_document(4), "handout.pdf")
    reg = create_registration(live_server, course)
    page = context.new_page()
    launch = open_viewer(page, live_server, reg)
    assert shown_page(page) == "1"
    # pdf.js drew the page on a canvas of our own (no <iframe>, no browser PDF plug-in)
    assert page.locator("iframe, embed, object").count() == 0
    assert page.evaluate("(() => { const c = document.getElementById('pdf-canvas'); const d = c.getContext('2d')"
                         ".getImageData(0, 0, c.width, c.height).data; let dark = 0;"
                         " for (let i = 0; i < d.length; i += 4) if (d[i] < 100) dark++; return dark; })()") > 50
    assert page.locator("#pdf-text").text_content().strip() == "Page 1"
    assert page.locator("#page-count").text_content() == "of 4"
    # keyboard and labelled controls
    page.locator("#pdf-stage").focus()
    page.keyboard.press("ArrowRight")
    assert shown_page(page) == "2"
    page.get_by_role("button", name="Next page").click()
    assert shown_page(page) == "3"
    page.keyboard.press("ArrowLeft")
    assert shown_page(page) == "2"
    assert page.get_by_role("button", name="Previous page").is_enabled()
    assert page.get_by_label("Page", exact=True).input_value() == "2"
    page.get_by_label("Page", exact=True).fill("3")
    page.get_by_label("Page", exact=True).press("Enter")
    assert shown_page(page) == "3"
    assert page.locator("#progress-text").text_content() == "3 of 4 pages seen"
    page.set_viewport_size({"width": 360, "height": 640})  # a phone: the page is redrawn to fit, nothing scrolls sideways
    page.wait_for_function("document.getElementById('pdf-canvas').getBoundingClientRect().width <= 340")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.get_by_role("button", name="Next page").is_visible()
    leave(page)
    assert progress(live_server, reg).registration_completion != "COMPLETED"
    assert saved_place(live_server, launch)["pages"] == [1, 2, 3]

    page = context.new_page()
    launch = open_viewer(page, live_server, reg)
    assert shown_page(page) == "3"  # where the learner was
    assert page.locator("#progress-text").text_content() == "3 of 4 pages seen"
    page.locator("#pdf-stage").focus()
    page.keyboard.press("End")
    assert shown_page(page) == "4"
    page.wait_for_function("document.getElementById('status').textContent === 'Completed.'")
    assert page.get_by_role("button", name="Next page").is_disabled()
    leave(page)

    result = progress(live_server, reg)
    assert (result.registration_completion, result.registration_success) == ("COMPLETED", "PASSED")
    stmts = statements(live_server, launch)
    assert verbs(stmts) == ["launched", "initialized", "progressed", "progressed", "progressed", "terminated",
                            "launched", "initialized", "progressed", "completed", "passed",
                            "satisfied",  # the course's (cmi5 9.3.9: the LMS sends none for an AU)
                            "terminated"]
    assert progressed(stmts) == [25, 50, 75, 100]
    assert saved_place(live_server, launch) | {"progress": 0} == {
        "completed": True, "progress": 0, "page": 4, "pages": [1, 2, 3, 4], "pageCount": 4}


def play(page, *, start: float | None = None, until: float | None = None) -> None:
    """Play the page's media (muted: no gesture needed) from START to the end, or until UNTIL seconds."""
    page.wait_for_function("document.getElementById('media').readyState >= 1", timeout=30000)
    if start is not None:
        page.evaluate("t => { const m = document.getElementById('media'); m.currentTime = t; }", start)
        page.wait_for_function("!document.getElementById('media').seeking")
    page.evaluate("() => { const m = document.getElementById('media'); m.muted = true; return m.play(); }")
    if until is None:
        page.wait_for_function("document.getElementById('media').ended", timeout=30000)
    else:
        page.wait_for_function(f"document.getElementById('media').currentTime >= {until}", timeout=30000)
        page.evaluate("document.getElementById('media').pause()")


def test_video_seeking_to_the_end_does_not_complete_it_watching_does(live_server, context, tmp_path):
    course = import_media(live_server, tmp_path, mp4_video(3), "lecture.mp4")
    reg = create_registration(live_server, course)
    page = context.new_page()
    launch = open_viewer(page, live_server, reg)
    assert page.get_by_label(page.title(), exact=True).evaluate("m => m.tagName") == "VIDEO"  # labelled by its title
    play(page, start=2.6)  # the last 0.4 s only
    # then from the start again, dragged straight to the end while playing
    page.evaluate("() => { const m = document.getElementById('media'); m.addEventListener('playing',"
                  " () => { m.currentTime = m.duration; }, {once: true}); return m.play(); }")
    page.wait_for_function("document.getElementById('media').ended", timeout=30000)
    page.wait_for_timeout(300)
    watched = int(page.locator("#progress").get_attribute("value") or 0)
    assert 10 <= watched < 25 and "(90% needed)" in page.locator("#progress-text").text_content()
    leave(page)
    result = progress(live_server, reg)
    assert result.registration_completion != "COMPLETED" and result.registration_success != "PASSED"
    assert "completed" not in verbs(statements(live_server, launch))

    page = context.new_page()
    launch = open_viewer(page, live_server, reg)
    play(page, start=0)  # the whole video, at normal speed
    page.wait_for_function("document.getElementById('status').textContent === 'Completed.'")
    leave(page)
    result = progress(live_server, reg)
    assert (result.registration_completion, result.registration_success) == ("COMPLETED", "PASSED")
    stmts = statements(live_server, launch)
    assert verbs(stmts).count("completed") == 1 and verbs(stmts).count("passed") == 1
    last = [s for s in stmts if s["verb"]["id"] == ADL + "progressed"][-1]
    assert last["result"]["extensions"][PROGRESS] >= 90 and "[.]" in last["result"]["extensions"][PLAYED_SEGMENTS]
    place = saved_place(live_server, launch)
    assert place["completed"] is True and 2.7 <= place["playedSeconds"] <= 3.0 and place["length"] == 3


def test_audio_follows_the_percent_setting_and_resumes_where_it_stopped(live_server, context, tmp_path):
    course = import_media(live_server, tmp_path, mp3_silence(4), "talk.mp3")
    reg = create_registration(live_server, course)
    set_registration_settings(live_server, reg, MediaPercentRequired=50)
    page = context.new_page()
    launch = open_viewer(page, live_server, reg)
    assert page.locator("audio#media").count() == 1
    play(page, until=1.2)  # about 30%: not yet
    page.wait_for_timeout(300)
    assert "(50% needed)" in page.locator("#progress-text").text_content()
    page.close(run_before_unload=True)  # the learner closes the window: terminated all the same
    stmts = []
    for _ in range(100):
        stmts = statements(live_server, launch)
        if "terminated" in verbs(stmts):
            break
        time.sleep(0.1)  # the keepalive request may still be on its way
    assert verbs(stmts)[-1] == "terminated", verbs(stmts)
    assert progress(live_server, reg).registration_completion != "COMPLETED"
    assert 1.1 <= saved_place(live_server, launch)["position"] <= 1.5  # saved as the page went away
    launched = [s for s in stmts if s["verb"]["id"] == ADL + "launched"][0]
    assert json.loads(launched["context"]["extensions"][LAUNCH_PARAMETERS]) == {
        "coursehostMedia": 1, "kind": "audio", "rule": "PERCENT", "percentRequired": 50}

    page = context.new_page()
    launch = open_viewer(page, live_server, reg)
    page.wait_for_function("document.getElementById('media').currentTime >= 1.1", timeout=30000)  # resumed
    play(page, until=2.6)  # from 1.2 s on: what was played before still counts
    page.wait_for_function("document.getElementById('status').textContent === 'Completed.'")
    leave(page)
    result = progress(live_server, reg)
    assert (result.registration_completion, result.registration_success) == ("COMPLETED", "PASSED")
    assert 2.4 <= saved_place(live_server, launch)["playedSeconds"] <= 3.0
