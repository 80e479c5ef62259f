"""Enqueue background work in the caller's transaction (transactional outbox).

A job written here becomes visible to workers only when the caller's unit of work commits; if it
rolls back, the job never existed. The worker side lives in coursehost.jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.jobs import QUEUED, Job
from coursehost.domain import request_ids

#: Key in Session.info that tells an in-process worker (after commit) that new work is waiting.
ENQUEUED_FLAG = "coursehost.jobs_enqueued"


class PermanentJobError(Exception):
    """Raised by a job handler when retrying cannot help: the job fails now, with this message."""


class RetryJob(Exception):
    """Raised by a job handler to run again after DELAY_SECONDS (counts as an attempt)."""

    def __init__(self, message: str, delay_seconds: float | None = None):
        super().__init__(message)
        self.delay_seconds = delay_seconds


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict | None = None,
    max_attempts: int | None = None,
    run_after: datetime | None = None,
    delay_seconds: float = 0.0,
    dedupe_key: str | None = None,
) -> Job:
    """Add a job of KIND to SESSION's transaction and return it.

    With DEDUPE_KEY, queued (not yet running) jobs with the same key are replaced by this one, so
    when several deliveries of one thing are pending the newest wins and the far side is not
    flooded with stale states. A job already running is left alone: it finishes, then this runs.
    """
    if not kind:
        raise ValueError("a job needs a kind")
    if dedupe_key is not None:
        session.execute(
            delete(Job).where(Job.dedupe_key == dedupe_key, Job.status == QUEUED)
        )
    when = run_after or utcnow()
    if delay_seconds:
        when = when + timedelta(seconds=delay_seconds)
    job = Job(
        kind=kind,
        payload=dict(payload or {}),
        dedupe_key=dedupe_key,
        status=QUEUED,
        attempts=0,
        run_after=when,
        request_id=request_ids.current(),  # the request (or job) that caused it, for the worker's log lines
    )
    if max_attempts is not None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        job.max_attempts = max_attempts
    session.add(job)
    session.flush()
    session.info[ENQUEUED_FLAG] = True
    return job
