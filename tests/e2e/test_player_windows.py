"""PlayerLaunchType and PlayerScoLaunchType: the player and the content in windows of their own,
opened at once or after a click; SCOs find the API through window.opener; results arrive."""

from __future__ import annotations

import pytest

from tests.builders.scorm import scorm12_zip
from tests.e2e.support import (
    create_registration,
    import_course,
    launch_history,
    launch_link,
    progress,
    set_registration_settings,
)
from tests.e2e.test_player_scorm12 import content_frame, wait_for

SCO = """(where) => {
  const api = where === "opener" ? window.opener.API : window.parent.API;
  const r = {init: api.LMSInitialize("")};
  api.LMSSetValue("cmi.core.lesson_status", "passed");
  api.LMSSetValue("cmi.core.score.raw", "77");
  api.LMSSetValue("cmi.core.session_time", "00:00:42");
  r.finish = api.LMSFinish("");
  return r;
}"""


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("win"), scorm12_zip(
        "Window course", scos=[("sco1", "Only lesson", "index.html")]))


def _passed(live_server, reg):
    got = progress(live_server, reg)
    assert (got.registration_completion, got.registration_success, got.score.scaled) == ("COMPLETED", "PASSED", 77.0)
    assert got.total_seconds_tracked == 42
    (launch,) = launch_history(live_server, reg)
    assert launch.exit_time is not None


@pytest.mark.parametrize("mode", ["NEW_WINDOW_AFTER_CLICK", "NEW_WINDOW_AFTER_CLICK_WITHOUT_BROWSER_TOOLBAR"])
def test_player_in_a_new_window_after_click(live_server, course, context, mode):
    reg = create_registration(live_server, course)
    set_registration_settings(live_server, reg, PlayerLaunchType=mode)
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    assert page.locator("#launcher-text").inner_text() == "Select Launch to open the course in a new window."
    assert page.frames == [page.main_frame]  # nothing opened yet: the learner decides when
    with context.expect_page() as opened:
        page.click("#launcher-button")
    player = opened.value
    r = content_frame(player, "index.html").evaluate(SCO, "parent")
    assert r == {"init": "true", "finish": "true"}
    # The player window closes itself and the launch page goes on to the exit target.
    page.wait_for_url("**/player/exit/message", timeout=15000)
    for _ in range(100):
        if player.is_closed():
            break
        page.wait_for_timeout(100)  # lets Playwright process the window's close event
    assert player.is_closed()
    _passed(live_server, reg)


def test_player_in_a_new_window_closed_by_the_learner(live_server, course, context):
    reg = create_registration(live_server, course)
    set_registration_settings(live_server, reg, PlayerLaunchType="NEW_WINDOW")
    page = context.new_page()
    with context.expect_page() as opened:
        page.goto(launch_link(live_server, reg, redirect_on_exit_url="blank"))
    player = opened.value
    content_frame(player, "index.html").evaluate("""() => { const api = window.parent.API; api.LMSInitialize("");
      api.LMSSetValue("cmi.core.lesson_location", "p-5"); api.LMSSetValue("cmi.suspend_data", "kept"); }""")
    player.close(run_before_unload=True)  # no LMSFinish, no commit: the window is just closed
    page.wait_for_url("**/player/exit/blank", timeout=15000)
    assert wait_for(lambda: progress(live_server, reg).activity_details.children[0].runtime.suspend_data == "kept")
    assert progress(live_server, reg).activity_details.children[0].runtime.location == "p-5"
    assert wait_for(lambda: launch_history(live_server, reg)[0].exit_time is not None)


@pytest.mark.parametrize("mode", ["NEW_WINDOW", "NEW_WINDOW_WITHOUT_BROWSER_TOOLBAR", "NEW_WINDOW_AFTER_CLICK"])
def test_content_in_a_new_window(live_server, course, context, mode):
    reg = create_registration(live_server, course)
    set_registration_settings(live_server, reg, PlayerScoLaunchType=mode)
    page = context.new_page()
    link = launch_link(live_server, reg, redirect_on_exit_url="message")
    if mode.endswith("AFTER_CLICK"):
        page.goto(link)
        page.wait_for_function("window.API && typeof window.API.LMSInitialize === 'function'")
        page.wait_for_selector("#panel-button:visible")
        assert "Select Launch" in page.locator("#panel-text").inner_text()
        with context.expect_page() as opened:
            page.click("#panel-button")
    else:  # the window opens by itself as the player loads: listen before navigating
        with context.expect_page() as opened:
            page.goto(link)
    sco = opened.value
    sco.wait_for_load_state()
    assert sco.url.endswith("/index.html")
    assert sco.evaluate(SCO, "opener") == {"init": "true", "finish": "true"}
    page.wait_for_url("**/player/exit/message", timeout=15000)
    _passed(live_server, reg)


def test_player_window_link_is_bound_to_its_launch(live_server, course, context):
    reg = create_registration(live_server, course)
    set_registration_settings(live_server, reg, PlayerLaunchType="NEW_WINDOW_AFTER_CLICK")
    page = context.new_page()
    page.goto(launch_link(live_server, reg))
    url = page.evaluate("JSON.parse(document.getElementById('launcher-config').textContent).playerUrl")
    answer = page.goto(live_server.content_url + url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB"))
    assert answer.status == 403 and "not valid" in page.content()


def test_learner_is_warned_after_max_failed_submissions_and_nothing_is_lost(live_server, course, context):
    """PlayerCommMaxFailedSubmissions: failed sends are retried; the learner is warned after N."""
    reg = create_registration(live_server, course)
    set_registration_settings(live_server, reg, PlayerCommMaxFailedSubmissions=3)
    page = context.new_page()
    failed = []

    def refuse(route):  # the network is down for commits
        failed.append(route.request.post_data_json.get("seq"))
        route.abort("internetdisconnected")

    page.route("**/player/runtime/commit", refuse)
    page.goto(launch_link(live_server, reg))
    content_frame(page, "index.html").evaluate("""() => { const api = window.parent.API; api.LMSInitialize("");
      api.LMSSetValue("cmi.suspend_data", "during-outage"); return api.LMSCommit(""); }""")
    warning = page.locator("#warning")
    while len(failed) < 2:
        page.wait_for_timeout(100)
    assert warning.is_hidden()  # two failures: not yet
    while len(failed) < 3:
        page.wait_for_timeout(100)
    page.wait_for_selector("#warning:visible", timeout=5000)
    assert "could not be saved" in warning.inner_text()
    assert len(set(failed)) == 1  # the same commit (same seq) retried, so the server applies it once
    page.unroute("**/player/runtime/commit")
    page.wait_for_selector("#warning", state="hidden", timeout=60000)  # the retry got through
    assert progress(live_server, reg).activity_details.children[0].runtime.suspend_data == "during-outage"
    log = [e for e in launch_history(live_server, reg)[0].log if e.get("type") == "event"]
    attempts = [e["attempt"] for e in log if e.get("event") == "commit-failed"]
    assert attempts[:3] == [1, 2, 3]
