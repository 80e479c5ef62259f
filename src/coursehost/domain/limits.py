"""Realm limits set by the operator: storage (the expanded content bytes of the realm's courses) and
registrations (a count of registrations created, which the realm may or may not reset).

A realm may be linked to another (`limits_realm_id`): it then shares that realm's limits and
counters, so its imports and registrations count against the shared limit. Links are one hop: the
realm linked to is always a root (a realm with no link of its own).

The checks run in the caller's transaction and hold the root realm's row (FOR UPDATE on PostgreSQL;
SQLite's writers are serialised by BEGIN IMMEDIATE), so concurrent imports or registrations never
go over a limit together.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from coursehost.db.base import utcnow
from coursehost.db.models.courses import Course, CourseVersion
from coursehost.db.models.tenancy import Application, Realm
from coursehost.domain.errors import Forbidden, InvalidInput, NotFound

UNSET: Any = object()  # an argument of set_limits left as it is


class LimitExceeded(Forbidden):
    """An import or a registration that would go over the realm's limit (HTTP 403; SCORM Cloud's
    documentation says nothing of the answer, so the message names the limit and what is used)."""


@dataclass(frozen=True)
class Limits:
    """A realm's limits and what is used of them (the shared ones when the realm is linked)."""

    realm_id: int
    realm_name: str
    shared_from_id: int | None  # the realm whose limits these are, when the realm is linked
    shared_from_name: str | None
    storage_limit_bytes: int | None
    storage_used_bytes: int
    registration_limit: int | None
    registrations_used: int
    registrations_resettable: bool
    registrations_reset: datetime | None
    linked_realms: list[str]  # the other realms sharing these limits

    def as_dict(self) -> dict:
        """A JSON-ready dict (the CLI's --json)."""
        data = asdict(self)
        data["registrations_reset"] = self.registrations_reset.isoformat() if self.registrations_reset else None
        return data


def find_realm(session: Session, ref: str | int | None = None) -> Realm:
    """The realm REF names (its id, or its exact name), the first realm when REF is None; NotFound."""
    if ref is None:
        realm = session.scalars(select(Realm).order_by(Realm.id).limit(1)).first()
    elif isinstance(ref, int) or str(ref).isdigit():
        realm = session.get(Realm, int(ref))
    else:
        realm = session.scalars(select(Realm).where(Realm.name == ref).order_by(Realm.id).limit(1)).first()
    if realm is None:
        raise NotFound(f"Realm [{ref}] not found" if ref is not None else "There is no realm yet")
    return realm


def _realm(session: Session, realm_id: int) -> Realm:
    realm = session.get(Realm, realm_id)
    if realm is None:
        raise NotFound(f"Realm [{realm_id}] not found")
    return realm


def _root(session: Session, realm: Realm, *, lock: bool = False) -> Realm:
    root_id = realm.limits_realm_id or realm.id
    if lock:
        return session.scalars(select(Realm).where(Realm.id == root_id).with_for_update()).one()
    return realm if root_id == realm.id else _realm(session, root_id)


def _root_id_of_application(session: Session, application_pk: int) -> int:
    root_id = session.scalar(select(func.coalesce(Realm.limits_realm_id, Realm.id)).join(
        Application, Application.realm_id == Realm.id).where(Application.pk == application_pk))
    if root_id is None:
        raise NotFound("The application no longer exists")
    return root_id


def storage_used(session: Session, *, root_id: int) -> int:
    """Expanded content bytes of every course version of the realms sharing ROOT_ID's limits."""
    group = select(Realm.id).where(or_(Realm.id == root_id, Realm.limits_realm_id == root_id))
    total = session.scalar(
        select(func.coalesce(func.sum(CourseVersion.size_bytes), 0))
        .join(Course, Course.pk == CourseVersion.course_pk)
        .join(Application, Application.pk == Course.application_pk)
        .where(Application.realm_id.in_(group)))
    return int(total or 0)


def get_limits(session: Session, *, realm_id: int) -> Limits:
    """REALM_ID's limits and usage (the shared ones when it is linked to another realm)."""
    realm = _realm(session, realm_id)
    root = _root(session, realm)
    group = session.scalars(select(Realm.name).where(
        or_(Realm.id == root.id, Realm.limits_realm_id == root.id), Realm.id != realm.id).order_by(Realm.id)).all()
    linked = root.id != realm.id
    return Limits(
        realm_id=realm.id, realm_name=realm.name, shared_from_id=root.id if linked else None,
        shared_from_name=root.name if linked else None, storage_limit_bytes=root.storage_limit_bytes,
        storage_used_bytes=storage_used(session, root_id=root.id), registration_limit=root.registration_limit,
        registrations_used=root.registrations_used, registrations_resettable=bool(root.registrations_resettable),
        registrations_reset=root.registrations_reset, linked_realms=list(group),
    )


