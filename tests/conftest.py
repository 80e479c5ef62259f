"""Shared fixtures: a database per backend (SQLite always, PostgreSQL when
COURSEHOST_TEST_POSTGRES_URL is set), rolled-back sessions, and a live server on a free port."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from coursehost.db.migrate import upgrade
from coursehost.db.session import make_engine, make_sessionmaker, normalize_url

PG_URL = os.environ.get("COURSEHOST_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _create_pg_database() -> str:
    """A fresh database on the test server, so runs never see each other's rows."""
    name = f"coursehost_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.engine.make_url(normalize_url(PG_URL)).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated, empty database URL; the whole suite runs once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'coursehost.db'}"
        upgrade(url)
        yield url
        return
    url = _create_pg_database()
    upgrade(url)
    yield url
    _drop_pg_database(url)


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


# ---------------------------------------------------------------- live server + official client

import secrets as _secrets  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppCreds:
    app_id: str
    secret: str


@dataclass
class LiveServer:
    base_url: str
    api_url: str
    services: object
    default_app: AppCreds
    management_app: AppCreds
    other_management_app: AppCreds  # the management app of a second realm (isolation tests)

    def client(self, creds: AppCreds | None = None, *, token: str | None = None):
        """The official client pointed at this server; only its host is changed."""
        import rustici_software_cloud_v2 as cloud

        config = cloud.Configuration()
        config.host = self.api_url
        if token:
            config.access_token = token
        else:
            creds = creds or self.default_app
            config.username, config.password = creds.app_id, creds.secret
        return cloud.ApiClient(config)


def start_server(app, port: int):
    """uvicorn in a thread on 127.0.0.1:PORT; returns (server, thread) once it accepts requests."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    return server, thread


@pytest.fixture(scope="session")
def live_server(database_url, tmp_path_factory):
    """The real service on a free port over this backend's database, with a second realm beside it."""
    from coursehost.app import create_app
    from coursehost.db.models.tenancy import Realm
    from coursehost.db.session import unit_of_work
    from coursehost.domain.applications import service as apps
    from coursehost.settings import Settings

    data_dir = tmp_path_factory.mktemp("data")
    port = free_port()
    settings = Settings(
        data_dir=data_dir, database_url=database_url, storage_url=f"file://{data_dir / 'content'}",
        port=port, secret_key=_secrets.token_urlsafe(48), run_worker=True, worker_poll_seconds=0.2,
        page_size=10,
    )
    app = create_app(settings)
    svc = app.state.services
    with unit_of_work(svc.session_factory) as session:
        realm = apps.ensure_realm(session)
        default, default_secret = apps.create_application(
            session, box=svc.box, realm_id=realm.id, name="Default application"
        )
        mgmt, mgmt_secret = apps.create_application(
            session, box=svc.box, realm_id=realm.id, name="Management", management=True
        )
        other = Realm(name="Other realm")
        session.add(other)
        session.flush()
        other_mgmt, other_secret = apps.create_application(
            session, box=svc.box, realm_id=other.id, name="Other management", management=True
        )
        creds = (AppCreds(default.app_id, default_secret), AppCreds(mgmt.app_id, mgmt_secret),
                 AppCreds(other_mgmt.app_id, other_secret))
    server, thread = start_server(app, port)
    base = f"http://127.0.0.1:{port}"
    yield LiveServer(base, base + "/api/v2", svc, *creds)
    server.should_exit = True
    thread.join(timeout=10)


def pytest_terminal_summary(terminalreporter):
    """Print the API coverage line where everyone sees it."""
    import sys

    module = sys.modules.get("tests.contract.test_operation_coverage")
    for line in getattr(module, "SUMMARY", [])[-1:]:
        terminalreporter.write_line(line)


@pytest.fixture
def http_files():
    """A real HTTP server on 127.0.0.1 serving {path: bytes}; returns its base URL."""
    import http.server

    servers = []

    def serve(files: dict[str, bytes]) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = files.get(self.path.split("?")[0])
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
