"""Interaction and objective facts of the SCORM run-time data model (report_interaction,
report_objective): extracted from an activity's stored run-time JSON, written by the commit that
changes them (only the changed items) and rebuilt from every activity state on demand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.courses import CourseVersion
from coursehost.db.models.registrations import ActivityState, Registration, RegistrationInstance
from coursehost.db.models.report_facts import MAX_KEY, MAX_TEXT, ReportInteraction, ReportObjective
from coursehost.domain.reporting.runtime_detail import interaction, runtime_objective
from coursehost.domain.scorm.durations import parse_duration
from coursehost.domain.standards import RuntimeFamily, family


@dataclass(frozen=True)
class InteractionFact:
    """The reported fields of one cmi.interactions.n."""

    position: int
    interaction_id: str
    description: str | None
    type: str
    result: str | None
    correct: bool | None
    learner_response: str | None
    latency_seconds: float | None


@dataclass(frozen=True)
class ObjectiveFact:
    """The reported fields of one cmi.objectives.n."""

    position: int
    objective_id: str
    success: str
    completion: str
    score_scaled: float | None


def _items(runtime: dict | None, key: str) -> list:
    value = (runtime or {}).get(key) if isinstance(runtime, dict) else None
    return value if isinstance(value, list) else []


def _bounded(text: str | None, size: int = MAX_TEXT) -> str | None:
    return None if text is None else text[:size]


def interaction_fact(position: int, item: Any, scorm12: bool) -> InteractionFact | None:
    """One interaction as a fact; None when it has no id (nothing to group it by)."""
    if not isinstance(item, dict):
        return None
    wire = interaction(item, scorm12)
    if not wire.id:
        return None
    # SCORM 2004 RTE 4.2.9.1 result may also be a real number: neither correct nor incorrect here
    correct = {"correct": True, "incorrect": False}.get(wire.result or "")
    return InteractionFact(position, wire.id[:MAX_KEY], _bounded(wire.description), wire.type,
                           (wire.result or None) and wire.result[:64], correct,
                           _bounded(wire.learner_response, MAX_KEY), parse_duration(wire.latency))


def objective_fact(position: int, item: Any, scorm12: bool) -> ObjectiveFact | None:
    """One objective as a fact; None when it has no id."""
    if not isinstance(item, dict):
        return None
    wire = runtime_objective(item, scorm12)
    if not wire.id:
        return None
    score = None
    if wire.score_scaled is not None:
        try:
            score = round(float(wire.score_scaled) * 100, 4)
        except ValueError:
            score = None
    return ObjectiveFact(position, wire.id[:MAX_KEY], wire.runtime_objective_success_status,
                         wire.runtime_objective_completion_status, score)


def _changed(before: list, after: list) -> list[int]:
    """Positions whose item differs between two commits: a dict comparison per item, no parsing."""
    return [n for n, item in enumerate(after) if n >= len(before) or before[n] != item]


def record_facts(session: Session, *, registration: Registration, instance_pk: int, activity_id: str,
                 fam: RuntimeFamily, before: dict | None, after: dict, now: datetime | None = None) -> int:
    """Keep ACTIVITY_ID's facts current for a commit from BEFORE to AFTER (run-time dicts); only
    the interactions and objectives that changed are written. The number of rows written."""
    if registration.sandbox:
        return 0
    day = (now or utcnow()).date()
    scorm12 = fam == RuntimeFamily.SCORM12
    written = 0
    for key, model, make in (("interactions", ReportInteraction, interaction_fact),
                             ("objectives", ReportObjective, objective_fact)):
        old, new = _items(before, key), _items(after, key)
        positions = _changed(old, new)
        if not positions and len(old) <= len(new):
            continue
        where = (model.instance_pk == instance_pk, model.activity_id == activity_id)
        if len(old) > len(new):  # a new attempt started over: the dropped items are no longer there
            session.execute(delete(model).where(*where, model.position >= len(new))
                            .execution_options(synchronize_session=False))
        rows = {r.position: r for r in session.scalars(select(model).where(*where, model.position.in_(positions)))}
        for n in positions:
            fact = make(n, new[n], scorm12)
            row = rows.get(n)
            if fact is None:
                if row is not None:
                    session.delete(row)
                continue
            if row is None:
                row = model(application_pk=registration.application_pk, course_pk=registration.course_pk,
                            registration_pk=registration.pk, instance_pk=instance_pk, activity_id=activity_id)
                session.add(row)
            _fill(row, fact, day)
            written += 1
    return written


def _fill(row: ReportInteraction | ReportObjective, fact: InteractionFact | ObjectiveFact, day: date) -> None:
    for name, value in vars(fact).items():
        setattr(row, name, value)
    row.day = day


def rebuild_facts(session: Session, *, application_pk: int | None = None, batch: int = 500) -> int:
    """Recompute every fact from the stored activity states (after a migration, or to repair);
    the day of a rebuilt fact is its activity's last access. The number of activities read."""
    scope = [] if application_pk is None else [Registration.application_pk == application_pk]
    for model in (ReportInteraction, ReportObjective):
        stmt = delete(model)
        if application_pk is not None:
            stmt = stmt.where(model.application_pk == application_pk)
        session.execute(stmt.execution_options(synchronize_session=False))
    query = (select(ActivityState, Registration, CourseVersion.learning_standard)
             .join(RegistrationInstance, RegistrationInstance.pk == ActivityState.instance_pk)
             .join(Registration, Registration.pk == RegistrationInstance.registration_pk)
             .join(CourseVersion, CourseVersion.pk == RegistrationInstance.course_version_pk)
             .where(Registration.sandbox.is_(False), *scope).order_by(ActivityState.pk).limit(batch))
    count, last = 0, 0
    while True:  # keyset batches: memory stays flat however many activity states there are
        rows = session.execute(query.where(ActivityState.pk > last)).all()
        for state, reg, standard in rows:
            fam = family(standard)
            if fam is not None and state.runtime:
                record_facts(session, registration=reg, instance_pk=state.instance_pk, activity_id=state.activity_id,
                             fam=fam, before=None, after=state.runtime, now=state.last_access or state.updated)
            last = state.pk
        count += len(rows)
        session.flush()
        session.expunge_all()
        if len(rows) < batch:
            break
    session.flush()
    return count
