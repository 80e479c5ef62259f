"""In Chromium, an MP4 of a course loads from the content origin with Range requests (206 with
Content-Range, as issue 21's content serving answers them), seeks, and revalidates with its ETag."""

from __future__ import annotations

from tests.builders.media import mp4_video
from tests.e2e.support import create_registration
from tests.e2e.test_player_media import import_media, open_viewer


def test_a_course_video_loads_by_ranges_and_seeks(live_server, context, tmp_path):
    course = import_media(live_server, tmp_path, mp4_video(6), "seek.mp4")
    page = context.new_page()
    answers = []
    page.on("response", lambda r: answers.append(r) if r.url.split("?")[0].endswith("/seek.mp4") else None)
    open_viewer(page, live_server, create_registration(live_server, course))
    page.wait_for_function("document.getElementById('media').readyState >= 1", timeout=30000)
    page.evaluate("() => new Promise(done => { const m = document.getElementById('media');"
                  " m.addEventListener('seeked', done, {once: true}); m.currentTime = 4.5; })")
    page.evaluate("() => { const m = document.getElementById('media'); m.muted = true; return m.play(); }")
    page.wait_for_function("document.getElementById('media').currentTime >= 5", timeout=30000)
    assert answers and all(a.url.startswith(live_server.content_url + "/content/") for a in answers)
    ranged = [a for a in answers if a.status == 206]
    assert ranged, [(a.status, a.request.headers.get("range")) for a in answers]
    for answer in ranged:
        headers = answer.all_headers()
        assert headers["content-range"].startswith("bytes ") and headers["accept-ranges"] == "bytes"
        assert headers["content-type"] == "video/mp4" and headers["etag"].startswith('"')
