"""Fixtures for every layer: a database per backend (SQLite always, PostgreSQL when
COURSEHOST_TEST_POSTGRES_URL is set), rolled-back sessions, and the real servers the contract and
browser tests talk to (tests/servers.py)."""

from __future__ import annotations

import sys

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


# The contract tests' API coverage line (tests/contract/test_operation_coverage.py), printed at the end of
# the run where everyone sees it. Under pytest-xdist the test runs in a worker: the worker hands the line
# to the controller, which prints it.
API_COVERAGE: list[str] = []


def _api_coverage() -> list[str]:
    module = sys.modules.get("tests.contract.test_operation_coverage")
    return getattr(module, "SUMMARY", [])[-1:]


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)  # set in an xdist worker only
    if workeroutput is not None:
        workeroutput["api_coverage"] = _api_coverage()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist: a worker has finished; keep the coverage line it reported."""
    API_COVERAGE.extend(getattr(node, "workeroutput", {}).get("api_coverage", []))


def pytest_terminal_summary(terminalreporter):
    for line in (API_COVERAGE or _api_coverage())[-1:]:
        terminalreporter.write_line(line)
