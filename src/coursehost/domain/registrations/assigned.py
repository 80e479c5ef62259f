"""A console user's own courses ("My courses", the Learner role): the registrations of their realm
whose learner is them, that is whose learner id or learner e-mail is their e-mail address (compared
without regard to case, as e-mail addresses are). Sandbox registrations are not assigned courses:
they are on the Sandbox page. Another realm's registrations are never theirs here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import Course
from coursehost.db.models.registrations import Registration
from coursehost.db.models.tenancy import Application
from coursehost.domain.registrations import core

# A learner has a handful of courses; the page shows this many at most, the most recently active first.
LIMIT = 500


@dataclass(frozen=True)
class AssignedCourse:
    """One of a user's registrations as My courses shows it."""

    app_id: str
    app_name: str
    registration_id: str
    course_id: str
    course_title: str
    completion: str  # COMPLETED / INCOMPLETE / UNKNOWN
    success: str  # PASSED / FAILED / UNKNOWN
    score: float | None  # percent 0..100
    last_access: datetime | None


def _is_learner(email: str):
    address = email.strip().lower()
    return or_(func.lower(Registration.learner_id) == address,
               func.lower(Registration.learner["email"].as_string()) == address)


def assigned_courses(session: Session, *, realm_id: int, email: str) -> list[AssignedCourse]:
    """The registrations in REALM_ID's applications whose learner is EMAIL, the most recently active first."""
    rows = session.execute(
        select(Registration, Course.title, Application.app_id, Application.name)
        .join(Application, Application.pk == Registration.application_pk)
        .join(Course, Course.pk == Registration.course_pk)
        .where(Application.realm_id == realm_id, Registration.sandbox.is_(False), _is_learner(email))
        .order_by(Registration.updated.desc(), Registration.pk.desc()).limit(LIMIT)).all()
    return [AssignedCourse(app_id, app_name, reg.registration_id, reg.course_id, title, reg.completion, reg.success,
                           reg.score_scaled, reg.last_access) for reg, title, app_id, app_name in rows]


def get_assigned_registration(session: Session, *, application_pk: int, registration_id: str,
                              email: str) -> Registration:
    """Registration REGISTRATION_ID of the application when its learner is EMAIL; NotFound otherwise
    (someone else's registration is not told apart from one that does not exist)."""
    reg = session.scalars(select(Registration).where(
        Registration.application_pk == application_pk, Registration.registration_id == registration_id,
        Registration.sandbox.is_(False), _is_learner(email))).first()
    if reg is None:
        raise core.not_found(registration_id)
    return reg
