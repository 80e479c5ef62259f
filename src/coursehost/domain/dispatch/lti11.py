"""LTI 1.1 (Basic LTI) launches of a dispatch: the LMS is the tool consumer, Coursehost the tool
provider. The consumer key is the dispatch's key, the shared secret its secret.

    url = launch(session, box=..., instance_key=..., content_url=..., dispatch_key=..., launch_url=...,
                 form=[(name, value), ...])      # the signed player URL to redirect the browser to
    # LaunchRefused (401): bad signature, stale timestamp, replayed nonce; DispatchRefused (403)

The nonce is remembered in the database (lti_nonce), so a launch replayed to another process is
refused too; it is written in the caller's transaction, so a refused launch leaves nothing behind.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.dispatch import Dispatch
from coursehost.db.models.lti11 import LtiNonce
from coursehost.domain.crypto import SecretBox
from coursehost.domain.dispatch.access import FarLearner, find_by_key, registration_for
from coursehost.domain.dispatch.dispatches import get_dispatch
from coursehost.domain.errors import DomainError, InvalidInput
from coursehost.domain.lti import oauth1
from coursehost.domain.registrations.launch_links import EXPIRY_DEFAULT, build_launch_link, launch_options

VIA = "lti11"
PATH = "/dispatch/lti11/"
#: old nonces are swept on about one launch in this many (a delete on every launch would contend)
SWEEP_EVERY = 20


class LaunchRefused(DomainError):
    """The launch is not one the dispatch's consumer signed (or it was replayed); nothing is created."""

    status = 401


@dataclass(frozen=True)
class Credentials:
    """GetLtiDispatch: what the LMS's administrator enters to add the tool."""

    url: str
    consumer_key: str
    shared_secret: str


def launch_url(public_url: str, dispatch_key: str) -> str:
    """The dispatch's LTI 1.1 launch URL on the service origin (what the consumer signs)."""
    return f"{public_url.rstrip('/')}{PATH}{dispatch_key}"


def credentials(session: Session, *, box: SecretBox, public_url: str, application_pk: int,
                dispatch_id: str) -> Credentials:
    """The launch URL, consumer key and shared secret of the application's dispatch DISPATCH_ID."""
    dispatch = get_dispatch(session, application_pk=application_pk, dispatch_id=dispatch_id)
    return Credentials(url=launch_url(public_url, dispatch.dispatch_key), consumer_key=dispatch.dispatch_key,
                       shared_secret=box.decrypt(dispatch.secret))


def _remember_nonce(session: Session, *, consumer_key: str, nonce: str, timestamp: int, now: datetime) -> None:
    """Store the nonce (unique per consumer key) or refuse the replay. Kept until its timestamp can
    no longer pass the window check, after which the timestamp check refuses a replay by itself."""
    if random.randrange(SWEEP_EVERY) == 0:
        session.execute(delete(LtiNonce).where(LtiNonce.expires < now))
    expires = datetime.fromtimestamp(timestamp, UTC) + timedelta(seconds=oauth1.TIMESTAMP_WINDOW + 60)
    try:
        with session.begin_nested():
            session.add(LtiNonce(consumer_key=consumer_key[:64], nonce=nonce[:255], expires=expires))
    except IntegrityError:
        raise LaunchRefused("This launch was already used (its nonce was seen before); "
                            "launch again from your LMS.") from None


def _first(form: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in form if k == name), "").strip()


def far_learner(form: list[tuple[str, str]]) -> FarLearner:
    """The learner as the consumer names them (LTI 1.1 §4.1: user_id, lis_person_*)."""
    first, last = _first(form, "lis_person_name_given"), _first(form, "lis_person_name_family")
    full = _first(form, "lis_person_name_full")
    if full and not (first or last):
        first, _, last = full.partition(" ")
    return FarLearner(learner_id=_first(form, "user_id"), first_name=first, last_name=last,
                      email=_first(form, "lis_person_contact_email_primary"))


def _check_message(form: list[tuple[str, str]]) -> None:
    if _first(form, "lti_message_type") != "basic-lti-launch-request":
        raise InvalidInput("lti_message_type must be basic-lti-launch-request")
    if _first(form, "lti_version") not in ("LTI-1p0", "LTI-1p1"):
        raise InvalidInput("lti_version must be LTI-1p0")
    if not _first(form, "resource_link_id"):
        raise InvalidInput("resource_link_id is required (LTI 1.1 §4.1)")
    if not _first(form, "user_id"):
        raise InvalidInput("user_id is required: this course keeps a learner's results, so the LMS must "
                           "send who the learner is")


def verify(session: Session, *, box: SecretBox, dispatch: Dispatch, launch_url: str,
           form: list[tuple[str, str]], now: datetime | None = None) -> None:
    """Refuse (LaunchRefused) a launch the dispatch's consumer did not sign, a stale one or a replay."""
    now = now or utcnow()
    oauth = {k: v for k, v in form if k.startswith("oauth_")}
    others = [(k, v) for k, v in form if not k.startswith("oauth_")]
    if oauth.get("oauth_consumer_key") != dispatch.dispatch_key:
        raise LaunchRefused("The consumer key does not belong to this launch URL.")
    checked = oauth1.check(method="POST", url=launch_url, oauth=oauth, other_params=others,
                           consumer_secret=box.decrypt(dispatch.secret), now=now.timestamp())
    if checked.problem:
        raise LaunchRefused(checked.problem)
    _remember_nonce(session, consumer_key=dispatch.dispatch_key, nonce=checked.nonce,
                    timestamp=checked.timestamp, now=now)


def outcome_of(form: list[tuple[str, str]]) -> dict:
    """Where Basic Outcomes go (LTI 1.1 §6), when the consumer asked for them."""
    url, sourcedid = _first(form, "lis_outcome_service_url"), _first(form, "lis_result_sourcedid")
    if not url or not sourcedid:
        return {}
    return {"lis_outcome_service_url": url[:2000], "lis_result_sourcedid": sourcedid[:1000]}


def launch(session: Session, *, box: SecretBox, instance_key: str, content_url: str, public_url: str,
           dispatch_key: str, form: list[tuple[str, str]], now: datetime | None = None) -> str:
    """Check a signed launch of dispatch DISPATCH_KEY and resume or create the learner's registration;
    the signed player URL (on the content origin) to send the browser to."""
    dispatch = find_by_key(session, dispatch_key)
    verify(session, box=box, dispatch=dispatch, launch_url=launch_url(public_url, dispatch_key), form=form, now=now)
    _check_message(form)
    registration = registration_for(
        session, instance_key=instance_key, dispatch=dispatch, learner=far_learner(form), via=VIA,
        context_key=_first(form, "resource_link_id"), outcome=outcome_of(form), now=now)
    options = launch_options(session, registration=registration, start_sco=None, culture=None, css_url=None,
                             redirect_on_exit_url=_first(form, "launch_presentation_return_url") or "message")
    return build_launch_link(instance_key=instance_key, content_url=content_url, registration=registration,
                             options=options, tracking=True, expiry=EXPIRY_DEFAULT)
