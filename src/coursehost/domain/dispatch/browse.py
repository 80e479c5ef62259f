"""What the console's Dispatch tab lists: a page of destinations newest first (filtered by name, as
GetDestinations' filterBy=name, and by tag), paged both ways by the (created, pk) keyset the
Invitations tab uses; the destinations to choose from; the courses a "Dispatch" asks for.
(domain/keyset.py pages it)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import Course
from coursehost.db.models.dispatch import Destination, Dispatch
from coursehost.domain.dispatch.destinations import destination_list_query, storable
from coursehost.domain.keyset import Key, KeysetPage, keyset_page
from coursehost.domain.paging import contains_text


def destinations_page(session: Session, *, application_pk: int, name: str = "", tag: str = "", limit: int,
                      older_than: Key | None = None, newer_than: Key | None = None) -> KeysetPage:
    """A page of the application's destinations whose name contains NAME and that carry TAG."""
    stmt = destination_list_query(application_pk, tags=[tag] if tag else None)
    if name:
        stmt = stmt.where(contains_text(Destination.name, name))
    return keyset_page(session, stmt, Destination, limit=limit, older_than=older_than, newer_than=newer_than)


def destination_choices(session: Session, *, application_pk: int) -> list[tuple[str, str]]:
    """(id, name) of every destination of the application, by name."""
    stmt = destination_list_query(application_pk).order_by(Destination.name, Destination.pk)
    return [(d.destination_id, d.name) for d in session.scalars(stmt)]


def courses_named(session: Session, *, application_pk: int, course_ids: list[str]) -> list[tuple[str, str]]:
    """(course id, title) of those of COURSE_IDS the application has, in the order given, once each."""
    ids = list(dict.fromkeys(c for c in course_ids if c and storable(c)))
    if not ids:
        return []
    found = dict(session.execute(select(Course.course_id, Course.title).where(
        Course.application_pk == application_pk, Course.course_id.in_(ids))).all())
    return [(c, found[c] or c) for c in ids if c in found]


def destination_of(session: Session, dispatch: Dispatch) -> Destination:
    return session.get(Destination, dispatch.destination_pk)
