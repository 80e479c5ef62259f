"""Many serving processes over one PostgreSQL database (issue 21): `coursehost serve --workers 2` answers
from two processes, replaces a killed one and stops cleanly on SIGTERM; SQLite refuses more than one;
and what a request needs is shared by separate `coursehost serve` processes: the failed-authentication
throttle, the LRS's OAuth nonces and a disabled credential (refused everywhere within 2 s).

Which process answered a connection is read from the kernel (/proc: the process holding the server end
of that TCP connection), not from anything the service exposes."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER, Client

from coursehost.domain.applications.throttle import FRESH_SECONDS
from tests.contract.server_process import ServerProcess
from tests.databases import BACKENDS, create_pg_database, drop_pg_database
from tests.servers import AppCreds, free_port

BIN = Path(sys.executable).parent / "coursehost"
POSTGRES = [b for b in BACKENDS if b == "postgresql"]  # empty without COURSEHOST_TEST_POSTGRES_URL: reported skipped
V = {"X-Experience-API-Version": "1.0.3"}
SECRET = "a-long-enough-secret-value"


@pytest.fixture
def pg_url():
    url = create_pg_database()
    yield url
    drop_pg_database(url)


def _children(pid: int) -> set[int]:
    """The live child processes of PID (from /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def _wait_children(pid: int, count: int, *, not_in: set[int] = frozenset(), timeout: float = 30) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = _children(pid)
        if len(kids) == count and not kids & not_in:
            return kids
        time.sleep(0.1)
    raise AssertionError(f"process {pid} has children {_children(pid)}, expected {count} new ones")


def _socket_owner(client_port: int, server_port: int, pids: set[int]) -> int | None:
    """The process among PIDS holding the server end of the TCP connection 127.0.0.1:CLIENT_PORT ->
    127.0.0.1:SERVER_PORT (its inode in /proc/net/tcp, then the fds of each process)."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    inode = next((line.split()[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                  if line.split()[1] == local and line.split()[2] == remote), None)
    if inode is None:
        return None
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def _ping_on_new_connection(port: int, creds: AppCreds) -> socket.socket:
    """A new keep-alive connection that has been answered 200 to an authenticated ping (left open)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    auth = base64.b64encode(f"{creds.app_id}:{creds.secret}".encode()).decode()
    sock.sendall(f"GET /api/v2/ping HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic {auth}\r\n\r\n"
                 .encode())
    data = b""
    while b"pong" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed: {data!r}"
        data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data
    return sock


def _serve(url: str, tmp_path: Path, name: str, **env) -> ServerProcess:
    server = ServerProcess(url, tmp_path / name, env=env)
    return server


@pytest.mark.parametrize("backend", POSTGRES)
def test_workers_answer_from_two_processes_replace_a_killed_one_and_stop_on_sigterm(backend, pg_url, tmp_path):
    server = _serve(pg_url, tmp_path, "data", COURSEHOST_WORKERS="2")
    server.start()
    try:
        supervisor = server.proc.pid
        kids = _wait_children(supervisor, 2)
        # The supervisor made a fresh directory for prometheus-client's multiprocess mode (children inherit it).
        metrics_dir = "".join(server.output).split("PROMETHEUS_MULTIPROC_DIR=", 1)[1].split()[0]
        assert Path(metrics_dir).is_dir()
        # Connections are answered by both children (the kernel hands each to either).
        answered: set[int] = set()
        open_sockets = []
        try:
            for _ in range(60):
                sock = _ping_on_new_connection(server.port, server.creds)
                open_sockets.append(sock)
                owner = _socket_owner(sock.getsockname()[1], server.port, kids)
                assert owner in kids
                answered.add(owner)
                if answered == kids:
                    break
                time.sleep(0.02)
        finally:
            for sock in open_sockets:
                sock.close()
        assert answered == kids, f"only {answered} of {kids} answered"
        # A child killed with -9 is replaced; the service keeps answering.
        victim = min(kids)
        os.kill(victim, signal.SIGKILL)
        new_kids = _wait_children(supervisor, 2, not_in={victim})
        assert len(new_kids & kids) == 1
        auth = (server.creds.app_id, server.creds.secret)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(server.api_url + "/ping", auth=auth).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        for _ in range(10):
            assert httpx.get(server.api_url + "/ping", auth=auth).status_code == 200
        # SIGTERM: everything stops, exit code 0, the ports are free, the metrics directory is removed.
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=40) == 0
        for pid in new_kids:
            assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.api_url + "/ping", auth=auth)
        assert not Path(metrics_dir).exists()
    finally:
        server.stop()
    output = "".join(server.output)
    assert f"worker 1 (pid {victim})" in output or f"worker 2 (pid {victim})" in output
    assert "was killed by signal 9" in output


