"""The queue's operations on the job table: claim, heartbeat, complete, fail.

Claiming takes the oldest due job: a queued job whose run_after has come, or a running job whose
lease expired (its worker died). On PostgreSQL the candidate row is locked FOR UPDATE SKIP LOCKED
so concurrent workers never take the same job; on SQLite the transaction starts with BEGIN
IMMEDIATE, which serialises claimers. Completion and failure are guarded by locked_by, so a worker
that lost its lease cannot overwrite the outcome of the worker that took the job over.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.jobs import DONE, FAILED, QUEUED, RUNNING, Job

MAX_ERROR_CHARS = 4000


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    payload: dict
    attempt: int
    max_attempts: int
    request_id: str | None = None  # of the request that enqueued it


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before retry number ATTEMPT (1 = first retry): exponential, capped, with jitter.

    The delay is drawn uniformly from [d/2, d] where d = min(cap, base * 2**(attempt-1)), so
    retries of many jobs that failed together spread out instead of arriving as one wave.
    """
    r = rng or random
    ceiling = min(cap, base * (2 ** max(0, min(attempt - 1, 62))))
    return r.uniform(ceiling / 2, ceiling)


def claim(session: Session, worker_id: str, lease_seconds: float,
          now: datetime | None = None) -> Claimed | None:
    """Take one due job for WORKER_ID and commit the claim; None when nothing is due."""
    now = now or utcnow()
    due = or_(
        and_(Job.status == QUEUED, Job.run_after <= now),
        and_(Job.status == RUNNING, Job.locked_until < now),
    )
    stmt = select(Job).where(due).order_by(Job.run_after, Job.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    while True:
        job = session.execute(stmt).scalars().first()
        if job is None:
            session.commit()
            return None
        if job.status == RUNNING and job.attempts >= job.max_attempts:
            # Its last attempt died with its worker: record that instead of running it again.
            job.status = FAILED
            job.last_error = f"worker {job.locked_by} stopped during the last attempt (lease expired)"
            job.finished = now
            job.locked_by = None
            job.locked_until = None
            session.flush()
            continue
        job.status = RUNNING
        job.attempts = (job.attempts or 0) + 1
        job.locked_by = worker_id
        job.locked_until = now + timedelta(seconds=lease_seconds)
        claimed = Claimed(job.id, job.kind, dict(job.payload or {}), job.attempts, job.max_attempts,
                          job.request_id)
        session.commit()
        return claimed


def extend_lease(session: Session, job_id: int, worker_id: str, lease_seconds: float) -> bool:
    """Push the lease of a job this worker still holds; False if it was lost."""
    res = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker_id, Job.status == RUNNING)
        .values(locked_until=utcnow() + timedelta(seconds=lease_seconds))
    )
    session.commit()
    return res.rowcount == 1


def mark_done(session: Session, job_id: int, worker_id: str, result: dict | None) -> bool:
    """Mark the job done in SESSION's (the handler's) transaction; False if the lease was lost."""
    res = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker_id, Job.status == RUNNING)
        .values(status=DONE, result=result, locked_by=None, locked_until=None,
                finished=utcnow(), last_error=None)
    )
    return res.rowcount == 1


def mark_failed_attempt(session: Session, job: Claimed, worker_id: str, error: str, *,
                        retry_in: float | None) -> str:
    """Record a failed attempt: requeue after RETRY_IN seconds, or fail for good when None or
    when attempts are used up. Returns the new status ('' if the lease was lost)."""
    error = error[:MAX_ERROR_CHARS]
    now = utcnow()
    if retry_in is not None and job.attempt < job.max_attempts:
        values = dict(status=QUEUED, run_after=now + timedelta(seconds=retry_in))
    else:
        values = dict(status=FAILED, finished=now)
    res = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.locked_by == worker_id, Job.status == RUNNING)
        .values(last_error=error, locked_by=None, locked_until=None, **values)
    )
    session.commit()
    return values["status"] if res.rowcount == 1 else ""
