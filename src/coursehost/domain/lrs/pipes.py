"""Statement pipes (the official XapiApi's statementPipes): what to forward where, and its schedule.

A pipe is forwarded by a durable job (coursehost.domain.lrs.forwarding), one job row per pass,
written in the same transaction as the change that asked for it. Create and delete answer at once
and the work happens in the background; an update starts forwarding over from the beginning (the
generation grows, the cursor is cleared) and is refused with 409 while a pass is running.

An endpoint whose host is a private or local address is refused when it is given (400) and again by
each pass (issue 13), unless COURSEHOST_ALLOW_PRIVATE_URLS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.jobs import QUEUED, RUNNING, Job
from coursehost.db.models.tenancy import Application
from coursehost.db.models.xapi import StatementPipe
from coursehost.domain import outbox
from coursehost.domain.crypto import SecretBox, random_id
from coursehost.domain.errors import Conflict, InvalidInput, NotFound
from coursehost.outbound import AddressPolicy, OutboundError

#: The job kind the worker runs (registered in coursehost.jobs.handlers).
JOB_KIND = "xapi.statement_pipe"
#: Job-level retries are for unexpected errors only; forwarding failures are retried by the pipe.
MAX_JOB_ATTEMPTS = 20
MAX_ID = 64
MAX_URL = 2000
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class Endpoint:
    """An LRS endpoint as the caller gives it: the LRS's base URL and its Basic-auth credentials."""

    url: str | None = None
    user_name: str | None = None
    password: str | None = None


def job_key(pipe_pk: int) -> str:
    return f"statement-pipe:{pipe_pk}"


