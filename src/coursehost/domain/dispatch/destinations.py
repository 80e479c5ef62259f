"""Destinations (DispatchApi): the clients (an LMS, a customer) courses are dispatched to. Create in
bulk (all or nothing), create-or-update one (SetDestination), list with the shared paging, delete
(with its dispatches). Tags live in the shared tag table under kind "destination", keyed by id."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.courses import Tag
from coursehost.db.models.dispatch import Destination, Dispatch
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.paging import dated_list
from coursehost.domain.registrations.launch_links import check_url
from coursehost.domain.tags import add_tags, clean_tags, clear_tags, keys_with_any_tag, set_tags

TAG_KIND = "destination"
DISPATCH_TAG_KIND = "dispatch"
MAX_ID = 255
MAX_NAME = 255
MAX_EMAIL = 320
MAX_NOTES = 10_000

DESTINATION_LIST = dated_list(  # with SCORM Cloud's creation_date_* orders
    Destination, creation_date=True,
    filter_by={"destination_id": Destination.destination_id, "name": Destination.name},
    default_filter_by="destination_id",
)


@dataclass
class DestinationData:
    """DestinationSchema as given (None: not given; SetDestination keeps the stored value)."""

    name: str | None = None
    email: str | None = None
    notes: str | None = None
    tags: list[str] | None = None
    launch_auth: dict | None = None
    lti13: dict | None = None


@dataclass
class NewDestination:
    destination_id: str
    data: DestinationData = field(default_factory=DestinationData)


def check_id(value: str | None, field_name: str = "id") -> str:
    """An id the caller chose: non-empty, at most 255 characters, no surrounding blanks, no control
    characters (it ends up in URLs, packages and LTI consumer settings)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field_name} is required")
    if value != value.strip() or len(value) > MAX_ID:
        raise InvalidInput(f"{field_name} must be 1 to {MAX_ID} characters without surrounding blanks")
    if any(ord(c) < 0x20 for c in value):
        raise InvalidInput(f"{field_name} must not contain control characters")
    return value


def check_text(value: str | None, field_name: str, limit: int) -> str | None:
    """Free text up to LIMIT characters; NUL is refused (PostgreSQL text cannot hold it)."""
    if value is not None and len(value) > limit:
        raise InvalidInput(f"{field_name} is longer than {limit} characters")
    if value is not None and "\x00" in value:
        raise InvalidInput(f"{field_name} must not contain NUL characters")
    return value


def storable(value: str | None) -> bool:
    """Whether VALUE can be looked up at all (an id holding NUL names nothing stored)."""
    return value is None or "\x00" not in value


def _check_strings(values: dict | None, where: str) -> dict | None:
    for key, value in (values or {}).items():
        if isinstance(value, str):
            check_text(value, f"{where}{key}", 2000)
        elif isinstance(value, dict):
            _check_strings(value, f"{where}{key}.")
    return values


def _checked(data: DestinationData, *, where: str) -> DestinationData:
    name = check_text(data.name, f"{where}name", MAX_NAME)
    if name is not None and not name.strip():
        raise InvalidInput(f"{where}name must not be empty")
    return DestinationData(
        name=name, email=check_text(data.email, f"{where}email", MAX_EMAIL),
        notes=check_text(data.notes, f"{where}notes", MAX_NOTES),
        tags=clean_tags(data.tags, f"{where}tags") if data.tags is not None else None,
        launch_auth=_check_strings(data.launch_auth, f"{where}launchAuth."),
        lti13=_check_lti13(data.lti13, f"{where}lti13Data."))


#: Lti13PlatformConfigurationSchema's fields an LTI 1.3 launch needs (the official client refuses to read
#: a destination without them); accessTokenUrl only for score passback
LTI13_REQUIRED = ("clientId", "platformIssuerIdentifier", "deploymentId", "oidcAuthorizationEndpoint",
                  "jsonWebKeySetUrl")
LTI13_URLS = ("oidcAuthorizationEndpoint", "jsonWebKeySetUrl", "accessTokenUrl")


def _check_lti13(values: dict | None, where: str) -> dict | None:
    """An LMS's LTI 1.3 platform settings: all of LTI13_REQUIRED or nothing (an empty object clears
    them), the endpoints absolute http(s) URLs."""
    _check_strings(values, where)
    if not values:
        return values
    missing = [name for name in LTI13_REQUIRED if not str(values.get(name) or "").strip()]
    if missing:
        raise InvalidInput(f"{where}{missing[0]} is required when LTI 1.3 settings are given "
                           f"(needed: {', '.join(LTI13_REQUIRED)})")
    for name in LTI13_URLS:
        if values.get(name):
            check_url(values[name], f"{where}{name}")
    return values


def find_destination(session: Session, *, application_pk: int, destination_id: str) -> Destination | None:
    if not storable(destination_id):
        return None
    return session.scalars(select(Destination).where(
        Destination.application_pk == application_pk, Destination.destination_id == destination_id)).first()


