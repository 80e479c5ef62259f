"""GetRegistrationProgress: a registration's results as a RegistrationProgress shape (RegistrationSchema).

Also the body of postbacks (domain/postbacks), so it is plain data built from the database only.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import ActivityState, Registration, RegistrationInstance
from coursehost.domain.courses import aicc_script
from coursehost.domain.registrations import core
from coursehost.domain.reporting import cmi5_rollup
from coursehost.domain.reporting.models import (
    ActivityResult,
    CompletionAmount,
    CourseReference,
    GlobalObjective,
    Learner,
    RegistrationProgress,
    Score,
    SharedDataEntry,
    StaticProperties,
)
from coursehost.domain.reporting.runtime_detail import activity_objectives, is_suspended, runtime_detail
from coursehost.domain.scorm.durations import format_iso
from coursehost.domain.scorm.status import COMPLETIONS, SUCCESSES
from coursehost.domain.standards import LearningStandard, RuntimeFamily, family
from coursehost.domain.tags import get_tags


def _score(value: float | None) -> Score:
    return Score(None if value is None else round(value, 4))


def _word(value: str | None, allowed: tuple[str, ...]) -> str:
    word = (value or "UNKNOWN").upper()
    return word if word in allowed else "UNKNOWN"


class _Tree:
    """What building one activityDetails tree needs, gathered once."""

    def __init__(self, states: dict[str, ActivityState], scorm12: bool, children: bool, runtime: bool,
                 interactions: bool, instance: RegistrationInstance, cmi5: bool = False):
        self.states, self.scorm12, self.instance, self.cmi5 = states, scorm12, instance, cmi5
        self.children, self.runtime, self.interactions = children, runtime, interactions


def _primary_objective(node: dict) -> str | None:
    seq = node.get("sequencing") if isinstance(node.get("sequencing"), dict) else {}
    primary = (seq.get("objectives") or {}).get("primaryObjective") or {}
    return primary.get("objectiveID") if isinstance(primary, dict) else None


def _static_properties(node: dict) -> StaticProperties:
    """StaticPropertiesSchema from the package's own data for the activity."""
    data = node.get("data") or {}
    threshold = data.get("completionThreshold")
    if isinstance(threshold, dict):
        threshold = threshold.get("minProgressMeasure") if threshold.get("completedByMeasure") else None
    passing = node.get("scaled_passing_score")
    return StaticProperties(
        completion_threshold=None if threshold is None else str(threshold),
        launch_data=data.get("datafromlms") or data.get("dataFromLMS"),
        max_time_allowed=data.get("maxtimeallowed") or data.get("max_time_allowed"),
        scaled_passing_score=passing,
        scaled_passing_score_used=passing is not None,
        time_limit_action=data.get("timelimitaction") or data.get("timeLimitAction"),
    )


def _summary(node: dict, tree: _Tree, root: bool) -> dict:
    """attempts / completion / success / score / seconds / amount of NODE.

    Leaves (and clusters the sequencer tracks) have their own state. The root without one shows the
    registration's rolled-up result; a cluster without one sums up its children, unless an AICC
    completion requirement (.cmp) decided its status."""
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
    if tree.cmi5:  # a block, or an AU never launched (NotApplicable: satisfied from the start, §9.6.1.1)
        return _cmi5_block(node, tree)
    parts = [_summary(child, tree, False) for child in node.get("children") or []]
    tried = [p for p in parts if p["attempts"]]
    completion, success = None, None
    if tried:
        done = all((p["completion"] or "").upper() == "COMPLETED" for p in parts)
        completion = "COMPLETED" if done else "INCOMPLETE"
    decided = _decided(tree.instance).get(node.get("id"))
    if decided in aicc_script.WIRE:  # an AICC completion requirement (.cmp) of this block held
        completion, success = aicc_script.WIRE[decided]
    return {"attempts": 1 if tried else 0, "completion": completion, "success": success, "score": None,
            "seconds": sum(p["seconds"] for p in parts), "amount": None, "suspended": False}


def _cmi5_block(node: dict, tree: _Tree) -> dict:
    """A cmi5 block from its AUs: COMPLETED exactly when every AU in it has met its moveOn (the
    LMS's satisfied statement, cmi5 §9.3.9, §10), success and score as the course's (cmi5_rollup)."""
    aus: list[dict] = []

    def walk(item: dict) -> None:
        children = item.get("children") or []
        if not children:
            aus.append(item)
        for child in children:
            walk(child)
    walk(node)
    completion, success, score, seconds = cmi5_rollup.summarize(aus, tree.states, satisfied_only=True)
    tried = any(tree.states[a["id"]].attempts for a in aus if a["id"] in tree.states)
    return {"attempts": 1 if tried else 0, "completion": completion, "success": success, "score": score,
            "seconds": seconds, "amount": None, "suspended": False}


def _decided(instance: RegistrationInstance) -> dict:
    """{element id: status word} the AICC completion requirements decided (runtime/commits.py)."""
    state = instance.state if isinstance(instance.state, dict) else {}
    decided = state.get(aicc_script.STATE_KEY)
    return decided if isinstance(decided, dict) else {}


