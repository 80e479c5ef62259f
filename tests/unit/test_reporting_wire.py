"""The one writer of the reporting shapes' wire form (reporting.wire.to_wire)."""

from __future__ import annotations

from datetime import UTC, datetime

from coursehost.domain.reporting.models import (
    ActivityResult,
    Comment,
    CourseReference,
    LaunchHistory,
    Learner,
    Objective,
    Score,
)
from coursehost.domain.reporting.wire import to_wire


def test_camel_case_in_field_order_and_none_left_out():
    objective = Objective(id="o1", primary=True, score=Score(50.0), score_raw=5.0, objective_success="PASSED")
    assert list(to_wire(objective).items()) == [
        ("id", "o1"), ("primary", True), ("score", {"scaled": 50.0}), ("scoreRaw", 5.0),
        ("objectiveCompletion", "UNKNOWN"), ("objectiveSuccess", "PASSED")]
    assert to_wire(Learner("l1", last_name="Lovelace")) == {"id": "l1", "lastName": "Lovelace"}
    assert to_wire(Score()) == {}  # ScoreSchema of an unknown score


def test_kept_fields_are_written_as_null():
    assert to_wire(CourseReference("c", None, 0)) == {"id": "c", "title": None, "version": 0}
    result = to_wire(ActivityResult(id="a", title=None, attempts=None, time_tracked="PT0S"))
    assert (result["title"], result["attempts"]) == (None, None) and "children" not in result


def test_lists_datetimes_and_wire_dicts():
    when = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    history = to_wire([LaunchHistory(id="x", launch_history_id="x", instance=0, score=Score(),
                                     completion_status="UNKNOWN", success_status="UNKNOWN",
                                     total_seconds_tracked=0.0, launch_time=when)])
    assert history[0]["launchTime"] == "2026-03-01T12:00:00.123Z" and "exitTime" not in history[0]
    given = {"objectiveId": "g", "anything": None}  # a wire dict is written as it is
    assert to_wire([given, Comment("c")]) == [given, {"value": "c"}]
