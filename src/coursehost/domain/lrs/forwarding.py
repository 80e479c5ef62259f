"""One forwarding pass of a statement pipe: read the source LRS, write the target LRS, record where
it got to, and schedule the next pass.

Exactly once at the target: statements keep their ids (xAPI 1.0.3 §2.4.1 "id"), and an LRS keeps one
statement per id, so sending a batch again after a crash or an outage cannot make a duplicate. A
batch the target refuses with 409 (some LRSs refuse a whole batch when one id exists) is sent again
one statement at a time with PUT ?statementId= (§2.1.1): 204 is stored, 409 is already there.

Progress (the source's `more` URL, the last statement's `stored`) is committed after every batch the
target accepted, in its own short transaction guarded by the pipe's generation: an update or a
delete of the pipe makes the running pass stop at its next step. The HTTP calls are made before the
job's own session is touched (on SQLite the first write takes the database lock).

Attachments travel with their statements: the source is read with attachments=true (multipart/mixed)
and a statement whose attachments have content is written as multipart/mixed with those parts.

Failures (connection refused, timeouts, 5xx, 401/403) count as an attempt on the pipe: the next pass
is scheduled after a backoff (1 s doubling to 2 min, with jitter) and visibleAfter says when. So does
an endpoint whose host now resolves to a private or local address (issue 13): every request of a pass
goes through the outbound client's address check unless COURSEHOST_ALLOW_PRIVATE_URLS. Errors are
in the client's words and a status code, never the far side's."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from coursehost.db.base import utcnow
from coursehost.db.models.jobs import DONE, Job
from coursehost.db.models.xapi import StatementPipe
from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import DomainError
from coursehost.domain.lrs.attachments import all_attachments
from coursehost.domain.lrs.multipart import attachment_parts, build_multipart, parse_multipart
from coursehost.domain.lrs.pipes import Endpoint, endpoint_of, job_key, schedule
from coursehost.domain.lrs.validation_values import parse_timestamp
from coursehost.outbound import AddressPolicy, OutboundClient, OutboundError, OutboundResponse, Timeouts

log = logging.getLogger(__name__)

XAPI_VERSION = "1.0.3"
PAGE_LIMIT = 100
#: Seconds between passes while the source has nothing new: the pipe forwards continuously.
POLL_SECONDS = 3.0
#: A pass stops after this long so other jobs get the worker; the next pass follows at once.
PASS_SECONDS = 20.0
#: Statements stored less than this long before the source's X-Experience-API-Consistent-Through
#: wait for the next pass: a transaction still in flight at the source may yet commit a statement
#: with an earlier `stored`, and `since` (exclusive) would then never see it.
SETTLE_SECONDS = 2.0
BACKOFF_BASE = 1.0
BACKOFF_CAP = 120.0
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
MAX_ERROR_CHARS = 2000


class ForwardError(Exception):
    """The source or the target failed in a way retrying may fix (outage, 5xx, auth)."""


class Stale(Exception):
    """The pipe was updated or deleted while this pass ran: stop without scheduling."""


class _MoreExpired(Exception):
    """The source refused a saved more URL (they may expire)."""


@dataclass
class Cursor:
    more_url: str | None
    last_stored: str | None
    last_id: str | None


def _statements_url(endpoint_url: str) -> str:
    return endpoint_url.rstrip("/") + "/statements"


def _redact(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return urlunsplit((parts.scheme, f"{host}:{parts.port}" if parts.port else host, parts.path, "", ""))
    except ValueError:
        return "(unparseable URL)"


def _headers() -> dict:
    return {"X-Experience-API-Version": XAPI_VERSION, "Accept": "application/json"}


def _auth(endpoint: Endpoint) -> tuple[str, str] | None:
    return (endpoint.user_name or "", endpoint.password or "") if (endpoint.user_name or endpoint.password) else None


def _call(client: OutboundClient, method: str, url: str, endpoint: Endpoint, **kwargs) -> OutboundResponse:
    try:
        return client.request(method, url, headers={**_headers(), **kwargs.pop("headers", {})},
                              auth=_auth(endpoint), **kwargs)
    except OutboundError as exc:
        raise ForwardError(f"{method} {_redact(url)} failed: {exc}") from None


def _timestamp(value) -> datetime | None:
    try:
        return parse_timestamp(value) if value else None
    except DomainError:
        return None


def settled(statements: list[dict], consistent_through: datetime | None) -> list[dict]:
    """The leading STATEMENTS stored at least SETTLE_SECONDS before CONSISTENT_THROUGH."""
    if consistent_through is None:
        return statements
    limit = consistent_through - timedelta(seconds=SETTLE_SECONDS)
    for i, statement in enumerate(statements):
        stored = _timestamp(statement.get("stored"))
        if stored is not None and stored > limit:
            return statements[:i]
    return statements


Files = dict[str, tuple[str, bytes]]  # sha2 -> (content type, content)


def read_page(client: OutboundClient, source: Endpoint,
              cursor: Cursor) -> tuple[list[dict], str | None, datetime | None, Files]:
    """One page of the source's statements, oldest first, with their attachments' content:
    (statements, absolute more URL or None, the source's X-Experience-API-Consistent-Through, files)."""
    base = _statements_url(source.url)
    if cursor.more_url:
        url = cursor.more_url
    else:
        params = {"ascending": "true", "limit": str(PAGE_LIMIT), "attachments": "true"}
        if cursor.last_stored:
            params["since"] = cursor.last_stored  # exclusive (xAPI 1.0.3 §2.1.3 "since")
        url = base + "?" + urlencode(params)
    response = _call(client, "GET", url, source)
    if response.status_code in (400, 404) and cursor.more_url:
        # The source no longer knows this more URL (expired): read on from the last stored instead.
        raise _MoreExpired()
    if response.status_code != 200:
        raise ForwardError(f"source {_redact(url)} answered {response.status_code}")
    try:
        body, files = _result_and_files(response)
        statements = list(body["statements"])
    except (ValueError, KeyError, TypeError, DomainError):
        raise ForwardError(f"source {_redact(url)} answered something that is not a StatementResult") from None
    more = urljoin(base, body["more"]) if body.get("more") else None
    if more and urlsplit(more)[:2] != urlsplit(base)[:2]:
        # The source's credentials go with every page: never to another origin (xAPI 1.0.3 §2.1.3
        # makes `more` relative to the LRS's own server).
        raise ForwardError(f"source {_redact(url)} sent a more URL on another origin")
    through = _timestamp(response.headers.get("X-Experience-API-Consistent-Through"))
    return statements, more, through, files


def _result_and_files(response: OutboundResponse) -> tuple[dict, Files]:
    """The StatementResult of a JSON or multipart/mixed answer (Communication §2.1.3 attachments)."""
    ctype = response.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/mixed"):
        return response.json(), {}
    parts = parse_multipart(response.content, ctype)
    if not parts:
        raise ValueError("an empty multipart answer")
    return json.loads(parts[0].body), attachment_parts(parts, require_binary=False)


def _body_for(payload: object, statements: list[dict], files: Files) -> tuple[bytes, str]:
    """JSON, or multipart/mixed when some of STATEMENTS' attachments have content in FILES."""
    wanted = {att.get("sha2") for st in statements for att in all_attachments(st)}
    needed = {sha2: files[sha2] for sha2 in wanted if sha2 in files}
    data = json.dumps(payload).encode()
    return build_multipart(data, needed) if needed else (data, "application/json")


def write_batch(client: OutboundClient, target: Endpoint, statements: list[dict], files: Files | None = None) -> list[str]:
    """Store STATEMENTS (and their attachments) at the target, each exactly once; returns notes on
    statements it refused."""
    url = _statements_url(target.url)
    body, ctype = _body_for(statements, statements, files or {})
    response = _call(client, "POST", url, target, content=body, headers={"Content-Type": ctype})
    if response.status_code in (200, 204):
        return []
    if response.status_code in (400, 409):
        # 409: one of the ids is there already (a resend after an outage or a crash); 400: one
        # statement is refused. Either way, one at a time settles each statement on its own.
        return [note for s in statements if (note := _put_one(client, target, url, s, files or {}))]
    raise ForwardError(f"target {_redact(url)} answered {response.status_code} to a batch of {len(statements)}")


def _put_one(client: OutboundClient, target: Endpoint, url: str, statement: dict, files: Files) -> str | None:
    sid = statement.get("id")
    if not sid:
        return "a statement without an id was skipped"
    body, ctype = _body_for(statement, [statement], files)
    response = _call(client, "PUT", url + "?" + urlencode({"statementId": sid}), target,
                     content=body, headers={"Content-Type": ctype})
    if response.status_code in (200, 204, 409):  # 409: that id is stored already (§2.1.1 PUT)
        return None
    if 400 <= response.status_code < 500 and response.status_code not in (401, 403, 408, 429):
        # The target will never take this statement; skipping it keeps the pipe moving.
        return f"statement {sid} refused by the target with {response.status_code}"
    raise ForwardError(f"target {_redact(url)} answered {response.status_code} to statement {sid}")


def _save_progress(session_factory: sessionmaker, pipe_pk: int, generation: int, **values) -> None:
    with session_factory() as session:
        res = session.execute(update(StatementPipe)
                              .where(StatementPipe.pk == pipe_pk, StatementPipe.generation == generation)
                              .values(**values))
        session.commit()
    if res.rowcount != 1:
        raise Stale()


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, min(attempts - 1, 30))))
    return (rng or random).uniform(ceiling / 2, ceiling)


