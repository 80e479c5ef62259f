"""Password reset by an e-mailed, single-use, expiring link.

`request_reset` queues the `password_reset` e-mail (domain/mail) when an account has the address and
does nothing otherwise: the caller answers the same either way, so the form reveals no account. The
link's token is stored as a keyed digest in the one-time links table (console_signin_link) under a
purpose of its own, so a reset token never works as a sign-in link nor the reverse.
`reset_password` spends the link, sets the password, lifts the lock-out and signs the user out
everywhere."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.accounts import ConsoleUser, SigninLink
from coursehost.domain.accounts.profile import FieldErrors, check_new_password, revoke_other_sessions, set_password
from coursehost.domain.accounts.users import check_email, find_user
from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import InvalidInput
from coursehost.domain.mail.messages import enqueue_template

VALID_FOR = timedelta(hours=1)
TEMPLATE = "password_reset"
_PURPOSE = "password-reset:"


class InvalidResetLink(InvalidInput):
    """A reset link that was used, expired, or never existed; the message says which."""


def _digest(box: SecretBox, token: str) -> str:
    return box.digest(_PURPOSE + token)


def reset_path(token: str) -> str:
    return f"/console/password-reset/{token}"


def request_reset(session: Session, *, box: SecretBox, email: str, public_url: str,
                  valid_for: timedelta = VALID_FOR) -> bool:
    """Queue a reset e-mail to the user with address EMAIL (any letter case); returns whether one was
    queued. An unknown or malformed address queues nothing and raises nothing."""
    try:
        email = check_email(email)
    except InvalidInput:
        return False
    user = find_user(session, email)
    if user is None:
        return False
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(SigninLink(token_digest=_digest(box, token), user_id=user.id, created=now, expires=now + valid_for))
    session.flush()
    enqueue_template(session, to=user.email, template=TEMPLATE, values={
        "name": user.name or user.email, "email": user.email,
        "expires_minutes": round(valid_for.total_seconds() / 60),
        "reset_url": public_url.rstrip("/") + reset_path(token)})
    return True


def _link(session: Session, box: SecretBox, token: str, now: datetime, *, lock: bool = False) -> SigninLink:
    query = select(SigninLink).where(SigninLink.token_digest == _digest(box, token or ""))
    link = session.scalars(query.with_for_update() if lock else query).first()
    if link is None:
        raise InvalidResetLink("This password reset link is not valid: it may have been copied incompletely. "
                               "Ask for a new one.")
    if link.used is not None:
        raise InvalidResetLink("This password reset link was used already: each link works once. "
                               "Ask for a new one if you need to reset your password again.")
    if now >= link.expires:
        raise InvalidResetLink("This password reset link has expired. Ask for a new one.")
    return link


def check_reset_link(session: Session, *, box: SecretBox, token: str, now: datetime | None = None) -> str:
    """The e-mail address of the account TOKEN may reset; InvalidResetLink otherwise."""
    link = _link(session, box, token, now or utcnow())
    return session.get(ConsoleUser, link.user_id).email


def reset_password(session: Session, *, box: SecretBox, token: str, new: str, confirm: str,
                   now: datetime | None = None) -> str:
    """Spend the reset link TOKEN and set the account's password to NEW (typed twice, as CONFIRM).
    The lock-out is lifted and every session of the user revoked. Returns the account's e-mail address.
    InvalidResetLink when the link cannot be used; FieldErrors when the password is not acceptable
    (the link stays usable)."""
    now = now or utcnow()
    link = _link(session, box, token, now, lock=True)
    errors = check_new_password(new, confirm)
    if errors:
        raise FieldErrors(errors)
    # Spent by a conditional update: of two requests racing with one link, only one resets.
    spent = session.execute(update(SigninLink).where(SigninLink.id == link.id, SigninLink.used.is_(None))
                            .values(used=now))
    if not spent.rowcount:
        raise InvalidResetLink("This password reset link was used already: each link works once.")
    user = session.get(ConsoleUser, link.user_id)
    set_password(user, new)
    session.flush()
    revoke_other_sessions(session, user_id=user.id, keep_session_id=None)
    return user.email
