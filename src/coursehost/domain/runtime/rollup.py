"""Results: one activity's status from its run-time data, and the rollup to instance and registration.

SCORM 1.2 (RTE 3.4.4 cmi.core.lesson_status, mastery score) and SCORM 2004 (RTE 4.2.4.1 completion
threshold, 4.2.22.1 scaled passing score) per activity; multi-SCO courses by the Player*Rollup*
settings. SCORM 2004 multi-SCO courses use the SN default rollup here until the sequencing engine
replaces `rollup_2004_default`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import ActivityState

SETTINGS = [
    "PlayerStatusRollupModeValue", "PlayerStatusRollupModeThresholdScore", "PlayerScoreRollupModeValue",
    "PlayerScoreRollupModeNumberOfScoringObjects", "PlayerApplyRollupStatusToSuccess",
    "PlayerRollupEmptySetToUnknown", "PlayerFirstScoIsPretest", "PlayerAllowCompleteStatusChange",
]
_STATUS_12 = {
    "passed": ("COMPLETED", "PASSED"), "failed": ("COMPLETED", "FAILED"), "completed": ("COMPLETED", "UNKNOWN"),
    "incomplete": ("INCOMPLETE", "UNKNOWN"), "browsed": ("INCOMPLETE", "UNKNOWN"),
}


def _num(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _leaves(node: dict) -> list[dict]:
    children = node.get("children") or []
    if not children:
        return [node] if node.get("href") or node.get("activity_type") != "aggregation" else []
    out: list[dict] = []
    for child in children:
        out.extend(_leaves(child))
    return out


def summarize_activity(state: ActivityState, activity: dict, fam: str, settings: dict) -> None:
    """Set STATE's completion, success and score (percent) from its run-time data."""
    rt = state.runtime or {}
    if fam == "scorm12":
        core = rt.get("core") or {}
        completion, success = _STATUS_12.get(core.get("lesson_status") or "", ("INCOMPLETE", "UNKNOWN"))
        score = core.get("score") or {}
        raw, low, high = _num(score.get("raw")), _num(score.get("min")), _num(score.get("max"))
        scaled = raw
        if raw is not None and settings.get("PlayerScaleRawScore") == "true" and high not in (None, 0) \
                and (high - (low or 0)) > 0:
            scaled = (raw - (low or 0)) / (high - (low or 0)) * 100
        mastery = _num((activity.get("data") or {}).get("masteryscore"))
        overrides = settings.get("PlayerScoreOverridesStatus") == "true"
        # RTE 1.2 3.4.4: with a mastery score and a score, the LMS decides passed / failed.
        if mastery is not None and raw is not None and (overrides or core.get("lesson_status") == "completed"):
            completion, success = "COMPLETED", ("PASSED" if raw >= mastery else "FAILED")
    else:
        status = rt.get("completion_status") or ""
        completion = {"completed": "COMPLETED", "incomplete": "INCOMPLETE"}.get(status, "INCOMPLETE")
        threshold = (activity.get("data") or {}).get("completionThreshold") or {}
        min_measure = _num(threshold.get("minProgressMeasure")) if isinstance(threshold, dict) else None
        measure = _num(rt.get("progress_measure"))
        if min_measure is not None and measure is not None:  # RTE 4.2.4.1
            completion = "COMPLETED" if measure >= min_measure else "INCOMPLETE"
        success = {"passed": "PASSED", "failed": "FAILED"}.get(rt.get("success_status") or "", "UNKNOWN")
        scaled_score = _num((rt.get("score") or {}).get("scaled"))
        passing = _num(activity.get("scaled_passing_score"))
        if passing is not None and scaled_score is not None:  # RTE 4.2.22.1
            success = "PASSED" if scaled_score >= passing else "FAILED"
        scaled = None if scaled_score is None else scaled_score * 100
        state.completion_amount = measure
    if settings.get("PlayerAllowCompleteStatusChange") == "false" and state.completion == "COMPLETED":
        completion = "COMPLETED"
    state.completion, state.success = completion, success
    state.score_scaled = scaled if scaled is None or fam == "scorm12" else max(0.0, min(100.0, scaled))


