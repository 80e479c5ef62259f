"""An activity's stored run-time data model (ActivityState.runtime) as the official wire models:
RuntimeSchema, RuntimeInteractionSchema, RuntimeObjectiveSchema and ObjectiveSchema dicts (camelCase).

The stored form (see db/models/registrations.py) keeps the element names of the standard without the
"cmi." prefix: SCORM 1.2 (and AICC, which shares its model) nests most of it under "core" and calls the
learner a "student"; SCORM 2004 is flat. Enumerated wire fields take only the values the official
client's models allow, so a value content invented is reported as UNKNOWN / Other, never passed through.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

SCORM12_MODELS = ("SCORM11", "SCORM12", "AICC")

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


def is_scorm12(learning_standard: str | None) -> bool:
    return (learning_standard or "").upper() in SCORM12_MODELS


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


def _prune(body: dict) -> dict:
    return {k: v for k, v in body.items() if v is not None}


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
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def interaction(item: dict, scorm12: bool) -> dict:
    """One cmi.interactions.n as RuntimeInteractionSchema."""
    timestamp = _s(item.get("time") if scorm12 else item.get("timestamp"))
    result = _s(item.get("result"))
    if result is not None:
        result = _RESULTS.get(result.lower(), result)  # a numeric result stays as given
    return _prune({
        "id": _s(item.get("id")) or "",
        "type": INTERACTION_TYPES.get(str(item.get("type") or "").lower(), "Other"),
        "objectives": [str(o["id"]) for o in _list(item.get("objectives")) if _s(o.get("id"))],
        "timestamp": timestamp,
        "timestampUtc": None if scorm12 else _utc(timestamp),
        "correctResponses": [str(c["pattern"]) for c in _list(item.get("correct_responses"))
                             if c.get("pattern") is not None],
        "weighting": _s(item.get("weighting")),
        "learnerResponse": _s(item.get("student_response") if scorm12 else item.get("learner_response")),
        "result": result,
        "latency": _s(item.get("latency")),
        "description": _s(item.get("description")),
    })


def _objective_statuses(item: dict, scorm12: bool) -> tuple[str, str]:
    """(completion, success) wire words of one cmi.objectives.n."""
    if scorm12:  # SCORM 1.2 RTE 3.4.2.4: one status vocabulary for both
        status = str(item.get("status") or "").lower()
        return _COMPLETION.get(status, "UNKNOWN"), _SUCCESS.get(status, "UNKNOWN")
    completion = _COMPLETION.get(str(item.get("completion_status") or "").lower(), "UNKNOWN")
    if completion not in ("COMPLETED", "INCOMPLETE", "NOT_ATTEMPTED", "BROWSED"):
        completion = "UNKNOWN"
    return completion, _SUCCESS.get(str(item.get("success_status") or "").lower(), "UNKNOWN")


def runtime_objective(item: dict, scorm12: bool) -> dict:
    """One cmi.objectives.n as RuntimeObjectiveSchema."""
    score = _dict(item.get("score"))
    completion, success = _objective_statuses(item, scorm12)
    return _prune({
        "id": _s(item.get("id")) or "",
        "scoreScaled": None if scorm12 else _s(score.get("scaled")),
        "scoreMin": _s(score.get("min")), "scoreMax": _s(score.get("max")), "scoreRaw": _s(score.get("raw")),
        "runtimeObjectiveSuccessStatus": success,
        "runtimeObjectiveCompletionStatus": completion,
        "progressMeasure": None if scorm12 else _s(item.get("progress_measure")),
        "description": None if scorm12 else _s(item.get("description")),
    })


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


def activity_objectives(runtime: dict, scorm12: bool, primary_id: str | None = None) -> list[dict]:
    """The activity's objectives as ObjectiveSchema (the first one is primary when the package names none)."""
    out = []
    for index, item in enumerate(_list(runtime.get("objectives"))):
        score = _dict(item.get("score"))
        completion, success = _objective_statuses(item, scorm12)
        if completion not in ("COMPLETED", "INCOMPLETE"):
            completion = "UNKNOWN"  # ObjectiveSchema allows only these three
        oid = _s(item.get("id")) or ""
        percent = _percent(score, scorm12)
        out.append(_prune({
            "id": oid,
            "primary": oid == primary_id if primary_id else False,
            "score": {"scaled": percent} if percent is not None else None,
            "scoreMax": _float(score.get("max")), "scoreMin": _float(score.get("min")),
            "scoreRaw": _float(score.get("raw")),
            "progressMeasure": None if scorm12 else _float(item.get("progress_measure")),
            "objectiveCompletion": completion, "objectiveSuccess": success,
        }))
    return out


