"""Pure run-time rules (no database): SCORM time values, data-model checks, SCO status rules, rollup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coursehost.domain.courses.model import Activity
from coursehost.domain.errors import InvalidInput
from coursehost.domain.runtime.rollup import Leaf, leaf_ids, rollup_2004_default, rollup_scorm12
from coursehost.domain.scorm.datamodel import session_seconds, validate_runtime
from coursehost.domain.scorm.durations import (
    format_iso,
    format_scorm12,
    parse_duration,
    parse_iso,
    parse_scorm12,
)
from coursehost.domain.scorm.status import Result, scorm12_result, scorm2004_result

# ---------------------------------------------------------------- durations


@pytest.mark.parametrize("text,seconds", [
    ("00:01:30", 90), ("0001:00:00.5", 3600.5), ("12:5:7", 43507), ("9999:59:59.99", 9999 * 3600 + 3599.99),
    ("00:00:00", 0), (" 01:00:00 ", 3600), ("1:60:00", None), ("00:00:60", None), ("00:01", None),
    ("-01:00:00", None), ("00:00:01.1234567", None), ("", None), ("banana", None),
])
def test_parse_scorm12_timespan(text, seconds):
    assert parse_scorm12(text) == (pytest.approx(seconds) if seconds is not None else None)


@pytest.mark.parametrize("text,seconds", [
    ("PT1M30S", 90), ("PT1H0.25S", 3600.25), ("P1DT1S", 86401), ("P0Y0M0DT0H0M2.5S", 2.5), ("PT0S", 0),
    ("P1W", 7 * 86400), ("P1Y", 365 * 86400), ("P1M", 30 * 86400), ("PT1,5S", 1.5), ("pt2m", 120),
    ("PT", None), ("P", None), ("P1DT", None), ("PT-5S", None), ("1M", None), ("PT1H1H", None), ("", None),
])
def test_parse_iso_duration(text, seconds):
    assert parse_iso(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_parse_duration_takes_either_form_and_rejects_junk():
    assert parse_duration("00:01:30") == 90 and parse_duration("PT90S") == 90
    assert parse_duration(None) is None and parse_duration(12) is None  # type: ignore[arg-type]


def test_format_durations_round_trip():
    assert format_scorm12(3723.456) == "0001:02:03.46" and parse_duration(format_scorm12(3723.46)) == 3723.46
    assert format_scorm12(0) == "0000:00:00.00" and format_scorm12(-5) == "0000:00:00.00"
    assert format_scorm12(10_000 * 3600) == "9999:59:59.99"
    assert format_iso(3723.5) == "PT1H2M3.5S" and parse_duration(format_iso(59)) == 59
    assert format_iso(0) == "PT0H0M0S" and format_iso(0.01) == "PT0H0M0.01S"
    for seconds in (0.0, 1.5, 59.99, 3600.0, 86399.99, 360000.25):
        assert parse_iso(format_iso(seconds)) == pytest.approx(seconds)
        assert parse_scorm12(format_scorm12(seconds)) == pytest.approx(seconds)


def test_session_time_per_family():
    assert session_seconds({"core": {"session_time": "00:02:00"}}, "1.2") == 120
    assert session_seconds({"core": {"session_time": "PT2M"}}, "1.2") == 120  # tolerated from 1.2 content
    assert session_seconds({"session_time": "PT2M"}, "2004") == 120
    assert session_seconds({}, "2004") == 0
    with pytest.raises(InvalidInput, match="cmi.session_time"):
        session_seconds({"session_time": "00:02:00"}, "2004")
    with pytest.raises(InvalidInput, match="cmi.core.session_time"):
        session_seconds({"core": {"session_time": "two minutes"}}, "1.2")


# ---------------------------------------------------------------- data-model checks


def test_validate_cleans_numbers_and_nulls():
    clean = validate_runtime({"core": {"score": {"raw": 85, "min": None}, "lesson_status": "passed"}},
                             fam="1.2", suspend_data_max=4096)
    assert clean == {"core": {"score": {"raw": "85", "min": ""}, "lesson_status": "passed"}}


@pytest.mark.parametrize("runtime,fam,element", [
    ({"suspend_data": "x" * 101}, "1.2", "cmi.suspend_data"),
    ({"core": {"lesson_status": "done"}}, "1.2", "cmi.core.lesson_status"),
    ({"core": {"score": {"raw": "eighty"}}}, "1.2", "cmi.core.score.raw"),
    ({"core": {"lesson_location": "x" * 256}}, "1.2", "cmi.core.lesson_location"),
    ({"completion_status": "finished"}, "2004", "cmi.completion_status"),
    ({"score": {"scaled": "1.5"}}, "2004", "cmi.score.scaled"),
    ({"progress_measure": "-0.1"}, "2004", "cmi.progress_measure"),
    ({"exit": "later"}, "2004", "cmi.exit"),
    ({"interactions": ["q1"]}, "2004", "cmi.interactions.0"),
    ({"interactions": [{"id": {"deep": {"er": {"and": {"deeper": {"still": {"more": {"x": "1"}}}}}}}}]}, "2004",
     "nested too deeply"),
    ({"location": ["p1"]}, "2004", "cmi.location.0"),
    ({"location": object()}, "2004", "cmi.location"),
])
def test_validate_names_the_bad_element(runtime, fam, element):
    with pytest.raises(InvalidInput, match=element.replace(".", r"\.")):
        validate_runtime(runtime, fam=fam, suspend_data_max=100)


# ---------------------------------------------------------------- SCO status rules

MASTERY = {"id": "a", "data": {"masteryscore": "80"}}


@pytest.mark.parametrize("status,raw,overrides,credit,expected", [
    ("passed", None, False, True, ("COMPLETED", "PASSED")),
    ("failed", None, False, True, ("COMPLETED", "FAILED")),
    ("completed", None, False, True, ("COMPLETED", "UNKNOWN")),
    ("incomplete", None, False, True, ("INCOMPLETE", "UNKNOWN")),
    ("browsed", None, False, True, ("INCOMPLETE", "UNKNOWN")),
    ("not attempted", None, False, True, ("UNKNOWN", "UNKNOWN")),
    ("completed", "85", False, True, ("COMPLETED", "PASSED")),  # RTE 1.2 3.4.4: mastery decides
    ("completed", "79", False, True, ("COMPLETED", "FAILED")),
    ("completed", "80", False, True, ("COMPLETED", "PASSED")),  # >= mastery passes
    ("passed", "50", False, True, ("COMPLETED", "PASSED")),  # the SCO's own judgement stands
    ("passed", "50", True, True, ("COMPLETED", "FAILED")),  # PlayerScoreOverridesStatus
    ("incomplete", "50", False, True, ("INCOMPLETE", "UNKNOWN")),
    ("incomplete", "90", True, True, ("COMPLETED", "PASSED")),
    ("completed", "50", True, False, ("COMPLETED", "UNKNOWN")),  # no-credit: no mastery judgement
])
def test_scorm12_status_and_mastery(status, raw, overrides, credit, expected):
    runtime = {"core": {"lesson_status": status, "score": {"raw": raw} if raw else {}}}
    result = scorm12_result(runtime, MASTERY, credit=credit, score_overrides_status=overrides)
    assert (result.completion, result.success) == expected


def test_scorm12_score_is_normalised_by_min_max_else_a_percent():
    def score(**s):
        return scorm12_result({"core": {"score": s}}, {"id": "a"}, credit=True, score_overrides_status=False).score
    assert score(raw="85") == 85 and score(raw="8", min="0", max="10") == 80
    assert score(raw="150") == 100 and score() is None and score(raw="7", max="0") == 7


def test_scorm2004_thresholds_decide():
    runtime = {"completion_status": "incomplete", "progress_measure": "0.9", "success_status": "failed",
               "score": {"scaled": "0.85"}}
    activity = {"id": "a", "scaled_passing_score": 0.8,
                "data": {"completionThreshold": {"completedByMeasure": True, "minProgressMeasure": 0.75}}}
    assert scorm2004_result(runtime, activity, scale_raw=False) == Result("COMPLETED", "PASSED", 85.0, 0.9)
    below = dict(runtime, progress_measure="0.5", score={"scaled": "0.5"}, completion_status="completed",
                 success_status="passed")
    judged = scorm2004_result(below, activity, scale_raw=False)
    assert (judged.completion, judged.success) == ("INCOMPLETE", "FAILED")
    # completedByMeasure false: the threshold is not used (CAM 4th Ed.), the SCO's status stands
    plain = {"id": "a", "data": {"completionThreshold": {"completedByMeasure": False, "minProgressMeasure": 0.75}}}
    assert scorm2004_result(below, plain, scale_raw=False).completion == "COMPLETED"
    assert scorm2004_result(below, plain, scale_raw=False).success == "PASSED"


def test_scorm2004_scale_raw_score_setting():
    runtime = {"score": {"raw": "30", "min": "0", "max": "40"}}
    assert scorm2004_result(runtime, {"id": "a"}, scale_raw=False).score is None
    assert scorm2004_result(runtime, {"id": "a"}, scale_raw=True).score == 75
    assert scorm2004_result({"completion_status": "unknown"}, {"id": "a"}, scale_raw=False).completion == "UNKNOWN"


# ---------------------------------------------------------------- rollup

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def tree(*ids, sequencing=None):
    root = Activity(id="org", title="Org", children=[
        Activity(id=i, title=i, activity_type="SCO", href=f"{i}.html", sequencing=(sequencing or {}).get(i))
        for i in ids])
    return root.to_dict()


def leaf(completion="UNKNOWN", success="UNKNOWN", score=None, minutes=0, attempted=True):
    return Leaf(Result(completion, success, score, 1.0 if completion == "COMPLETED" else None), attempted,
                T0 + timedelta(minutes=minutes) if score is not None else None)


def test_leaf_ids_in_tree_order():
    assert leaf_ids(tree("a", "b", "c")) == ["a", "b", "c"]


def test_scorm12_status_rollup_modes():
    structure = tree("a", "b", "c")
    leaves = {"a": leaf("COMPLETED", "PASSED", 90, 1), "b": leaf("COMPLETED", score=None)}
    assert rollup_scorm12(structure, leaves, {}).completion == "INCOMPLETE"
    assert rollup_scorm12(structure, leaves, {"PlayerStatusRollupModeValue": "COMPLETE_WHEN_THRESHOLD_SCORE_IS_MET",
                                              "PlayerStatusRollupModeThresholdScore": "80",
                                              "PlayerScoreRollupModeValue": "AVERAGE_SCORE_OF_ALL_UNITS_WITH_SCORES"}
                          ).completion == "COMPLETED"
    assert rollup_scorm12(structure, leaves, {"PlayerFirstScoIsPretest": "true"}).completion == "COMPLETED"
    assert rollup_scorm12(structure, {}, {}).completion == "UNKNOWN"  # nothing attempted yet

    done = {"a": leaf("COMPLETED", "PASSED", 90), "b": leaf("COMPLETED", "FAILED", 40), "c": leaf("COMPLETED")}
    assert rollup_scorm12(structure, done, {"PlayerStatusRollupModeValue": "COMPLETE_WHEN_ALL_UNITS_COMPLETE"}
                          ).completion == "COMPLETED"
    not_failed = rollup_scorm12(structure, done, {
        "PlayerStatusRollupModeValue": "COMPLETE_WHEN_ALL_UNITS_COMPLETE_AND_NOT_FAILED",
        "PlayerApplyRollupStatusToSuccess": "true"})
    assert (not_failed.completion, not_failed.success) == ("INCOMPLETE", "FAILED")
    assert rollup_scorm12(structure, done, {"PlayerStatusRollupModeValue": "COMPLETE_WHEN_ALL_UNITS_ARE_PASSED"}
                          ).completion == "INCOMPLETE"
    both = {"PlayerStatusRollupModeValue": "COMPLETE_WHEN_ALL_UNITS_COMPLETE_AND_THRESHOLD_SCORE_IS_MET",
            "PlayerStatusRollupModeThresholdScore": "60",
            "PlayerScoreRollupModeValue": "AVERAGE_SCORE_OF_ALL_UNITS_WITH_SCORES"}
    assert rollup_scorm12(structure, done, both).completion == "COMPLETED"  # (90 + 40) / 2 = 65
    assert rollup_scorm12(structure, done, dict(both, PlayerStatusRollupModeThresholdScore="70")).completion \
        == "INCOMPLETE"
    # without PlayerApplyRollupStatusToSuccess success comes from the units: any failed -> failed
    assert rollup_scorm12(structure, done, {"PlayerStatusRollupModeValue": "COMPLETE_WHEN_ALL_UNITS_COMPLETE"}
                          ).success == "FAILED"
    all_done = {k: leaf("COMPLETED") for k in "abc"}
    applied = rollup_scorm12(structure, all_done, {"PlayerStatusRollupModeValue": "COMPLETE_WHEN_ALL_UNITS_COMPLETE",
                                                   "PlayerApplyRollupStatusToSuccess": "true"})
    assert (applied.completion, applied.success, applied.completion_amount) == ("COMPLETED", "PASSED", 1.0)


@pytest.mark.parametrize("mode,extra,expected", [
    ("SCORE_PROVIDED_BY_COURSE", {}, (90 + 40 + 0) / 4),  # SN RB.1.1: unscored children count 0
    ("AVERAGE_SCORE_OF_ALL_UNITS", {}, (90 + 40 + 0) / 4),
    ("AVERAGE_SCORE_OF_ALL_UNITS_WITH_SCORES", {}, (90 + 40 + 0) / 3),
    ("AVERAGE_SCORE_OF_ALL_UNITS_WITH_NONZERO_SCORES", {}, (90 + 40) / 2),
    ("FIXED_AVERAGE", {"PlayerScoreRollupModeNumberOfScoringObjects": "2"}, (90 + 40 + 0) / 2),
    ("FIXED_AVERAGE", {"PlayerScoreRollupModeNumberOfScoringObjects": "1"}, 100),  # capped at 100
    ("LAST_SCO_SCORE", {}, 40),
])
def test_scorm12_score_rollup_modes(mode, extra, expected):
    structure = tree("a", "b", "c", "d")
    leaves = {"a": leaf("COMPLETED", score=90, minutes=1), "b": leaf("COMPLETED", score=40, minutes=5),
              "c": leaf("COMPLETED", score=0, minutes=2), "d": leaf("INCOMPLETE")}
    result = rollup_scorm12(structure, leaves, {"PlayerScoreRollupModeValue": mode, **extra})
    assert result.score == pytest.approx(expected)
    assert result.completion_amount == 0.75


def test_scorm12_score_rollup_without_any_score_is_unknown():
    for mode in ("AVERAGE_SCORE_OF_ALL_UNITS", "FIXED_AVERAGE", "LAST_SCO_SCORE", "SCORE_PROVIDED_BY_COURSE"):
        assert rollup_scorm12(tree("a", "b"), {"a": leaf("COMPLETED")}, {"PlayerScoreRollupModeValue": mode}).score \
            is None


def test_scorm2004_default_rollup():
    structure = tree("a", "b")
    both = rollup_2004_default(structure, {"a": leaf("COMPLETED", "PASSED", 80), "b": leaf("COMPLETED", "PASSED", 100)})
    assert both == Result("COMPLETED", "PASSED", 90, 1.0)
    one_failed = rollup_2004_default(structure, {"a": leaf("COMPLETED", "FAILED", 10)})
    assert (one_failed.completion, one_failed.success, one_failed.score) == ("INCOMPLETE", "FAILED", 5)
    assert rollup_2004_default(structure, {}) == Result()
    partial = rollup_2004_default(structure, {"a": leaf("COMPLETED", "PASSED")})
    assert (partial.completion, partial.success) == ("INCOMPLETE", "UNKNOWN")


def test_scorm2004_default_rollup_considers_tracked_flags_and_weights():
    seq = {"b": {"deliveryControls": {"tracked": False}},
           "c": {"rollupRules": {"rollupObjectiveSatisfied": False, "rollupProgressCompletion": False,
                                 "objectiveMeasureWeight": 3.0}}}
    structure = tree("a", "b", "c", sequencing=seq)
    leaves = {"a": leaf("COMPLETED", "PASSED", 100), "c": leaf("INCOMPLETE", "FAILED", 0)}
    result = rollup_2004_default(structure, leaves)
    assert (result.completion, result.success) == ("COMPLETED", "PASSED")  # b untracked, c not contributing
    assert result.score == pytest.approx(25)  # (100*1 + 0*3) / 4


def test_scorm2004_empty_contributing_set():
    seq = {"a": {"deliveryControls": {"tracked": False}}}
    structure = tree("a", sequencing=seq)
    structure["children"].append(Activity(id="x", title="x", children=[]).to_dict())
    assert rollup_2004_default(structure, {}, empty_set_unknown=True).completion == "UNKNOWN"
    vacuous = rollup_2004_default(tree("a", sequencing=seq), {}, empty_set_unknown=False)
    assert (vacuous.completion, vacuous.success) == ("COMPLETED", "PASSED")


def test_nested_aggregations_roll_up_recursively():
    root = Activity(id="org", title="Org", children=[
        Activity(id="m1", title="M1", children=[
            Activity(id="a", title="a", activity_type="SCO", href="a.html"),
            Activity(id="b", title="b", activity_type="SCO", href="b.html")]),
        Activity(id="c", title="c", activity_type="SCO", href="c.html")]).to_dict()
    leaves = {"a": leaf("COMPLETED", "PASSED", 100), "b": leaf("COMPLETED", "PASSED", 50),
              "c": leaf("COMPLETED", "PASSED", 0)}
    result = rollup_2004_default(root, leaves)
    assert (result.completion, result.success) == ("COMPLETED", "PASSED")
    assert result.score == pytest.approx((75 + 0) / 2)
