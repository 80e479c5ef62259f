"""An activity's stored run-time data model (ActivityState.runtime) as the official client's models:
RuntimeDetail, RuntimeInteraction, RuntimeObjective and Objective shapes (see models).

The stored form (see db/models/registrations.py) keeps the element names of the standard without the
"cmi." prefix: SCORM 1.2 (and AICC, which shares its model) nests most of it under "core" and calls the
learner a "student"; SCORM 2004 is flat. Enumerated wire fields take only the values the official
client's models allow, so a value content invented is reported as UNKNOWN / Other, never passed through.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from coursehost.domain.reporting.models import (
    Comment,
    LearnerPreference,
    Objective,
    RuntimeDetail,
    RuntimeInteraction,
    RuntimeObjective,
    Score,
)
from coursehost.domain.scorm.durations import format_iso, parse_iso

# SCORM 1.2 RTE 3.4.2.5 cmi.interactions.n.type / SCORM 2004 RTE 4.2.9.1 -> RuntimeInteractionSchema.type
INTERACTION_TYPES = {
    "true-false": "TrueFalse", "choice": "Choice", "fill-in": "FillIn", "long-fill-in": "LongFillIn",
    "likert": "Likert", "matching": "Matching", "performance": "Performance", "sequencing": "Sequencing",
    "numeric": "Numeric", "other": "Other",
}
# SCORM 1.2 says "wrong" where SCORM 2004 says "incorrect"; the wire uses the 2004 words.
_RESULTS = {"correct": "correct", "wrong": "incorrect", "incorrect": "incorrect",
            "unanticipated": "unanticipated", "neutral": "neutral"}
_SUCCESS = {"passed": "PASSED", "failed": "FAILED"}
_COMPLETION = {"completed": "COMPLETED", "incomplete": "INCOMPLETE", "not attempted": "NOT_ATTEMPTED",
               "not_attempted": "NOT_ATTEMPTED", "browsed": "BROWSED",
               "passed": "COMPLETED", "failed": "COMPLETED"}  # 1.2 lesson_status passed/failed imply completion


def _s(value: Any) -> str | None:
    """A wire string, or None for absent / empty values."""
    if value is None or value == "" or isinstance(value, (dict, list)):
        return None
    return str(value)


def _float(value: Any) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result == result and abs(result) != float("inf") else None


def _list(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _utc(timestamp: str | None) -> str | None:
    """A SCORM 2004 time(second,10,0) in UTC when it carries a zone (RTE 4.1.1.6), else None."""
    if not timestamp:
        return None
    text = timestamp.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def interaction(item: dict, scorm12: bool) -> RuntimeInteraction:
    """One cmi.interactions.n as RuntimeInteractionSchema."""
    timestamp = _s(item.get("time") if scorm12 else item.get("timestamp"))
    result = _s(item.get("result"))
    if result is not None:
        result = _RESULTS.get(result.lower(), result)  # a numeric result stays as given
    return RuntimeInteraction(
        id=_s(item.get("id")) or "",
        type=INTERACTION_TYPES.get(str(item.get("type") or "").lower(), "Other"),
        objectives=[str(o["id"]) for o in _list(item.get("objectives")) if _s(o.get("id"))],
        timestamp=timestamp,
        timestamp_utc=None if scorm12 else _utc(timestamp),
        correct_responses=[str(c["pattern"]) for c in _list(item.get("correct_responses"))
                           if c.get("pattern") is not None],
        weighting=_s(item.get("weighting")),
        learner_response=_s(item.get("student_response") if scorm12 else item.get("learner_response")),
        result=result,
        latency=_s(item.get("latency")),
        description=_s(item.get("description")),
    )


def _objective_statuses(item: dict, scorm12: bool) -> tuple[str, str]:
    """(completion, success) wire words of one cmi.objectives.n."""
    if scorm12:  # SCORM 1.2 RTE 3.4.2.4: one status vocabulary for both
        status = str(item.get("status") or "").lower()
        return _COMPLETION.get(status, "UNKNOWN"), _SUCCESS.get(status, "UNKNOWN")
    completion = _COMPLETION.get(str(item.get("completion_status") or "").lower(), "UNKNOWN")
    if completion not in ("COMPLETED", "INCOMPLETE", "NOT_ATTEMPTED", "BROWSED"):
        completion = "UNKNOWN"
    return completion, _SUCCESS.get(str(item.get("success_status") or "").lower(), "UNKNOWN")


def runtime_objective(item: dict, scorm12: bool) -> RuntimeObjective:
    """One cmi.objectives.n as RuntimeObjectiveSchema."""
    score = _dict(item.get("score"))
    completion, success = _objective_statuses(item, scorm12)
    return RuntimeObjective(
        id=_s(item.get("id")) or "",
        score_scaled=None if scorm12 else _s(score.get("scaled")),
        score_min=_s(score.get("min")), score_max=_s(score.get("max")), score_raw=_s(score.get("raw")),
        runtime_objective_success_status=success,
        runtime_objective_completion_status=completion,
        progress_measure=None if scorm12 else _s(item.get("progress_measure")),
        description=None if scorm12 else _s(item.get("description")),
    )


def _percent(score: dict, scorm12: bool) -> float | None:
    """ScoreSchema.scaled (a percentage) of a run-time score element."""
    if not scorm12:
        scaled = _float(score.get("scaled"))
        return None if scaled is None else round(scaled * 100, 4)
    raw, low, high = _float(score.get("raw")), _float(score.get("min")), _float(score.get("max"))
    if raw is None:
        return None
    if high is not None and high != (low or 0.0):  # SCORM 1.2 raw is 0..100 unless the SCO says otherwise
        return round((raw - (low or 0.0)) / (high - (low or 0.0)) * 100, 4)
    return round(raw, 4)


def activity_objectives(runtime: dict, scorm12: bool, primary_id: str | None = None) -> list[Objective]:
    """The activity's objectives as ObjectiveSchema (the first one is primary when the package names none)."""
    out = []
    for item in _list(runtime.get("objectives")):
        score = _dict(item.get("score"))
        completion, success = _objective_statuses(item, scorm12)
        if completion not in ("COMPLETED", "INCOMPLETE"):
            completion = "UNKNOWN"  # ObjectiveSchema allows only these three
        oid = _s(item.get("id")) or ""
        percent = _percent(score, scorm12)
        out.append(Objective(
            id=oid,
            primary=oid == primary_id if primary_id else False,
            score=Score(percent) if percent is not None else None,
            score_max=_float(score.get("max")), score_min=_float(score.get("min")),
            score_raw=_float(score.get("raw")),
            progress_measure=None if scorm12 else _float(item.get("progress_measure")),
            objective_completion=completion, objective_success=success,
        ))
    return out


