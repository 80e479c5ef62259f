"""How a far-side learner gets into a dispatched course: the one path every dispatch launch takes
(the shell package in another LMS, LTI 1.1, LTI 1.3).

    dispatch = find_by_key(session, dispatch_key)            # or NotFound
    reg = registration_for(session, box=..., dispatch=dispatch, learner=FarLearner(...),
                           via="scorm12", context_key="", outcome={})
    # DispatchRefused(message) when disabled, expired, closed to new registrations or at its cap

The count and the insert happen under a row lock on the dispatch (as invitations do), so concurrent
first launches never exceed registrationCap. A learner who already has a registration through the
dispatch resumes it even when the dispatch no longer takes new ones (SCORM Cloud does the same).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.dispatch import Destination, Dispatch, DispatchRegistration
from coursehost.db.models.registrations import Registration
from coursehost.domain.errors import DomainError, InvalidInput, NotFound
from coursehost.domain.registrations import core, lifecycle
from coursehost.domain.reports import summary as reports

#: every registration made through a dispatch has an id that starts so (outcomes.py relies on it)
ID_PREFIX = "dispatch-"
#: the launch option of a dispatch shell's launch ({"origin": the shell's origin, "startSeconds": ...}):
#: its commits answer with the registration's rollup, which the player posts to the shell
SHELL_LAUNCH_OPTION = "dispatchShell"
VIAS = ("scorm12", "scorm2004", "aicc", "lti11", "lti13")
MAX_LEARNER_ID = 255


class DispatchRefused(DomainError):
    """The dispatch exists but takes no launch now; the message is for the learner, in words."""

    status = 403


@dataclass
class FarLearner:
    """The learner as the far side (the receiving LMS, the LTI platform) names them."""

    learner_id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    extra: dict = field(default_factory=dict)


def find_by_key(session: Session, dispatch_key: str, *, lock: bool = False) -> Dispatch:
    """The dispatch whose shell package or LTI consumer key is DISPATCH_KEY (global, not per
    application: the far side knows only the key)."""
    stmt = select(Dispatch).where(Dispatch.dispatch_key == dispatch_key)
    if lock:
        stmt = stmt.with_for_update()
    dispatch = session.scalars(stmt).first()
    if dispatch is None:
        raise NotFound("There is no dispatch with this key; the package may have been deleted.")
    return dispatch


def destination_of(session: Session, dispatch: Dispatch) -> Destination:
    return session.get(Destination, dispatch.destination_pk)


def aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def refusal(dispatch: Dispatch, now: datetime, *, new: bool) -> str | None:
    """Why DISPATCH takes no launch (NEW: a first launch of a learner), or None."""
    if not dispatch.enabled:
        return "This course has been disabled by its provider."
    expires = aware(dispatch.expiration_date)
    if expires is not None and expires <= now:
        return "Access to this course expired on " + expires.strftime("%Y-%m-%d") + "."
    if new and not dispatch.allow_new_registrations:
        return "This course takes no new learners."
    if new and dispatch.registration_cap and dispatch.registration_count >= dispatch.registration_cap:
        return "This course has reached its limit of learners; no more can register."
    return None


def learner_key(instance_key: str, dispatch: Dispatch, learner_id: str) -> str:
    """The far side's learner id as stored: itself, or a keyed hash (HMAC-SHA256 under a subkey of the
    instance key) when the dispatch hashes user info, so the stored id cannot be reversed."""
    if not dispatch.hash_user_info:
        return learner_id
    key = hashlib.sha256(("dispatch-learner:" + instance_key).encode()).digest()
    return hmac.new(key, learner_id.encode(), hashlib.sha256).hexdigest()


def _learner_record(key: str, learner: FarLearner, hashed: bool) -> dict:
    if hashed:  # nothing that names the person is kept
        return {"id": key}
    out = {"id": key, "firstName": learner.first_name[:255], "lastName": learner.last_name[:255]}
    if learner.email:
        out["email"] = learner.email[:320]
    return out


def registration_for(session: Session, *, instance_key: str, dispatch: Dispatch, learner: FarLearner, via: str,
                     context_key: str = "", outcome: dict | None = None,
                     now: datetime | None = None) -> Registration:
    """The registration of LEARNER through DISPATCH: resumed when there is one for (learner,
    context), else created (counted against registrationCount and the realm's limit). CONTEXT_KEY is
    ignored unless the dispatch is instanced. OUTCOME (where results go back) is kept up to date."""
    now = now or utcnow()
    if via not in VIAS:
        raise InvalidInput(f"via must be one of {', '.join(VIAS)}")
    learner_id = (learner.learner_id or "").strip()
    if not learner_id:
        raise InvalidInput("The launching system sent no learner id.")
    if len(learner_id) > MAX_LEARNER_ID:
        raise InvalidInput(f"The learner id is longer than {MAX_LEARNER_ID} characters.")
    dispatch = find_by_key(session, dispatch.dispatch_key, lock=True)
    why = refusal(dispatch, now, new=False)
    if why:
        raise DispatchRefused(why)
    key = learner_key(instance_key, dispatch, learner_id)
    context = context_key[:255] if dispatch.instanced else ""
    row = session.scalars(select(DispatchRegistration).where(
        DispatchRegistration.dispatch_pk == dispatch.pk, DispatchRegistration.learner_key == key,
        DispatchRegistration.context_key == context)).first()
    if row is not None:
        reg = core.find_registration(session, application_pk=dispatch.application_pk,
                                     registration_id=row.registration_id)
        if reg is not None:
            if outcome:
                row.outcome = dict(outcome)
            row.updated = now
            return reg
    why = refusal(dispatch, now, new=True)
    if why:
        raise DispatchRefused(why)
    reg = lifecycle.enrol(session, application_pk=dispatch.application_pk, enrolment=lifecycle.Enrolment(
        registration_id=f"{ID_PREFIX}{uuid.uuid4()}", course_id=dispatch.course_id,
        postback=dict(dispatch.postback or {}),
        learner=_learner_record(key, learner, dispatch.hash_user_info)))
    dispatch.registration_count += 1
    reports.record_source(session, registration=reg, destination_pk=dispatch.destination_pk)
    if row is None:
        session.add(DispatchRegistration(dispatch_pk=dispatch.pk, learner_key=key, context_key=context,
                                         registration_id=reg.registration_id, via=via, outcome=dict(outcome or {}),
                                         created=now, updated=now))
    else:  # the registration made before was deleted: the learner starts again
        row.registration_id, row.via, row.outcome, row.updated = reg.registration_id, via, dict(outcome or {}), now
    session.flush()
    return reg


def dispatch_of_registration(session: Session, *, application_pk: int,
                             registration_id: str) -> tuple[Dispatch, DispatchRegistration] | None:
    """The dispatch (and its row) a registration was made through, or None."""
    found = session.execute(
        select(Dispatch, DispatchRegistration).join(DispatchRegistration, DispatchRegistration.dispatch_pk == Dispatch.pk)
        .where(Dispatch.application_pk == application_pk, DispatchRegistration.registration_id == registration_id)
    ).first()
    return (found[0], found[1]) if found else None
