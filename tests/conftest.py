"""Fixtures for every layer: a database per backend (SQLite always, PostgreSQL when
COURSEHOST_TEST_POSTGRES_URL is set), rolled-back sessions, and the real servers the contract and
browser tests talk to (tests/servers.py)."""

from __future__ import annotations

import pytest

from coursehost.db.migrate import upgrade
from coursehost.db.session import make_engine, make_sessionmaker
from tests.databases import BACKENDS, create_pg_database, drop_pg_database
from tests.servers import running_live_server

pytest_plugins = ["tests.browser"]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated, empty database URL; the whole suite runs once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'coursehost.db'}"
        upgrade(url)
        yield url
        return
    url = create_pg_database()
    upgrade(url)
    yield url
    drop_pg_database(url)


@pytest.fixture(scope="session")
def engine(database_url):
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def db_session(engine):
    """A session inside a transaction that is rolled back after the test."""
    conn = engine.connect()
    trans = conn.begin()
    factory = make_sessionmaker(conn)
    session = factory(join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        trans.rollback()
        conn.close()


@pytest.fixture(scope="session")
def session_factory(engine):
    """Sessions that really commit (for tests of transactions, jobs and servers)."""
    return make_sessionmaker(engine)


@pytest.fixture(scope="session")
def live_server(database_url, tmp_path_factory):
    """The real service on a free port over this backend's database, with a second realm beside it."""
    with running_live_server(database_url, tmp_path_factory.mktemp("data")) as server:
        yield server
