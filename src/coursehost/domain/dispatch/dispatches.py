"""Dispatches (DispatchApi): one course sent to one destination. Create in bulk (all or nothing; one
dispatch per course and destination, as SCORM Cloud has it), update one or many (by filter), enable,
hash learner ids, instance registrations, count and reset. Each gets a dispatch_key (what the far
side knows: the LTI 1.1 consumer key, the key inside shell packages) and a secret, encrypted at rest."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.courses import Course
from coursehost.db.models.dispatch import Destination, Dispatch
from coursehost.domain.crypto import SecretBox, random_secret
from coursehost.domain.dispatch.destinations import (
    DISPATCH_TAG_KIND,
    MAX_EMAIL,
    MAX_NOTES,
    check_id,
    check_text,
    find_destination,
    storable,
)
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.paging import ListQuery, apply_filters, dated_list
from coursehost.domain.tags import add_tags, clean_tags, keys_with_any_tag

TAG_KIND = DISPATCH_TAG_KIND
MAX_CAP = 1_000_000_000

DISPATCH_LIST = dated_list(  # with SCORM Cloud's creation_date_* orders
    Dispatch, creation_date=True,
    filter_by={"dispatch_id": Dispatch.dispatch_id, "course_id": Dispatch.course_id},
    default_filter_by="dispatch_id",
)


@dataclass
class DispatchChanges:
    """UpdateDispatchSchema and the optional fields of CreateDispatchSchema (None: not given)."""

    allow_new_registrations: bool | None = None
    instanced: bool | None = None
    registration_cap: int | None = None
    registration_count: int | None = None
    expiration_date: datetime | None = None
    enabled: bool | None = None
    email: str | None = None
    notes: str | None = None
    postback: dict | None = None  # as stored (password encrypted)

    def checked(self, where: str = "") -> DispatchChanges:
        for name, value in (("registrationCap", self.registration_cap), ("registrationCount", self.registration_count)):
            if value is not None and not 0 <= value <= MAX_CAP:
                raise InvalidInput(f"{where}{name} must be between 0 and {MAX_CAP}")
        check_text(self.email, f"{where}email", MAX_EMAIL)
        check_text(self.notes, f"{where}notes", MAX_NOTES)
        return self


@dataclass
class NewDispatch:
    dispatch_id: str
    destination_id: str
    course_id: str
    tags: list[str] | None = None
    options: DispatchChanges = field(default_factory=DispatchChanges)


def aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def find_dispatch(session: Session, *, application_pk: int, dispatch_id: str) -> Dispatch | None:
    if not storable(dispatch_id):
        return None
    return session.scalars(select(Dispatch).where(
        Dispatch.application_pk == application_pk, Dispatch.dispatch_id == dispatch_id)).first()


def get_dispatch(session: Session, *, application_pk: int, dispatch_id: str) -> Dispatch:
    """The application's dispatch, else NotFound."""
    found = find_dispatch(session, application_pk=application_pk, dispatch_id=dispatch_id)
    if found is None:
        raise NotFound(f"Dispatch [{dispatch_id}] not found")
    return found


def _check_new(session: Session, application_pk: int, n: int, item: NewDispatch,
               seen: set[str], pairs: set[tuple[int, int]]) -> tuple[Destination, Course, list[str], DispatchChanges]:
    where = f"dispatches[{n}]."
    dispatch_id = check_id(item.dispatch_id, f"{where}id")
    options = item.options.checked(where)
    tags = clean_tags(item.tags, f"{where}tags")
    dest = find_destination(session, application_pk=application_pk, destination_id=item.destination_id or "")
    if dest is None:
        raise InvalidInput(f"{where}destinationId: Destination [{item.destination_id}] not found")
    course = session.scalars(select(Course).where(Course.application_pk == application_pk,
                                                  Course.course_id == (item.course_id or ""))).first() \
        if storable(item.course_id) else None
    if course is None:
        raise InvalidInput(f"{where}courseId: Course [{item.course_id}] not found")
    if dispatch_id in seen or find_dispatch(session, application_pk=application_pk, dispatch_id=dispatch_id):
        raise InvalidInput(f"Dispatch [{dispatch_id}] already exists")
    existing = session.scalar(select(Dispatch.dispatch_id).where(
        Dispatch.destination_pk == dest.pk, Dispatch.course_pk == course.pk))
    if existing is not None or (dest.pk, course.pk) in pairs:
        raise InvalidInput(f"Course [{course.course_id}] is already dispatched to destination "
                           f"[{dest.destination_id}]" + (f" (dispatch [{existing}])" if existing else ""))
    seen.add(dispatch_id)
    pairs.add((dest.pk, course.pk))
    return dest, course, tags, options


