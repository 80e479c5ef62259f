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
