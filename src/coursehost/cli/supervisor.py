"""`coursehost serve --workers N`: a pre-fork supervisor, as gunicorn and uvicorn have. The parent binds
the service and the content sockets once (after migrations and bootstrap, which it ran alone), forks N
children that each serve both origins on those sockets (and run a job worker when run_worker is on),
replaces a child that dies (with a back-off when children die young), and on SIGTERM or SIGINT stops
them all gracefully (SIGKILL after `graceful_seconds`).

Every child builds its own services (engine, connection pool, blob store) after the fork: no database
connection or socket other than the two listening ones is shared between processes. Nothing a request
needs lives in one child's memory only (docs/ARCHITECTURE.md, "Processes and shared state"), so the
kernel may hand any connection to any child."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI
from prometheus_client import multiprocess

from coursehost.cli.serving import serve_both
from coursehost.settings import Settings

log = logging.getLogger("coursehost.serve")

YOUNG_SECONDS = 5.0  # a child that dies sooner than this after its start delays the next restart more
MIN_BACKOFF, MAX_BACKOFF = 0.5, 10.0
GRACEFUL_SECONDS = 30.0
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on HOST:PORT (IPv6 when HOST has a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on accepted sockets whose proto says TCP
    # (with 0, Nagle's algorithm and delayed ACKs hold every response ~40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


@dataclass
class _Child:
    index: int
    pid: int = 0
    started: float = 0.0
    young_deaths: int = 0
    restart_at: float | None = None


@dataclass
class Supervisor:
    """Runs WORKERS children, each `start(index)` in a forked process (which must not return)."""

    workers: int
    start: Callable[[int], None]
    graceful_seconds: float = GRACEFUL_SECONDS
    children: dict[int, _Child] = field(default_factory=dict)  # by index
    stopping: bool = False

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        for index in range(1, self.workers + 1):
            self.children[index] = _Child(index)
            self._spawn(self.children[index])
        while not self.stopping:
            self._reap()
            now = time.monotonic()
            for child in self.children.values():
                if child.restart_at is not None and now >= child.restart_at and not self.stopping:
                    self._spawn(child)
            time.sleep(0.1)
        self._stop_all()
        return 0

    def _stop(self, *_args) -> None:
        self.stopping = True

    def _spawn(self, child: _Child) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group: the parent stops us
                self.start(child.index)
                code = 0
            except BaseException:  # noqa: BLE001 - a child reports everything and exits
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        child.pid, child.started, child.restart_at = pid, time.monotonic(), None
        print(f"worker {child.index} started (pid {pid})", flush=True)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = next((c for c in self.children.values() if c.pid == pid), None)
            if child is None:
                continue
            child.pid = 0
            if os.environ.get(METRICS_ENV):  # its live gauges leave the multiprocess sums
                multiprocess.mark_process_dead(pid)
            if self.stopping:
                continue
            lived = time.monotonic() - child.started
            child.young_deaths = child.young_deaths + 1 if lived < YOUNG_SECONDS else 0
            delay = min(MAX_BACKOFF, MIN_BACKOFF * 2 ** max(0, child.young_deaths - 1))
            child.restart_at = time.monotonic() + delay
            log.warning("worker %d (pid %d) %s after %.1f s; starting another in %.1f s",
                        child.index, pid, _describe(status), lived, delay)

    def _stop_all(self) -> None:
        """SIGTERM to every child, then wait for them (SIGKILL to those still running after the grace)."""
        for child in self.children.values():
            if child.pid:
                _signal(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.graceful_seconds
        while any(c.pid for c in self.children.values()) and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.05)
        for child in self.children.values():
            if child.pid:
                log.warning("worker %d (pid %d) did not stop in %.0f s: killed", child.index, child.pid,
                            self.graceful_seconds)
                _signal(child.pid, signal.SIGKILL)
                os.waitpid(child.pid, 0)
                child.pid = 0


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by signal {os.WTERMSIG(status)}"
    return f"exited with code {os.waitstatus_to_exitcode(status)}"


def serve_workers(build_apps: Callable[[], tuple[FastAPI, FastAPI]], settings: Settings, *, workers: int,
                  log_level: str, access_log: bool) -> int:
    """Bind both origins, then serve them from WORKERS forked children until SIGTERM or SIGINT.
    BUILD_APPS runs in each child (its services, engine and pools are the child's own)."""
    bound: list[socket.socket] = []
    try:
        for port in (settings.port, settings.content_port):
            bound.append(bind_socket(settings.host, port))
    except OSError as exc:
        for sock in bound:
            sock.close()
        print(f"coursehost: cannot listen on {settings.host}:{port}: {exc}", file=sys.stderr)
        return 1
    sockets = (bound[0], bound[1])
    made_dir = None
    if workers > 1 and not os.environ.get(METRICS_ENV):
        made_dir = os.environ[METRICS_ENV] = tempfile.mkdtemp(prefix="coursehost-metrics-")
        print(f"{METRICS_ENV}={made_dir} (the workers' metrics; removed when serve stops)", flush=True)
    parent = os.getpid()

    def start(index: int) -> None:
        service, content = build_apps()
        serve_both(service, content, settings, log_level=log_level, access_log=access_log, sockets=sockets,
                   stop_signals=(signal.SIGTERM,), parent_pid=parent)

    try:
        return Supervisor(workers, start).run()
    finally:
        for sock in sockets:
            sock.close()
        if made_dir is not None:
            shutil.rmtree(made_dir, ignore_errors=True)
            os.environ.pop(METRICS_ENV, None)