def _check_endpoint(field: str, endpoint: Endpoint | None, allow_private_urls: bool) -> Endpoint:
    if endpoint is None:
        raise InvalidInput(f"{field} is required")
    url = (endpoint.url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if not parts or parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL:
        raise InvalidInput(f"{field}.url must be an absolute http or https URL (the LRS endpoint)")
    try:
        AddressPolicy(allow_private=allow_private_urls).check_url(url)
    except OutboundError as exc:
        raise InvalidInput(f"{field}.url: {exc}") from None
    return Endpoint(url, endpoint.user_name or "", endpoint.password or "")


def _stored(box: SecretBox, endpoint: Endpoint) -> dict:
    return {"url": endpoint.url, "userName": endpoint.user_name,
            "passwordEncrypted": box.encrypt(endpoint.password) if endpoint.password else ""}


def endpoint_of(box: SecretBox, stored: dict) -> Endpoint:
    """The endpoint with its password decrypted (for the wire and for the forwarder)."""
    secret = stored.get("passwordEncrypted") or ""
    return Endpoint(stored.get("url"), stored.get("userName") or "", box.decrypt(secret) if secret else "")


def list_pipes(session: Session, *, app_pk: int) -> list[StatementPipe]:
    return list(session.scalars(select(StatementPipe).where(StatementPipe.application_pk == app_pk)
                                .order_by(StatementPipe.pk)))


def realm_pipes(session: Session, *, realm_id: int) -> list[tuple[StatementPipe, Application]]:
    """The pipes of the realm's applications with the application each belongs to."""
    return [(pipe, app) for pipe, app in session.execute(
        select(StatementPipe, Application).join(Application, Application.pk == StatementPipe.application_pk)
        .where(Application.realm_id == realm_id).order_by(Application.created, Application.pk, StatementPipe.pk))]


def pipe_status(session: Session, pipe: StatementPipe) -> str:
    """What the pipe is doing: "forwarding" (a pass runs now), "retrying" (the last pass failed; the
    next one waits until visible_after), "waiting" (no pass has finished yet) or "active"."""
    if is_forwarding(session, pipe):
        return "forwarding"
    if pipe.attempts:
        return "retrying"
    if pipe.last_forwarded_statement_date is None and not pipe.statements_forwarded and not pipe.more_url:
        return "waiting"
    return "active"


def get_pipe(session: Session, *, app_pk: int, pipe_id: str) -> StatementPipe:
    pipe = session.scalars(select(StatementPipe).where(
        StatementPipe.application_pk == app_pk, StatementPipe.pipe_id == pipe_id)).first()
    if pipe is None:
        raise NotFound(f"Could not find xAPI statement pipe [{pipe_id}]")
    return pipe


def schedule(session: Session, pipe: StatementPipe, *, delay_seconds: float = 0.0,
             run_after: datetime | None = None) -> None:
    """Queue the next forwarding pass of PIPE in SESSION's transaction (replaces a queued one)."""
    outbox.enqueue(session, kind=JOB_KIND, dedupe_key=job_key(pipe.pk), delay_seconds=delay_seconds,
                   max_attempts=MAX_JOB_ATTEMPTS,
                   run_after=run_after, payload={"pipe_pk": pipe.pk, "generation": pipe.generation})


def is_forwarding(session: Session, pipe: StatementPipe, *, now: datetime | None = None) -> bool:
    """Is a pass of PIPE running now (a worker holds its job's lease)?"""
    now = now or utcnow()
    found = session.scalar(select(Job.id).where(
        Job.dedupe_key == job_key(pipe.pk), Job.status == RUNNING, Job.locked_until >= now).limit(1))
    return found is not None


def create_pipe(session: Session, *, box: SecretBox, app_pk: int, source: Endpoint | None,
                target: Endpoint | None, pipe_id: str | None = None, allow_private_urls: bool = False) -> StatementPipe:
    """A new pipe, forwarded from the beginning of the source in the background."""
    source = _check_endpoint("source", source, allow_private_urls)
    target = _check_endpoint("target", target, allow_private_urls)
    if pipe_id is None:
        pipe_id = random_id(20, _ID_ALPHABET)
    elif not pipe_id or len(pipe_id) > MAX_ID or "/" in pipe_id:
        raise InvalidInput(f"Invalid statement pipe id [{pipe_id}]")
    elif session.scalar(select(StatementPipe.pk).where(  # ids are per application
            StatementPipe.application_pk == app_pk, StatementPipe.pipe_id == pipe_id)) is not None:
        raise Conflict(f"Statement pipe id [{pipe_id}] is already in use")
    pipe = StatementPipe(application_pk=app_pk, pipe_id=pipe_id, source=_stored(box, source),
                         target=_stored(box, target), attempts=0, generation=0, forwarding=False,
                         statements_forwarded=0)
    session.add(pipe)
    session.flush()
    schedule(session, pipe)
    return pipe


def set_pipe(session: Session, *, box: SecretBox, app_pk: int, pipe_id: str, source: Endpoint | None,
             target: Endpoint | None, allow_private_urls: bool = False) -> StatementPipe:
    """Create pipe PIPE_ID, or update it and start forwarding over; 409 while a pass is running."""
    pipe = session.scalars(select(StatementPipe).where(
        StatementPipe.application_pk == app_pk, StatementPipe.pipe_id == pipe_id)
        .with_for_update()).first()
    if pipe is None:
        return create_pipe(session, box=box, app_pk=app_pk, source=source, target=target, pipe_id=pipe_id,
                           allow_private_urls=allow_private_urls)
    if is_forwarding(session, pipe):
        raise Conflict(f"Statement pipe [{pipe_id}] is forwarding statements now; try again later")
    if source is not None:
        pipe.source = _stored(box, _check_endpoint("source", source, allow_private_urls))
    if target is not None:
        pipe.target = _stored(box, _check_endpoint("target", target, allow_private_urls))
    # Start over: a pass of an older generation stops at its next step (forwarding.py).
    pipe.generation = (pipe.generation or 0) + 1
    pipe.more_url = None
    pipe.last_forwarded_statement_date = None
    pipe.last_forwarded_statement_id = None
    pipe.attempts = 0
    pipe.visible_after = None
    pipe.last_error = None
    pipe.forwarding = False
    pipe.statements_forwarded = 0
    session.flush()
    schedule(session, pipe)
    return pipe


def delete_pipe(session: Session, *, app_pk: int, pipe_id: str) -> None:
    """Delete the pipe; a queued pass is dropped, a running one stops at its next step."""
    pipe = get_pipe(session, app_pk=app_pk, pipe_id=pipe_id)
    session.execute(delete(Job).where(Job.dedupe_key == job_key(pipe.pk), Job.status == QUEUED))
    session.delete(pipe)
    session.flush()
