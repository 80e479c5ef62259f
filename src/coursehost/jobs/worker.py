"""The worker loop: claim a job, run its handler in a transaction, record the outcome.

One worker runs in-process under `coursehost serve`; `coursehost worker` runs more as separate
processes against the same database (PostgreSQL). A heartbeat thread keeps the lease of a long job
alive; a worker that dies stops beating and its job is claimed again once the lease expires.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from coursehost.domain import request_ids
from coursehost.domain.outbox import ENQUEUED_FLAG
from coursehost.jobs import queue
from coursehost.jobs.registry import JobRegistry, PermanentJobError, RetryJob

log = logging.getLogger(__name__)

_wake_events: weakref.WeakSet[Worker] = weakref.WeakSet()


@event.listens_for(Session, "after_commit")
def _wake_workers(session: Session) -> None:  # pragma: no cover - exercised by every job test
    """Wake in-process workers as soon as a transaction that enqueued work commits."""
    if session.info.pop(ENQUEUED_FLAG, False):
        for worker in list(_wake_events):
            worker.wake()


@event.listens_for(Session, "after_rollback")
def _forget_enqueued(session: Session) -> None:  # pragma: no cover
    session.info.pop(ENQUEUED_FLAG, None)


@dataclass
class RunContext:
    services: Any
    job_id: int
    attempt: int
    worker_id: str


class Worker:
    def __init__(self, session_factory: sessionmaker[Session], registry: JobRegistry,
                 context: Any, *, worker_id: str | None = None, lease_seconds: float = 300.0,
                 poll_seconds: float = 1.0):
        self.session_factory = session_factory
        self.registry = registry
        self.context = context
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        _wake_events.add(self)

    def wake(self) -> None:
        self._wake.set()

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # the database went away, say: log, wait, try again
                log.exception("job worker %s: claiming failed", self.worker_id)
                worked = False
            if not worked:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def run_once(self) -> bool:
        """Run one due job if there is one; True if a job was run (whatever its outcome)."""
        with self.session_factory() as session:
            job = queue.claim(session, self.worker_id, self.lease_seconds)
        if job is None:
            return False
        # The enqueuing request's id on every log line of this job (and on the jobs it enqueues).
        with request_ids.bound(job.request_id):
            self._run(job)
        return True

    def _run(self, job: queue.Claimed) -> None:
        kind = self.registry.lookup(job.kind)
        if kind is None:
            with self.session_factory() as session:
                queue.mark_failed_attempt(session, job, self.worker_id,
                                          f"no handler for job kind {job.kind!r}", retry_in=None)
            log.error("job %s: unknown kind %r", job.id, job.kind)
            return
        stop_beat = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job.id, stop_beat),
                                name=f"job-{job.id}-heartbeat", daemon=True)
        beat.start()
        error: str | None = None
        retry_in: float | None = None
        started = time.monotonic()
        try:
            ctx = RunContext(self.context, job.id, job.attempt, self.worker_id)
            with self.session_factory() as session:
                try:
                    result = kind.handler(session, job.payload, ctx)
                    if not queue.mark_done(session, job.id, self.worker_id,
                                           result if isinstance(result, dict) else None):
                        session.rollback()
                        log.warning("job %s: lease lost before completion; its work was rolled back",
                                    job.id)
                        return
                    session.commit()
                    log.info("job %s (%s) attempt %s done in %.3f s", job.id, job.kind, job.attempt,
                             time.monotonic() - started)
                    return
                except PermanentJobError as exc:
                    session.rollback()
                    error = str(exc) or exc.__class__.__name__
                except RetryJob as exc:
                    session.rollback()
                    error = str(exc) or exc.__class__.__name__
                    retry_in = exc.delay_seconds if exc.delay_seconds is not None else \
                        queue.backoff_delay(job.attempt, kind.base_delay, kind.max_delay)
                except Exception as exc:
                    session.rollback()
                    error = f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=8)}"
                    retry_in = queue.backoff_delay(job.attempt, kind.base_delay, kind.max_delay)
        finally:
            stop_beat.set()
            beat.join()
        with self.session_factory() as session:
            status = queue.mark_failed_attempt(session, job, self.worker_id, error or "failed",
                                               retry_in=retry_in)
        log.warning("job %s (%s) attempt %s failed -> %s: %s", job.id, job.kind, job.attempt,
                    status or "lease lost", (error or "").splitlines()[0][:300])

    def _heartbeat(self, job_id: int, stop: threading.Event) -> None:
        interval = max(0.05, self.lease_seconds / 3)
        while not stop.wait(interval):
            try:
                with self.session_factory() as session:
                    if not queue.extend_lease(session, job_id, self.worker_id, self.lease_seconds):
                        return
            except Exception:
                log.exception("job %s: heartbeat failed", job_id)


def start_worker_thread(session_factory: sessionmaker[Session], registry: JobRegistry,
                        context: Any, *, lease_seconds: float = 300.0,
                        poll_seconds: float = 1.0) -> tuple[threading.Thread, threading.Event]:
    """Run one worker in a daemon thread; set the returned event to stop it."""
    worker = Worker(session_factory, registry, context, lease_seconds=lease_seconds,
                    poll_seconds=poll_seconds)
    stop = _StopSignal(worker)
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="coursehost-worker",
                              daemon=True)
    thread.start()
    return thread, stop


class _StopSignal(threading.Event):
    """An event whose set() also interrupts the worker's idle wait, so shutdown is immediate."""

    def __init__(self, worker: Worker):
        super().__init__()
        self._worker = worker

    def set(self) -> None:
        super().set()
        self._worker.wake()
