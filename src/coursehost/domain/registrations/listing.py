"""GetRegistrations / GetRegistrationInstances: which registrations a list shows, and in what order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Registration, RegistrationInstance
from coursehost.domain.paging import dated_list
from coursehost.domain.tags import keys_with_any_tag


def _learner_field(name: str):
    # A JSON member as text: JSON_EXTRACT on SQLite, ->> on PostgreSQL (both through SQLAlchemy's JSON type).
    return Registration.learner[name].as_string()


REGISTRATION_LIST = dated_list(
    Registration,
    filter_by={
        "registration_id": Registration.registration_id, "course_id": Registration.course_id,
        "learner_id": Registration.learner_id, "learner_first_name": _learner_field("firstName"),
        "learner_last_name": _learner_field("lastName"), "learner_email": _learner_field("email"),
    },
    default_filter_by="registration_id",
)


def registration_list_query(application_pk: int, *, course_id: str | None = None, learner_id: str | None = None,
                            tags: list[str] | None = None) -> Select:
    """The application's registrations, narrowed to a course, a learner and any of TAGS.

    Sandbox registrations (preview launches: BuildCoursePreviewLaunchLink, the console's "Test in
    sandbox") are not among them: a preview is not a registration the integrator made and is not
    billed; the console lists a user's own on its Sandbox page."""
    stmt = select(Registration).where(Registration.application_pk == application_pk, Registration.sandbox.is_(False))
    if course_id:
        stmt = stmt.where(Registration.course_id == course_id)
    if learner_id:
        stmt = stmt.where(Registration.learner_id == learner_id)
    if tags:
        stmt = stmt.where(Registration.registration_id.in_(keys_with_any_tag(application_pk, "registration", tags)))
    return stmt


def list_instances(session: Session, *, registration: Registration, since: datetime | None = None,
                   until: datetime | None = None) -> list[RegistrationInstance]:
    """The registration's instances, oldest first, updated within [SINCE, UNTIL] when given.

    Instances are few per registration (one per restart), so the list is not paged."""
    stmt = select(RegistrationInstance).where(RegistrationInstance.registration_pk == registration.pk)
    if since is not None:
        stmt = stmt.where(RegistrationInstance.updated >= since)
    if until is not None:
        stmt = stmt.where(RegistrationInstance.updated <= until)
    return list(session.scalars(stmt.order_by(RegistrationInstance.instance)))


def course_registration_count(session: Session, *, application_pk: int, course_id: str) -> int:
    """How many registrations the course has, sandbox (preview) registrations not counted."""
    return int(session.scalar(select(func.count()).select_from(Registration).where(
        Registration.application_pk == application_pk, Registration.course_id == course_id,
        Registration.sandbox.is_(False))) or 0)
