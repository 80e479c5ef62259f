"""SCORM time values and the multi-SCO rollup rules (domain/runtime)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from coursehost.domain.runtime.durations import format_iso, format_scorm12, parse_duration
from coursehost.domain.runtime.rollup import rollup_12, rollup_2004_default, summarize_activity


@pytest.mark.parametrize("text,seconds", [
    ("00:01:30", 90), ("0001:00:00.5", 3600.5), ("12:5:7", 43507), ("PT1M30S", 90), ("PT1H0.25S", 3600.25),
    ("P1DT1S", 86401), ("P0Y0M0DT0H0M2.5S", 2.5), ("PT", None), ("", None), ("1:60:00", None), ("banana", None),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


def test_format_durations_round_trip():
    assert format_scorm12(3723.456) == "0001:02:03.46" and parse_duration(format_scorm12(3723.46)) == 3723.46
    assert format_iso(3723.5) == "PT1H2M3.5S" and parse_duration(format_iso(59)) == 59


def _state(runtime, **kw):
    return SimpleNamespace(runtime=runtime, completion="UNKNOWN", success="UNKNOWN", score_scaled=None,
                           completion_amount=None, **kw)


@pytest.mark.parametrize("status,raw,overrides,expected", [
    ("passed", None, "false", ("COMPLETED", "PASSED")),
    ("failed", None, "false", ("COMPLETED", "FAILED")),
    ("incomplete", "50", "false", ("INCOMPLETE", "UNKNOWN")),  # the SCO's status stands
    ("incomplete", "50", "true", ("COMPLETED", "FAILED")),  # PlayerScoreOverridesStatus
    ("completed", "85", "false", ("COMPLETED", "PASSED")),  # RTE 1.2: mastery decides a completed SCO
    ("completed", "79", "false", ("COMPLETED", "FAILED")),
    ("browsed", None, "false", ("INCOMPLETE", "UNKNOWN")),
])
def test_scorm12_status_and_mastery(status, raw, overrides, expected):
    state = _state({"core": {"lesson_status": status, "score": {"raw": raw} if raw else {}}})
    summarize_activity(state, {"id": "a", "data": {"masteryscore": "80"}}, "scorm12",
                       {"PlayerScoreOverridesStatus": overrides})
    assert (state.completion, state.success) == expected


def test_scorm2004_thresholds_decide():
    state = _state({"completion_status": "incomplete", "progress_measure": "0.9", "success_status": "failed",
                    "score": {"scaled": "0.85"}})
    activity = {"id": "a", "scaled_passing_score": 0.8, "data": {"completionThreshold": {"minProgressMeasure": 0.75}}}
    summarize_activity(state, activity, "scorm2004", {})
    assert (state.completion, state.success, state.score_scaled) == ("COMPLETED", "PASSED", 85.0)


def _leaf(completion, success, score, updated=0):
    return ({"id": "x"}, SimpleNamespace(completion=completion, success=success, score_scaled=score, updated=updated))


def test_scorm12_rollup_modes():
    rows = [_leaf("COMPLETED", "PASSED", 90, 1), _leaf("COMPLETED", "UNKNOWN", None, 2), ({"id": "z"}, None)]
    assert rollup_12(rows, {}) == ("INCOMPLETE", "UNKNOWN", 90)
    assert rollup_12(rows, {"PlayerScoreRollupModeValue": "AVERAGE_SCORE_OF_ALL_UNITS"})[2] == 30
    assert rollup_12(rows, {"PlayerScoreRollupModeValue": "FIXED_AVERAGE",
                            "PlayerScoreRollupModeNumberOfScoringObjects": "2"})[2] == 45
    assert rollup_12(rows, {"PlayerStatusRollupModeValue": "COMPLETE_WHEN_THRESHOLD_SCORE_IS_MET",
                            "PlayerStatusRollupModeThresholdScore": "80"})[0] == "COMPLETED"
    assert rollup_12(rows, {"PlayerFirstScoIsPretest": "true"})[0] == "COMPLETED"
    done = [_leaf("COMPLETED", "PASSED", 90), _leaf("COMPLETED", "FAILED", 40)]
    assert rollup_12(done, {}) == ("COMPLETED", "FAILED", 65)
    assert rollup_12(done, {"PlayerStatusRollupModeValue": "COMPLETE_WHEN_ALL_UNITS_COMPLETE_AND_NOT_FAILED"})[0] \
        == "INCOMPLETE"
    assert rollup_12([_leaf("COMPLETED", "UNKNOWN", None)] * 2, {"PlayerApplyRollupStatusToSuccess": "true"})[1] \
        == "PASSED"


def test_scorm2004_default_rollup():
    assert rollup_2004_default([_leaf("COMPLETED", "PASSED", 80), _leaf("COMPLETED", "PASSED", 100)]) \
        == ("COMPLETED", "PASSED", 90)
    assert rollup_2004_default([_leaf("COMPLETED", "FAILED", 10), ({"id": "b"}, None)])[:2] == ("INCOMPLETE", "FAILED")
