"""Queue a registration's postback in the caller's transaction (outbox)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Registration
from coursehost.domain import outbox
from coursehost.domain.postbacks.config import postback_config

#: The job kind the worker runs (registered in coursehost.jobs.handlers).
JOB_KIND = "registration.postback"
#: SCORM Cloud retries a postback up to 70 times, 1 s .. 15 min apart (scorm-cloud-behaviour.md).
MAX_ATTEMPTS = 70
BASE_DELAY = 1.0
MAX_DELAY = 900.0


def dedupe_key(registration_pk: int) -> str:
    """The outbox key that keeps one pending postback per registration."""
    return f"postback:{registration_pk}"


def enqueue_postback(session: Session, *, registration: Registration, settings: dict[str, str] | None = None) -> None:
    """Queue a postback of REGISTRATION's progress if it has a postback URL; no-op otherwise.

    One pending job per registration: a newer call replaces a queued one, and the job reads the
    registration's progress when it is delivered, so the receiver gets the newest state."""
    if postback_config(session, registration=registration, values=settings) is None:
        return
    outbox.enqueue(
        session, kind=JOB_KIND, max_attempts=MAX_ATTEMPTS, dedupe_key=dedupe_key(registration.pk),
        payload={"registration_pk": registration.pk, "application_pk": registration.application_pk,
                 "registration_id": registration.registration_id, "delivery_id": uuid.uuid4().hex},
    )
