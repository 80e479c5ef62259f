"""The first owner on an empty installation: `coursehost serve` creates them, with a one-time sign-in
link, when no console user exists yet, so that the person who started the server can sign in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.accounts import ConsoleUser
from coursehost.domain.accounts.sessions import create_signin_link
from coursehost.domain.accounts.users import Role, create_user, find_realm
from coursehost.domain.crypto import SecretBox

# A reserved name (RFC 6761's .localhost) that no mail server delivers to; the owner sets theirs.
FIRST_OWNER_EMAIL = "owner@coursehost.localhost"


def bootstrap_owner(session: Session, *, box: SecretBox, valid_for: timedelta) -> tuple[str, str] | None:
    """When no console user exists: an owner of the first realm (the operator) without a password, and a one-time
    sign-in link for them; returns (e-mail address, link token). Otherwise None and nothing is done."""
    if session.scalar(select(ConsoleUser.id).limit(1)) is not None:
        return None
    realm = find_realm(session, None)
    user = create_user(session, email=FIRST_OWNER_EMAIL, role=Role.OWNER, realm_id=realm.id, name="Owner",
                       operator=True)
    return user.email, create_signin_link(session, box=box, user_id=user.id, valid_for=valid_for)
