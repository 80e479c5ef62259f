"""One launch's debug log as the console shows it, and read-only links to it for support staff.

A shared link is `sign(instance key, SHARE_PURPOSE, {"s": share id, "exp": expiry})`: nothing
stored opens it, and any change to it breaks the signature. Its LaunchLogShare row makes it
revocable and says who made it; the row's expiry (the one signed into the token) is the one that
counts. When the launch goes (its registration is deleted, or the learner's data), so does the row,
and the link stops working."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.registrations import Launch, LaunchLogShare, Registration, RegistrationInstance
from coursehost.domain.errors import Conflict, InvalidInput, NotFound
from coursehost.domain.registrations import core
from coursehost.domain.registrations.launch_tokens import TokenInvalid, sign, verify
from coursehost.domain.reporting.models import LaunchHistory
from coursehost.domain.runtime.debuglog import read_log
from coursehost.domain.runtime.launches import history_entry

SHARE_PURPOSE = "launch-log-share"
MIN_SHARE_LIFETIME = timedelta(minutes=5)
MAX_SHARE_LIFETIME = timedelta(days=90)


class ShareNotFound(NotFound):
    """No such shared link: never made here, altered, or its launch was deleted."""


class ShareGone(Conflict):
    """A genuine shared link that no longer opens the log (HTTP 410): expired or revoked."""

    status = 410


@dataclass
class LaunchLogView:
    """One launch: its launch-history entry, its whole debug log (oldest first) and what reading it needs."""

    launch_pk: int
    history: LaunchHistory
    entries: list[dict]
    standard: str  # the learning standard of the course version it ran (error codes differ by it)
    user_agent: str | None
    tracking: bool


def _view(session: Session, launch: Launch, instance: RegistrationInstance) -> LaunchLogView:
    version = core.instance_version(session, instance)
    return LaunchLogView(launch.pk, history_entry(launch, instance.instance), read_log(session, launch),
                         version.learning_standard, launch.user_agent, bool(launch.tracking))


def registration_launch(session: Session, *, registration: Registration, launch_id: str) -> LaunchLogView:
    """Launch LAUNCH_ID of REGISTRATION (any of its instances) with its debug log, or NotFound."""
    found = session.execute(
        select(Launch, RegistrationInstance).join(RegistrationInstance, Launch.instance_pk == RegistrationInstance.pk)
        .where(RegistrationInstance.registration_pk == registration.pk, Launch.launch_id == launch_id)).first()
    if found is None:
        raise NotFound(f"Registration [{registration.registration_id}] has no launch [{launch_id}]")
    return _view(session, *found)


# ---------------------------------------------------------------- shared links


def share_token(instance_key: str, share: LaunchLogShare) -> str:
    """The token of SHARE's URL (the same every time it is asked for)."""
    return sign(instance_key, SHARE_PURPOSE, {"s": share.share_id, "exp": int(share.expires.timestamp())})


def share_launch_log(session: Session, *, launch_pk: int, created_by: str, lifetime: timedelta,
                     now: datetime | None = None) -> LaunchLogShare:
    """A new shared link to launch LAUNCH_PK's log, valid for LIFETIME; share_token() gives its token."""
    if not MIN_SHARE_LIFETIME <= lifetime <= MAX_SHARE_LIFETIME:
        raise InvalidInput("A shared link lasts between 5 minutes and 90 days")
    now = now or utcnow()
    share = LaunchLogShare(share_id=secrets.token_hex(12), launch_pk=launch_pk, created_by=created_by[:320],
                           created=now, expires=(now + lifetime).replace(microsecond=0))
    session.add(share)
    session.flush()
    return share


def launch_shares(session: Session, *, launch_pk: int) -> list[LaunchLogShare]:
    """The shared links of launch LAUNCH_PK, newest first (revoked and expired ones too)."""
    return list(session.scalars(select(LaunchLogShare).where(LaunchLogShare.launch_pk == launch_pk)
                                .order_by(LaunchLogShare.created.desc(), LaunchLogShare.pk.desc())))


def revoke_share(session: Session, *, launch_pk: int, share_id: str, now: datetime | None = None) -> LaunchLogShare:
    """Revoke shared link SHARE_ID of launch LAUNCH_PK at once (revoking twice changes nothing)."""
    share = session.scalars(select(LaunchLogShare).where(
        LaunchLogShare.launch_pk == launch_pk, LaunchLogShare.share_id == share_id)).first()
    if share is None:
        raise ShareNotFound("This launch has no such shared link")
    share.revoked = share.revoked or (now or utcnow())
    session.flush()
    return share


def open_shared_log(session: Session, *, instance_key: str, token: str,
                    now: datetime | None = None) -> tuple[LaunchLogShare, LaunchLogView]:
    """The share TOKEN names and its launch's log; ShareNotFound, or ShareGone when expired or revoked."""
    try:
        # The signature only: whether it is still valid is the row's expiry below, so that an
        # expired link says "expired" rather than "not found".
        payload = verify(instance_key, SHARE_PURPOSE, token, now=0.0)
    except TokenInvalid:
        raise ShareNotFound("There is no such shared link") from None
    found = session.execute(
        select(LaunchLogShare, Launch, RegistrationInstance)
        .join(Launch, LaunchLogShare.launch_pk == Launch.pk)
        .join(RegistrationInstance, Launch.instance_pk == RegistrationInstance.pk)
        .where(LaunchLogShare.share_id == str(payload.get("s")))).first()
    if found is None:
        raise ShareNotFound("There is no such shared link, or the launch it showed was deleted")
    share, launch, instance = found
    if share.revoked is not None:
        raise ShareGone("This link was revoked by the people who shared it")
    if (now or utcnow()) >= share.expires:
        raise ShareGone("This link has expired")
    return share, _view(session, launch, instance)
