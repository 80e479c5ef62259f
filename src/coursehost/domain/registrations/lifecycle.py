"""A registration's life: enrolment with its tags, settings and initial state; progress reset; new and
deleted instances; global data; deletion; learners (who exist only as data on their registrations)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.registrations import ActivityState, Launch, Registration, RegistrationInstance
from coursehost.db.models.report_facts import ReportInteraction, ReportObjective
from coursehost.domain.courses import catalog
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.lrs import statement_counts
from coursehost.domain.registrations import core
from coursehost.domain.reports import summary as reports
from coursehost.domain.scorm.status import COMPLETIONS, SUCCESSES
from coursehost.domain.settings_registry import delete_all_settings, set_settings
from coursehost.domain.tags import add_tags, clean_tags, clear_tags

_SUMMARY_FIELDS = ("completion", "completion_amount", "success", "score_scaled", "total_seconds",
                   "first_access", "last_access", "completed_date")


@dataclass
class Enrolment:
    """What CreateRegistration asks for, already parsed from the wire (postback password encrypted)."""

    registration_id: str
    course_id: str
    learner: dict
    course_version: int | None = None
    xapi_registration_id: str | None = None
    postback: dict = field(default_factory=dict)
    registration_tags: list[str] = field(default_factory=list)
    learner_tags: list[str] = field(default_factory=list)
    course_tags: list[str] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)
    initial_state: dict | None = None  # RegistrationSchema fields (camelCase), parsed datetimes


def enrol(session: Session, *, application_pk: int, enrolment: Enrolment) -> Registration:
    """CreateRegistration: the registration, its tags, its registration-level settings and the
    results it starts from (initialRegistrationState), all in the caller's transaction."""
    e = enrolment
    reg = core.create_registration(
        session, application_pk=application_pk, registration_id=e.registration_id, course_id=e.course_id,
        course_version=e.course_version, learner=e.learner, xapi_registration_id=e.xapi_registration_id,
        postback=e.postback)
    for kind, key, tags, name in (("registration", reg.registration_id, e.registration_tags, "registrationTags"),
                                  ("learner", reg.learner_id, e.learner_tags, "learnerTags"),
                                  ("course", reg.course_id, e.course_tags, "courseTags")):
        if tags:
            add_tags(session, application_pk=application_pk, kind=kind, key=key, tags=clean_tags(tags, name))
    if e.settings:
        set_settings(session, application_pk=application_pk, scope=core.registration_scope(reg.registration_id),
                     values=e.settings)
    if e.initial_state:
        _apply_initial_state(session, reg, e.initial_state)
        reports.record(session, registration=reg)
    return reg


def _word(value: Any, allowed: tuple[str, ...], name: str) -> str:
    word = str(value or "UNKNOWN").upper()
    if word not in allowed:
        raise InvalidInput(f"Invalid value for initialRegistrationState.{name}: [{value}]")
    return word


def _apply_initial_state(session: Session, reg: Registration, state: dict) -> None:
    """Results carried over from elsewhere (a migration): the summary, global objectives, shared data."""
    inst = core.get_instance(session, registration=reg)
    score = state.get("score") or {}
    values = {
        "completion": _word(state.get("registrationCompletion"), COMPLETIONS, "registrationCompletion"),
        "success": _word(state.get("registrationSuccess"), SUCCESSES, "registrationSuccess"),
        "completion_amount": state.get("registrationCompletionAmount"),
        "score_scaled": score.get("scaled") if isinstance(score, dict) else None,
        "total_seconds": float(state.get("totalSecondsTracked") or 0.0),
        "first_access": state.get("firstAccessDate"), "last_access": state.get("lastAccessDate"),
        "completed_date": state.get("completedDate"),
    }
    for target in (reg, inst):
        for name, value in values.items():
            setattr(target, name, value)
    carried = {k: state[k] for k in ("globalObjectives", "sharedData") if state.get(k)}
    if carried:
        inst.state = {**(inst.state or {}), **carried}
    session.flush()


def _clear_summary(target: Registration | RegistrationInstance) -> None:
    target.completion, target.success = "UNKNOWN", "UNKNOWN"
    target.completion_amount = target.score_scaled = None
    target.total_seconds = 0.0
    target.first_access = target.last_access = target.completed_date = None


def _latest_version(session: Session, reg: Registration):
    course = catalog.get_course(session, application_pk=reg.application_pk, course_id=reg.course_id)
    return catalog.get_version(session, course=course)


def reset_progress(session: Session, *, registration: Registration, keep_version: bool = False) -> RegistrationInstance:
    """DeleteRegistrationProgress: the current instance starts clean on the course's latest version
    (on the version it runs with KEEP_VERSION: a sandbox registration tests one version).
    Launch history stays: it is a record of what happened, not progress."""
    inst = core.get_instance(session, registration=registration)
    version = core.instance_version(session, inst) if keep_version else _latest_version(session, registration)
    for model in (ActivityState, ReportInteraction, ReportObjective):  # the report facts go with the state
        session.execute(delete(model).where(model.instance_pk == inst.pk).execution_options(synchronize_session=False))
    _clear_summary(inst)
    _clear_summary(registration)
    inst.course_version_pk, inst.course_version, inst.state = version.pk, version.version, {}
    registration.suspended_activity_id = None
    inst.updated = registration.updated = utcnow()
    reports.record(session, registration=registration)
    session.flush()
    return inst