def _comments(value: Any, scorm12: bool) -> list[dict]:
    if scorm12:  # SCORM 1.2: cmi.comments / cmi.comments_from_lms are single strings
        return [{"value": value}] if isinstance(value, str) and value else []
    return [_prune({"value": _s(c.get("comment")), "location": _s(c.get("location")),
                    "dateTime": _s(c.get("timestamp"))}) for c in _list(value)]


def _preference(runtime: dict, scorm12: bool) -> dict | None:
    if scorm12:  # SCORM 1.2 RTE 3.4.2.8 cmi.student_preference: audio -1..100, speed -100..100, text -1..1
        pref = _dict(runtime.get("student_preference"))
        audio, speed, text = _float(pref.get("audio")), _float(pref.get("speed")), _float(pref.get("text"))
        body = _prune({"audioLevel": audio, "language": _s(pref.get("language")), "deliverySpeed": speed,
                       "audioCaptioning": int(text) if text is not None else None})
    else:
        pref = _dict(runtime.get("learner_preference"))
        captioning = _float(pref.get("audio_captioning"))
        body = _prune({"audioLevel": _float(pref.get("audio_level")), "language": _s(pref.get("language")),
                       "deliverySpeed": _float(pref.get("delivery_speed")),
                       "audioCaptioning": int(captioning) if captioning is not None else None})
    return body or None


def runtime_body(runtime: dict | None, scorm12: bool, *, time_tracked: str, success: str,
                 interactions_and_objectives: bool) -> dict:
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
    body = {
        "completionStatus": completion,
        "credit": _s(core.get("credit")) or "credit",
        "entry": _s(core.get("entry")) or "",
        "exit": _s(core.get("exit")) or "",
        "learnerPreference": _preference(rt, scorm12),
        "location": _s(core.get("lesson_location") if scorm12 else rt.get("location")),
        "mode": _s(core.get("lesson_mode") if scorm12 else rt.get("mode")) or "normal",
        "progressMeasure": None if scorm12 else _s(rt.get("progress_measure")),
        "scoreScaled": None if scorm12 else _s(score.get("scaled")),
        "scoreRaw": _s(score.get("raw")), "scoreMin": _s(score.get("min")), "scoreMax": _s(score.get("max")),
        "totalTime": _s(core.get("total_time")) or time_tracked,
        "timeTracked": time_tracked,
        "runtimeSuccessStatus": runtime_success,
        "suspendData": _s(rt.get("suspend_data")),
        "learnerComments": _comments(rt.get("comments") if scorm12 else rt.get("comments_from_learner"), scorm12),
        "lmsComments": _comments(rt.get("comments_from_lms"), scorm12),
    }
    if interactions_and_objectives:
        body["runtimeInteractions"] = [interaction(i, scorm12) for i in _list(rt.get("interactions"))]
        body["runtimeObjectives"] = [runtime_objective(o, scorm12) for o in _list(rt.get("objectives"))]
    return _prune(body)


def is_suspended(runtime: dict | None, scorm12: bool) -> bool:
    """The SCO exited with "suspend" (SCORM 1.2 cmi.core.exit, SCORM 2004 cmi.exit)."""
    rt = _dict(runtime)
    core = _dict(rt.get("core")) if scorm12 else rt
    return str(core.get("exit") or "").lower() == "suspend"
