"""GetRegistrationProgress with activity state: child results, run-time data, interactions and
objectives of SCORM 1.2 and SCORM 2004, deserialised into the official models."""

from __future__ import annotations

import pytest
import rustici_software_cloud_v2 as cloud

from tests.contract.registrations import reg_app, write_activity_state

RUNTIME_12 = {
    "core": {"lesson_status": "failed", "score": {"raw": "40", "min": "0", "max": "50"}, "lesson_location": "p3",
             "exit": "suspend", "entry": "resume", "credit": "credit", "lesson_mode": "normal",
             "session_time": "00:01:00", "total_time": "00:05:00"},
    "suspend_data": "abc", "launch_data": "", "comments": "too long",
    "interactions": [{"id": "q1", "type": "choice", "student_response": "a", "result": "wrong", "time": "10:00:00",
                      "weighting": "1", "latency": "00:00:05", "objectives": [{"id": "obj-a"}],
                      "correct_responses": [{"pattern": "b"}]},
                     {"id": "q2", "type": "made-up", "result": "0.5"}],
    "objectives": [{"id": "obj-a", "status": "passed", "score": {"raw": "9", "min": "0", "max": "10"}}],
    "student_preference": {"audio": "50", "language": "en", "speed": "0", "text": "1"},
}
RUNTIME_2004 = {
    "completion_status": "completed", "success_status": "passed",
    "score": {"scaled": "0.85", "raw": "85", "min": "0", "max": "100"}, "progress_measure": "1",
    "location": "end", "exit": "normal", "entry": "ab-initio", "credit": "credit", "mode": "normal",
    "session_time": "PT1M", "total_time": "PT2M", "suspend_data": "",
    "interactions": [{"id": "i1", "type": "true-false", "learner_response": "true", "result": "correct",
                      "timestamp": "2024-05-01T10:00:00+02:00", "latency": "PT3S", "weighting": "2",
                      "description": "Is it?", "objectives": [{"id": "primary"}],
                      "correct_responses": [{"pattern": "true"}]}],
    "objectives": [{"id": "primary", "success_status": "passed", "completion_status": "completed",
                    "score": {"scaled": "0.9"}, "progress_measure": "0.5", "description": "Main"},
                   {"id": "extra", "success_status": "unknown", "completion_status": "not attempted"}],
    "comments_from_learner": [{"comment": "nice", "location": "p1", "timestamp": "2024-05-01T10:00:00Z"}],
    "comments_from_lms": [{"comment": "read me"}],
    "learner_preference": {"audio_level": "1", "language": "fr", "delivery_speed": "1.5", "audio_captioning": "-1"},
}


@pytest.fixture
def app(live_server, tmp_path):
    return reg_app(live_server, tmp_path, with_2004=True)


def test_scorm12_runtime_interactions_and_objectives(app):
    reg_id = app.create(course_id=app.course12)
    write_activity_state(app, reg_id, "s1", attempts=2, completion="COMPLETED", success="FAILED", score_scaled=80.0,
                         completion_amount=1.0, total_seconds=300.0, runtime=RUNTIME_12)
    progress = app.regs.get_registration_progress(reg_id, include_child_results=True,
                                                  include_interactions_and_objectives=True, include_runtime=True)
    root = progress.activity_details
    assert isinstance(root, cloud.ActivityResultSchema) and [c.id for c in root.children] == ["s1", "s2"]
    s1, s2 = root.children
    assert (s1.title, s1.attempts, s1.activity_completion, s1.activity_success) == ("One", 2, "COMPLETED", "FAILED")
    assert s1.score.scaled == 80 and s1.time_tracked == "PT0H5M0S" and s1.suspended is True
    assert s1.completion_amount.scaled == 1.0
    rt = s1.runtime
    assert isinstance(rt, cloud.RuntimeSchema)
    assert (rt.completion_status, rt.runtime_success_status, rt.location, rt.exit, rt.entry) == \
        ("completed", "FAILED", "p3", "suspend", "resume")
    assert (rt.score_raw, rt.score_max, rt.suspend_data, rt.total_time) == ("40", "50", "abc", "00:05:00")
    assert rt.learner_comments[0].value == "too long" and rt.learner_preference.language == "en"
    q1, q2 = rt.runtime_interactions
    assert (q1.id, q1.type, q1.learner_response, q1.result, q1.timestamp) == ("q1", "Choice", "a", "incorrect",
                                                                            "10:00:00")
    assert (q1.objectives, q1.correct_responses, q1.latency, q1.weighting) == (["obj-a"], ["b"], "00:00:05", "1")
    assert (q2.type, q2.result) == ("Other", "0.5")
    obj = rt.runtime_objectives[0]
    assert (obj.id, obj.runtime_objective_success_status, obj.runtime_objective_completion_status) == \
        ("obj-a", "PASSED", "COMPLETED")
    assert s1.objectives[0].score.scaled == 90 and s1.objectives[0].objective_success == "PASSED"
    assert s2.attempts == 0 and s2.activity_completion == "UNKNOWN" and s2.runtime.completion_status == "unknown"
    plain = app.regs.get_registration_progress(reg_id, include_child_results=True)
    assert plain.activity_details.children[0].runtime is None
    assert plain.activity_details.children[0].objectives is None
    no_detail = app.regs.get_registration_progress(reg_id, include_child_results=True, include_runtime=True)
    assert no_detail.activity_details.children[0].runtime.runtime_interactions is None


def test_scorm2004_runtime(app):
    reg_id = app.create(course_id=app.course2004)
    write_activity_state(app, reg_id, "a1", completion="COMPLETED", success="PASSED", score_scaled=85.0,
                         total_seconds=120.0, runtime=RUNTIME_2004)
    progress = app.regs.get_registration_instance_progress(
        reg_id, 0, include_child_results=True, include_interactions_and_objectives=True, include_runtime=True)
    leaf = progress.activity_details.children[0]
    rt = leaf.runtime
    assert (rt.completion_status, rt.runtime_success_status, rt.score_scaled, rt.progress_measure) == \
        ("completed", "PASSED", "0.85", "1")
    assert rt.learner_comments[0].date_time == "2024-05-01T10:00:00Z" and rt.lms_comments[0].value == "read me"
    assert rt.learner_preference.delivery_speed == 1.5 and rt.learner_preference.audio_captioning == -1
    i1 = rt.runtime_interactions[0]
    assert (i1.type, i1.learner_response, i1.result, i1.description) == ("TrueFalse", "true", "correct", "Is it?")
    assert i1.timestamp_utc == "2024-05-01T08:00:00.000Z"
    primary, extra = rt.runtime_objectives
    assert (primary.score_scaled, primary.progress_measure, primary.description) == ("0.9", "0.5", "Main")
    assert extra.runtime_objective_completion_status == "NOT_ATTEMPTED"
    assert extra.runtime_objective_success_status == "UNKNOWN"
    objectives = {o.id: o for o in leaf.objectives}
    assert objectives["primary"].score.scaled == 90 and objectives["extra"].objective_completion == "UNKNOWN"
    assert leaf.static_properties is not None