def test_sqlite_refuses_more_than_one_worker_and_starts_nothing(tmp_path):
    port, content_port = free_port(), free_port()
    data_dir = tmp_path / "data"
    by_flag = subprocess.run(
        [str(BIN), "serve", "--workers", "2", "--port", str(port), "--content-port", str(content_port)],
        env=dict(os.environ, COURSEHOST_DATA_DIR=str(data_dir)), capture_output=True, text=True, timeout=120)
    by_env = subprocess.run(
        [str(BIN), "serve", "--port", str(port), "--content-port", str(content_port)],
        env=dict(os.environ, COURSEHOST_DATA_DIR=str(data_dir), COURSEHOST_WORKERS="3",
                 COURSEHOST_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"),
        capture_output=True, text=True, timeout=120)
    for workers, result in (("2", by_flag), ("3", by_env)):
        assert result.returncode == 2, result.stderr
        assert f"--workers {workers} (COURSEHOST_WORKERS) needs PostgreSQL" in result.stderr
        assert "--workers 1" in result.stderr and "COURSEHOST_DATABASE_URL" in result.stderr
        assert result.stdout == ""
    assert not data_dir.exists() and not (tmp_path / "x.db").exists()  # nothing made, nothing migrated
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # nothing listens
    zero = subprocess.run([str(BIN), "serve", "--workers", "0"], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, COURSEHOST_DATA_DIR=str(data_dir)))
    assert zero.returncode == 2 and "must be at least 1, not 0" in zero.stderr


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory):
    """Two separate `coursehost serve` processes (A, B) over one PostgreSQL database, and the
    application-management API of its realm (made with `coursehost app create --management`)."""
    url = create_pg_database()
    tmp_path = tmp_path_factory.mktemp("nodes")
    a = _serve(url, tmp_path, "a")
    b = ServerProcess(url, tmp_path / "b")
    try:
        a.start()
        b.secret_key, b.creds = a.secret_key, a.creds  # the same instance; bootstrap printed the credentials once
        b.start()
        made = subprocess.run(
            [str(BIN), "app", "create", "--name", "Management", "--management", "--json"], capture_output=True,
            text=True, timeout=120, env=dict(os.environ, COURSEHOST_DATA_DIR=str(a.data_dir),
                                             COURSEHOST_DATABASE_URL=url, COURSEHOST_SECRET_KEY=a.secret_key))
        assert made.returncode == 0, made.stderr
        mgmt_creds = json.loads(made.stdout)
        config = cloud.Configuration()
        config.host = a.api_url
        config.username, config.password = mgmt_creds["appId"], mgmt_creds["secretKey"]
        yield a, b, cloud.ApplicationManagementApi(cloud.ApiClient(config))
    finally:
        b.stop()
        a.stop()
        drop_pg_database(url)


def _new_app(mgmt) -> AppCreds:
    app = mgmt.create_application(cloud.ApplicationRequestSchema(name=f"app-{uuid.uuid4().hex[:8]}"))
    return AppCreds(app.id, mgmt.get_credentials(app.id).credentials[0].credential)


