"""GetRegistrationProgress: a registration's results as the RegistrationSchema wire dict (camelCase).

Also the body of postbacks (domain/postbacks), so it is plain data built from the database only.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import ActivityState, Registration, RegistrationInstance
from coursehost.domain.registrations import core
from coursehost.domain.registrations.runtime_wire import (
    activity_objectives, is_scorm12, is_suspended, runtime_body,
)
from coursehost.domain.runtime.durations import format_iso
from coursehost.domain.tags import get_tags

_WIRE_SUCCESS = ("UNKNOWN", "PASSED", "FAILED")
_WIRE_COMPLETION = ("UNKNOWN", "COMPLETED", "INCOMPLETE")


def iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with milliseconds and a Z, as every other API v2 timestamp is written."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _score(value: float | None) -> dict:
    return {} if value is None else {"scaled": round(value, 4)}


def _word(value: str | None, allowed: tuple[str, ...]) -> str:
    word = (value or "UNKNOWN").upper()
    return word if word in allowed else "UNKNOWN"


class _Tree:
    """What building one activityDetails tree needs, gathered once."""

    def __init__(self, states: dict[str, ActivityState], scorm12: bool, children: bool, runtime: bool,
                 interactions: bool, instance: RegistrationInstance):
        self.states, self.scorm12, self.instance = states, scorm12, instance
        self.children, self.runtime, self.interactions = children, runtime, interactions


def _primary_objective(node: dict) -> str | None:
    seq = node.get("sequencing") if isinstance(node.get("sequencing"), dict) else {}
    primary = (seq.get("objectives") or {}).get("primaryObjective") or {}
    return primary.get("objectiveID") if isinstance(primary, dict) else None


def _static_properties(node: dict) -> dict:
    """StaticPropertiesSchema from the package's own data for the activity."""
    data = node.get("data") or {}
    threshold = data.get("completionThreshold")
    if isinstance(threshold, dict):
        threshold = threshold.get("minProgressMeasure") if threshold.get("completedByMeasure") else None
    passing = node.get("scaled_passing_score")
    body = {
        "completionThreshold": None if threshold is None else str(threshold),
        "launchData": data.get("datafromlms") or data.get("dataFromLMS"),
        "maxTimeAllowed": data.get("maxtimeallowed") or data.get("max_time_allowed"),
        "scaledPassingScore": passing,
        "scaledPassingScoreUsed": passing is not None,
        "timeLimitAction": data.get("timelimitaction") or data.get("timeLimitAction"),
    }
    return {k: v for k, v in body.items() if v is not None}


def _summary(node: dict, tree: _Tree, root: bool) -> dict:
    """attempts / completion / success / score / seconds / amount of NODE.

    Leaves (and clusters the sequencer tracks) have their own state. The root without one shows the
    registration's rolled-up result; a cluster without one sums up its children."""
    state = tree.states.get(node.get("id"))
    if state is not None:
        return {"attempts": state.attempts, "completion": state.completion, "success": state.success,
                "score": state.score_scaled, "seconds": state.total_seconds or 0, "amount": state.completion_amount,
                "suspended": is_suspended(state.runtime, tree.scorm12)}
    if root:
        inst = tree.instance
        return {"attempts": 1 if inst.first_access else 0, "completion": inst.completion, "success": inst.success,
                "score": inst.score_scaled, "seconds": inst.total_seconds or 0, "amount": inst.completion_amount,
                "suspended": False}
    parts = [_summary(child, tree, False) for child in node.get("children") or []]
    tried = [p for p in parts if p["attempts"]]
    completion = None
    if tried:
        done = all((p["completion"] or "").upper() == "COMPLETED" for p in parts)
        completion = "COMPLETED" if done else "INCOMPLETE"
    return {"attempts": 1 if tried else 0, "completion": completion, "success": None, "score": None,
            "seconds": sum(p["seconds"] for p in parts), "amount": None, "suspended": False}


def _activity(node: dict, tree: _Tree, root: bool = False) -> dict:
    """ActivityResultSchema of NODE (an Activity dict of CourseVersion.structure) and its state."""
    state = tree.states.get(node.get("id"))
    is_leaf = not node.get("children")
    summary = _summary(node, tree, root)
    body: dict[str, Any] = {
        "id": node.get("id"), "title": node.get("title"),
        "attempts": summary["attempts"],
        "activityCompletion": _word(summary["completion"], _WIRE_COMPLETION),
        "activitySuccess": _word(summary["success"], _WIRE_SUCCESS),
        "score": _score(summary["score"]),
        "timeTracked": format_iso(summary["seconds"]),
        "suspended": bool(summary["suspended"]),
    }
    if summary["amount"] is not None:
        body["completionAmount"] = {"scaled": summary["amount"]}
    if tree.children and not is_leaf:
        body["children"] = [_activity(child, tree) for child in node.get("children") or []]
    if tree.interactions and state is not None and is_leaf:
        body["objectives"] = activity_objectives(state.runtime or {}, tree.scorm12, _primary_objective(node))
    if tree.runtime and is_leaf:
        body["staticProperties"] = _static_properties(node)
        body["runtime"] = runtime_body(
            state.runtime if state else {}, tree.scorm12, time_tracked=body["timeTracked"],
            success=body["activitySuccess"], interactions_and_objectives=tree.interactions)
    return body


