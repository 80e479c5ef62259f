"""The scale-out topology as real processes, for tests/e2e/test_topology.py: `coursehost serve` nodes
and `coursehost worker` processes over one PostgreSQL database and one S3 bucket (moto's server),
with the slow HTTP receivers that let a test kill a worker while it is mid-request."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import rustici_software_cloud_v2 as cloud

from tests.servers import AppCreds, free_port

#: What every process of the topology shares besides the database and the bucket.
SECRET_KEY = "topology-test-instance-key-" + "t" * 40
#: A worker that dies mid-job loses its job to another worker this many seconds later.
LEASE_SECONDS = 4.0
#: moto takes any credentials; the AWS_* files are pointed away so nothing on this machine is read.
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}


def wait_until(check: Callable[[], object], timeout: float, what: str, interval: float = 0.1):
    """CHECK's first truthy value, polled until TIMEOUT seconds; AssertionError naming WHAT after that."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(interval)


@dataclass
class Shared:
    """What all processes are configured with: the database, the bucket (and its endpoint)."""

    database_url: str
    storage_url: str
    s3_endpoint: str

    def env(self, data_dir: Path, **extra: str) -> dict[str, str]:
        data_dir.mkdir(parents=True, exist_ok=True)
        return {**os.environ, **AWS_ENV, "COURSEHOST_DATA_DIR": str(data_dir),
                "COURSEHOST_DATABASE_URL": self.database_url, "COURSEHOST_STORAGE_URL": self.storage_url,
                "COURSEHOST_S3_ENDPOINT_URL": self.s3_endpoint, "COURSEHOST_SECRET_KEY": SECRET_KEY,
                "COURSEHOST_ALLOW_PRIVATE_URLS": "true", "COURSEHOST_WORKER_POLL_SECONDS": "0.2",
                "COURSEHOST_JOB_LEASE_SECONDS": str(LEASE_SECONDS), "PYTHONUNBUFFERED": "1", **extra}


class Process:
    """One `python -m coursehost.cli.main ARGS` process; everything it prints is kept in `output`."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]):
        self.name, self.args, self.env = name, args, env
        self.output: list[str] = []
        self._lines = threading.Condition()
        self.proc: subprocess.Popen | None = None
        self._drainer: threading.Thread | None = None

    def start(self) -> Process:
        """Start the process (`ready()` waits until it serves)."""
        self.proc = subprocess.Popen([sys.executable, "-m", "coursehost.cli.main", *self.args], env=self.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        proc = self.proc

        def drain():
            for line in proc.stdout:
                with self._lines:
                    self.output.append(line)
                    self._lines.notify_all()
            proc.stdout.close()  # the process has ended; an open pipe would be a ResourceWarning

        self._drainer = threading.Thread(target=drain, name=f"{self.name}-output", daemon=True)
        self._drainer.start()
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def ready(self) -> Process:
        return self

    def text(self) -> str:
        with self._lines:
            return "".join(self.output)

    def wait_for_output(self, needle: str, timeout: float = 120.0) -> str:
        """Everything printed so far, once NEEDLE has been printed; fails if the process exits first."""
        deadline = time.monotonic() + timeout
        with self._lines:
            while needle not in "".join(self.output):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} never printed {needle!r}:\n{''.join(self.output)[-4000:]}")
                self._lines.wait(0.2)
            return "".join(self.output)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self) -> None:
        """SIGTERM if it still runs (stop() then waits for it)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not ended within 15 s; safe to call twice."""
        if self.proc is not None and self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()
        if self._drainer is not None:
            self._drainer.join(timeout=10)


class Node(Process):
    """`coursehost serve` without its in-process worker: the service origin (base_url: API, LRS,
    console) and the content origin (content_url: player, course files) on ports of its own."""

    def __init__(self, name: str, shared: Shared, data_dir: Path, *, first: bool = False):
        self.port, self.content_port = free_port(), free_port()
        self.data_dir, self.first = data_dir, first
        super().__init__(name, ["serve", "--port", str(self.port), "--content-port", str(self.content_port),
                                "--no-access-log", "--log-level", "warning"],
                         shared.env(data_dir, COURSEHOST_RUN_WORKER="false"))
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.api_url = self.base_url + "/api/v2"
        self.content_url = f"http://127.0.0.1:{self.content_port}"
        self.creds: AppCreds | None = None  # the default application, on the node that made the database

    @property
    def service_url(self) -> str:
        return self.base_url

    def ready(self) -> Node:
        """Wait until both origins answer; the first node of an empty database also printed the
        default application's credentials (after its migrations, before it listens)."""
        out = self.wait_for_output("Content (player, course files)")
        if self.first:
            out = self.wait_for_output("try: curl")
            self.creds = AppCreds(out.split("appId:")[1].split()[0], out.split("secretKey:")[1].split()[0])

        def answers() -> bool:
            assert self.proc.poll() is None, f"{self.name} exited:\n{self.text()[-4000:]}"
            try:  # 401 without credentials: the API answers
                return httpx.get(self.api_url + "/ping").status_code == 401 and \
                    httpx.get(self.content_url + "/").status_code < 500
            except httpx.HTTPError:
                return False

        wait_until(answers, 60, f"{self.name} to answer")
        return self

    def client(self, creds: AppCreds) -> cloud.ApiClient:
        """The official client pointed at this node."""
        config = cloud.Configuration()
        config.host = self.api_url
        config.username, config.password = creds.app_id, creds.secret
        return cloud.ApiClient(config)


