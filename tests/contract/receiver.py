"""A real HTTP receiver for webhook tests (postbacks): records every request, answers a
configured status, and can be stopped and started again on the same port (outage tests)."""

from __future__ import annotations

import base64
import http.server
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int  # what the receiver answered
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def form(self) -> dict[str, str]:
        """The x-www-form-urlencoded fields (last value of each)."""
        return {k: v[-1] for k, v in parse_qs(self.text, keep_blank_values=True).items()}

    def basic_auth(self) -> tuple[str, str] | None:
        value = self.headers.get("authorization", "")
        if not value.lower().startswith("basic "):
            return None
        user, _, password = base64.b64decode(value[6:]).decode("utf-8").partition(":")
        return user, password


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """`with Receiver() as r:` ... `r.url`, `r.wait_for(1)`, `r.answer(500, 200)`, `r.stop()`, `r.start()`."""

    def __init__(self, port: int | None = None, path: str = "/postback"):
        self.port = port or _free_port()
        self.path = path
        self.requests: list[Received] = []
        self.default_status = 200
        self.delay_seconds = 0.0  # wait this long before answering (timeout tests)
        self._statuses: list[int] = []
        self._cond = threading.Condition()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def answer(self, *statuses: int, default: int | None = None) -> None:
        """Answer the next requests with STATUSES in order, then DEFAULT (unchanged when None)."""
        with self._cond:
            self._statuses = list(statuses)
            if default is not None:
                self.default_status = default

    def _next_status(self) -> int:
        with self._cond:
            return self._statuses.pop(0) if self._statuses else self.default_status

    def _record(self, item: Received) -> None:
        with self._cond:
            self.requests.append(item)
            self._cond.notify_all()

    def start(self) -> Receiver:
        if self._server is not None:
            return self
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status = receiver._next_status()
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver._record(Received(self.command, self.path, headers, body, status))
                if receiver.delay_seconds:
                    time.sleep(receiver.delay_seconds)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url + "/redirected")
                self.end_headers()

            do_POST = do_GET = do_PUT = _handle  # noqa: N815

            def log_message(self, *args):  # quiet
                pass

        deadline = time.monotonic() + 10
        while True:
            try:
                server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
                break
            except OSError:  # the old socket may linger a moment after a stop
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"receiver-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; connections to the port are refused until start() is called again."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def wait_for(self, count: int = 1, timeout: float = 20.0, where=None) -> list[Received]:
        """Block until COUNT requests (matching WHERE, if given) arrived; they are returned."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [r for r in self.requests if where is None or where(r)]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"receiver got {len(got)} of {count} requests in {timeout}s: "
                                         f"{[(r.method, r.status, r.body[:200]) for r in self.requests]}")
                self._cond.wait(left)

    def clear(self) -> None:
        with self._cond:
            self.requests.clear()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
