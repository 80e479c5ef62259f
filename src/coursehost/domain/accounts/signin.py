"""Sign-in with a password: argon2 verification, and the lock-out after too many wrong passwords in
a row (the user's own lock-out time). Per-address throttling is the caller's (the shared
FailureThrottle), so that guessing many accounts from one address is slowed too."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.domain.accounts.sessions import open_session
from coursehost.domain.accounts.users import find_user, first_membership, hasher
from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import DomainError, Forbidden


@cache
def _dummy_hash() -> str:
    """Verified when no user has the address, so that an unknown address takes as long as a wrong
    password. Made on first use, not at import: an argon2 hash costs every process that imports the
    app (each CLI command, each test worker) about half a second of CPU."""
    return hasher.hash("not anybody's password")


class WrongCredentials(DomainError):
    """The e-mail address or the password is wrong (the message never says which)."""

    status = 401

    def __init__(self):
        super().__init__("The email or password is wrong.")


class AccountLocked(DomainError):
    """Too many wrong passwords in a row: the account refuses every sign-in until `until`."""

    status = 403

    def __init__(self, until: datetime):
        super().__init__(f"This account is locked after too many wrong passwords, until "
                         f"{until:%Y-%m-%d %H:%M} UTC.")
        self.until = until


def _password_matches(password_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def sign_in(session: Session, *, box: SecretBox, email: str, password: str, max_failed: int,
            now: datetime | None = None) -> str:
    """Check EMAIL and PASSWORD and open a session in the user's first realm; returns its token.

    Raises WrongCredentials (a wrong password is counted against the user), AccountLocked (while locked,
    even with the right password; and on the wrong password that locks it), or Forbidden (no realm).
    The counts are written in the caller's transaction: commit it when this raises too."""
    now = now or utcnow()
    user = find_user(session, email) if email else None
    if user is None:
        _password_matches(None, password)
        raise WrongCredentials()
    if user.locked_until is not None and now < user.locked_until:
        raise AccountLocked(user.locked_until)
    if not _password_matches(user.password_hash, password):
        user.failed_signins = (user.failed_signins or 0) + 1
        if user.failed_signins >= max_failed:
            user.failed_signins = 0
            user.locked_until = now + timedelta(minutes=user.lockout_minutes)
            session.flush()
            raise AccountLocked(user.locked_until)
        session.flush()
        raise WrongCredentials()
    user.failed_signins = 0
    user.locked_until = None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    membership = first_membership(session, user_id=user.id)
    if membership is None:
        raise Forbidden("This account has no role in any realm; ask a realm's owner to add you.")
    return open_session(session, box=box, user_id=user.id, realm_id=membership.realm_id)


def sign_in_by_link(session: Session, *, box: SecretBox, user_id: int) -> str:
    """Open a session for a user a one-time link identified (sessions.use_signin_link)."""
    membership = first_membership(session, user_id=user_id)
    if membership is None:
        raise Forbidden("This account has no role in any realm; ask a realm's owner to add you.")
    return open_session(session, box=box, user_id=user_id, realm_id=membership.realm_id)