def _comments(value: Any, scorm12: bool) -> list[Comment]:
    if scorm12:  # SCORM 1.2: cmi.comments / cmi.comments_from_lms are single strings
        return [Comment(value)] if isinstance(value, str) and value else []
    return [Comment(_s(c.get("comment")), _s(c.get("location")), _s(c.get("timestamp"))) for c in _list(value)]


def _preference(runtime: dict, scorm12: bool) -> LearnerPreference | None:
    if scorm12:  # SCORM 1.2 RTE 3.4.2.8 cmi.student_preference: audio -1..100, speed -100..100, text -1..1
        pref = _dict(runtime.get("student_preference"))
        audio, speed, text = _float(pref.get("audio")), _float(pref.get("speed")), _float(pref.get("text"))
        body = LearnerPreference(audio_level=audio, language=_s(pref.get("language")), delivery_speed=speed,
                                 audio_captioning=int(text) if text is not None else None)
    else:
        pref = _dict(runtime.get("learner_preference"))
        captioning = _float(pref.get("audio_captioning"))
        body = LearnerPreference(audio_level=_float(pref.get("audio_level")), language=_s(pref.get("language")),
                                 delivery_speed=_float(pref.get("delivery_speed")),
                                 audio_captioning=int(captioning) if captioning is not None else None)
    return body if body != LearnerPreference() else None


def _total_time_2004(rt: dict) -> str | None:
    """SCORM 2004 cmi.total_time as the next launch gets it (RTE 4.2.26: the sessions of the current
    attempt): the stored runtime is the SCO's data model, whose cmi.total_time is the value loaded at
    launch, so this session's cmi.session_time is added to it. None when it is not a duration."""
    at_launch = parse_iso(_s(rt.get("total_time")))
    if at_launch is None:
        return None
    return format_iso(at_launch + (parse_iso(_s(rt.get("session_time"))) or 0.0))


def runtime_detail(runtime: dict | None, scorm12: bool, *, time_tracked: str, success: str,
                   interactions_and_objectives: bool) -> RuntimeDetail:
    """RuntimeSchema of one activity's stored data model."""
    rt = _dict(runtime)
    core = _dict(rt.get("core")) if scorm12 else rt
    score = _dict(core.get("score"))
    if scorm12:
        status = str(core.get("lesson_status") or "").lower()
        completion = {"passed": "completed", "failed": "completed"}.get(status, status) or "unknown"
        runtime_success = _SUCCESS.get(status, success if success in ("PASSED", "FAILED") else "UNKNOWN")
    else:
        completion = _s(rt.get("completion_status")) or "unknown"
        runtime_success = _SUCCESS.get(str(rt.get("success_status") or "").lower(), "UNKNOWN")
    detail = RuntimeDetail(
        completion_status=completion,
        credit=_s(core.get("credit")) or "credit",
        entry=_s(core.get("entry")) or "",
        exit=_s(core.get("exit")) or "",
        learner_preference=_preference(rt, scorm12),
        location=_s(core.get("lesson_location") if scorm12 else rt.get("location")),
        mode=_s(core.get("lesson_mode") if scorm12 else rt.get("mode")) or "normal",
        progress_measure=None if scorm12 else _s(rt.get("progress_measure")),
        score_scaled=None if scorm12 else _s(score.get("scaled")),
        score_raw=_s(score.get("raw")), score_min=_s(score.get("min")), score_max=_s(score.get("max")),
        total_time=(_s(core.get("total_time")) if scorm12 else _total_time_2004(rt)) or time_tracked,
        time_tracked=time_tracked,
        runtime_success_status=runtime_success,
        suspend_data=_s(rt.get("suspend_data")),
        learner_comments=_comments(rt.get("comments") if scorm12 else rt.get("comments_from_learner"), scorm12),
        lms_comments=_comments(rt.get("comments_from_lms"), scorm12),
    )
    if interactions_and_objectives:
        detail.runtime_interactions = [interaction(i, scorm12) for i in _list(rt.get("interactions"))]
        detail.runtime_objectives = [runtime_objective(o, scorm12) for o in _list(rt.get("objectives"))]
    return detail


def is_suspended(runtime: dict | None, scorm12: bool) -> bool:
    """The SCO exited with "suspend" (SCORM 1.2 cmi.core.exit, SCORM 2004 cmi.exit)."""
    rt = _dict(runtime)
    core = _dict(rt.get("core")) if scorm12 else rt
    return str(core.get("exit") or "").lower() == "suspend"
