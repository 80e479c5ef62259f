"""A user's realms ("Your realms"): the realms they belong to with their role in each, creating a realm
(its creator becomes its Owner), renaming one (Owners only), and switching a console session to another
of their realms. A user never reaches a realm they have no role in: that is Forbidden, nothing done."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coursehost.db.models.accounts import ConsoleSession, RealmMembership
from coursehost.db.models.tenancy import Realm
from coursehost.domain.accounts.users import Role, role_in
from coursehost.domain.applications import service as apps
from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import Forbidden


@dataclass(frozen=True)
class MyRealm:
    """A realm as its member sees it in "Your realms" and the realm picker."""

    realm_id: int
    name: str
    role: Role


def user_realms(session: Session, *, user_id: int) -> list[MyRealm]:
    """Every realm the user has a role in, by name (then id), with that role."""
    rows = session.execute(
        select(Realm.id, Realm.name, RealmMembership.role)
        .join(RealmMembership, RealmMembership.realm_id == Realm.id)
        .where(RealmMembership.user_id == user_id)
        .order_by(Realm.name, Realm.id)).all()
    return [MyRealm(realm_id, name, Role(role)) for realm_id, name, role in rows]


def _not_yours() -> Forbidden:
    # The same answer whether the realm exists or not, so that no one learns of another's realms.
    return Forbidden("You do not have a role in this realm.")


def create_realm(session: Session, *, box: SecretBox, user_id: int, name: str) -> MyRealm:
    """A new realm named NAME, with what every realm starts with (domain/applications: a default
    application), and USER_ID as its Owner. InvalidInput for a blank or too long name."""
    realm, _credentials = apps.create_realm(session, box=box, name=name)
    session.add(RealmMembership(user_id=user_id, realm_id=realm.id, role=Role.OWNER.value))
    session.flush()
    return MyRealm(realm.id, realm.name, Role.OWNER)


def rename_realm(session: Session, *, user_id: int, realm_id: int, name: str) -> MyRealm:
    """Rename a realm of which USER_ID is an Owner; Forbidden otherwise (nothing renamed)."""
    role = role_in(session, user_id=user_id, realm_id=realm_id)
    if role is None:
        raise _not_yours()
    if role is not Role.OWNER:
        raise Forbidden(f"Only an Owner of the realm may rename it; your role there is {role.label}.")
    name = apps.check_name(name, "Name")
    realm = session.get(Realm, realm_id)
    assert realm is not None  # a membership's realm exists (foreign key)
    realm.name = name
    session.flush()
    return MyRealm(realm.id, realm.name, role)


def switch_realm(session: Session, *, session_id: int, user_id: int, realm_id: int) -> MyRealm:
    """Make REALM_ID the console session's current realm; Forbidden (session unchanged) unless the
    user has a role there."""
    role = role_in(session, user_id=user_id, realm_id=realm_id)
    if role is None:
        raise _not_yours()
    session.execute(update(ConsoleSession)
                    .where(ConsoleSession.id == session_id, ConsoleSession.user_id == user_id)
                    .values(realm_id=realm_id))
    realm = session.get(Realm, realm_id)
    assert realm is not None
    return MyRealm(realm.id, realm.name, role)