def _activity(node: dict, tree: _Tree, root: bool = False) -> ActivityResult:
    """ActivityResultSchema of NODE (an Activity dict of CourseVersion.structure) and its state."""
    state = tree.states.get(node.get("id"))
    is_leaf = not node.get("children")
    summary = _summary(node, tree, root)
    result = ActivityResult(
        id=node.get("id"), title=node.get("title"),
        attempts=summary["attempts"],
        activity_completion=_word(summary["completion"], COMPLETIONS),
        activity_success=_word(summary["success"], SUCCESSES),
        score=_score(summary["score"]),
        time_tracked=format_iso(summary["seconds"]),
        suspended=bool(summary["suspended"]),
    )
    if summary["amount"] is not None:
        result.completion_amount = CompletionAmount(summary["amount"])
    if tree.children and not is_leaf:
        result.children = [_activity(child, tree) for child in node.get("children") or []]
    if tree.interactions and state is not None and is_leaf:
        result.objectives = activity_objectives(state.runtime or {}, tree.scorm12, _primary_objective(node))
    if tree.runtime and is_leaf:
        result.static_properties = _static_properties(node)
        result.runtime = runtime_detail(
            state.runtime if state else {}, tree.scorm12, time_tracked=result.time_tracked,
            success=result.activity_success, interactions_and_objectives=tree.interactions)
    return result


def _global_objective(item: dict) -> GlobalObjective | dict | None:
    """ObjectiveSchema of one shared global objective as the sequencer stores it.

    Accepts the wire shape itself (kept as a wire dict, words checked), or the sequencer's {"id", "satisfied", "measure", "completed",
    "progressMeasure", "raw", "min", "max"} (SCORM 2004 SN 4.2.1 objective progress information)."""
    oid = item.get("id") or item.get("objectiveId")
    if not isinstance(oid, str):
        return None
    if "objectiveSuccess" in item or "objectiveCompletion" in item:
        out = {k: v for k, v in item.items() if v is not None}
        out["id"] = oid
        out["objectiveSuccess"] = _word(out.get("objectiveSuccess"), SUCCESSES)
        out["objectiveCompletion"] = _word(out.get("objectiveCompletion"), COMPLETIONS)
        return out
    satisfied, completed, measure = item.get("satisfied"), item.get("completed"), item.get("measure")
    return GlobalObjective(
        id=oid, primary=False,
        score=Score(round(float(measure) * 100, 4)) if isinstance(measure, (int, float)) else None,
        score_raw=item.get("raw"), score_min=item.get("min"), score_max=item.get("max"),
        progress_measure=item.get("progressMeasure"),
        objective_success="UNKNOWN" if satisfied is None else ("PASSED" if satisfied else "FAILED"),
        objective_completion="UNKNOWN" if completed is None else ("COMPLETED" if completed else "INCOMPLETE"),
    )


def _global_objectives(state: dict) -> list[GlobalObjective | dict] | None:
    """The instance's shared global objectives (SN 3.10), None when there are none."""
    raw_objectives = state.get("globalObjectives")
    if isinstance(raw_objectives, dict):  # {id: {...}}
        raw_objectives = [{"id": k, **v} for k, v in raw_objectives.items() if isinstance(v, dict)]
    objectives = [o for o in (_global_objective(i) for i in raw_objectives or [] if isinstance(i, dict)) if o]
    return objectives or None


def _shared_data(state: dict) -> list[SharedDataEntry] | None:
    """The instance's adl.data stores (SCORM 2004 4th Ed.), None when there are none."""
    shared = state.get("sharedData")
    if isinstance(shared, dict):
        shared = [{"id": k, "value": v} for k, v in shared.items()]
    entries = [SharedDataEntry(str(e["id"]), "" if e.get("value") is None else str(e.get("value")))
               for e in shared or [] if isinstance(e, dict) and e.get("id") is not None]
    return entries or None


def _learner(registration: Registration) -> Learner:
    learner = registration.learner or {}
    return Learner(registration.learner_id, learner.get("firstName"), learner.get("lastName"), learner.get("email"))


def registration_progress(session: Session, *, registration: Registration, instance: RegistrationInstance | None = None,
                          include_child_results: bool = False, include_interactions_and_objectives: bool = False,
                          include_runtime: bool = False) -> RegistrationProgress:
    """The results of REGISTRATION (INSTANCE, or the current one), with the activity tree on request."""
    inst = instance or core.get_instance(session, registration=registration)
    course, version = core.instance_course(session, inst)
    state = inst.state if isinstance(inst.state, dict) else {}
    progress = RegistrationProgress(
        id=registration.registration_id, instance=inst.instance,
        xapi_registration_id=registration.xapi_registration_id,
        updated=(max(registration.updated, inst.updated) if registration.updated and inst.updated
                 else registration.updated),
        registration_completion=_word(inst.completion, COMPLETIONS),
        registration_completion_amount=inst.completion_amount,
        registration_success=_word(inst.success, SUCCESSES),
        score=_score(inst.score_scaled), total_seconds_tracked=round(inst.total_seconds or 0, 2),
        first_access_date=inst.first_access, last_access_date=inst.last_access,
        completed_date=inst.completed_date, created_date=registration.created,
        course=CourseReference(course.course_id, version.title or course.title, version.version),
        learner=_learner(registration),
        tags=get_tags(session, application_pk=registration.application_pk, kind="registration",
                      key=registration.registration_id),
        suspended_activity_id=registration.suspended_activity_id if inst.instance == registration.instance else None,
        global_objectives=_global_objectives(state), shared_data=_shared_data(state),
    )
    if include_child_results or include_runtime or include_interactions_and_objectives:
        states = {s.activity_id: s for s in session.scalars(
            select(ActivityState).where(ActivityState.instance_pk == inst.pk))}
        scorm12 = family(version.learning_standard) is RuntimeFamily.SCORM12
        tree = _Tree(states, scorm12, include_child_results, include_runtime,
                     include_interactions_and_objectives, inst, cmi5=version.learning_standard == LearningStandard.CMI5)
        progress.activity_details = _activity(version.structure, tree, root=True)
    return progress
