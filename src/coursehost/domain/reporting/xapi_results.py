"""Results of an xAPI (Tin Can) registration instance from the statements of its registration
about the course's activity: completion from completed / passed, success from the last passed or
failed, the score from the last result.score.scaled, the time tracked from result.duration."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.lrs import XapiStatement
from coursehost.db.models.registrations import ActivityState, Registration, RegistrationInstance
from coursehost.domain.registrations import core
from coursehost.domain.registrations.core import registration_uuid
from coursehost.domain.scorm.durations import parse_duration
from coursehost.domain.scorm.status import COMPLETED, FAILED, INCOMPLETE, PASSED, UNKNOWN, Result, clamp_percent

VERBS = "http://adlnet.gov/expapi/verbs/"
COMPLETED_VERB, PASSED_VERB, FAILED_VERB = VERBS + "completed", VERBS + "passed", VERBS + "failed"


def results_from(statements: list[dict]) -> tuple[Result, float]:
    """(Result, seconds tracked) from STATEMENTS in the order they were stored. Any statement means
    the course was attempted (INCOMPLETE); completed or passed completes it; the last passed or
    failed decides success; the last result.score.scaled is the score; the longest result.duration
    is the time (Tin Can content reports the attempt's time so far)."""
    completion, success, score, seconds = UNKNOWN, UNKNOWN, None, 0.0
    for st in statements:
        verb = (st.get("verb") or {}).get("id")
        result = st.get("result") if isinstance(st.get("result"), dict) else {}
        completion = COMPLETED if completion == COMPLETED or verb in (COMPLETED_VERB, PASSED_VERB) else INCOMPLETE
        if verb in (PASSED_VERB, FAILED_VERB):
            success = PASSED if verb == PASSED_VERB else FAILED
        scaled = (result.get("score") or {}).get("scaled") if isinstance(result.get("score"), dict) else None
        if isinstance(scaled, (int, float)) and not isinstance(scaled, bool):
            score = clamp_percent(scaled * 100.0)
        seconds = max(seconds, parse_duration(result.get("duration")) or 0.0)
    amount = 1.0 if completion == COMPLETED else None
    return Result(completion, success, score, amount), seconds


def _statements(session: Session, *, app_pk: int, registration: str, activity_id: str) -> list[dict]:
    rows = session.scalars(select(XapiStatement.body).where(
        XapiStatement.application_pk == app_pk, XapiStatement.registration == registration,
        XapiStatement.voided.is_(False), XapiStatement.object_type == "Activity",
        XapiStatement.object_key == activity_id).order_by(XapiStatement.stored, XapiStatement.pk))
    return [json.loads(body) for body in rows]


def _leaf_id(structure: dict, activity_id: str) -> str:
    """The launchable activity that stands for the course: the one with its id, else the first."""
    found: list[str] = []

    def walk(node: dict) -> None:
        children = node.get("children") or []
        if not children and node.get("href"):
            found.append(node["id"])
        for child in children:
            walk(child)
    walk(structure)
    return activity_id if activity_id in found else (found[0] if found else activity_id)


def _apply(target, result: Result, seconds: float, now: datetime) -> None:
    target.completion, target.success, target.score_scaled = result.completion, result.success, result.score
    target.completion_amount, target.total_seconds = result.completion_amount, seconds
    target.first_access = target.first_access or now
    target.last_access = now
    if result.completion == COMPLETED and target.completed_date is None:
        target.completed_date = now


def record_results(session: Session, *, instance_pk: int, now: datetime | None = None) -> bool:
    """Write the results of registration instance INSTANCE_PK from its statements into the course's
    activity, the instance and (when current) the registration; whether the registration's moved."""
    now = now or utcnow()
    instance = session.scalars(select(RegistrationInstance).where(RegistrationInstance.pk == instance_pk)
                               .with_for_update().execution_options(populate_existing=True)).first()
    if instance is None:
        return False
    reg = session.get(Registration, instance.registration_pk)
    _, version = core.instance_course(session, instance)
    structure = version.structure or {}
    activity_id = structure.get("id") or ""
    result, seconds = results_from(_statements(session, app_pk=reg.application_pk,
                                               registration=registration_uuid(reg, instance.instance), activity_id=activity_id))
    leaf = _leaf_id(structure, activity_id)
    state = session.scalars(select(ActivityState).where(ActivityState.instance_pk == instance.pk,
                                                        ActivityState.activity_id == leaf)).first()
    if state is None:
        state = ActivityState(instance_pk=instance.pk, activity_id=leaf, runtime={})
        session.add(state)
    state.attempts = state.attempts or 1
    state.attempt_completion = result.completion
    before = (reg.completion, reg.success, reg.score_scaled, reg.total_seconds)
    for target in [state, instance, reg] if reg.instance == instance.instance else [state, instance]:
        _apply(target, result, seconds, now)
    instance.updated = now
    session.flush()
    return (reg.completion, reg.success, reg.score_scaled, reg.total_seconds) != before
