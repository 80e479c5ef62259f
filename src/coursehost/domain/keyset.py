"""Console lists paged both ways by a keyset on (created, pk), newest first: "Older" continues after
the last row shown, "Newer" goes back before the first one. A keyset (not an offset) keeps each page
stable while rows are added, and costs one index range scan on (..., created, pk) however deep the
page. Used by the Invitations and Dispatch tabs (domain/invitations/browse.py, domain/dispatch/browse.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from coursehost.domain.errors import InvalidInput

#: A position in a list: the (created, pk) of the row a page starts after (or ends before).
Key = tuple[datetime, int]


@dataclass
class KeysetPage:
    """One page of rows, newest first; NEWER / OLDER: the keys to pass for the pages either side
    (None when there is nothing on that side)."""

    rows: list[Any]
    newer: Key | None
    older: Key | None


def key_text(key: Key) -> str:
    """KEY as a page link carries it: "<created, ISO 8601>_<pk>"."""
    return f"{key[0].isoformat()}_{key[1]}"


def parse_key(raw: str | None) -> Key | None:
    """A key from a page link (key_text); InvalidInput for one this page did not make."""
    if not raw:
        return None
    created, _, pk = raw.rpartition("_")
    try:
        when, number = datetime.fromisoformat(created), int(pk)
    except ValueError:
        raise InvalidInput("This page link is not valid; start again from the first page") from None
    if when.tzinfo is None or number < 0:
        raise InvalidInput("This page link is not valid; start again from the first page")
    return when, number


def _older_than(model, key: Key) -> ColumnElement[bool]:
    return or_(model.created < key[0], and_(model.created == key[0], model.pk < key[1]))


def _newer_than(model, key: Key) -> ColumnElement[bool]:
    return or_(model.created > key[0], and_(model.created == key[0], model.pk > key[1]))


def keyset_page(session: Session, stmt: Select, model, *, limit: int, older_than: Key | None = None,
                newer_than: Key | None = None) -> KeysetPage:
    """The LIMIT rows of STMT (rows of MODEL, which has created and pk) newest first: the newest ones,
    the ones just older than OLDER_THAN, or the ones just newer than NEWER_THAN."""
    if newer_than is not None:
        found = list(session.scalars(stmt.where(_newer_than(model, newer_than))
                                     .order_by(model.created.asc(), model.pk.asc()).limit(limit)))
        found.reverse()
        if len(found) < limit:  # the newest rows: show a full first page rather than a short one
            return keyset_page(session, stmt, model, limit=limit)
    else:
        if older_than is not None:
            stmt_page = stmt.where(_older_than(model, older_than))
        else:
            stmt_page = stmt
        found = list(session.scalars(stmt_page.order_by(model.created.desc(), model.pk.desc()).limit(limit)))
    if not found:
        return KeysetPage([], None, None)
    first, last = (found[0].created, found[0].pk), (found[-1].created, found[-1].pk)
    has_newer = session.scalar(select(stmt.where(_newer_than(model, first)).exists()))
    has_older = session.scalar(select(stmt.where(_older_than(model, last)).exists()))
    return KeysetPage(found, first if has_newer else None, last if has_older else None)