def _global_objective(item: dict) -> dict | None:
    """ObjectiveSchema of one shared global objective as the sequencer stores it.

    Accepts the wire shape itself, or the sequencer's {"id", "satisfied", "measure", "completed",
    "progressMeasure", "raw", "min", "max"} (SCORM 2004 SN 4.2.1 objective progress information)."""
    oid = item.get("id") or item.get("objectiveId")
    if not isinstance(oid, str):
        return None
    if "objectiveSuccess" in item or "objectiveCompletion" in item:
        out = {k: v for k, v in item.items() if v is not None}
        out["id"] = oid
        out["objectiveSuccess"] = _word(out.get("objectiveSuccess"), _WIRE_SUCCESS)
        out["objectiveCompletion"] = _word(out.get("objectiveCompletion"), _WIRE_COMPLETION)
        return out
    satisfied, completed, measure = item.get("satisfied"), item.get("completed"), item.get("measure")
    body = {
        "id": oid, "primary": False,
        "score": {"scaled": round(float(measure) * 100, 4)} if isinstance(measure, (int, float)) else None,
        "scoreRaw": item.get("raw"), "scoreMin": item.get("min"), "scoreMax": item.get("max"),
        "progressMeasure": item.get("progressMeasure"),
        "objectiveSuccess": "UNKNOWN" if satisfied is None else ("PASSED" if satisfied else "FAILED"),
        "objectiveCompletion": "UNKNOWN" if completed is None else ("COMPLETED" if completed else "INCOMPLETE"),
    }
    return {k: v for k, v in body.items() if v is not None}


def _registration_state(state: dict | None) -> dict:
    """globalObjectives and sharedData of an instance's registration-wide state, when there are any."""
    state = state if isinstance(state, dict) else {}
    out: dict[str, Any] = {}
    raw_objectives = state.get("globalObjectives")
    if isinstance(raw_objectives, dict):  # {id: {...}}
        raw_objectives = [{"id": k, **v} for k, v in raw_objectives.items() if isinstance(v, dict)]
    objectives = [o for o in (_global_objective(i) for i in raw_objectives or [] if isinstance(i, dict)) if o]
    if objectives:
        out["globalObjectives"] = objectives
    shared = state.get("sharedData")
    if isinstance(shared, dict):
        shared = [{"id": k, "value": v} for k, v in shared.items()]
    entries = [{"id": str(e["id"]), "value": "" if e.get("value") is None else str(e.get("value"))}
               for e in shared or [] if isinstance(e, dict) and e.get("id") is not None]
    if entries:
        out["sharedData"] = entries
    return out


def registration_progress(session: Session, *, registration: Registration, instance: RegistrationInstance | None = None,
                          include_child_results: bool = False, include_interactions_and_objectives: bool = False,
                          include_runtime: bool = False) -> dict:
    """The RegistrationSchema dict (camelCase) of REGISTRATION (INSTANCE, or the current one)."""
    inst = instance or core.get_instance(session, registration=registration)
    course, version = core.instance_course(session, inst)
    learner = registration.learner or {}
    body: dict[str, Any] = {
        "id": registration.registration_id, "instance": inst.instance,
        "xapiRegistrationId": registration.xapi_registration_id,
        "updated": iso(max(registration.updated, inst.updated) if registration.updated and inst.updated
                       else registration.updated),
        "registrationCompletion": _word(inst.completion, _WIRE_COMPLETION),
        "registrationCompletionAmount": inst.completion_amount,
        "registrationSuccess": _word(inst.success, _WIRE_SUCCESS),
        "score": _score(inst.score_scaled), "totalSecondsTracked": round(inst.total_seconds or 0, 2),
        "firstAccessDate": iso(inst.first_access), "lastAccessDate": iso(inst.last_access),
        "completedDate": iso(inst.completed_date), "createdDate": iso(registration.created),
        "course": {"id": course.course_id, "title": version.title or course.title, "version": version.version},
        "learner": {k: v for k, v in {"id": registration.learner_id, "firstName": learner.get("firstName"),
                                      "lastName": learner.get("lastName"), "email": learner.get("email")}.items()
                    if v is not None},
        "tags": get_tags(session, application_pk=registration.application_pk, kind="registration",
                         key=registration.registration_id),
        "suspendedActivityId": registration.suspended_activity_id if inst.instance == registration.instance else None,
        **_registration_state(inst.state),
    }
    if include_child_results or include_runtime or include_interactions_and_objectives:
        states = {s.activity_id: s for s in session.scalars(
            select(ActivityState).where(ActivityState.instance_pk == inst.pk))}
        tree = _Tree(states, is_scorm12(version.learning_standard), include_child_results, include_runtime,
                     include_interactions_and_objectives, inst)
        body["activityDetails"] = _activity(version.structure, tree, root=True)
    return {k: v for k, v in body.items() if v is not None}
