"""Interaction and objective facts of the SCORM run-time data model (report_interaction,
report_objective): extracted from an activity's stored run-time JSON, written by the commit that
changes them (only the changed items) and rebuilt from every activity state on demand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.courses import CourseVersion
from coursehost.db.models.registrations import ActivityState, Registration, RegistrationInstance
from coursehost.db.models.report_facts import MAX_KEY, MAX_TEXT, ReportInteraction, ReportObjective
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


# The words GetRegistrationProgress answers for the same data (domain/reporting/runtime_detail.py;
# reports sit below reporting, so they keep their own copy, and a test compares the two).
# SCORM 1.2 RTE 3.4.2.5 cmi.interactions.n.type / SCORM 2004 RTE 4.2.9.1 -> RuntimeInteractionSchema.type
_TYPES = {
    "true-false": "TrueFalse", "choice": "Choice", "fill-in": "FillIn", "long-fill-in": "LongFillIn",
    "likert": "Likert", "matching": "Matching", "performance": "Performance", "sequencing": "Sequencing",
    "numeric": "Numeric", "other": "Other",
}
_RESULTS = {"correct": "correct", "wrong": "incorrect", "incorrect": "incorrect",  # 1.2 says "wrong"
            "unanticipated": "unanticipated", "neutral": "neutral"}
_SUCCESS = {"passed": "PASSED", "failed": "FAILED"}
_COMPLETION = {"completed": "COMPLETED", "incomplete": "INCOMPLETE", "not attempted": "NOT_ATTEMPTED",
               "not_attempted": "NOT_ATTEMPTED", "browsed": "BROWSED",
               "passed": "COMPLETED", "failed": "COMPLETED"}  # 1.2 status passed/failed imply completion


def _text(value: Any) -> str | None:
    """A reported string, or None for absent / empty values."""
    if value is None or value == "" or isinstance(value, (dict, list, bool)):
        return None
    return str(value)


def interaction_fact(position: int, item: Any, scorm12: bool) -> InteractionFact | None:
    """One interaction as a fact; None when it has no id (nothing to group it by)."""
    qid = _text(item.get("id")) if isinstance(item, dict) else None
    if qid is None:
        return None
    result = _text(item.get("result"))
    if result is not None:  # SCORM 2004 RTE 4.2.9.1: a real number is kept as given, neither right nor wrong
        result = _RESULTS.get(result.lower(), result)[:64]
    response = _text(item.get("student_response") if scorm12 else item.get("learner_response"))
    return InteractionFact(position, qid[:MAX_KEY], _bounded(_text(item.get("description"))),
                           _TYPES.get(str(item.get("type") or "").lower(), "Other"), result,
                           {"correct": True, "incorrect": False}.get(result or ""),
                           _bounded(response, MAX_KEY), parse_duration(_text(item.get("latency"))))


def objective_fact(position: int, item: Any, scorm12: bool) -> ObjectiveFact | None:
    """One objective as a fact; None when it has no id."""
    oid = _text(item.get("id")) if isinstance(item, dict) else None
    if oid is None:
        return None
    if scorm12:  # SCORM 1.2 RTE 3.4.2.4: one status vocabulary for both
        status = str(item.get("status") or "").lower()
        completion, success, score = _COMPLETION.get(status, "UNKNOWN"), _SUCCESS.get(status, "UNKNOWN"), None
    else:
        completion = _COMPLETION.get(str(item.get("completion_status") or "").lower(), "UNKNOWN")
        success = _SUCCESS.get(str(item.get("success_status") or "").lower(), "UNKNOWN")
        raw = item.get("score") if isinstance(item.get("score"), dict) else {}
        score = _percent(raw.get("scaled"))
    return ObjectiveFact(position, oid[:MAX_KEY], success, completion, score)


def _percent(scaled: Any) -> float | None:
    try:
        value = float(scaled)
    except (TypeError, ValueError):
        return None
    return round(value * 100, 4) if value == value and abs(value) != float("inf") else None


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
        added: list[dict] = []  # new rows go in one executemany INSERT, not one statement each
        for n in positions:
            fact = make(n, new[n], scorm12)
            row = rows.get(n)
            if fact is None:
                if row is not None:
                    session.delete(row)
                continue
            if row is None:
                added.append({**vars(fact), "day": day, "application_pk": registration.application_pk,
                              "course_pk": registration.course_pk, "registration_pk": registration.pk,
                              "instance_pk": instance_pk, "activity_id": activity_id})
            else:
                _fill(row, fact, day)
            written += 1
        if added:
            session.execute(insert(model), added)
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
