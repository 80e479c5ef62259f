"""The console's pages of invitations and of one invitation's people, newest first, paged both ways by
a keyset on (created, pk): "Older" continues after the last row shown, "Newer" goes back before the
first one. A keyset (not an offset) keeps each page stable while invitations are created or sign-ups
arrive, and costs one index range scan (ix_invitation_app_created, ix_user_invitation_inv_created)
however deep the page. Whether a state filter (open or closed) applies is decided in SQL, so a page is
always full when more rows match."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, false, func, not_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from coursehost.db.models.invitations import Invitation, UserInvitation
from coursehost.domain.keyset import Key, KeysetPage, keyset_page


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
