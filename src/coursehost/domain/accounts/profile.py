"""A console user's own settings: name, e-mail address (unique in any letter case), password lock-out
time, and their password (changing it needs the current one, unless they have none yet because a
one-time link signed them in). Errors name the field they belong to (FieldErrors), so that a form
can show each message beside its field; nothing is saved while any field is wrong."""

from __future__ import annotations

from dataclasses import dataclass

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coursehost.db.models.accounts import ConsoleSession, ConsoleUser
from coursehost.domain.accounts.users import MAX_EMAIL, check_email, check_password, email_key, hasher
from coursehost.domain.errors import InvalidInput, NotFound

MAX_NAME = 255
MIN_LOCKOUT_MINUTES = 1
MAX_LOCKOUT_MINUTES = 1440  # a day: longer locks out the owner more than a guesser


class FieldErrors(InvalidInput):
    """Some fields are wrong: `errors` maps each field's name to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Profile:
    """What the settings page shows of a user."""

    email: str
    name: str
    lockout_minutes: int
    has_password: bool


def _user(session: Session, user_id: int) -> ConsoleUser:
    user = session.get(ConsoleUser, user_id)
    if user is None:
        raise NotFound("No such user")
    return user


def profile(session: Session, *, user_id: int) -> Profile:
    user = _user(session, user_id)
    return Profile(user.email, user.name, user.lockout_minutes, user.password_hash is not None)


def parse_lockout_minutes(value: str | int | None) -> int:
    """The lock-out time as a whole number of minutes in range; else InvalidInput saying so."""
    text = str(value if value is not None else "").strip()
    if not text:
        raise InvalidInput("Lock-out time is required")
    if not text.isdigit() or not MIN_LOCKOUT_MINUTES <= int(text) <= MAX_LOCKOUT_MINUTES:
        raise InvalidInput(f"Lock-out time must be a whole number of minutes from {MIN_LOCKOUT_MINUTES} "
                           f"to {MAX_LOCKOUT_MINUTES}")
    return int(text)


def update_profile(session: Session, *, user_id: int, name: str, email: str,
                   lockout_minutes: str | int) -> Profile:
    """Save the user's name, e-mail address and lock-out time, all or nothing. FieldErrors (fields
    `name`, `email`, `lockout_minutes`) when any is wrong or another user has the address."""
    user = _user(session, user_id)
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if len(name) > MAX_NAME:
        errors["name"] = f"Name must be at most {MAX_NAME} characters"
    try:
        email = check_email(email)
    except InvalidInput as exc:
        errors["email"] = str(exc)
    else:
        other = session.scalar(select(ConsoleUser.id).where(ConsoleUser.email_key == email_key(email),
                                                            ConsoleUser.id != user.id))
        if other is not None:
            errors["email"] = "Another user has this e-mail address"
    try:
        minutes = parse_lockout_minutes(lockout_minutes)
    except InvalidInput as exc:
        errors["lockout_minutes"] = str(exc)
    if errors:
        raise FieldErrors(errors)
    try:
        with session.begin_nested():
            user.name, user.email, user.email_key = name, email[:MAX_EMAIL], email_key(email)
            user.lockout_minutes = minutes
            session.flush()
    except IntegrityError:  # another user took the address between the look-up and the update
        raise FieldErrors({"email": "Another user has this e-mail address"}) from None
    return profile(session, user_id=user.id)


def _matches(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(new: str | None, confirm: str | None) -> dict[str, str]:
    """The field errors of a new password and its confirmation (empty when both are right)."""
    errors: dict[str, str] = {}
    try:
        check_password(new or "")
    except InvalidInput as exc:
        errors["new_password"] = str(exc).replace("Password", "New password", 1)
    if "new_password" not in errors and (confirm or "") != new:
        errors["confirm_password"] = "The two new passwords differ; type the same password twice"
    return errors


def set_password(user: ConsoleUser, password: str) -> None:
    """Store PASSWORD's argon2 hash, and lift any lock-out (the owner of the account chose it)."""
    user.password_hash = hasher.hash(password)
    user.failed_signins = 0
    user.locked_until = None


def revoke_other_sessions(session: Session, *, user_id: int, keep_session_id: int | None) -> int:
    """Revoke every session of the user except KEEP_SESSION_ID; returns how many were open."""
    query = update(ConsoleSession).where(ConsoleSession.user_id == user_id, ConsoleSession.revoked.is_(False))
    if keep_session_id is not None:
        query = query.where(ConsoleSession.id != keep_session_id)
    return session.execute(query.values(revoked=True)).rowcount or 0


def change_password(session: Session, *, user_id: int, current: str | None, new: str, confirm: str,
                    keep_session_id: int | None) -> int:
    """Set the user's password. A user who has one must give it as CURRENT (FieldErrors on
    `current_password` otherwise); NEW must be a valid password typed twice. The user's other sessions
    are signed out; returns how many."""
    user = _user(session, user_id)
    errors: dict[str, str] = {}
    if user.password_hash is not None:
        if not current:
            errors["current_password"] = "Current password is required"
        elif not _matches(user.password_hash, current):
            errors["current_password"] = "Current password is wrong"
    errors.update(check_new_password(new, confirm))
    if errors:
        raise FieldErrors(errors)
    set_password(user, new)
    session.flush()
    return revoke_other_sessions(session, user_id=user.id, keep_session_id=keep_session_id)
