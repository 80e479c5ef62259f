"""A console user's sandbox: their own preview registrations of an application's courses.

A sandbox registration is an ordinary registration with `sandbox` set: the player runs it and tracks
it like any other, but it never counts against the realm's registration limit (core.create_registration),
is left out of GetRegistrations, the usage report and the registrations chart. Each user has at most
one per course version, so launching again resumes it; "reset my sandbox progress" starts it over
through DeleteRegistrationProgress's own function, on the same version."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import Course
from coursehost.db.models.registrations import Launch, Registration, RegistrationInstance
from coursehost.domain.courses import catalog
from coursehost.domain.errors import InvalidInput
from coursehost.domain.registrations import core, lifecycle

ID_PREFIX = "sandbox-"


@dataclass(frozen=True)
class SandboxEntry:
    """One of a user's sandbox registrations as the Sandbox page lists it."""

    registration_id: str
    course_id: str
    course_title: str
    version: int
    completion: str  # COMPLETED / INCOMPLETE / UNKNOWN
    success: str  # PASSED / FAILED / UNKNOWN
    score: float | None  # percent 0..100
    last_launched: datetime | None


def sandbox_learner(*, email: str, name: str = "") -> dict:
    """The learner a console user is in their sandbox (LearnerSchema's wire dict): id and e-mail are
    their address; their name, when they gave one, split into first and last at the first space."""
    first, _, last = (name or "").strip().partition(" ")
    learner = {"id": email, "email": email, "firstName": first or email.partition("@")[0]}
    if last.strip():
        learner["lastName"] = last.strip()
    return learner


def check_version(value: str | int | None) -> int | None:
    """A course version number from a form (empty: the latest), or InvalidInput."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if not text.isdigit() or len(text) > 9:
        raise InvalidInput("Version must be a whole number of 0 or more, or empty for the latest version.")
    return int(text)


def _current_instance():
    return (RegistrationInstance.registration_pk == Registration.pk) & (
        RegistrationInstance.instance == Registration.instance)


def find_sandbox_registration(session: Session, *, application_pk: int, learner_id: str, course_id: str,
                              version: int) -> Registration | None:
    """LEARNER_ID's sandbox registration of VERSION of COURSE_ID in the application, or None."""
    return session.scalars(
        select(Registration).join(RegistrationInstance, _current_instance()).where(
            Registration.application_pk == application_pk, Registration.learner_id == learner_id,
            Registration.sandbox.is_(True), Registration.course_id == course_id,
            RegistrationInstance.course_version == version)
        .order_by(Registration.pk).limit(1)).first()


def open_sandbox_registration(session: Session, *, application_pk: int, course_id: str, version: int | None,
                              learner: dict) -> Registration:
    """LEARNER's sandbox registration of COURSE_ID (VERSION, or its latest): the one they have, or a
    new one (free: a sandbox registration is not counted against the realm's limit). NotFound for an
    unknown course or version."""
    course = catalog.get_course(session, application_pk=application_pk, course_id=course_id)
    number = catalog.get_version(session, course=course, version=version).version
    found = find_sandbox_registration(session, application_pk=application_pk, learner_id=learner["id"],
                                      course_id=course.course_id, version=number)
    if found is not None:
        return found
    return core.create_registration(
        session, application_pk=application_pk, registration_id=f"{ID_PREFIX}{uuid.uuid4().hex}",
        course_id=course.course_id, course_version=number, learner=learner, sandbox=True)


def sandbox_registrations(session: Session, *, application_pk: int, learner_id: str) -> list[SandboxEntry]:
    """LEARNER_ID's sandbox registrations in the application, the most recently launched first."""
    last_launched = (select(func.max(Launch.launch_time))
                     .join(RegistrationInstance, RegistrationInstance.pk == Launch.instance_pk)
                     .where(RegistrationInstance.registration_pk == Registration.pk)
                     .correlate(Registration).scalar_subquery())
    rows = session.execute(
        select(Registration, Course.title, RegistrationInstance.course_version, last_launched.label("last"))
        .join(Course, Course.pk == Registration.course_pk).join(RegistrationInstance, _current_instance())
        .where(Registration.application_pk == application_pk, Registration.learner_id == learner_id,
               Registration.sandbox.is_(True))).all()
    entries = [SandboxEntry(reg.registration_id, reg.course_id, title, version, reg.completion, reg.success,
                            reg.score_scaled, last) for reg, title, version, last in rows]
    entries.sort(key=lambda e: (e.course_title, e.version))
    entries.sort(key=lambda e: e.last_launched.timestamp() if e.last_launched else 0.0, reverse=True)  # stable
    return entries


def get_sandbox_registration(session: Session, *, application_pk: int, learner_id: str,
                             registration_id: str) -> Registration:
    """LEARNER_ID's sandbox registration REGISTRATION_ID; NotFound for any other registration."""
    reg = core.find_registration(session, application_pk=application_pk, registration_id=registration_id)
    if reg is None or not reg.sandbox or reg.learner_id != learner_id:
        raise core.not_found(registration_id)
    return reg


def reset_sandbox(session: Session, *, registrations: list[Registration]) -> int:
    """Start REGISTRATIONS over, clean, each on its own course version (DeleteRegistrationProgress's
    reset); the number reset."""
    for reg in registrations:
        lifecycle.reset_progress(session, registration=reg, keep_version=True)
    return len(registrations)


def all_sandbox_registrations(session: Session, *, application_pk: int, learner_id: str) -> list[Registration]:
    """Every sandbox registration of LEARNER_ID in the application."""
    return list(session.scalars(select(Registration).where(
        Registration.application_pk == application_pk, Registration.learner_id == learner_id,
        Registration.sandbox.is_(True)).order_by(Registration.pk)))


def course_choices(session: Session, *, application_pk: int, limit: int) -> list[tuple[str, str, int]]:
    """(course id, title, latest version) of up to LIMIT of the application's courses, by title."""
    return [tuple(row) for row in session.execute(
        select(Course.course_id, Course.title, Course.latest_version).where(Course.application_pk == application_pk)
        .order_by(Course.title, Course.course_id).limit(limit))]