def realm_choices(session: Session) -> list[tuple[int, str]]:
    """Every realm of the installation as (id, name), by name: what a realm's limits can be linked to."""
    return [(row.id, row.name) for row in session.execute(select(Realm.id, Realm.name).order_by(Realm.name, Realm.id))]


def _limit_value(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{name} must be a whole number of 0 or more, or none: [{value}]")
    return value


def set_limits(session: Session, *, realm_id: int, storage_bytes: Any = UNSET, registrations: Any = UNSET,
               resettable: Any = UNSET) -> Limits:
    """Set the limits REALM_ID shares (None: no limit; UNSET: unchanged). A lower limit than what is
    used is allowed: nothing is removed, further imports or registrations are refused."""
    root = _root(session, _realm(session, realm_id), lock=True)
    if storage_bytes is not UNSET:
        root.storage_limit_bytes = _limit_value(storage_bytes, "storage limit")
    if registrations is not UNSET:
        root.registration_limit = _limit_value(registrations, "registration limit")
    if resettable is not UNSET:
        root.registrations_resettable = bool(resettable)
    session.flush()
    return get_limits(session, realm_id=realm_id)


def link_limits(session: Session, *, realm_id: int, to_realm_id: int | None) -> Limits:
    """Make REALM_ID share TO_REALM_ID's limits (None: its own again). Realms linked to REALM_ID
    follow it to the new root, so links stay one hop."""
    realm = _realm(session, realm_id)
    if to_realm_id is None:
        realm.limits_realm_id = None
        session.flush()
        return get_limits(session, realm_id=realm_id)
    root = _root(session, _realm(session, to_realm_id))
    if root.id == realm.id:
        raise InvalidInput(f"Realm [{realm.name}] cannot share its own limits")
    realm.limits_realm_id = root.id
    session.execute(update(Realm).where(Realm.limits_realm_id == realm.id)
                    .values(limits_realm_id=root.id).execution_options(synchronize_session="fetch"))
    session.flush()
    return get_limits(session, realm_id=realm_id)


def reset_registrations(session: Session, *, realm_id: int) -> Limits:
    """"Clear existing registrations": the registration count starts again from 0 where the limit is
    resettable. Nothing else changes: every registration stays, with its results."""
    realm = _realm(session, realm_id)
    root = _root(session, realm, lock=True)
    if not root.registrations_resettable:
        raise Forbidden(f"The registration count of realm [{root.name}] cannot be reset")
    root.registrations_used, root.registrations_reset = 0, utcnow()
    session.flush()
    return get_limits(session, realm_id=realm_id)


def check_storage(session: Session, *, application_pk: int, adding_bytes: int | None, lock: bool = True) -> None:
    """LimitExceeded when ADDING_BYTES more content would take the application's realm over its
    storage limit (None: when the limit is already reached, before the size is known). With LOCK,
    holds the shared realm's row until the caller's transaction ends."""
    query = select(Realm).where(Realm.id == _root_id_of_application(session, application_pk))
    root = session.scalars(query.with_for_update() if lock else query).one()
    if root.storage_limit_bytes is None:
        return
    used = storage_used(session, root_id=root.id)
    if adding_bytes is None:
        if used >= root.storage_limit_bytes:
            raise LimitExceeded(
                f"Storage limit reached: realm [{root.name}] may store {root.storage_limit_bytes} bytes of "
                f"course content and {used} are used")
        return
    if used + adding_bytes > root.storage_limit_bytes:
        raise LimitExceeded(
            f"Storage limit exceeded: realm [{root.name}] may store {root.storage_limit_bytes} bytes of "
            f"course content, {used} are used and this course needs {adding_bytes} more")


def count_registration(session: Session, *, application_pk: int) -> None:
    """Count one new registration against the application's realm, or LimitExceeded (nothing counted).

    One conditional UPDATE: concurrent creations queue on the realm's row and each sees the count
    the one before it left, so together they never pass the limit."""
    root_id = _root_id_of_application(session, application_pk)
    counted = session.execute(
        update(Realm).where(Realm.id == root_id, or_(
            Realm.registration_limit.is_(None), Realm.registrations_used < Realm.registration_limit))
        .values(registrations_used=Realm.registrations_used + 1).execution_options(synchronize_session=False))
    root = session.identity_map.get(identity_key(Realm, root_id))
    if root is not None:  # loaded before the UPDATE: read the count again when next used
        session.expire(root)
    if counted.rowcount == 1:
        return
    root = session.get(Realm, root_id)
    raise LimitExceeded(
        f"Registration limit reached: realm [{root.name}] may create {root.registration_limit} "
        f"registrations and {root.registrations_used} are used")
