"""A one-AU AICC course in Chromium: the AU finds AICC_SID and AICC_URL in its URL and talks HACP
(GetParam, PutParam, ExitAU) with fetch; the official client then reports its results."""

from __future__ import annotations

import json
import time

from tests.builders.aicc import AU, aicc_files, zip_bytes
from tests.e2e.support import create_registration, import_course, launch_history, launch_link, progress

AU_PAGE = """<!DOCTYPE html><html><head><title>AU</title></head><body><p>AICC AU</p><script>
(async () => {
  const q = new URLSearchParams(location.search);
  const sid = q.get("AICC_SID"), url = q.get("AICC_URL");
  const post = async (command, data) => {
    const body = new URLSearchParams({command, version: "4.0", session_id: sid, aicc_data: data || ""});
    const r = await fetch(url, {method: "POST", body});
    return r.text();
  };
  const out = {sid, url};
  out.get = await post("GetParam");
  out.put = await post("PutParam",
    "[Core]\\r\\nLesson_Location=end\\r\\nlesson_status=STATUS\\r\\nScore=SCORE,100,0\\r\\nTime=00:02:05\\r\\n"
    + "[Core_Lesson]\\r\\nbookmark=7\\r\\n");
  out.exit = await post("ExitAU");
  out.after = await post("GetParam");
  window.hacpResult = out;
})();
</script></body></html>"""


def au_page(status: str, score: int) -> bytes:
    return AU_PAGE.replace("STATUS", status).replace("SCORE", str(score)).encode()


def aicc_course() -> bytes:
    files = aicc_files(title="HACP course", aus=[AU("A1", "Lesson 1", "a1.html", mastery=80)])
    files["a1.html"] = au_page("passed", 90)
    return zip_bytes(files)


def au_frame(page, name="a1.html"):
    deadline = time.time() + 15
    while time.time() < deadline:
        for frame in page.frames:
            if f"/{name}?" in frame.url:
                frame.wait_for_load_state()
                return frame
        page.wait_for_timeout(50)
    raise AssertionError(f"the AU never loaded; frames: {[f.url for f in page.frames]}")


def test_aicc_au_talks_hacp_and_the_official_client_sees_its_results(live_server, context, tmp_path):
    course = import_course(live_server, tmp_path, aicc_course())
    reg = create_registration(live_server, course, learner_id="ada")
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    frame = au_frame(page)
    assert frame.url.startswith(live_server.content_url)
    frame.wait_for_function("window.hacpResult !== undefined", timeout=15000)
    got = frame.evaluate("window.hacpResult")
    assert got["sid"] and got["url"] == live_server.content_url.rstrip("/") + "/player/hacp"
    assert got["get"].startswith("error=0\r\nerror_text=Successful\r\naicc_data=[Core]")
    assert "Student_ID=ada\r\n" in got["get"] and "Student_Name=Lovelace, Ada\r\n" in got["get"]
    assert "Lesson_Status=not attempted" in got["get"] and "Mastery_Score=80" in got["get"]
    assert got["put"].startswith("error=0") and got["exit"].startswith("error=0")
    assert got["after"].startswith("error=3")  # the AU session ended with ExitAU

    result = progress(live_server, reg)
    assert (result.registration_completion, result.registration_success) == ("COMPLETED", "PASSED")
    assert result.score.scaled == 90
    assert result.total_seconds_tracked == 125
    au = result.activity_details.children[0]
    assert (au.id, au.activity_completion, au.activity_success) == ("A1", "COMPLETED", "PASSED")

    log = [e for h in launch_history(live_server, reg) for e in h.log]
    hacp = [e for e in log if e.get("event") == "hacp"]
    assert [e["command"] for e in hacp] == ["getparam", "putparam", "exitau", "getparam"]
    assert got["sid"] not in json.dumps(log)  # the session id is a credential: never in the debug log


def test_two_au_course_the_learner_picks_the_second_au_from_the_outline(live_server, context, tmp_path):
    files = aicc_files(title="Two AUs", aus=[AU("A1", "First", "a1.html"), AU("A2", "Second", "a2.html")])
    files["a1.html"], files["a2.html"] = au_page("passed", 70), au_page("p", 90)
    course = import_course(live_server, tmp_path, zip_bytes(files))
    reg = create_registration(live_server, course, learner_id="ada")
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    first = au_frame(page, "a1.html")
    first.wait_for_function("window.hacpResult !== undefined", timeout=15000)
    assert first.evaluate("window.hacpResult.put").startswith("error=0")
    assert progress(live_server, reg).registration_completion == "INCOMPLETE"

    page.click("#toc-list button[data-id=A2]")
    second = au_frame(page, "a2.html")
    second.wait_for_function("window.hacpResult !== undefined", timeout=15000)
    got = second.evaluate("window.hacpResult")
    assert "Lesson_Status=not attempted" in got["get"] and got["exit"].startswith("error=0")

    result = progress(live_server, reg)
    assert (result.registration_completion, result.registration_success) == ("COMPLETED", "PASSED")
    assert [(c.id, c.activity_completion, c.activity_success) for c in result.activity_details.children] == [
        ("A1", "COMPLETED", "PASSED"), ("A2", "COMPLETED", "PASSED")]
    assert result.score.scaled == 80


