"""Registrations: lookup, creation, instances, and the settings chain a registration sees."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.courses import Course, CourseVersion
from coursehost.db.models.registrations import Registration, RegistrationInstance
from coursehost.domain.courses import catalog
from coursehost.domain.courses.catalog import check_course_id
from coursehost.domain.errors import Conflict, InvalidInput, NotFound
from coursehost.domain.limits import count_registration
from coursehost.domain.lrs import statement_counts
from coursehost.domain.reports import summary as reports
from coursehost.domain.settings_registry import SettingScope, read_settings

MAX_ID = 255


def check_registration_id(registration_id: str | None, field: str = "registrationId") -> str:
    """A usable registration id (the same rules as every caller-chosen id) or InvalidInput naming FIELD."""
    return check_course_id(registration_id, field)


def not_found(registration_id: str) -> NotFound:
    """The official NotFound for an unknown registration id."""
    return NotFound(f"Registration [{registration_id}] not found")


def find_registration(session: Session, *, application_pk: int, registration_id: str) -> Registration | None:
    """The application's registration REGISTRATION_ID, or None."""
    return session.scalars(select(Registration).where(
        Registration.application_pk == application_pk, Registration.registration_id == registration_id,
    )).first()


def get_registration(session: Session, *, application_pk: int, registration_id: str) -> Registration:
    """The registration or NotFound with the official message."""
    reg = find_registration(session, application_pk=application_pk, registration_id=registration_id)
    if reg is None:
        raise not_found(registration_id)
    return reg


def get_instance(session: Session, *, registration: Registration, instance: int | None = None) -> RegistrationInstance:
    """INSTANCE of REGISTRATION (its current one when None), or NotFound."""
    number = registration.instance if instance is None else instance
    found = session.scalars(select(RegistrationInstance).where(
        RegistrationInstance.registration_pk == registration.pk, RegistrationInstance.instance == number,
    )).first()
    if found is None:
        raise NotFound(f"Registration [{registration.registration_id}] instance [{number}] not found")
    return found


def create_registration(
    session: Session, *, application_pk: int, registration_id: str, course_id: str,
    course_version: int | None = None, learner: dict, xapi_registration_id: str | None = None,
    postback: dict | None = None, sandbox: bool = False,
) -> Registration:
    """A new registration of LEARNER on COURSE_ID (its latest version unless COURSE_VERSION), instance 0.

    LEARNER is LearnerSchema's wire dict (id required); POSTBACK the stored postback dict
    (password already encrypted). Conflict if the id is taken."""
    check_registration_id(registration_id)
    learner_id = learner.get("id")
    if not isinstance(learner_id, str) or not learner_id.strip():
        raise InvalidInput("learner.id is required")
    if len(learner_id) > MAX_ID:
        raise InvalidInput(f"learner.id is longer than {MAX_ID} characters")
    if find_registration(session, application_pk=application_pk, registration_id=registration_id):
        raise Conflict(f"Registration [{registration_id}] already exists")
    course = catalog.get_course(session, application_pk=application_pk, course_id=course_id)
    version = catalog.get_version(session, course=course, version=course_version)
    if xapi_registration_id is not None:
        try:
            xapi_registration_id = str(uuid.UUID(xapi_registration_id))
        except ValueError:
            raise InvalidInput("xapiRegistrationId must be a UUID") from None
    if not sandbox:  # a preview (sandbox) registration is free; any other counts against the realm's limit
        count_registration(session, application_pk=application_pk)
    now = utcnow()
    reg = Registration(
        application_pk=application_pk, registration_id=registration_id, course_pk=course.pk,
        course_id=course.course_id, learner_id=learner_id, learner=dict(learner),
        xapi_registration_id=xapi_registration_id or str(uuid.uuid4()), postback=postback or {},
        sandbox=sandbox, instance=0, created=now, updated=now,
    )
    # statements may name the xAPI registration id before the registration exists (caller-chosen id)
    with statement_counts.registration_change(session, app_pk=application_pk,
                                              xapi_registration_id=reg.xapi_registration_id):
        session.add(reg)
        session.flush()
    session.add(RegistrationInstance(registration_pk=reg.pk, instance=0, course_version_pk=version.pk,
                                     course_version=version.version, state={}, created=now, updated=now))
    session.flush()
    reports.record(session, registration=reg)
    return reg


def instance_course(session: Session, instance: RegistrationInstance) -> tuple[Course, CourseVersion]:
    """The course and course version INSTANCE runs, or NotFound."""
    version = instance_version(session, instance)
    return version.course, version


def instance_version(session: Session, instance: RegistrationInstance) -> CourseVersion:
    """The course version INSTANCE runs (its course not loaded), or NotFound."""
    version = session.get(CourseVersion, instance.course_version_pk)
    if version is None:
        raise NotFound("The course version of this registration no longer exists")
    return version


def registration_uuid(registration: Registration, instance: int) -> str:
    """The xAPI registration (context.registration) of REGISTRATION's INSTANCE: its xapiRegistrationId.

    SCORM Cloud keeps one xAPI registration across instances (GetRegistrationInstanceStatements
    tells instances apart by time), so every instance answers the same stable UUID, the one
    GetRegistrationStatements queries; INSTANCE is accepted so callers need not know that."""
    del instance
    return str(uuid.UUID(registration.xapi_registration_id))


def registration_scope(registration_id: str) -> SettingScope:
    """The settings scope of a registration."""
    return SettingScope("registration", registration_id)


def instance_scope(registration_id: str, instance: int) -> SettingScope:
    """The settings scope of one registration instance."""
    return SettingScope("registration", f"{registration_id}|{instance}")


def registration_chain(session: Session, *, registration: Registration,
                       instance: RegistrationInstance | None = None, instance_level: bool = False) -> list[SettingScope]:
    """Most specific first: [instance,] registration, course version's chain (version, course,
    learning standard, application). INSTANCE defaults to the current one."""
    inst = instance or get_instance(session, registration=registration)
    course, version = instance_course(session, inst)
    chain = [registration_scope(registration.registration_id)] + catalog.course_chain(course, version, versioned=True)
    if instance_level:
        chain.insert(0, instance_scope(registration.registration_id, inst.instance))
    return chain


def effective_settings(session: Session, *, registration: Registration, setting_ids: Iterable[str],
                       instance: RegistrationInstance | None = None) -> dict[str, str]:
    """{setting id: effective value} as REGISTRATION (its instance) sees them."""
    chain = registration_chain(session, registration=registration, instance=instance, instance_level=True)
    items = read_settings(session, application_pk=registration.application_pk, chain=chain, setting_ids=setting_ids)
    return {item.id: item.effective_value for item in items}