class Worker(Process):
    """`coursehost worker`; its worker id (host:pid:suffix) names it in the job table's locked_by."""

    def __init__(self, name: str, shared: Shared, data_dir: Path):
        super().__init__(name, ["worker"], shared.env(data_dir))
        self.shared, self.data_dir = shared, data_dir
        self.worker_id = ""

    def ready(self) -> Worker:
        out = self.wait_for_output(" polling ")
        self.worker_id = out.split("coursehost worker ", 1)[1].split()[0]
        assert f":{self.pid}:" in self.worker_id, self.worker_id
        return self


# ---------------------------------------------------------------- receivers


@dataclass
class Arrival:
    """One request as a receiver got it; `answered` once its answer was written (which may succeed
    into the socket buffer of a sender that is already dead)."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    held: bool = False
    status: int | None = None
    answered: bool = False
    at: float = field(default_factory=time.monotonic)


class SlowServer:
    """A threaded HTTP server on 127.0.0.1 that records every request, waits DELAY seconds before
    answering, and holds the next `hold_next` requests until release() (a test kills the sender
    meanwhile). `respond(arrival)` -> (status, headers, body) makes the answer."""

    def __init__(self, respond: Callable[[Arrival], tuple[int, dict[str, str], bytes]], delay: float = 0.0):
        self.respond, self.delay = respond, delay
        self.arrivals: list[Arrival] = []
        self.hold_next = 0
        self._released = threading.Event()
        self._cond = threading.Condition()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                arrival = Arrival(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                  self.rfile.read(length) if length else b"")
                owner._arrived(arrival)
                if arrival.held:
                    owner._released.wait(60)
                elif owner.delay:
                    time.sleep(owner.delay)
                status, headers, body = owner.respond(arrival)
                arrival.status = status
                try:
                    self.send_response(status)
                    for name, value in {**headers, "Content-Length": str(len(body))}.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                    self.wfile.flush()
                    arrival.answered = True
                except OSError:  # the sender was killed while we held its request
                    self.close_connection = True

            do_GET = do_POST = do_PUT = _handle  # noqa: N815

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="slow-server", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _arrived(self, arrival: Arrival) -> None:
        with self._cond:
            if self.hold_next > 0 and arrival.method in ("POST", "PUT"):
                self.hold_next -= 1
                arrival.held = True
            self.arrivals.append(arrival)
            self._cond.notify_all()

    def hold(self, count: int = 1) -> None:
        """Hold the next COUNT POST/PUT requests until release()."""
        with self._cond:
            self._released.clear()
            self.hold_next = count

    def release(self) -> None:
        self._released.set()

    def wait_for(self, where: Callable[[Arrival], bool], count: int = 1, timeout: float = 30.0) -> list[Arrival]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [a for a in self.arrivals if where(a)]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                assert left > 0, f"{len(got)} of {count} requests arrived in {timeout}s"
                self._cond.wait(left)

    def snapshot(self) -> list[Arrival]:
        with self._cond:
            return list(self.arrivals)

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def postback_receiver(delay: float) -> SlowServer:
    """A postback receiver that answers 204 after DELAY seconds."""
    return SlowServer(lambda arrival: (204, {}, b""), delay=delay)


_FORWARDED = ("authorization", "content-type", "x-experience-api-version", "accept")


def lrs_proxy(target_origin: str) -> SlowServer:
    """A pass-through proxy to TARGET_ORIGIN (an LRS): every request is forwarded as it came, also a
    held one once it is released, after its sender died (so the target stores that batch although
    the sender never learns it did)."""
    client = httpx.Client(base_url=target_origin, timeout=30)

    def respond(arrival: Arrival) -> tuple[int, dict[str, str], bytes]:
        headers = {k: v for k, v in arrival.headers.items() if k in _FORWARDED}
        answer = client.request(arrival.method, arrival.path, content=arrival.body, headers=headers)
        kept = {k: v for k, v in answer.headers.items()
                if k.lower() in ("content-type", "x-experience-api-version", "x-experience-api-consistent-through")}
        return answer.status_code, kept, answer.content

    server = SlowServer(respond)
    closing = server.close

    def close() -> None:
        closing()
        client.close()

    server.close = close
    return server
