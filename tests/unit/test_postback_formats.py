"""Postback bodies: JSON per results format, legacy XML, escaping, form / HTTP Basic requests."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs

import pytest

from coursehost.domain.crypto import SecretBox
from coursehost.domain.postbacks.config import (
    PostbackConfig,
    normalize_auth_type,
    normalize_results_format,
    reveal_password,
)
from coursehost.domain.postbacks.formats import (
    build_request,
    legacy_xml,
    progress_options,
    render_data,
    sample_progress,
)

NASTY = 'Q&A <b>"bold"</b> \'quoted\' ]]> \x01'


def test_progress_options_per_format():
    assert progress_options("course") == {"include_child_results": False,
                                          "include_interactions_and_objectives": False,
                                          "include_runtime": False}
    assert progress_options("activity") == {"include_child_results": True,
                                            "include_interactions_and_objectives": False,
                                            "include_runtime": False}
    assert progress_options("full") == {"include_child_results": True,
                                        "include_interactions_and_objectives": True,
                                        "include_runtime": True}


def test_sample_progress_json_levels():
    course = sample_progress(results_format="course")
    assert "activityDetails" not in course
    assert course["registrationCompletion"] == "COMPLETED" and course["score"] == {"scaled": 100.0}
    activity = sample_progress(results_format="activity")
    sco = activity["activityDetails"]["children"][0]
    assert "runtime" not in sco and "objectives" not in sco
    full = sample_progress(results_format="full")
    sco = full["activityDetails"]["children"][0]
    assert sco["runtime"]["runtimeInteractions"][0]["id"] == "q1"
    assert sco["objectives"][0]["id"] == "postback-test-objective"


def test_json_body_is_the_progress_itself():
    progress = sample_progress(results_format="full")
    content_type, text = render_data(progress, results_format="full", legacy=False)
    assert content_type == "application/json"
    assert json.loads(text) == progress


def test_legacy_course_xml_matches_the_reference_shape():
    progress = {"id": "reg-1", "instance": 2, "registrationCompletion": "COMPLETED",
                "registrationSuccess": "PASSED", "totalSecondsTracked": 326.4, "score": {"scaled": 100.0}}
    xml = legacy_xml(progress, results_format="course")
    assert xml.endswith('<rsp stat="ok"><registrationreport format="course" regid="reg-1" instanceid="2">'
                        "<complete>complete</complete><success>passed</success><totaltime>326</totaltime>"
                        "<score>100</score></registrationreport></rsp>")
    ET.fromstring(xml)


def test_legacy_unknown_values_are_the_word_unknown():
    xml = legacy_xml({"id": "r", "instance": 0, "registrationCompletion": "UNKNOWN",
                      "registrationSuccess": "UNKNOWN"}, results_format="course")
    root = ET.fromstring(xml)
    report = root.find("registrationreport")
    assert report.get("instanceid") == "0"
    assert [report.find(t).text for t in ("complete", "success", "totaltime", "score")] == ["unknown"] * 4
    incomplete = legacy_xml({"id": "r", "registrationCompletion": "INCOMPLETE", "registrationSuccess": "FAILED",
                             "score": {"scaled": 42.5}, "totalSecondsTracked": 0}, results_format="course")
    report = ET.fromstring(incomplete).find("registrationreport")
    assert [report.find(t).text for t in ("complete", "success", "totaltime", "score")] == \
        ["incomplete", "failed", "0", "42.5"]


def test_legacy_activity_xml_nests_children():
    progress = sample_progress(results_format="activity")
    root = ET.fromstring(legacy_xml(progress, results_format="activity"))
    report = root.find("registrationreport")
    assert report.get("format") == "activity" and report.get("regid") == "postback-test-registration"
    top = report.find("activity")
    assert top.get("id") == "postback-test-course-root"
    assert [c.tag for c in top] == ["title", "attempts", "complete", "success", "time", "score", "children"]
    child = top.find("children/activity")
    assert child.get("id") == "postback-test-sco"
    assert child.find("title").text == "Postback test SCO"
    assert child.find("complete").text == "complete" and child.find("success").text == "passed"
    assert child.find("attempts").text == "1" and child.find("score").text == "100"
    assert child.find("runtime") is None


def test_legacy_full_xml_carries_runtime_and_objectives():
    progress = sample_progress(results_format="full")
    report = ET.fromstring(legacy_xml(progress, results_format="full")).find("registrationreport")
    assert report.get("format") == "full"
    sco = report.find("activity/children/activity")
    assert sco.find("objectives/objective").get("id") == "postback-test-objective"
    assert sco.find("runtime/completion_status").text == "completed"
    assert sco.find("runtime/interactions/interaction").get("id") == "q1"
    assert sco.find("runtime/interactions/interaction/correct_responses/response").text == "a"


def test_legacy_xml_escapes_everything():
    progress = sample_progress(results_format="full")
    progress["id"] = 'reg"<&>'
    act = progress["activityDetails"]
    act["id"] = 'act"<&>\''
    act["title"] = NASTY
    act["children"][0]["runtime"]["suspendData"] = NASTY
    xml = legacy_xml(progress, results_format="full")
    root = ET.fromstring(xml)  # well-formed despite the hostile strings
    report = root.find("registrationreport")
    assert report.get("regid") == 'reg"<&>'
    assert report.find("activity").get("id") == 'act"<&>\''
    clean = NASTY.replace("\x01", "")  # XML 1.0 cannot carry control characters: dropped
    assert report.find("activity/title").text == clean
    assert report.find("activity/children/activity/runtime/suspend_data").text == clean


def test_form_request_fields():
    config = PostbackConfig(url="http://example.test/pb", auth_type="form", user_name="u ser",
                            password="p&ss=word", results_format="course")
    progress = sample_progress(results_format="course")
    req = build_request(progress, config=config)
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in req.headers
    fields = parse_qs(req.body.decode(), keep_blank_values=True)
    assert fields["userName"] == ["u ser"] and fields["password"] == ["p&ss=word"]
    assert json.loads(fields["data"][0]) == progress


def test_form_request_legacy_xml():
    config = PostbackConfig(url="http://example.test/pb", results_format="activity", legacy=True)
    req = build_request(sample_progress(results_format="activity"), config=config)
    data = parse_qs(req.body.decode(), keep_blank_values=True)["data"][0]
    assert ET.fromstring(data).find("registrationreport").get("format") == "activity"


@pytest.mark.parametrize("legacy", [False, True])
def test_httpbasic_request(legacy):
    config = PostbackConfig(url="http://example.test/pb", auth_type="httpbasic", user_name="ü",
                            password="p:w", results_format="course", legacy=legacy)
    progress = sample_progress(results_format="course")
    req = build_request(progress, config=config)
    assert base64.b64decode(req.headers["Authorization"].split()[1]).decode() == "ü:p:w"
    if legacy:
        assert req.headers["Content-Type"].startswith("text/xml")
        ET.fromstring(req.body)
    else:
        assert req.headers["Content-Type"] == "application/json"
        assert json.loads(req.body) == progress
    assert "p:w" not in repr(req) and "p:w" not in repr(config)


def test_normalizers_and_password_reveal():
    assert normalize_auth_type("HTTPBASIC") == "httpbasic"
    assert normalize_auth_type("UNDEFINED") == "form" and normalize_auth_type(None) == "form"
    assert normalize_results_format("FULL") == "full" and normalize_results_format("UNDEFINED") == "course"
    box = SecretBox("k" * 48)
    assert reveal_password(box.encrypt("secret"), box=box) == "secret"
    assert reveal_password("plain-text", box=box) == "plain-text"
    assert reveal_password("gAAAAAnot-a-token", box=box) == "gAAAAAnot-a-token"
    assert reveal_password(None, box=box) == ""
