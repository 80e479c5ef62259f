"""Results of dispatch registrations sent back to the far side that launched them (LTI 1.1 Basic
Outcomes, LTI 1.3 Assignment and Grade Services). A shell package needs none of this: the shell
reports through the receiving LMS's own SCORM API.

`enqueue_outcomes` is called wherever a registration's results change (beside enqueue_postback), in
the same transaction, so a change is never lost: the job (one queued per registration, the newest
wins) reads the registration's results when it runs and hands them to the sender of the launch's
protocol (`senders`, given by jobs/handlers.py). Registrations not made through a dispatch cost one
string comparison (their ids never start with ID_PREFIX).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from coursehost.db.models.dispatch import Dispatch, DispatchRegistration
from coursehost.db.models.registrations import Registration
from coursehost.domain import outbox
from coursehost.domain.dispatch.access import ID_PREFIX, dispatch_of_registration

JOB_KIND = "dispatch.outcome"
REMOTE_VIAS = ("lti11", "lti13")


@dataclass
class Outcome:
    """What a sender gets: the dispatch, the far-side row (its `outcome` dict says where to send) and
    the registration with its current results."""

    dispatch: Dispatch
    row: DispatchRegistration
    registration: Registration


#: via -> sender(session, outcome); a sender raises outbox.RetryJob / PermanentJobError on failure.
Sender = Callable[[Session, Outcome], None]


def enqueue_outcomes(session: Session, *, registration: Registration) -> bool:
    """Queue sending REGISTRATION's results to the platform that launched it, if any. True if queued."""
    if not registration.registration_id.startswith(ID_PREFIX):
        return False
    found = dispatch_of_registration(session, application_pk=registration.application_pk,
                                     registration_id=registration.registration_id)
    if found is None or found[1].via not in REMOTE_VIAS or not found[1].outcome:
        return False
    outbox.enqueue(session, kind=JOB_KIND, dedupe_key=f"{JOB_KIND}:{registration.pk}",
                   payload={"registration_pk": registration.pk})
    return True


def deliver(session: Session, *, registration_pk: int, senders: Mapping[str, Sender]) -> None:
    """The job: send the registration's current results with the sender of its launch's protocol."""
    registration = session.get(Registration, registration_pk)
    if registration is None:
        return  # deleted since: nothing to report
    found = dispatch_of_registration(session, application_pk=registration.application_pk,
                                     registration_id=registration.registration_id)
    if found is None:
        return
    dispatch, row = found
    sender = senders.get(row.via)
    if sender is None:
        raise outbox.PermanentJobError(f"no sender for {row.via} outcomes")
    sender(session, Outcome(dispatch=dispatch, row=row, registration=registration))
