"""The xAPI statements of a course, a course version, a registration or one of its instances, read
from the application's own LRS (CourseApi / RegistrationApi xAPIStatements). A registration's
statements are those whose context.registration is its xapiRegistrationId."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import Course, CourseVersion
from coursehost.db.models.lrs import XapiStatement
from coursehost.db.models.registrations import Registration, RegistrationInstance
from coursehost.domain.errors import InvalidInput
from coursehost.domain.lrs.statement_query import pack_cursor, unpack_cursor

PAGE_SIZE = 100


def course_registration_ids(*, course: Course, version: CourseVersion | None = None,
                            learner_id: str | None = None) -> Select:
    """The lower-cased xapiRegistrationIds of COURSE's registrations (on VERSION, of LEARNER_ID)."""
    query = select(func.lower(Registration.xapi_registration_id)).where(Registration.course_pk == course.pk)
    if learner_id:
        query = query.where(Registration.learner_id == learner_id)
    if version is not None:
        on_version = select(RegistrationInstance.registration_pk).where(
            RegistrationInstance.course_version_pk == version.pk)
        query = query.where(Registration.pk.in_(on_version))
    return query


def instance_window(session: Session, *, registration: Registration, instance: int) -> tuple[datetime, datetime | None]:
    """When INSTANCE of REGISTRATION began, and when the next instance began (None: still current)."""
    rows = session.execute(
        select(RegistrationInstance.instance, RegistrationInstance.created)
        .where(RegistrationInstance.registration_pk == registration.pk,
               RegistrationInstance.instance >= instance)
        .order_by(RegistrationInstance.instance).limit(2)).all()
    start = rows[0].created
    return start, rows[1].created if len(rows) > 1 else None


def statements_page(session: Session, *, app_pk: int, registration_ids: Select | list[str],
                    since: datetime | None = None, until: datetime | None = None,
                    window: tuple[datetime, datetime | None] | None = None, more: str | None = None,
                    page_size: int = PAGE_SIZE) -> tuple[list[dict], str | None]:
    """One page of the non-voided statements of REGISTRATION_IDS, oldest stored first; since / until
    are inclusive (the official API's wording). Returns the statements and the next page's token."""
    s = XapiStatement
    conds = [s.application_pk == app_pk, s.voided.is_(False), s.registration.in_(registration_ids)]
    if since is not None:
        conds.append(s.stored >= since)
    if until is not None:
        conds.append(s.stored <= until)
    if window is not None:
        conds.append(s.stored >= window[0])
        if window[1] is not None:
            conds.append(s.stored < window[1])
    if more:
        stored, pk = _decode(more)
        conds.append(or_(s.stored > stored, and_(s.stored == stored, s.pk > pk)))
    rows = session.execute(select(s.body, s.stored, s.pk).where(*conds)
                           .order_by(s.stored, s.pk).limit(page_size + 1)).all()
    token = _encode(rows[page_size - 1].stored, rows[page_size - 1].pk) if len(rows) > page_size else None
    return [json.loads(r.body) for r in rows[:page_size]], token


def _encode(stored: datetime, pk: int) -> str:
    return pack_cursor({"s": stored.isoformat(), "p": pk})


def _decode(token: str) -> tuple[datetime, int]:
    try:
        payload = unpack_cursor(token)
        return datetime.fromisoformat(payload["s"]), int(payload["p"])
    except Exception:
        raise InvalidInput("more is not a token this API issued") from None