def create_dispatches(session: Session, *, application_pk: int, items: list[NewDispatch],
                      box: SecretBox) -> list[Dispatch]:
    """CreateDispatches: every item checked before any is written (a bad one creates nothing)."""
    if not items:
        raise InvalidInput("dispatches must name at least one dispatch")
    seen: set[str] = set()
    pairs: set[tuple[int, int]] = set()
    checked = [_check_new(session, application_pk, n, item, seen, pairs) for n, item in enumerate(items)]
    out = []
    now = utcnow()
    for item, (dest, course, tags, o) in zip(items, checked, strict=True):
        row = Dispatch(
            application_pk=application_pk, dispatch_id=item.dispatch_id, destination_pk=dest.pk,
            course_pk=course.pk, course_id=course.course_id,
            allow_new_registrations=True if o.allow_new_registrations is None else o.allow_new_registrations,
            enabled=True if o.enabled is None else o.enabled,
            instanced=True if o.instanced is None else o.instanced,  # instancing is the official default
            registration_cap=o.registration_cap or 0, registration_count=0,
            expiration_date=aware(o.expiration_date), email=o.email, notes=o.notes, postback=o.postback or {},
            hash_user_info=dest.hash_user_info,  # the destination's setting at creation
            dispatch_key=uuid.uuid4().hex, secret=box.encrypt(random_secret()), created=now, updated=now)
        session.add(row)
        session.flush()
        if tags:
            add_tags(session, application_pk=application_pk, kind=TAG_KIND, key=row.dispatch_id, tags=tags)
        out.append(row)
    return out


def apply_changes(dispatch: Dispatch, changes: DispatchChanges, *, now: datetime | None = None,
                  clear_expiration: bool = False) -> None:
    """UpdateDispatch: only the fields given change (a count given is a manual reset, dated).
    CLEAR_EXPIRATION (the console's emptied date field; the API cannot say it): never expires."""
    now = now or utcnow()
    if clear_expiration:
        dispatch.expiration_date = None
    for attr in ("allow_new_registrations", "instanced", "registration_cap", "enabled", "email", "notes",
                 "postback"):
        value = getattr(changes, attr)
        if value is not None:
            setattr(dispatch, attr, value)
    if changes.expiration_date is not None:
        dispatch.expiration_date = aware(changes.expiration_date)
    if changes.registration_count is not None:
        dispatch.registration_count = changes.registration_count
        dispatch.registration_reset_date = now
    dispatch.updated = now


def dispatch_list_query(application_pk: int, *, destination_pk: int | None = None, course_id: str | None = None,
                        enabled: bool | None = None, tags: list[str] | None = None) -> Select:
    """The application's dispatches, narrowed by destination, course, enabled and tags (any)."""
    stmt = select(Dispatch).where(Dispatch.application_pk == application_pk)
    if destination_pk is not None:
        stmt = stmt.where(Dispatch.destination_pk == destination_pk)
    if course_id:
        stmt = stmt.where(Dispatch.course_id == course_id)
    if enabled is not None:
        stmt = stmt.where(Dispatch.enabled.is_(enabled))
    if tags:
        stmt = stmt.where(Dispatch.dispatch_id.in_(keys_with_any_tag(application_pk, TAG_KIND, tags)))
    return stmt


def select_by_filter(session: Session, *, application_pk: int, query: ListQuery, course_id: str | None,
                     tags: list[str] | None) -> list[Dispatch]:
    """The dispatches UpdateDispatches / DeleteDispatches act on. One filter at least is required, so
    a forgotten parameter never changes every dispatch (the official API documents the same)."""
    if not (course_id or tags or query.since or query.until or query.filter):
        raise InvalidInput("Give at least one filter (courseId, since, until, tags or filter); to act on every "
                           "dispatch, set since to a time before the first was created")
    stmt = apply_filters(dispatch_list_query(application_pk, course_id=course_id, tags=tags), DISPATCH_LIST, query)
    return list(session.scalars(stmt.order_by(Dispatch.pk)))


def set_destination_hash(session: Session, *, destination: Destination, on: bool) -> int:
    """UpdateDestinationHashUserInfo: the destination's own setting (dispatches made later start with
    it) and every dispatch it has now; the number of dispatches changed."""
    destination.hash_user_info = on
    return set_on_destination(session, destination=destination, hash_user_info=on)


def set_on_destination(session: Session, *, destination: Destination, **values: bool) -> int:
    """Set VALUES (enabled, hash_user_info, instanced) on every dispatch of DESTINATION; how many."""
    result = session.execute(update(Dispatch).where(Dispatch.destination_pk == destination.pk)
                             .values(**values, updated=utcnow()).execution_options(synchronize_session="fetch"))
    return result.rowcount or 0


def reset_counts(session: Session, dispatches: list[Dispatch], *, now: datetime | None = None) -> None:
    """ResetDispatchRegistrationCount: the counter (and so the cap) starts again; registrations stay."""
    now = now or utcnow()
    for row in dispatches:
        row.registration_count = 0
        row.registration_reset_date = now
        row.updated = now
    session.flush()


def dispatches_of(session: Session, destination: Destination) -> list[Dispatch]:
    return list(session.scalars(select(Dispatch).where(Dispatch.destination_pk == destination.pk)
                                .order_by(Dispatch.pk)))


def describe(session: Session, dispatches: list[Dispatch]) -> tuple[dict[int, Destination], dict[int, str]]:
    """The destinations (by pk) and course titles (by course pk) of DISPATCHES, in two queries."""
    dest_pks = {d.destination_pk for d in dispatches}
    course_pks = {d.course_pk for d in dispatches}
    dests = {d.pk: d for d in session.scalars(select(Destination).where(Destination.pk.in_(dest_pks)))} \
        if dest_pks else {}
    titles = dict(session.execute(select(Course.pk, Course.title).where(Course.pk.in_(course_pks))).all()) \
        if course_pks else {}
    return dests, titles