@pytest.mark.parametrize("backend", POSTGRES)
def test_failures_on_one_process_lock_the_key_on_another(backend, two_nodes):
    a, b, mgmt = two_nodes
    app = _new_app(mgmt)
    assert httpx.get(b.api_url + "/ping", auth=(app.app_id, app.secret)).status_code == 200
    for _ in range(20):  # the default limit: 20 failures of one key a minute
        assert httpx.get(a.api_url + "/ping", auth=(app.app_id, "wrong")).status_code == 401
    # B read this key's (empty) window at the success above: its view of A's failures may be FRESH_SECONDS
    # old (docs/ARCHITECTURE.md, "Processes and shared state"); past that bound B refuses too.
    time.sleep(FRESH_SECONDS + 0.1)
    refused = httpx.get(b.api_url + "/ping", auth=(app.app_id, "wrong"))
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert httpx.get(b.api_url + "/ping", auth=(app.app_id, app.secret)).status_code == 429
    assert httpx.get(a.api_url + "/ping", auth=(app.app_id, app.secret)).status_code == 429
    other = _new_app(mgmt)  # another key is not locked
    assert httpx.get(b.api_url + "/ping", auth=(other.app_id, other.secret)).status_code == 200


@pytest.mark.parametrize("backend", POSTGRES)
def test_an_oauth_nonce_replayed_to_another_process_is_refused(backend, two_nodes):
    a, b, mgmt = two_nodes
    app = _new_app(mgmt)
    config = cloud.Configuration()
    config.host = a.api_url
    config.username, config.password = app.app_id, app.secret
    xapi = cloud.XapiApi(cloud.ApiClient(config))
    key = xapi.create_xapi_credential(cloud.XapiCredentialPostSchema(
        name="signer", secret=SECRET, is_enabled=True,
        auth=cloud.XapiCredentialAuthTypeSchema(xapi_credential_auth_type="OAUTH"),
        permissions_level=cloud.XapiCredentialPermissionsLevelSchema(xapi_credential_permissions_level="ROOT"),
    )).result
    url = f"{a.base_url}/lrs/{app.app_id}/statements"

    def signed() -> dict:
        client = Client(key, client_secret=SECRET, signature_method=SIGNATURE_HMAC_SHA1,
                        signature_type=SIGNATURE_TYPE_AUTH_HEADER)
        return {**V, "Authorization": client.sign(url, http_method="GET")[1]["Authorization"]}

    # Behind one public address both processes see the same Host (what the signature covers).
    to_b = f"{b.base_url}/lrs/{app.app_id}/statements"
    host = {"Host": a.base_url.removeprefix("http://")}
    fresh = signed()
    assert httpx.get(to_b, headers={**fresh, **host}).status_code == 200, "a fresh signature is good on B"
    first = signed()
    assert httpx.get(url, headers=first).status_code == 200
    replay = httpx.get(to_b, headers={**first, **host})
    assert replay.status_code == 401, "the nonce A accepted is a replay on B"
    assert httpx.get(url, headers=first).status_code == 401


@pytest.mark.parametrize("backend", POSTGRES)
def test_a_credential_disabled_through_one_process_is_refused_by_another_within_2_s(backend, two_nodes):
    a, b, mgmt = two_nodes
    app = _new_app(mgmt)
    app_id = app.app_id
    created = mgmt.create_credential(app_id, cloud.CredentialRequestSchema(name="integration", active=True))
    auth = (app_id, created.credential)
    for _ in range(3):  # B has verified it (and caches that for up to 2 s)
        assert httpx.get(b.api_url + "/ping", auth=auth).status_code == 200
    mgmt.update_credential(app_id, created.id, cloud.CredentialRequestSchema(name="integration", active=False))
    disabled = time.monotonic()
    assert httpx.get(a.api_url + "/ping", auth=auth).status_code == 401  # at once where it was disabled
    while True:
        sent = time.monotonic()
        if httpx.get(b.api_url + "/ping", auth=auth).status_code != 200:
            break
        assert sent - disabled < 2.0, "B still accepts the disabled credential 2 s after it was disabled"
        time.sleep(0.05)
    assert sent - disabled < 2.0
    assert httpx.get(b.api_url + "/ping", auth=(app_id, app.secret)).status_code == 200
