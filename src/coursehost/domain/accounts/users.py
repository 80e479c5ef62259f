"""Console users, their role in each realm, and who belongs to a realm."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coursehost.db.models.accounts import ConsoleUser, RealmMembership
from coursehost.db.models.tenancy import Realm
from coursehost.domain.applications.service import ensure_realm
from coursehost.domain.errors import Conflict, InvalidInput, NotFound

MAX_EMAIL = 320
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
DEFAULT_LOCKOUT_MINUTES = 30
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# argon2id with argon2-cffi's defaults (RFC 9106's second recommended option).
hasher = PasswordHasher()


class Role(StrEnum):
    """A user's role in a realm; each one may do everything the ones below it may."""

    OWNER = "owner"  # everything in the realm
    ADMINISTRATOR = "administrator"  # everything except the Account tab
    LEARNER = "learner"  # only their assigned courses

    @property
    def rank(self) -> int:
        return {Role.LEARNER: 0, Role.ADMINISTRATOR: 1, Role.OWNER: 2}[self]

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what NEEDED may."""
        return self.rank >= needed.rank

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True)
class Member:
    """A user as a realm's member list shows them."""

    user_id: int
    email: str
    name: str
    role: Role


def email_key(email: str) -> str:
    """The case-insensitive form of an e-mail address that is unique among users."""
    return email.strip().lower()


def check_email(email: str | None) -> str:
    """A plausible e-mail address (something@host.domain), stripped; else InvalidInput."""
    email = (email or "").strip()
    if not email:
        raise InvalidInput("Email is required")
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise InvalidInput("Email must be an e-mail address such as name@example.com")
    return email


def check_password(password: str | None) -> str:
    """A password long enough to resist guessing; else InvalidInput."""
    if password is None or len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Password must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"Password must be at most {MAX_PASSWORD} characters")
    return password


def parse_role(value: str | None) -> Role:
    try:
        return Role((value or "").strip().lower())
    except ValueError:
        raise InvalidInput("Role must be one of owner, administrator, learner") from None


def find_realm(session: Session, ref: str | None) -> Realm:
    """The realm REF names (its id or its exact name); the first realm (created if none) when REF is None."""
    if ref is None:
        return ensure_realm(session)
    realm = session.get(Realm, int(ref)) if ref.isdigit() else None
    if realm is not None:
        return realm
    named = session.scalars(select(Realm).where(Realm.name == ref).order_by(Realm.id)).all()
    if len(named) > 1:
        raise InvalidInput(f"{len(named)} realms are named {ref!r}; give the realm's id instead")
    if not named:
        raise NotFound(f"No realm {ref!r}")
    return named[0]


def find_user(session: Session, email: str) -> ConsoleUser | None:
    return session.scalars(select(ConsoleUser).where(ConsoleUser.email_key == email_key(email))).first()


def create_user(session: Session, *, email: str, role: Role, realm_id: int, name: str = "",
                password: str | None = None, operator: bool = False) -> ConsoleUser:
    """A new user with ROLE in the realm; without PASSWORD they sign in by a one-time link first;
    OPERATOR: they may set realms' limits in the console. Conflict if a user with this e-mail address
    (in any letter case) exists."""
    email = check_email(email)
    password_hash = hasher.hash(check_password(password)) if password is not None else None
    if find_user(session, email) is not None:
        raise Conflict(f"A user with the e-mail address {email} already exists")
    user = ConsoleUser(email=email, email_key=email_key(email), name=name.strip()[:255],
                       password_hash=password_hash, lockout_minutes=DEFAULT_LOCKOUT_MINUTES,
                       failed_signins=0, operator=operator)
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:  # created by someone else between the look-up and the insert
        raise Conflict(f"A user with the e-mail address {email} already exists") from None
    session.add(RealmMembership(user_id=user.id, realm_id=realm_id, role=role.value))
    session.flush()
    return user


def role_in(session: Session, *, user_id: int, realm_id: int) -> Role | None:
    """The user's role in the realm, or None when they are not a member."""
    role = session.scalar(select(RealmMembership.role).where(RealmMembership.user_id == user_id,
                                                             RealmMembership.realm_id == realm_id))
    return Role(role) if role else None


def first_membership(session: Session, *, user_id: int) -> RealmMembership | None:
    """The user's membership of their oldest realm (where a sign-in lands)."""
    return session.scalars(select(RealmMembership).where(RealmMembership.user_id == user_id)
                           .order_by(RealmMembership.realm_id).limit(1)).first()


def realm_members(session: Session, *, realm_id: int) -> list[Member]:
    """Everyone with a role in the realm, owners first, then by e-mail address."""
    rows = session.execute(
        select(ConsoleUser.id, ConsoleUser.email, ConsoleUser.name, RealmMembership.role)
        .join(RealmMembership, RealmMembership.user_id == ConsoleUser.id)
        .where(RealmMembership.realm_id == realm_id)).all()
    members = [Member(uid, email, name, Role(role)) for uid, email, name, role in rows]
    return sorted(members, key=lambda m: (-m.role.rank, m.email.lower()))
