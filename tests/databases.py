"""The test databases: SQLite always, PostgreSQL too when COURSEHOST_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import uuid

import sqlalchemy as sa

from coursehost.db.session import normalize_url

PG_URL = os.environ.get("COURSEHOST_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def create_pg_database() -> str:
    """A fresh database on the test server, so runs never see each other's rows."""
    name = f"coursehost_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.engine.make_url(normalize_url(PG_URL)).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    """Drop a database made by create_pg_database, even with sessions still open on it."""
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()
