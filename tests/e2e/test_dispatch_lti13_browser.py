"""An LTI 1.3 dispatch launched in Chromium from a real platform (lti1p3platform,
tests/contract/lti13_platform.py): the platform's login initiation, our redirect to its authorization
endpoint, its auto-posted id_token, the player on the content origin with the SCORM 1.2 course, which
knows the platform's learner; the score the SCO sets reaches the platform through AGS."""

from __future__ import annotations

import time

import pytest
import rustici_software_cloud_v2 as cloud

from tests.builders.scorm import scorm12_zip
from tests.contract.lti13_platform import running_platform
from tests.dispatch_support import make_dispatch
from tests.e2e.support import import_course
from tests.e2e.test_invitation_page import _content_frame

SCO = """() => {
  const api = window.parent.API;
  const r = {init: api.LMSInitialize(""), id: api.LMSGetValue("cmi.core.student_id"),
             name: api.LMSGetValue("cmi.core.student_name")};
  api.LMSSetValue("cmi.core.score.raw", "90");
  api.LMSSetValue("cmi.core.lesson_status", "passed");
  r.finish = api.LMSFinish("");
  return r;
}"""


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("lti13b"), scorm12_zip(
        "Golf basics", scos=[("sco1", "Lesson one", "one.html")]))


def test_a_platform_launch_in_chromium_plays_the_course_and_sends_the_score(live_server, course, context):
    with running_platform(live_server.base_url + "/lti/jwks", live_server.base_url + "/dispatch/lti13/login") as lms:
        dispatch = make_dispatch(live_server, course_id=course, lti13=lms.lti13_config())
        target = cloud.DispatchApi(live_server.client()).get_lti13_dispatch(dispatch.dispatch_id).target_link_uri
        page = context.new_page()
        page.goto(lms.login_url(target, user="browser-learner"))
        page.wait_for_url(live_server.content_url + "/player/**", timeout=15000)
        page.wait_for_function("window.API && typeof window.API.LMSInitialize === 'function'")
        result = _content_frame(page, "one.html").evaluate(SCO)
        assert result == {"init": "true", "id": "browser-learner", "name": "Lovelace, Ada", "finish": "true"}
        deadline = time.monotonic() + 30
        while not any(s.get("userId") == "browser-learner" and "scoreGiven" in s for s in lms.scores):
            assert time.monotonic() < deadline, f"no score reached the platform: {lms.scores} {lms.errors}"
            time.sleep(0.2)
        score = [s for s in lms.scores if s.get("userId") == "browser-learner" and "scoreGiven" in s][-1]
        assert (score["scoreGiven"], score["activityProgress"], score["gradingProgress"]) == \
            (90, "Completed", "FullyGraded")