def new_instance(session: Session, *, registration: Registration) -> RegistrationInstance:
    """CreateNewRegistrationInstance: a new, clean instance on the latest course version becomes current."""
    version = _latest_version(session, registration)
    highest = session.scalar(select(RegistrationInstance.instance).where(
        RegistrationInstance.registration_pk == registration.pk).order_by(RegistrationInstance.instance.desc()))
    now = utcnow()
    inst = RegistrationInstance(registration_pk=registration.pk, instance=(highest or 0) + 1,
                                course_version_pk=version.pk, course_version=version.version, state={},
                                created=now, updated=now)
    session.add(inst)
    registration.instance = inst.instance
    _clear_summary(registration)
    registration.suspended_activity_id = None
    registration.updated = now
    reports.record(session, registration=registration)
    session.flush()
    return inst


def delete_instance(session: Session, *, registration: Registration, instance: int) -> None:
    """DeleteRegistrationInstance: an earlier instance with its state, launches and settings.
    The current instance is the registration itself; it goes with DeleteRegistration."""
    inst = core.get_instance(session, registration=registration, instance=instance)
    if inst.instance == registration.instance:
        raise InvalidInput(f"Instance [{instance}] is the current instance of registration "
                           f"[{registration.registration_id}]; delete the registration instead")
    delete_all_settings(session, application_pk=registration.application_pk,
                        scope=core.instance_scope(registration.registration_id, inst.instance))
    _delete_instance_rows(session, [inst.pk])
    session.delete(inst)
    session.flush()


def _delete_instance_rows(session: Session, instance_pks: list[int]) -> None:
    # Explicit, so it does not depend on the database enforcing ON DELETE CASCADE.
    if instance_pks:
        for model in (ActivityState, Launch, ReportInteraction, ReportObjective):
            session.execute(delete(model).where(model.instance_pk.in_(instance_pks))
                            .execution_options(synchronize_session=False))


def clear_global_data(session: Session, *, registration: Registration) -> None:
    """DeleteRegistrationGlobalData: forget global objectives and shared data (SCORM 2004 adl.data)."""
    for inst in session.scalars(select(RegistrationInstance).where(
            RegistrationInstance.registration_pk == registration.pk)):
        state = dict(inst.state or {})
        removed = [state.pop(key) for key in ("globalObjectives", "sharedData") if key in state]
        if removed:
            inst.state = state
            inst.updated = utcnow()
    session.flush()


def delete_registration(session: Session, *, registration: Registration) -> None:
    """DeleteRegistration: the registration, its instances, state, launches, tags and settings."""
    pks = list(session.scalars(select(RegistrationInstance.pk).where(
        RegistrationInstance.registration_pk == registration.pk)))
    _delete_instance_rows(session, pks)
    clear_tags(session, application_pk=registration.application_pk, kind="registration",
               key=registration.registration_id)
    delete_all_settings(session, application_pk=registration.application_pk,
                        scope=core.registration_scope(registration.registration_id), with_sub_keys=True)
    reports.forget(session, registration=registration)
    with statement_counts.registration_change(session, app_pk=registration.application_pk,
                                              xapi_registration_id=registration.xapi_registration_id):
        session.delete(registration)
        session.flush()


def learner_registrations(session: Session, *, application_pk: int, learner_id: str) -> list[Registration]:
    """Every registration of LEARNER_ID in the application."""
    return list(session.scalars(select(Registration).where(
        Registration.application_pk == application_pk, Registration.learner_id == learner_id)))


def update_learner_info(session: Session, *, application_pk: int, learner_id: str, info: dict) -> int:
    """UpdateLearnerInfo: the names and e-mail on every registration of LEARNER_ID (an empty string
    empties the field, as the official API documents); the number updated. NotFound when none."""
    regs = learner_registrations(session, application_pk=application_pk, learner_id=learner_id)
    if not regs:
        raise NotFound(f"Learner [{learner_id}] not found")
    changes = {k: info[k] for k in ("firstName", "lastName", "email") if info.get(k) is not None}
    now = utcnow()
    for reg in regs:
        reg.learner = {**(reg.learner or {}), **changes, "id": learner_id}
        reg.updated = now
    session.flush()
    return len(regs)


def delete_learner_data(session: Session, *, application_pk: int, learner_id: str) -> int:
    """DeleteAllLearnerData: every registration of LEARNER_ID (with their data) and the learner's tags."""
    regs = learner_registrations(session, application_pk=application_pk, learner_id=learner_id)
    for reg in regs:
        delete_registration(session, registration=reg)
    clear_tags(session, application_pk=application_pk, kind="learner", key=learner_id)
    return len(regs)