def _load(session_factory: sessionmaker, box: SecretBox, pipe_pk: int, generation: int):
    """(source, target, cursor, attempts) of the pipe, or None when it changed or is gone."""
    with session_factory() as read:
        pipe = read.get(StatementPipe, pipe_pk)
        if pipe is None or pipe.generation != generation:
            return None
        cursor = Cursor(pipe.more_url, pipe.last_forwarded_statement_date, pipe.last_forwarded_statement_id)
        return endpoint_of(box, pipe.source), endpoint_of(box, pipe.target), cursor, pipe.attempts or 0


def forward_pipe(session: Session, *, session_factory: sessionmaker, box: SecretBox, pipe_pk: int,
                 generation: int, client: OutboundClient | None = None, allow_private_urls: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> dict:
    """Run one pass of pipe PIPE_PK (job handler); schedules the next pass in SESSION."""
    loaded = _load(session_factory, box, pipe_pk, generation)
    if loaded is None:
        return {"stale": True}
    source, target, cursor, attempts = loaded
    own = client is None
    client = client or OutboundClient(timeouts=Timeouts(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
                                      follow_redirects=False, policy=AddressPolicy(allow_private=allow_private_urls))
    forwarded, delay, notes = 0, POLL_SECONDS, []
    started = clock()
    try:
        _save_progress(session_factory, pipe_pk, generation, forwarding=True)
        while True:
            try:
                statements, more, through, files = read_page(client, source, cursor)
            except _MoreExpired:
                cursor.more_url = None
                _save_progress(session_factory, pipe_pk, generation, more_url=None)
                continue
            ready = settled(statements, through)
            if len(ready) < len(statements):
                # Read on from the last settled statement next pass (since-mode, not this more URL).
                statements, more = ready, None
            if statements:
                notes += write_batch(client, target, statements, files)
                last = statements[-1]
                cursor = Cursor(more, last.get("stored") or cursor.last_stored, last.get("id"))
            else:
                cursor.more_url = more
            forwarded += len(statements)
            _save_progress(session_factory, pipe_pk, generation, more_url=cursor.more_url,
                           statements_forwarded=StatementPipe.statements_forwarded + len(statements),
                           last_forwarded_statement_date=cursor.last_stored,
                           last_forwarded_statement_id=cursor.last_id, attempts=0, visible_after=None,
                           last_error=("; ".join(notes)[:MAX_ERROR_CHARS] if notes else None))
            if not more or not statements:
                break
            if clock() - started > PASS_SECONDS:
                delay = 0.0
                break
        attempts = 0
    except Stale:
        return {"stale": True, "forwarded": forwarded}
    except ForwardError as exc:
        attempts += 1
        delay = backoff(attempts)
        log.warning("statement pipe %s: attempt %s failed, next in %.1fs: %s", pipe_pk, attempts, delay, exc)
        try:
            _save_progress(session_factory, pipe_pk, generation, attempts=attempts, forwarding=False,
                           visible_after=utcnow() + timedelta(seconds=delay), last_error=str(exc)[:MAX_ERROR_CHARS])
        except Stale:
            return {"stale": True, "forwarded": forwarded}
    finally:
        if own:
            client.close()
    _schedule_next(session, pipe_pk, generation, delay)
    return {"forwarded": forwarded, "attempts": attempts}


def _schedule_next(session: Session, pipe_pk: int, generation: int, delay: float) -> None:
    """Queue the next pass in the job's own transaction, unless the pipe changed meanwhile."""
    stmt = select(StatementPipe).where(StatementPipe.pk == pipe_pk)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    pipe = session.scalars(stmt).first()
    if pipe is None or pipe.generation != generation:
        return
    pipe.forwarding = False
    # Earlier passes of this pipe are finished: keep the job table from growing by one row a poll.
    session.execute(delete(Job).where(Job.dedupe_key == job_key(pipe_pk), Job.status == DONE))
    schedule(session, pipe, delay_seconds=delay)
