"""What the console's Dispatch tab lists: a page of destinations newest first (filtered by name, as
GetDestinations' filterBy=name, and by tag), paged both ways by the (created, pk) keyset the
Invitations tab uses; the destinations to choose from; the courses a "Dispatch" asks for.

The keyset paging repeats domain/invitations/browse.py's (the layering contract keeps the domain
packages dispatch and invitations apart); both could move to domain/paging.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import Course
from coursehost.db.models.dispatch import Destination, Dispatch
from coursehost.domain.dispatch.destinations import destination_list_query, storable
from coursehost.domain.paging import contains_text

Key = tuple[datetime, int]  # (created, pk) of the row a page starts after or ends before


@dataclass
class KeysetPage:
    """Rows newest first; NEWER / OLDER: the keys of the pages either side (None: nothing there)."""

    rows: list[Any]
    newer: Key | None
    older: Key | None


def _newer(key: Key):
    return or_(Destination.created > key[0], and_(Destination.created == key[0], Destination.pk > key[1]))


def _older(key: Key):
    return or_(Destination.created < key[0], and_(Destination.created == key[0], Destination.pk < key[1]))


def _keyset_page(session: Session, stmt, *, limit: int, older_than: Key | None, newer_than: Key | None) -> KeysetPage:
    if newer_than is not None:
        found = list(session.scalars(stmt.where(_newer(newer_than))
                                     .order_by(Destination.created.asc(), Destination.pk.asc()).limit(limit)))
        found.reverse()
        if len(found) < limit:  # the newest rows: a full first page rather than a short one
            return _keyset_page(session, stmt, limit=limit, older_than=None, newer_than=None)
    else:
        page_stmt = stmt.where(_older(older_than)) if older_than is not None else stmt
        found = list(session.scalars(page_stmt.order_by(Destination.created.desc(), Destination.pk.desc())
                                     .limit(limit)))
    if not found:
        return KeysetPage([], None, None)
    first, last = (found[0].created, found[0].pk), (found[-1].created, found[-1].pk)
    has_newer = session.scalar(select(stmt.where(_newer(first)).exists()))
    has_older = session.scalar(select(stmt.where(_older(last)).exists()))
    return KeysetPage(found, first if has_newer else None, last if has_older else None)


def destinations_page(session: Session, *, application_pk: int, name: str = "", tag: str = "", limit: int,
                      older_than: Key | None = None, newer_than: Key | None = None) -> KeysetPage:
    """A page of the application's destinations whose name contains NAME and that carry TAG."""
    stmt = destination_list_query(application_pk, tags=[tag] if tag else None)
    if name:
        stmt = stmt.where(contains_text(Destination.name, name))
    return _keyset_page(session, stmt, limit=limit, older_than=older_than, newer_than=newer_than)


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
