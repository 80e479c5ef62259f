"""The console's pages of invitations and of one invitation's people, newest first, paged both ways by
a keyset on (created, pk): "Older" continues after the last row shown, "Newer" goes back before the
first one. A keyset (not an offset) keeps each page stable while invitations are created or sign-ups
arrive, and costs one index range scan (ix_invitation_app_created, ix_user_invitation_inv_created)
however deep the page. Whether a state filter (open or closed) applies is decided in SQL, so a page is
always full when more rows match."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, not_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from coursehost.db.models.invitations import Invitation, UserInvitation
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


def open_now(now: datetime) -> ColumnElement[bool]:
    """SQL for "someone can start the course through this invitation now": the console's Open state
    (public.refusal_of, plus a public invitation's cap not reached)."""
    people = select(func.count()).where(UserInvitation.invitation_pk == Invitation.pk).scalar_subquery()
    return and_(
        Invitation.allow_launch.is_(True),
        or_(Invitation.expiration_date.is_(None), Invitation.expiration_date > now),
        or_(Invitation.is_public.is_(False), and_(
            Invitation.allow_new_registrations.is_(True),
            or_(Invitation.registration_cap == 0, Invitation.registration_cap.is_(None),
                people < Invitation.registration_cap))))


def with_state(stmt: Select, state: str | None, now: datetime) -> Select:
    """STMT (an invitation_list_query) narrowed to the invitations open or closed at NOW."""
    if state == "open":
        return stmt.where(open_now(now))
    if state == "closed":
        return stmt.where(not_(open_now(now)))
    if state:
        return stmt.where(false())
    return stmt


def invitations_page(session: Session, stmt: Select, *, limit: int, older_than: Key | None = None,
                     newer_than: Key | None = None) -> KeysetPage:
    """A page of invitations of STMT (an invitation_list_query, maybe with_state), newest first."""
    return keyset_page(session, stmt, Invitation, limit=limit, older_than=older_than, newer_than=newer_than)


def people_page(session: Session, invitation: Invitation, *, limit: int, older_than: Key | None = None,
                newer_than: Key | None = None) -> KeysetPage:
    """A page of the people registered through (or invited by) INVITATION, newest first."""
    stmt = select(UserInvitation).where(UserInvitation.invitation_pk == invitation.pk)
    return keyset_page(session, stmt, UserInvitation, limit=limit, older_than=older_than, newer_than=newer_than)