FLOW_AU = """<!DOCTYPE html><html><head><title>AU</title></head><body><p>AICC AU</p><script>
(async () => {
  const q = new URLSearchParams(location.search);
  const post = async (command, data) => (await fetch(q.get("AICC_URL"), {method: "POST",
    body: new URLSearchParams({command, version: "4.0", session_id: q.get("AICC_SID"), aicc_data: data || ""})})).text();
  const got = await post("GetParam");
  const first = /^Lesson_Status=not attempted/im.test(got);
  const status = first ? "FIRST" : "AGAIN";
  await post("PutParam", "[Core]\\r\\nLesson_Status=" + status + "\\r\\nScore=SCORE\\r\\nTime=00:00:10\\r\\n");
  document.body.dataset.sent = status;
  await post("ExitAU");
})();
</script></body></html>"""


def flow_au(first: str, again: str, score: str = "") -> bytes:
    return FLOW_AU.replace("FIRST", first).replace("AGAIN", again).replace("SCORE", score).encode()


def outline(page) -> dict[str, bool]:
    """{AU id: whether the learner may choose it} as the player's outline shows it."""
    return page.eval_on_selector_all("#toc-list button", "bs => Object.fromEntries(bs.map(b => [b.dataset.id, !b.disabled]))")


def test_multi_au_course_follows_pre_and_exitau_through_the_outline(live_server, context, tmp_path):
    """Block B1 = A1, A2; A3 after B1 (a block in the .pre); A2 after A1. Each ExitAU moves the
    player on to the next AU the prerequisites allow, or back to the outline when none is."""
    files = aicc_files(title="Three AUs", aus=[AU("A1", "One", "a1.html"), AU("A2", "Two", "a2.html"),
                                                AU("A3", "Three", "a3.html", mastery=70)],
                       blocks={"B1": ("Block", ["A1", "A2"])}, pre=[("A2", "A1"), ("A3", "B1")])
    files["a1.html"] = flow_au("p", "p")
    files["a2.html"] = flow_au("i,s", "p")  # the first visit leaves it incomplete (suspended)
    files["a3.html"] = flow_au("c", "c", "85,100,0")
    course = import_course(live_server, tmp_path, zip_bytes(files))
    reg = create_registration(live_server, course, learner_id="ada")
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    au_frame(page, "a1.html")
    assert outline(page) == {"A1": True, "A2": False, "A3": False}

    # A1 passed and ExitAU: the player delivers A2 by itself; A2 ends incomplete: A3 (after B1)
    # cannot be taken yet, so the learner is back at the outline.
    page.wait_for_selector("#panel:not([hidden])", timeout=15000)
    assert "course outline" in page.inner_text("#panel-text")
    assert outline(page) == {"A1": True, "A2": True, "A3": False}
    assert [f.url for f in page.frames if "a2.html" in f.url] == []  # A2 was unloaded
    result = progress(live_server, reg)
    assert [(c.id, c.activity_completion) for c in result.activity_details.children[0].children] == [
        ("A1", "COMPLETED"), ("A2", "INCOMPLETE")]

    # The learner picks A2 again (a new HACP session: the first one ended with ExitAU): it resumes
    # and passes, and the player goes on to A3, the last AU, whose ExitAU ends the course.
    page.click("#toc-list button[data-id=A2]")
    page.wait_for_url("**/player/exit/message", timeout=20000)
    result = progress(live_server, reg)
    assert (result.registration_completion, result.registration_success) == ("COMPLETED", "PASSED")
    block, a3 = result.activity_details.children
    assert [(c.id, c.activity_completion, c.activity_success) for c in [*block.children, a3]] == [
        ("A1", "COMPLETED", "PASSED"), ("A2", "COMPLETED", "PASSED"), ("A3", "COMPLETED", "PASSED")]
    hacp = [(e["activityId"], e["command"], e["answer"][:7]) for h in launch_history(live_server, reg)
            for e in h.log if e.get("event") == "hacp"]
    assert [a for a, c, _ in hacp if c == "exitau"] == ["A1", "A2", "A2", "A3"]
    assert all(answer == "error=0" for _, _, answer in hacp), hacp
