"""LMS configurations of a realm: create, read, update, delete; attach one to a course, detach it.

Everything is validated before anything is written, so a refused call saves nothing. A
configuration belongs to its realm: another realm's id is NotFound, never its data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.courses import Course
from coursehost.db.models.jobs import QUEUED, Job
from coursehost.db.models.lms import LmsConfiguration, LmsCourseLink, LmsResult
from coursehost.db.models.tenancy import Application
from coursehost.domain.crypto import SecretBox, random_id
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.lms.types import PropertyInput, lms_type
from coursehost.domain.mail.messages import check_address
from coursehost.domain.outbox import ENQUEUED_FLAG

#: The job kind the worker runs (registered in coursehost.jobs.handlers).
JOB_KIND = "lms.deliver"
OK = "OK"
PENDING = "PENDING"
DELIVERED = "DELIVERED"
NOT_SENT = "NOT_SENT"
MAX_NAME = 255


@dataclass(frozen=True)
class ConfigurationInput:
    """A configuration as a caller gives it; None = not given (on update: keep it)."""

    name: str | None = None
    contact_email: str | None = None
    type: str | None = None
    properties: PropertyInput = PropertyInput()


@dataclass(frozen=True)
class ConfigurationView:
    """A configuration as it may be shown: no secret, with its health."""

    id: str
    name: str
    contact_email: str
    type: str
    properties: dict
    status: str
    last_error: str | None
    error_since: datetime | None
    pending_results: int
    created: datetime
    updated: datetime


def _name(value: str | None) -> str:
    name = (value or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"name is required (at most {MAX_NAME} characters)")
    return name


def _contact(value: str | None) -> str:
    try:
        return check_address(value or "", field="contactEmail")
    except InvalidInput as exc:
        raise InvalidInput(str(exc)) from None


def job_key(configuration_pk: int, registration_pk: int) -> str:
    """One delivery job per (configuration, registration): it sends that registration's waiting
    results in order, so a later result waits behind an earlier one that failed."""
    return f"lms:{configuration_pk}:{registration_pk}"


def rerun_waiting(session: Session, *, configuration_pk: int, now: datetime | None = None) -> None:
    """Run the configuration's waiting deliveries now instead of at their backed-off times."""
    now = now or utcnow()
    session.execute(update(Job).where(Job.kind == JOB_KIND, Job.status == QUEUED,
                                      Job.dedupe_key.like(f"lms:{configuration_pk}:%"), Job.run_after > now)
                    .values(run_after=now).execution_options(synchronize_session=False))
    session.info[ENQUEUED_FLAG] = True  # wake an in-process worker after commit


def pending_count(session: Session, configuration_pk: int) -> int:
    """How many result changes wait for delivery to the configuration."""
    return session.scalar(select(func.count()).select_from(LmsResult).where(
        LmsResult.configuration_pk == configuration_pk, LmsResult.status == PENDING)) or 0


def view(session: Session, config: LmsConfiguration) -> ConfigurationView:
    """CONFIG as it may be shown."""
    return ConfigurationView(
        id=config.config_id, name=config.name, contact_email=config.contact_email, type=config.type,
        properties=lms_type(config.type).public_properties(config.properties or {}), status=config.status,
        last_error=config.last_error, error_since=config.error_since,
        pending_results=pending_count(session, config.pk), created=config.created, updated=config.updated)


def get_configuration(session: Session, *, realm_id: int, config_id: str) -> LmsConfiguration:
    """The realm's configuration CONFIG_ID, else NotFound."""
    config = session.scalars(select(LmsConfiguration).where(
        LmsConfiguration.realm_id == realm_id, LmsConfiguration.config_id == (config_id or ""))).first()
    if config is None:
        raise NotFound(f"LMS configuration '{config_id}' not found")
    return config


def list_configurations(session: Session, *, realm_id: int) -> list[LmsConfiguration]:
    """The realm's configurations, by name."""
    return list(session.scalars(select(LmsConfiguration).where(LmsConfiguration.realm_id == realm_id)
                                .order_by(LmsConfiguration.name, LmsConfiguration.pk)))


def create_configuration(session: Session, *, realm_id: int, given: ConfigurationInput, box: SecretBox,
                         allow_private_urls: bool) -> LmsConfiguration:
    """A new configuration of the realm (status OK), or InvalidInput with nothing saved."""
    name, contact = _name(given.name), _contact(given.contact_email)
    kind = lms_type(given.type or "")
    properties = kind.stored_properties(given.properties, previous=None, box=box,
                                        allow_private_urls=allow_private_urls)
    config = LmsConfiguration(config_id=random_id(12), realm_id=realm_id, name=name, contact_email=contact,
                              type=kind.name, properties=properties, status=OK)
    session.add(config)
    session.flush()
    return config


