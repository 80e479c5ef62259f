"""Server-side console sessions and one-time sign-in links. A browser holds a random token; the
database keeps only its keyed digest (SecretBox.digest), so reading the table signs no one in."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.accounts import ConsoleSession, ConsoleUser, RealmMembership, SigninLink
from coursehost.db.models.tenancy import Realm
from coursehost.domain.accounts.users import Role, first_membership, role_in
from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import InvalidInput

# last_seen is written at most this often, so that reading pages does not write on every request.
LAST_SEEN_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class SignedIn:
    """Who a console request comes from: the user, the realm they are working in, their role there,
    and the session's CSRF token that every form must send back."""

    session_id: int
    user_id: int
    email: str
    name: str
    realm_id: int
    realm_name: str
    role: Role
    csrf_token: str
    # Every realm the user has a role in, as (id, name), by name: the header's realm picker.
    realms: tuple[tuple[int, str], ...] = ()
    operator: bool = False  # the installation's operator: may set any realm's limits


class InvalidSigninLink(InvalidInput):
    """A one-time sign-in link that was used, expired, or never existed."""


def open_session(session: Session, *, box: SecretBox, user_id: int, realm_id: int) -> str:
    """A new session for the user in the realm; returns the token the browser keeps (its cookie)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(ConsoleSession(token_digest=box.digest(token), user_id=user_id, realm_id=realm_id,
                               csrf_token=secrets.token_urlsafe(32), created=now, last_seen=now,
                               revoked=False))
    session.flush()
    return token


def current(session: Session, *, box: SecretBox, token: str | None, idle: timedelta,
            now: datetime | None = None) -> SignedIn | None:
    """The signed-in user TOKEN stands for, or None: unknown, revoked, idle longer than IDLE, or the
    user has no role in any realm. A session whose realm the user was taken out of moves to their
    first remaining realm."""
    if not token:
        return None
    now = now or utcnow()
    row = session.execute(
        select(ConsoleSession, ConsoleUser, Realm)
        .join(ConsoleUser, ConsoleUser.id == ConsoleSession.user_id)
        .join(Realm, Realm.id == ConsoleSession.realm_id)
        .where(ConsoleSession.token_digest == box.digest(token))).first()
    if row is None:
        return None
    sess, user, realm = row
    if sess.revoked or now - sess.last_seen > idle:
        return None
    role = role_in(session, user_id=user.id, realm_id=realm.id)
    if role is None:
        membership = first_membership(session, user_id=user.id)
        if membership is None:
            return None
        sess.realm_id, role = membership.realm_id, Role(membership.role)
        realm = session.get(Realm, membership.realm_id)
    if now - sess.last_seen > LAST_SEEN_GRANULARITY:
        sess.last_seen = now
    realms = session.execute(select(Realm.id, Realm.name)
                             .join(RealmMembership, RealmMembership.realm_id == Realm.id)
                             .where(RealmMembership.user_id == user.id).order_by(Realm.name, Realm.id)).all()
    return SignedIn(sess.id, user.id, user.email, user.name, realm.id, realm.name, role, sess.csrf_token,
                    tuple((realm_id, name) for realm_id, name in realms), bool(user.operator))


def revoke(session: Session, *, session_id: int) -> None:
    """Sign out one session."""
    session.execute(update(ConsoleSession).where(ConsoleSession.id == session_id).values(revoked=True))


def revoke_all(session: Session, *, user_id: int) -> int:
    """Sign the user out everywhere: every session of theirs is revoked; returns how many were open."""
    result = session.execute(update(ConsoleSession)
                             .where(ConsoleSession.user_id == user_id, ConsoleSession.revoked.is_(False))
                             .values(revoked=True))
    return result.rowcount or 0


def open_sessions(session: Session, *, user_id: int) -> int:
    """How many sessions of the user are not revoked (some may have gone idle)."""
    return len(session.scalars(select(ConsoleSession.id).where(ConsoleSession.user_id == user_id,
                                                               ConsoleSession.revoked.is_(False))).all())


def create_signin_link(session: Session, *, box: SecretBox, user_id: int, valid_for: timedelta) -> str:
    """A token that signs the user in once, until VALID_FOR from now; only its digest is stored."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(SigninLink(token_digest=box.digest(token), user_id=user_id, created=now, expires=now + valid_for))
    session.flush()
    return token


def use_signin_link(session: Session, *, box: SecretBox, token: str, now: datetime | None = None) -> int:
    """Spend a one-time sign-in link: the user id it signs in. InvalidSigninLink when it was used,
    expired or never existed (the same message for each: the link is all the caller knows)."""
    now = now or utcnow()
    link = session.scalars(select(SigninLink).where(SigninLink.token_digest == box.digest(token))
                           .with_for_update()).first()
    if link is None or link.used is not None or now >= link.expires:
        raise InvalidSigninLink("This sign-in link cannot be used: it was used already, it expired, "
                                "or it was copied incompletely. Ask for a new one.")
    # Spent by a conditional update: of two requests racing with one link, only one signs in.
    spent = session.execute(update(SigninLink).where(SigninLink.id == link.id, SigninLink.used.is_(None))
                            .values(used=now))
    if not spent.rowcount:
        raise InvalidSigninLink("This sign-in link cannot be used: it was used already.")
    return link.user_id
