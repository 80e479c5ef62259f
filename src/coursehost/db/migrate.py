"""Apply Alembic migrations programmatically (used by `serve`, `worker`, `db upgrade` and the tests), and
tell where a database's schema stands against this release's migrations (rolling upgrades:
docs/ARCHITECTURE.md, "Migrations: expand, then contract")."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from coursehost.db.session import make_engine, normalize_url

MIGRATIONS = Path(__file__).parent / "migrations"

# Every process that migrates takes this PostgreSQL advisory lock first, so several `serve` and `worker`
# processes started at once against a new database migrate one after another.
_PG_MIGRATION_LOCK = 0x636F7572  # "cour"

log = logging.getLogger("coursehost.migrate")


class SchemaNotReady(RuntimeError):
    """The database's schema is older than this release and this process may not migrate it."""


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database stands: its revision (None when it has none yet) and this release's head."""

    current: str | None
    head: str
    known: bool  # whether this release's migrations know CURRENT (None counts as known)

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def newer(self) -> bool:
        """The database was migrated by a later release (a rolling upgrade is under way)."""
        return not self.known

    @property
    def behind(self) -> bool:
        return self.known and not self.up_to_date


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and at URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest revision this release's migrations know."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database at URL is at (None: never migrated)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def schema_status(url: str) -> SchemaStatus:
    """The database's revision against this release's migrations."""
    script = ScriptDirectory.from_config(alembic_config(url))
    current = current_revision(url)
    known = current is None or current in {s.revision for s in script.walk_revisions()}
    return SchemaStatus(current=current, head=script.get_current_head(), known=known)


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the database at URL up to REVISION in one transaction; returns (revision before, after)."""
    engine = make_engine(url)
    try:
        # One transaction from reading the revision to the last step (Alembic joins a transaction it finds
        # open): on SQLite it is BEGIN IMMEDIATE, which makes a second process wait for the writer lock;
        # on PostgreSQL the advisory lock does, until this transaction ends. The later process then finds
        # nothing to do instead of racing to create the same tables.
        with engine.connect() as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            before = MigrationContext.configure(conn).get_current_revision()
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            after = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    return before, after


def prepare_schema(url: str, *, migrate: bool) -> SchemaStatus:
    """At a process's start: migrate when MIGRATE (COURSEHOST_MIGRATE_ON_START), run as the previous release
    when the database is newer than this release, refuse (SchemaNotReady) when it is older and MIGRATE is off."""
    status = schema_status(url)
    if status.newer:
        log.warning("database schema is newer (rev %s) than this release knows; running as the previous release "
                    "during a rolling upgrade (this release's newest is rev %s)", status.current, status.head)
        return status
    if status.up_to_date:
        return status
    if migrate:
        before, after = upgrade(url)
        log.info("database migrated from rev %s to rev %s", before or "none (empty database)", after)
        return SchemaStatus(current=after, head=status.head, known=True)
    at = f"rev {status.current}" if status.current else "empty (never migrated)"
    raise SchemaNotReady(
        f"the database schema is {at} but this release needs rev {status.head}, and COURSEHOST_MIGRATE_ON_START "
        "is off: run `coursehost db upgrade` once (with this release), then start the processes")
