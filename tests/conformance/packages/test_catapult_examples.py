"""ADL CATAPULT's cmi5 example packages (course_examples/packages/*.zip) played in Chromium from
official-client launch links, driven as a learner would: pages clicked through, the quiz answered
(its "select correct answers" helper, then Submit), Exit, which terminates the AU and sends the
browser to LMS.LaunchData's returnURL. The official client's GetRegistrationProgress must show
COMPLETED and PASSED, and the AU's statements must be in the application's LRS."""

from __future__ import annotations

import pytest

from tests.conformance.packages.conftest import source
from tests.contract.helpers import LrsClient
from tests.e2e.support import create_registration, import_course, launch_link, progress

CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
VERBS = "http://adlnet.gov/expapi/verbs/"


def package(name: str) -> bytes:
    return (source("catapult") / "course_examples" / "packages" / f"{name}.zip").read_bytes()


def statements(live_server, registration: str) -> list[dict]:
    """Every statement of xAPI registration REGISTRATION in the default application's LRS, oldest first."""
    with LrsClient(live_server, "1.0.3") as lrs:
        answer = lrs.get("statements", params={"registration": registration, "ascending": "true", "limit": "500"})
        assert answer.status_code == 200, answer.text
        return answer.json()["statements"]


def play_au(page, *, quiz: bool) -> None:
    """The learner's part in one AU of CATAPULT's geology course: wait for it to initialize, take the
    quiz when there is one (every answer right), then Exit, which ends on the returnURL."""
    page.wait_for_selector(".navmenuitem", timeout=30000)
    page.wait_for_function("typeof course !== 'undefined' && course.trackingPlugin && course.trackingPlugin.launchMode !== ''",
                           timeout=30000)
    page.wait_for_selector(".navmenuitem.current", timeout=30000)  # the first page, after the bookmark check
    if quiz:
        page.locator(".navmenuitem").last.click()
        page.wait_for_selector("#content .quiz", timeout=30000)
        page.get_by_text("(Select correct answers)").click()
        page.get_by_text("Submit Answers").click()
        page.wait_for_selector("#score-passed.visible", timeout=30000)
    else:
        for _ in range(page.locator(".navmenuitem").count() - 1):
            page.locator("#next").click()
    page.wait_for_function("course.trackingPlugin.activeStatements === 0", timeout=30000)
    page.locator(".exit-button:visible").last.click()


@pytest.mark.parametrize("name", ["single_au_basic_framed", "single_au_basic_responsive",
                                  "masteryscore_framed", "masteryscore_responsive"])
def test_single_au_package(live_server, context, tmp_path, name):
    course = import_course(live_server, tmp_path, package(name))
    reg = create_registration(live_server, course)
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    assert page.url.startswith(live_server.content_url + "/content/")
    play_au(page, quiz=True)
    page.wait_for_url("**/player/exit/message", timeout=30000)
    got = progress(live_server, reg)
    assert (got.registration_completion, got.registration_success) == ("COMPLETED", "PASSED")
    assert got.score.scaled == 100
    verbs = [s["verb"]["id"].rsplit("/", 1)[-1] for s in statements(live_server, got.xapi_registration_id)]
    for verb in ("launched", "initialized", "passed", "completed", "answered", "terminated", "satisfied"):
        assert verb in verbs, verbs


MULTI = "https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-multi-au-framed/"
PREPOST = "https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-preposttest/"
COURSES = {
    # AUs 1-7 pass and complete on launch (complete=launch), the quiz when answered.
    "multi_au_framed": [(f"{MULTI}{i}", False) for i in range(1, 8)] + [(f"{MULTI}quiz", True)],
    # Two blocks of pre-test (moveOn Passed), content (passes on launch), post-test (Passed).
    "pre_post_test_framed": [(f"{PREPOST}block{b}/{au}", au != "content") for b in (1, 2)
                             for au in ("pre", "content", "post")],
}


@pytest.mark.parametrize("name", sorted(COURSES))
def test_multi_au_package_through_the_outline(live_server, context, tmp_path, name):
    course = import_course(live_server, tmp_path, package(name))
    reg = create_registration(live_server, course)
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    page.wait_for_url("**/player/cmi5/course?**", timeout=30000)
    for au_id, quiz in COURSES[name]:
        page.locator(f'li.au[data-au-id="{au_id}"] form').first.locator("button").click()
        play_au(page, quiz=quiz)
        page.wait_for_url("**/player/cmi5/course?**", timeout=30000)  # returnURL: the outline, drawn afresh
        assert "Satisfied" in page.locator(f'li.au[data-au-id="{au_id}"] .au-state').inner_text()
    assert page.locator("#course-state").inner_text() == "Course satisfied"
    page.locator("#btn-exit").click()
    page.wait_for_url("**/player/exit/message", timeout=30000)
    got = progress(live_server, reg)
    assert (got.registration_completion, got.registration_success) == ("COMPLETED", "PASSED")
    found = statements(live_server, got.xapi_registration_id)
    terminated = [s for s in found if s["verb"]["id"] == VERBS + "terminated"]
    assert len(terminated) == len(COURSES[name])
    satisfied = [s for s in found if s["verb"]["id"].endswith("/satisfied")]
    assert satisfied and any(s["object"].get("definition", {}).get("type", "").endswith("/course") for s in satisfied)
