"""Throttling of failed authentication, per credential key and per client address.

After `per_key` failures of one key (an application id on the API, an xAPI credential on an LRS) or
`per_address` failures from one client address within a one-minute window, that key or address is
refused with 429 until the window ends, even with the right password: guessing costs a minute per
batch. A window starts with the first failure after the previous window ended.

The counters live in the database (auth_failure_window, one row per throttle, kind and name), so every
serving process and machine counts the same failures: one UPSERT per failure. Successes are never
counted; a check reads the rows of its key and address at most once a second per process (a bounded
cache of what was last read or written here), so a lock-out reached through another process is in
force here within FRESH_SECONDS, and one reached through this process at once."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from coursehost.db.models.shared_state import AuthFailureWindow
from coursehost.domain.errors import DomainError

WINDOW_SECONDS = 60.0
FRESH_SECONDS = 1.0  # how stale this process's view of another process's failures may be
MAX_CACHED = 50_000
_MAX_NAME = 255
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class TooManyFailures(DomainError):
    """Too many failed authentications for a key or from an address (HTTP 429, Retry-After)."""

    status = 429

    def __init__(self, retry_after: int, what: str):
        super().__init__(f"Too many failed authentication attempts {what}; try again in {retry_after} seconds")
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


def _stored_name(name: str) -> str:
    """NAME as stored: itself, or a digest of it when it is longer than the column."""
    if len(name) <= _MAX_NAME:
        return name
    return "sha256:" + hashlib.sha256(name.encode("utf-8")).hexdigest()


class FailureThrottle:
    """Counts failed authentications in one-minute windows per key and per address, in the database.

    SCOPE names the throttle (its rows are its own): "auth" for API / LRS / console sign-in, "invite"
    for invitation sign-ups, "reset" for password-reset e-mails. CLOCK must be wall-clock time
    (seconds since the epoch): windows are compared across processes."""

    def __init__(self, session_factory: sessionmaker[Session], *, scope: str, per_key: int, per_address: int,
                 window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.time,
                 read_session_factory: sessionmaker[Session] | None = None,
                 fresh_seconds: float = FRESH_SECONDS, max_cached: int = MAX_CACHED):
        self.session_factory = session_factory
        self.read_session_factory = read_session_factory or session_factory
        self.scope = scope
        self.per_key = per_key
        self.per_address = per_address
        self.window = window
        self.clock = clock
        self.fresh_seconds = fresh_seconds
        self.max_cached = max_cached
        # (kind, stored name) -> (window start, failures, when read); a plain dict: reads are lock-free.
        self._cache: dict[tuple[str, str], tuple[float, int, float]] = {}
        self._last_prune = -math.inf

    def check(self, *, key: str | None, address: str | None) -> None:
        """Raise TooManyFailures while KEY or ADDRESS is locked out; otherwise do nothing."""
        now = self.clock()
        wanted = [(kind, _stored_name(name), limit, what)
                  for kind, name, limit, what in (("key", key, self.per_key, "for this credential"),
                                                  ("address", address, self.per_address, "from this address"))
                  if name is not None]
        stale = [(kind, name) for kind, name, _, _ in wanted
                 if (entry := self._cache.get((kind, name))) is None or now >= entry[2] + self.fresh_seconds]
        if stale:
            self._read(stale, now)
        for kind, name, limit, what in wanted:
            start, failures, _ = self._cache.get((kind, name), (0.0, 0, now))
            if failures >= limit and now < start + self.window:
                raise TooManyFailures(max(1, math.ceil(start + self.window - now)), what)

    def failed(self, *, key: str | None, address: str | None) -> None:
        """Count one failed authentication against KEY and ADDRESS (either may be None)."""
        rows = [{"scope": self.scope, "kind": kind, "name": _stored_name(name)}
                for kind, name in (("key", key), ("address", address)) if name is not None]
        if not rows:
            return
        now = self.clock()
        with self.session_factory() as session, session.begin():
            if now >= self._last_prune + self.window:
                self._last_prune = now
                session.execute(delete(AuthFailureWindow).where(
                    AuthFailureWindow.scope == self.scope, AuthFailureWindow.window_start <= now - self.window))
            counted = session.execute(self._upsert(session, [dict(row, window_start=now, failures=1)
                                                             for row in rows])).all()
        self._remember([(kind, name, start, failures) for kind, name, start, failures in counted], now)

    def _upsert(self, session: Session, rows: list[dict]):
        insert = _INSERTS[session.get_bind().dialect.name]
        table = AuthFailureWindow.__table__
        stmt = insert(table).values(rows)
        ended = table.c.window_start + self.window <= stmt.excluded.window_start
        return stmt.on_conflict_do_update(
            index_elements=[table.c.scope, table.c.kind, table.c.name],
            set_={"window_start": case((ended, stmt.excluded.window_start), else_=table.c.window_start),
                  "failures": case((ended, 1), else_=table.c.failures + 1)},
        ).returning(table.c.kind, table.c.name, table.c.window_start, table.c.failures)

    def _read(self, wanted: list[tuple[str, str]], now: float) -> None:
        table = AuthFailureWindow
        query = select(table.kind, table.name, table.window_start, table.failures).where(
            table.scope == self.scope, or_(*(and_(table.kind == kind, table.name == name) for kind, name in wanted)))
        with self.read_session_factory() as session:
            found = {(kind, name): (start, failures) for kind, name, start, failures in session.execute(query)}
        self._remember([(kind, name, *found.get((kind, name), (0.0, 0))) for kind, name in wanted], now)

    def _remember(self, rows: list[tuple[str, str, float, int]], now: float) -> None:
        if len(self._cache) >= self.max_cached:
            self._cache = {}
        for kind, name, start, failures in rows:
            self._cache[(kind, name)] = (start, failures, now)

    def count_rows(self) -> int:
        """How many windows this throttle keeps in the database (tests, monitoring)."""
        with self.read_session_factory() as session:
            return session.scalar(select(func.count()).select_from(AuthFailureWindow)
                                  .where(AuthFailureWindow.scope == self.scope)) or 0
