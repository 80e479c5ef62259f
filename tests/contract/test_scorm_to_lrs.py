"""SCORM courses into the LRS too: a SCORM 1.2 and a SCORM 2004 session through the player's run-time
endpoints leaves xAPI statements in the application's LRS (once each), unless the application turns
XapiForScormEnabled off; the official client's GetRegistrationStatements shows them."""

from __future__ import annotations

import json
import re
from collections import Counter

import httpx
import pytest
import rustici_software_cloud_v2 as cloud

from tests.contract.registrations import reg_app

ADL = "http://adlnet.gov/expapi/verbs/"


def _launch(app, registration_id: str) -> str:
    """Open a launch link built by the official client; the player's run-time token."""
    link = app.regs.build_registration_launch_link(
        registration_id, cloud.LaunchLinkRequestSchema(redirect_on_exit_url="blank")).launch_link
    page = httpx.get(link if link.startswith("http") else app.live_server.content_url + link)
    assert page.status_code == 200, page.text
    return re.search(r'"runtimeToken":\s*"([^"]+)"', page.text).group(1)


def _commit(app, token: str, seq: int, activity_id: str, runtime: dict, *, terminated: bool = False) -> dict:
    body = {"seq": seq, "activityId": activity_id, "terminated": terminated, "runtime": runtime}
    resp = httpx.post(app.live_server.content_url + "/player/runtime/commit", content=json.dumps(body),
                      headers={"x-player-token": token, "content-type": "application/json"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _statements(app, registration_id: str) -> list[dict]:
    """The registration's statements in the application's LRS, oldest first."""
    reg = app.regs.get_registration_progress(registration_id)
    resp = httpx.get(f"{app.live_server.base_url}/lrs/{app.creds.app_id}/statements",
                     params={"registration": reg.xapi_registration_id, "ascending": "true", "limit": "500"},
                     auth=(app.creds.app_id, app.creds.secret), headers={"X-Experience-API-Version": "1.0.3"})
    assert resp.status_code == 200, resp.text
    return resp.json()["statements"]


def _verbs(statements: list[dict]) -> Counter:
    return Counter(s["verb"]["id"].removeprefix(ADL) for s in statements)


def _one(statements: list[dict], verb: str) -> dict:
    found = [s for s in statements if s["verb"]["id"] == ADL + verb]
    assert len(found) == 1, [s["verb"]["id"] for s in statements]
    return found[0]


SCORM12_QUIZ = {"core": {"lesson_status": "incomplete", "lesson_location": "p2"},
                "interactions": [{"id": "q1", "type": "choice", "student_response": "b", "result": "correct"}]}
SCORM12_DONE = {"core": {"lesson_status": "passed", "score": {"raw": "85", "min": "0", "max": "100"},
                         "exit": "suspend", "session_time": "00:02:00"},
                "interactions": [{"id": "q1", "type": "choice", "student_response": "b", "result": "correct"},
                                 {"id": "q2", "type": "true-false", "student_response": "f", "result": "wrong"}]}


def test_a_scorm12_session_lands_in_the_lrs_once(live_server, tmp_path):
    app = reg_app(live_server, tmp_path)
    reg_id = app.create(learner_id="ada-1")
    token = _launch(app, reg_id)
    _commit(app, token, 1, "s1", SCORM12_QUIZ)
    _commit(app, token, 2, "s1", SCORM12_DONE, terminated=True)
    _commit(app, token, 2, "s1", SCORM12_DONE, terminated=True)  # a retried commit: nothing new

    stmts = _statements(app, reg_id)
    assert _verbs(stmts) == Counter({"initialized": 1, "answered": 2, "completed": 1, "passed": 1, "suspended": 1})
    passed = _one(stmts, "passed")
    assert passed["result"]["score"] == {"scaled": 0.85, "raw": 85, "min": 0, "max": 100}
    assert passed["result"]["success"] is True
    assert passed["actor"]["account"] == {"homePage": live_server.base_url, "name": "ada-1"}
    xapi_reg = app.regs.get_registration_progress(reg_id).xapi_registration_id
    assert {s["context"]["registration"] for s in stmts} == {xapi_reg.lower()}
    grouping = {g["id"] for s in stmts for g in s["context"]["contextActivities"]["grouping"]}
    assert len(grouping) == 1 and grouping.pop().endswith(f"/courses/{app.course12}")
    answers = {s["object"]["id"].rsplit("/", 1)[1]: s for s in stmts if s["verb"]["id"] == ADL + "answered"}
    assert answers["q1"]["result"] == {"response": "b", "success": True}
    assert answers["q2"]["result"] == {"response": "f", "success": False}
    assert answers["q2"]["object"]["definition"]["interactionType"] == "true-false"


def test_a_scorm2004_session_lands_in_the_lrs(live_server, tmp_path):
    app = reg_app(live_server, tmp_path, with_2004=True)
    reg_id = app.create(course_id=app.course2004, learner_id="ada-2")
    token = _launch(app, reg_id)
    _commit(app, token, 1, "a1", {"completion_status": "incomplete"})
    _commit(app, token, 2, "a1", {
        "completion_status": "completed", "success_status": "failed", "session_time": "PT1M",
        "score": {"scaled": "0.4", "raw": "40", "min": "0", "max": "100"},
        "interactions": [{"id": "i1", "type": "fill-in", "learner_response": "paris", "result": "incorrect"}]})
    _commit(app, token, 3, "a1", {  # the same data again under a new seq: no change, no statement
        "completion_status": "completed", "success_status": "failed", "session_time": "PT1M",
        "score": {"scaled": "0.4", "raw": "40", "min": "0", "max": "100"},
        "interactions": [{"id": "i1", "type": "fill-in", "learner_response": "paris", "result": "incorrect"}]})

    stmts = _statements(app, reg_id)
    assert _verbs(stmts) == Counter({"initialized": 1, "completed": 1, "failed": 1, "answered": 1})
    failed = _one(stmts, "failed")
    assert failed["result"]["score"] == {"scaled": 0.4, "raw": 40, "min": 0, "max": 100}
    assert failed["result"]["success"] is False and failed["result"]["completion"] is True
    assert _one(stmts, "completed")["result"]["completion"] is True
    answered = _one(stmts, "answered")
    assert answered["result"] == {"response": "paris", "success": False}
    assert answered["object"]["definition"]["interactionType"] == "fill-in"

    # the official client's GetRegistrationStatements answers from the same LRS
    result = app.regs.get_registration_statements(reg_id)
    assert Counter(s.verb.id.removeprefix(ADL) for s in result.statements) == _verbs(stmts)


def test_the_setting_off_writes_no_statements(live_server, tmp_path):
    app = reg_app(live_server, tmp_path)
    cloud.ApplicationManagementApi(live_server.client(app.creds)).set_application_configuration(
        cloud.SettingsPostSchema(settings=[cloud.SettingsIndividualSchema(setting_id="XapiForScormEnabled",
                                                                          value="false")]))
    reg_id = app.create()
    token = _launch(app, reg_id)
    assert _commit(app, token, 1, "s1", SCORM12_DONE, terminated=True)["applied"] is True
    assert _statements(app, reg_id) == []


@pytest.mark.parametrize("value", ["true", "false"])
def test_the_setting_is_in_the_application_configuration(live_server, tmp_path, value):
    app = reg_app(live_server, tmp_path)
    api = cloud.ApplicationManagementApi(live_server.client(app.creds))
    items = {s.id: s for s in api.get_application_configuration().setting_items}
    assert items["XapiForScormEnabled"].effective_value == "true"  # on unless turned off
    api.set_application_configuration(cloud.SettingsPostSchema(
        settings=[cloud.SettingsIndividualSchema(setting_id="XapiForScormEnabled", value=value)]))
    items = {s.id: s for s in api.get_application_configuration().setting_items}
    assert items["XapiForScormEnabled"].effective_value == value
