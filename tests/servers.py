"""Real servers for tests: the service and its content origin in threads on two free ports (with its
applications), and a small HTTP file server (for import by URL)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.server
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import rustici_software_cloud_v2 as cloud
import uvicorn
from aiosmtpd.controller import Controller

from coursehost.app import create_app, create_content_app
from coursehost.db.models.tenancy import Realm
from coursehost.db.session import unit_of_work
from coursehost.domain.applications import service as apps
from coursehost.settings import Settings


def run_coroutine(coro):
    """asyncio.run(CORO) in a thread of its own: the suite's sync Playwright keeps an event loop running
    in the main thread once a browser test has run, and asyncio.run refuses to start beside it."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppCreds:
    app_id: str
    secret: str


@dataclass
class LiveServer:
    base_url: str  # the service origin (API, LRS), as service_url
    api_url: str
    services: object
    default_app: AppCreds
    management_app: AppCreds
    other_management_app: AppCreds  # the management app of a second realm (isolation tests)
    content_url: str  # the content origin (player pages, course files): launch links point here

    @property
    def service_url(self) -> str:
        """The service origin: API, LRS."""
        return self.base_url

    def client(self, creds: AppCreds | None = None, *, token: str | None = None) -> cloud.ApiClient:
        """The official client pointed at this server; only its host is changed."""
        config = cloud.Configuration()
        config.host = self.api_url
        if token:
            config.access_token = token
        else:
            creds = creds or self.default_app
            config.username, config.password = creds.app_id, creds.secret
        return cloud.ApiClient(config)


def start_server(app, port: int, *, lifespan: str = "on") -> tuple[uvicorn.Server, threading.Thread]:
    """uvicorn in a thread on 127.0.0.1:PORT; returns (server, thread) once it accepts requests."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    return server, thread


def _applications(svc) -> tuple[AppCreds, AppCreds, AppCreds]:
    """The default and management applications of the first realm, and a second realm's management app."""
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
        return (AppCreds(default.app_id, default_secret), AppCreds(mgmt.app_id, mgmt_secret),
                AppCreds(other_mgmt.app_id, other_secret))


@contextmanager
def running_live_server(database_url: str, data_dir: Path, **overrides) -> Iterator[LiveServer]:
    """The real service and its content origin on two free ports over DATABASE_URL, with a second
    realm beside it; OVERRIDES are further Settings (smtp_url=..., for instance)."""
    port, content_port = free_port(), free_port()
    overrides.setdefault("storage_url", f"file://{data_dir / 'content'}")
    settings = Settings(
        data_dir=data_dir, database_url=database_url,
        port=port, content_port=content_port, secret_key=secrets.token_urlsafe(48), run_worker=True,
        worker_poll_seconds=0.2, page_size=10, allow_private_urls=True, **overrides,
    )
    app = create_app(settings)
    svc = app.state.services
    creds = _applications(svc)
    content_server, content_thread = start_server(create_content_app(svc), content_port, lifespan="off")
    server, thread = start_server(app, port)
    base = f"http://127.0.0.1:{port}"
    try:
        yield LiveServer(base, base + "/api/v2", svc, *creds, content_url=f"http://127.0.0.1:{content_port}")
    finally:
        server.should_exit = content_server.should_exit = True
        thread.join(timeout=10)
        content_thread.join(timeout=10)


@contextmanager
def file_servers() -> Iterator[Callable[[dict[str, bytes]], str]]:
    """serve({path: bytes}) starts a real HTTP server on 127.0.0.1 and returns its base URL; all stop on exit."""
    servers: list[http.server.ThreadingHTTPServer] = []

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

    try:
        yield serve
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@contextmanager
def smtp_server(handler) -> Iterator[tuple[object, int]]:
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1 delivering to HANDLER: (HANDLER, port)."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()