def roll_up(session: Session, *, registration, instance, version, settings: dict, now: datetime) -> None:
    """Instance results from its activities; the registration mirrors its current instance."""
    leaves = _leaves(version.structure)
    states = {s.activity_id: s for s in session.scalars(
        select(ActivityState).where(ActivityState.instance_pk == instance.pk))}
    rows = [(leaf, states.get(leaf["id"])) for leaf in leaves]
    if len(leaves) <= 1:
        state = rows[0][1] if rows else None
        completion = state.completion if state else "UNKNOWN"
        success = state.success if state else "UNKNOWN"
        score = state.score_scaled if state else None
    elif version.learning_standard == "SCORM12":
        completion, success, score = rollup_12(rows, settings)
    else:
        completion, success, score = rollup_2004_default(rows)
    if settings.get("PlayerAllowCompleteStatusChange") == "false" and instance.completion == "COMPLETED":
        completion = "COMPLETED"
    total = sum((s.total_seconds or 0.0) for s in states.values())
    done = sum(1 for _, s in rows if s is not None and s.completion == "COMPLETED")
    amount = (done / len(rows)) if rows else None
    for obj in (instance, registration):
        obj.completion, obj.success, obj.score_scaled, obj.total_seconds = completion, success, score, total
        obj.completion_amount = 1.0 if completion == "COMPLETED" else amount
        obj.last_access = now
        if completion == "COMPLETED" and obj.completed_date is None:
            obj.completed_date = now
    registration.updated = now


def rollup_12(rows: list[tuple[dict, ActivityState | None]], settings: dict) -> tuple[str, str, float | None]:
    """Multi-SCO SCORM 1.2 rollup by PlayerStatusRollupModeValue and PlayerScoreRollupModeValue."""
    states = [s for _, s in rows]
    scores = [s.score_scaled for s in states if s is not None and s.score_scaled is not None]
    mode = settings.get("PlayerScoreRollupModeValue") or "SCORE_PROVIDED_BY_COURSE"
    if not scores and mode != "FIXED_AVERAGE":
        score = None
    elif mode == "AVERAGE_SCORE_OF_ALL_UNITS":
        score = sum(scores) / len(states)
    elif mode == "FIXED_AVERAGE":
        divisor = int(_num(settings.get("PlayerScoreRollupModeNumberOfScoringObjects")) or len(states) or 1)
        score = sum(scores) / max(1, divisor) if scores else None
    elif mode == "AVERAGE_SCORE_OF_ALL_UNITS_WITH_NONZERO_SCORES":
        nonzero = [s for s in scores if s]
        score = sum(nonzero) / len(nonzero) if nonzero else None
    elif mode == "LAST_SCO_SCORE":
        last = max((s for s in states if s is not None and s.score_scaled is not None), key=lambda s: s.updated)
        score = last.score_scaled
    else:  # SCORE_PROVIDED_BY_COURSE and AVERAGE_SCORE_OF_ALL_UNITS_WITH_SCORES
        score = sum(scores) / len(scores)
    complete = [s is not None and s.completion == "COMPLETED" for s in states]
    failed = any(s is not None and s.success == "FAILED" for s in states)
    passed = [s is not None and s.success == "PASSED" for s in states]
    threshold = _num(settings.get("PlayerStatusRollupModeThresholdScore")) or 0.0
    status_mode = settings.get("PlayerStatusRollupModeValue") or "STATUS_PROVIDED_BY_COURSE"
    done = {
        "COMPLETE_WHEN_ALL_UNITS_COMPLETE_AND_NOT_FAILED": all(complete) and not failed,
        "COMPLETE_WHEN_THRESHOLD_SCORE_IS_MET": score is not None and score >= threshold,
        "COMPLETE_WHEN_ALL_UNITS_COMPLETE_AND_THRESHOLD_SCORE_IS_MET":
            all(complete) and score is not None and score >= threshold,
        "COMPLETE_WHEN_ALL_UNITS_ARE_PASSED": all(passed),
    }.get(status_mode, all(complete))
    if settings.get("PlayerFirstScoIsPretest") == "true" and states and states[0] is not None \
            and states[0].success == "PASSED":
        done = True
    started = any(s is not None for s in states)
    completion = "COMPLETED" if done else ("INCOMPLETE" if started else "UNKNOWN")
    if failed:
        success = "FAILED"
    elif all(passed) or (done and settings.get("PlayerApplyRollupStatusToSuccess") == "true"):
        success = "PASSED"
    else:
        success = "UNKNOWN"
    return completion, success, score


def rollup_2004_default(rows: list[tuple[dict, ActivityState | None]]) -> tuple[str, str, float | None]:
    """SN 4.6 default rollup (no rollup rules): completed when all children are completed;
    satisfied when all are satisfied, not satisfied when any is not; the measure is the average."""
    states = [s for _, s in rows]
    started = any(s is not None for s in states)
    completion = ("COMPLETED" if all(s is not None and s.completion == "COMPLETED" for s in states)
                  else "INCOMPLETE" if started else "UNKNOWN")
    if any(s is not None and s.success == "FAILED" for s in states):
        success = "FAILED"
    elif all(s is not None and s.success == "PASSED" for s in states):
        success = "PASSED"
    else:
        success = "UNKNOWN"
    scores = [s.score_scaled for s in states if s is not None and s.score_scaled is not None]
    return completion, success, (sum(scores) / len(scores) if scores else None)
