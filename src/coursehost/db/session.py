"""Engine and session factory: SQLite in WAL mode, or PostgreSQL through psycopg 3."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

READ_ONLY = "coursehost_read_only"
_HOLDS_WRITER = "coursehost_holds_writer_lock"


def normalize_url(url: str) -> str:
    """Let users write postgresql:// and still get psycopg 3."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """Create the engine for URL with the pragmas and pool settings each database needs."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        # A connection per request thread (40 in Starlette's pool) plus the job worker: a commit reads
        # on one connection before it queues for the writer lock on another, so a pool smaller than
        # the threads would make reads wait behind queued writers.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=10, max_overflow=50)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
            # Take the write lock at BEGIN (not at first write) so a read-then-write transaction
            # never fails with "database is locked" midway; WAL lets readers run beside one writer.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        # SQLite has one writer at a time. Writers of this process queue on a Python lock before
        # BEGIN IMMEDIATE: SQLite's own busy handler polls with sleeps of up to 100 ms, which under
        # many concurrent commits costs far more than the writes (bench/commit.py). Other processes
        # (a separate `coursehost worker`) still meet at SQLite's lock, with busy_timeout.
        writer = threading.Lock()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover
            # Read-only sessions (see make_read_sessionmaker) begin deferred: they never take the
            # write lock, so reads such as authentication run beside each other and beside a writer.
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")
                return
            if not conn.info.get(_HOLDS_WRITER):  # (a second transaction on the same connection)
                if not writer.acquire(timeout=30):
                    raise TimeoutError("the database stayed busy for 30 s")
                conn.info[_HOLDS_WRITER] = True
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        # Released once the connection goes back to the pool: after the COMMIT / ROLLBACK has run
        # (the engine's commit event fires before it), so the next writer never meets SQLite's lock.
        @event.listens_for(engine.pool, "checkin")
        @event.listens_for(engine.pool, "invalidate")
        def _release(_dbapi_conn, record, *_args):  # pragma: no cover
            if record is not None and record.info.pop(_HOLDS_WRITER, False):
                writer.release()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for work that only reads (on SQLite: a deferred BEGIN, no write lock)."""
    return sessionmaker(bind=engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
