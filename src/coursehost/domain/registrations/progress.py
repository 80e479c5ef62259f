"""GetRegistrationProgress: a registration's results as the RegistrationSchema wire dict."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import ActivityState, Registration, RegistrationInstance
from coursehost.domain.registrations import core
from coursehost.domain.runtime.durations import format_iso
from coursehost.domain.tags import get_tags

_INTERACTION_TYPES = {
    "true-false": "TrueFalse", "choice": "Choice", "fill-in": "FillIn", "long-fill-in": "LongFillIn",
    "likert": "Likert", "matching": "Matching", "performance": "Performance", "sequencing": "Sequencing",
    "numeric": "Numeric", "other": "Other",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _score(value: float | None) -> dict:
    return {} if value is None else {"scaled": round(value, 4)}


def _interactions(rt: dict, scorm12: bool) -> list[dict]:
    out = []
    for item in rt.get("interactions") or []:
        if not isinstance(item, dict):
            continue
        out.append({k: v for k, v in {
            "id": item.get("id") or "", "type": _INTERACTION_TYPES.get(item.get("type") or "", "Other"),
            "timestamp": item.get("time") if scorm12 else item.get("timestamp"),
            "objectives": [o.get("id") for o in item.get("objectives") or [] if isinstance(o, dict)],
            "correctResponses": [c.get("pattern") for c in item.get("correct_responses") or [] if isinstance(c, dict)],
            "weighting": item.get("weighting"), "result": item.get("result"), "latency": item.get("latency"),
            "learnerResponse": item.get("student_response") if scorm12 else item.get("learner_response"),
            "description": item.get("description"),
        }.items() if v not in (None, "")})
    return out


def _runtime(state: ActivityState, scorm12: bool, interactions: bool) -> dict:
    rt = state.runtime or {}
    core_ = rt.get("core") or {} if scorm12 else rt
    score = core_.get("score") or {}
    body = {
        "completionStatus": (core_.get("lesson_status") if scorm12 else rt.get("completion_status")) or "unknown",
        "credit": core_.get("credit") or "credit", "entry": core_.get("entry") or "",
        "exit": core_.get("exit") or "", "location": core_.get("lesson_location") if scorm12 else rt.get("location"),
        "mode": (core_.get("lesson_mode") if scorm12 else rt.get("mode")) or "normal",
        "progressMeasure": rt.get("progress_measure"), "scoreScaled": score.get("scaled"),
        "scoreRaw": score.get("raw"), "scoreMin": score.get("min"), "scoreMax": score.get("max"),
        "totalTime": format_iso(state.total_seconds or 0), "timeTracked": format_iso(state.total_seconds or 0),
        "runtimeSuccessStatus": state.success, "suspendData": rt.get("suspend_data"),
    }
    if interactions:
        body["runtimeInteractions"] = _interactions(rt, scorm12)
    return {k: v for k, v in body.items() if v is not None}


def _activity(node: dict, states: dict[str, ActivityState], scorm12: bool, children: bool, runtime: bool,
              interactions: bool) -> dict:
    state = states.get(node.get("id"))
    body = {
        "id": node.get("id"), "title": node.get("title"), "attempts": state.attempts if state else 0,
        "activityCompletion": state.completion if state else "UNKNOWN",
        "activitySuccess": state.success if state else "UNKNOWN",
        "score": _score(state.score_scaled if state else None),
        "timeTracked": format_iso(state.total_seconds if state else 0),
        "suspended": bool(state and ((state.runtime or {}).get("core", {}) if scorm12 else state.runtime or {})
                          .get("exit") == "suspend"),
    }
    if state is not None and state.completion_amount is not None:
        body["completionAmount"] = {"scaled": state.completion_amount}
    if children:
        body["children"] = [_activity(c, states, scorm12, children, runtime, interactions)
                            for c in node.get("children") or []]
    if runtime and state is not None and not node.get("children"):
        body["runtime"] = _runtime(state, scorm12, interactions)
    return body


def registration_progress(session: Session, *, registration: Registration, instance: RegistrationInstance | None = None,
                          include_child_results: bool = False, include_interactions_and_objectives: bool = False,
                          include_runtime: bool = False) -> dict:
    """The RegistrationSchema dict (camelCase) of REGISTRATION (INSTANCE, or the current one)."""
    inst = instance or core.get_instance(session, registration=registration)
    course, version = core.instance_course(session, inst)
    summary = inst
    learner = registration.learner or {}
    body = {
        "id": registration.registration_id, "instance": inst.instance,
        "xapiRegistrationId": registration.xapi_registration_id, "updated": _iso(registration.updated),
        "registrationCompletion": summary.completion, "registrationSuccess": summary.success,
        "score": _score(summary.score_scaled), "totalSecondsTracked": round(summary.total_seconds or 0, 2),
        "firstAccessDate": _iso(summary.first_access), "lastAccessDate": _iso(summary.last_access),
        "completedDate": _iso(summary.completed_date), "createdDate": _iso(registration.created),
        "course": {"id": course.course_id, "title": version.title or course.title, "version": version.version},
        "learner": {k: v for k, v in {"id": registration.learner_id, "firstName": learner.get("firstName"),
                                      "lastName": learner.get("lastName"), "email": learner.get("email")}.items()
                    if v is not None},
        "tags": get_tags(session, application_pk=registration.application_pk, kind="registration",
                         key=registration.registration_id),
    }
    if summary.completion_amount is not None:
        body["registrationCompletionAmount"] = summary.completion_amount
    if include_child_results or include_runtime or include_interactions_and_objectives:
        states = {s.activity_id: s for s in session.scalars(
            select(ActivityState).where(ActivityState.instance_pk == inst.pk))}
        body["activityDetails"] = _activity(version.structure, states, version.learning_standard == "SCORM12",
                                            include_child_results, include_runtime, include_interactions_and_objectives)
    return {k: v for k, v in body.items() if v is not None}
