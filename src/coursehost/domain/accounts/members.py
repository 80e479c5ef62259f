"""Who belongs to a realm, changed by its Owners and Administrators: add a user (an existing one, or a
new one made from their e-mail address) with a role, change a member's role, remove a member.

The rules, whoever calls: only an Owner may make someone an Owner, or change or remove an Owner; the
realm's last Owner can be neither demoted nor removed (a realm always has someone who may do
everything). Each refusal raises before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coursehost.db.models.accounts import ConsoleUser, RealmMembership
from coursehost.domain.accounts.sessions import create_signin_link
from coursehost.domain.accounts.users import Role, check_email, create_user, find_user
from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import Conflict, Forbidden, NotFound
from coursehost.domain.mail.messages import enqueue_template

WELCOME_TEMPLATE = "member_added"


@dataclass(frozen=True)
class Added:
    """The outcome of add_member: the user, and whether their account was made just now."""

    user_id: int
    email: str
    role: Role
    new_account: bool


def _check_actor(actor_role: Role, *, touches_owner: bool) -> None:
    if not actor_role.allows(Role.ADMINISTRATOR):
        raise Forbidden("Only an Owner or an Administrator of the realm may change who belongs to it.")
    if touches_owner and actor_role is not Role.OWNER:
        raise Forbidden("Only an Owner may make someone an Owner, or change or remove an Owner.")


def _membership(session: Session, *, realm_id: int, user_id: int) -> RealmMembership:
    found = session.scalars(select(RealmMembership).where(RealmMembership.realm_id == realm_id,
                                                          RealmMembership.user_id == user_id)
                            .with_for_update()).first()
    if found is None:
        raise NotFound("This user is not a member of the realm.")
    return found


def _other_owners(session: Session, *, realm_id: int, user_id: int) -> int:
    """How many Owners the realm has besides USER_ID (their rows locked until the transaction ends, so
    that two Owners demoting each other at once cannot leave the realm with none)."""
    owners = session.scalars(select(RealmMembership.user_id)
                             .where(RealmMembership.realm_id == realm_id, RealmMembership.role == Role.OWNER.value)
                             .with_for_update()).all()
    return len([uid for uid in owners if uid != user_id])


def add_member(session: Session, *, realm_id: int, actor_role: Role, email: str, role: Role,
               name: str = "") -> Added:
    """Give the user with EMAIL the ROLE in the realm; a user with that address is made (without a
    password: they sign in by a one-time link or a password reset) when there is none.
    Conflict when they are a member already (their role is changed with change_role)."""
    email = check_email(email)
    _check_actor(actor_role, touches_owner=role is Role.OWNER)
    user = find_user(session, email)
    if user is None:
        user = create_user(session, email=email, role=role, realm_id=realm_id, name=name)
        return Added(user.id, user.email, role, True)
    existing = session.scalar(select(RealmMembership.role).where(RealmMembership.realm_id == realm_id,
                                                                 RealmMembership.user_id == user.id))
    if existing is not None:
        raise Conflict(f"{user.email} is already a member of this realm, as {Role(existing).label}; "
                       f"change their role in the list instead.")
    session.add(RealmMembership(user_id=user.id, realm_id=realm_id, role=role.value))
    session.flush()
    return Added(user.id, user.email, role, False)


def tell_new_member(session: Session, *, box: SecretBox, added: Added, realm_name: str, added_by: str,
                    public_url: str, link_valid_for: timedelta) -> None:
    """Queue the e-mail that tells ADDED they now have a role in the realm: with a one-time sign-in link
    (valid LINK_VALID_FOR) when their account was made just now, else with the console's address."""
    values = {"email": added.email, "realm": realm_name, "role": added.role.label, "added_by": added_by,
              "new_account": added.new_account, "console_url": public_url.rstrip("/") + "/console/"}
    if added.new_account:
        token = create_signin_link(session, box=box, user_id=added.user_id, valid_for=link_valid_for)
        values["signin_url"] = public_url.rstrip("/") + f"/console/signin/link/{token}"
        values["valid_hours"] = f"{link_valid_for.total_seconds() / 3600:g}"
    enqueue_template(session, to=added.email, template=WELCOME_TEMPLATE, values=values)


def change_role(session: Session, *, realm_id: int, actor_role: Role, user_id: int, role: Role) -> Role:
    """Give member USER_ID the ROLE in the realm; returns their previous role."""
    membership = _membership(session, realm_id=realm_id, user_id=user_id)
    before = Role(membership.role)
    _check_actor(actor_role, touches_owner=Role.OWNER in (before, role))
    if before is Role.OWNER and role is not Role.OWNER and not _other_owners(session, realm_id=realm_id,
                                                                              user_id=user_id):
        raise Conflict("The realm's last Owner cannot be given another role; make someone else an Owner first.")
    membership.role = role.value
    session.flush()
    return before


def remove_member(session: Session, *, realm_id: int, actor_role: Role, user_id: int) -> str:
    """Take member USER_ID out of the realm (their account stays, with their other realms); returns
    their e-mail address."""
    membership = _membership(session, realm_id=realm_id, user_id=user_id)
    before = Role(membership.role)
    _check_actor(actor_role, touches_owner=before is Role.OWNER)
    if before is Role.OWNER and not _other_owners(session, realm_id=realm_id, user_id=user_id):
        raise Conflict("The realm's last Owner cannot be removed; make someone else an Owner first.")
    email = session.scalar(select(ConsoleUser.email).where(ConsoleUser.id == user_id)) or ""
    session.execute(delete(RealmMembership).where(RealmMembership.id == membership.id))
    return email