def get_destination(session: Session, *, application_pk: int, destination_id: str) -> Destination:
    """The application's destination, else NotFound."""
    dest = find_destination(session, application_pk=application_pk, destination_id=destination_id)
    if dest is None:
        raise NotFound(f"Destination [{destination_id}] not found")
    return dest


def _insert(session: Session, application_pk: int, destination_id: str, data: DestinationData) -> Destination:
    now = utcnow()
    dest = Destination(application_pk=application_pk, destination_id=destination_id, name=data.name,
                       email=data.email, notes=data.notes, launch_auth=data.launch_auth or {},
                       lti13=data.lti13 or {}, created=now, updated=now)
    session.add(dest)
    session.flush()
    if data.tags:
        add_tags(session, application_pk=application_pk, kind=TAG_KIND, key=destination_id, tags=data.tags)
    return dest


def create_destinations(session: Session, *, application_pk: int, items: list[NewDestination]) -> list[Destination]:
    """CreateDestinations: every item is checked before any is written, so a bad one creates nothing."""
    if not items:
        raise InvalidInput("destinations must name at least one destination")
    checked: list[tuple[str, DestinationData]] = []
    seen: set[str] = set()
    for n, item in enumerate(items):
        where = f"destinations[{n}]."
        dest_id = check_id(item.destination_id, f"{where}id")
        data = _checked(item.data, where=where)
        if data.name is None:
            raise InvalidInput(f"{where}name is required")
        if dest_id in seen or find_destination(session, application_pk=application_pk, destination_id=dest_id):
            raise InvalidInput(f"Destination [{dest_id}] already exists")
        seen.add(dest_id)
        checked.append((dest_id, data))
    return [_insert(session, application_pk, dest_id, data) for dest_id, data in checked]


def set_destination(session: Session, *, application_pk: int, destination_id: str,
                    data: DestinationData) -> Destination:
    """SetDestination: create it (a name is then required) or change the fields given."""
    check_id(destination_id, "destinationId")
    data = _checked(data, where="")
    dest = find_destination(session, application_pk=application_pk, destination_id=destination_id)
    if dest is None:
        if data.name is None:
            raise InvalidInput("name is required to create a destination")
        return _insert(session, application_pk, destination_id, data)
    for attr in ("name", "email", "notes", "launch_auth", "lti13"):
        value = getattr(data, attr)
        if value is not None:
            setattr(dest, attr, value)
    if data.tags is not None:
        set_tags(session, application_pk=application_pk, kind=TAG_KIND, key=destination_id, tags=data.tags)
    dest.updated = utcnow()
    session.flush()
    return dest


def delete_destination(session: Session, *, destination: Destination) -> None:
    """DeleteDestination: it, its tags, its dispatches and theirs (their packages stop launching)."""
    delete_dispatches_of(session, destination=destination)
    clear_tags(session, application_pk=destination.application_pk, kind=TAG_KIND, key=destination.destination_id)
    session.delete(destination)
    session.flush()


def delete_dispatches_of(session: Session, *, destination: Destination) -> int:
    """Every dispatch of DESTINATION and their tags; how many were deleted."""
    ids = list(session.scalars(select(Dispatch.dispatch_id).where(Dispatch.destination_pk == destination.pk)))
    return delete_dispatch_ids(session, application_pk=destination.application_pk, dispatch_ids=ids)


def delete_dispatch_ids(session: Session, *, application_pk: int, dispatch_ids: list[str]) -> int:
    """Delete the application's dispatches DISPATCH_IDS with their tags (their dispatch registration
    rows go by ON DELETE CASCADE; the registrations themselves stay, with their results)."""
    for chunk in (dispatch_ids[i:i + 500] for i in range(0, len(dispatch_ids), 500)):
        session.execute(delete(Dispatch).where(Dispatch.application_pk == application_pk,
                                               Dispatch.dispatch_id.in_(chunk)))
        session.execute(delete(Tag).where(Tag.application_pk == application_pk, Tag.kind == DISPATCH_TAG_KIND,
                                          Tag.object_key.in_(chunk)))
    session.flush()
    return len(dispatch_ids)


def destination_list_query(application_pk: int, *, course_id: str | None = None,
                           tags: list[str] | None = None) -> Select:
    """The application's destinations; COURSE_ID: those with a dispatch of that course; TAGS: any of them."""
    stmt = select(Destination).where(Destination.application_pk == application_pk)
    if course_id:
        stmt = stmt.where(Destination.pk.in_(select(Dispatch.destination_pk).where(
            Dispatch.application_pk == application_pk, Dispatch.course_id == course_id)))
    if tags:
        stmt = stmt.where(Destination.destination_id.in_(keys_with_any_tag(application_pk, TAG_KIND, tags)))
    return stmt


def dispatch_counts(session: Session, destinations: list[Destination]) -> dict[int, int]:
    """{destination pk: number of dispatches} in one query."""
    pks = [d.pk for d in destinations]
    if not pks:
        return {}
    rows = session.execute(select(Dispatch.destination_pk, func.count()).where(Dispatch.destination_pk.in_(pks))
                           .group_by(Dispatch.destination_pk))
    return {pk: n for pk, n in rows}