def update_configuration(session: Session, *, realm_id: int, config_id: str, given: ConfigurationInput,
                         box: SecretBox, allow_private_urls: bool) -> LmsConfiguration:
    """Change the fields GIVEN names (the secret only when given), or InvalidInput with nothing saved."""
    config = get_configuration(session, realm_id=realm_id, config_id=config_id)
    name = _name(given.name) if given.name is not None else config.name
    contact = _contact(given.contact_email) if given.contact_email is not None else config.contact_email
    if given.type is not None and lms_type(given.type).name != config.type:
        raise InvalidInput("type cannot be changed; create a new configuration instead")
    properties = lms_type(config.type).stored_properties(
        given.properties, previous=config.properties, box=box, allow_private_urls=allow_private_urls)
    config.name, config.contact_email, config.properties = name, contact, properties
    rerun_waiting(session, configuration_pk=config.pk)  # new URL or key: try the waiting results with it
    session.flush()
    return config


def delete_configuration(session: Session, *, realm_id: int, config_id: str) -> None:
    """Delete the configuration; its courses are detached and its waiting results dropped."""
    config = get_configuration(session, realm_id=realm_id, config_id=config_id)
    session.delete(config)
    session.flush()


def _course(session: Session, *, application_pk: int, course_id: str) -> Course:
    course = session.scalars(select(Course).where(Course.application_pk == application_pk,
                                                  Course.course_id == (course_id or ""))).first()
    if course is None:
        raise NotFound(f"Course '{course_id}' not found")
    return course


def attach_configuration(session: Session, *, application_pk: int, course_id: str,
                         config_id: str | None) -> LmsConfiguration:
    """Send COURSE_ID's results to CONFIG_ID (of the application's realm) from now on; a course has
    one configuration, so this replaces an earlier one."""
    if not (config_id or "").strip():
        raise InvalidInput("configurationId is required")
    course = _course(session, application_pk=application_pk, course_id=course_id)
    realm_id = session.get(Application, application_pk).realm_id
    config = get_configuration(session, realm_id=realm_id, config_id=config_id.strip())
    link = session.scalars(select(LmsCourseLink).where(LmsCourseLink.course_pk == course.pk)).first()
    if link is None:
        session.add(LmsCourseLink(course_pk=course.pk, configuration_pk=config.pk))
    else:
        link.configuration_pk = config.pk
    session.flush()
    return config


def detach_configuration(session: Session, *, application_pk: int, course_id: str) -> None:
    """Stop sending COURSE_ID's results (results already waiting are still delivered)."""
    course = _course(session, application_pk=application_pk, course_id=course_id)
    link = session.scalars(select(LmsCourseLink).where(LmsCourseLink.course_pk == course.pk)).first()
    if link is None:
        raise NotFound(f"Course '{course_id}' has no LMS configuration attached")
    session.delete(link)
    session.flush()


def attached_configuration(session: Session, *, course_pk: int) -> LmsConfiguration | None:
    """The configuration COURSE_PK sends its results to, if any (run on every commit that moves a
    registration's results: the statement is built once)."""
    return session.scalars(_ATTACHED, {"course_pk": course_pk}).first()


_ATTACHED = (select(LmsConfiguration).join(LmsCourseLink, LmsCourseLink.configuration_pk == LmsConfiguration.pk)
             .where(LmsCourseLink.course_pk == bindparam("course_pk")))


def attached_courses(session: Session, *, configuration_pk: int) -> list[tuple[Course, Application]]:
    """The courses (with their applications) that send their results to CONFIGURATION_PK, by title."""
    return [(c, a) for c, a in session.execute(
        select(Course, Application).join(LmsCourseLink, LmsCourseLink.course_pk == Course.pk)
        .join(Application, Application.pk == Course.application_pk)
        .where(LmsCourseLink.configuration_pk == configuration_pk).order_by(Course.title, Course.pk)).all()]


def attached_course_counts(session: Session, *, realm_id: int) -> dict[int, int]:
    """How many courses send their results to each of the realm's configurations (pk -> count)."""
    return {pk: n for pk, n in session.execute(
        select(LmsCourseLink.configuration_pk, func.count()).join(
            LmsConfiguration, LmsConfiguration.pk == LmsCourseLink.configuration_pk)
        .where(LmsConfiguration.realm_id == realm_id).group_by(LmsCourseLink.configuration_pk)).all()}
