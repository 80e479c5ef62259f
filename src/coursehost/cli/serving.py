"""`coursehost serve` runs both origins in one process: two uvicorn servers on one asyncio loop (the
service app with the worker's lifespan, the content app beside it), with an access log that shows no
launch or runtime token."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket

import uvicorn
from fastapi import FastAPI

from coursehost.settings import Settings
from coursehost.web.redaction import REDACTED, redact

try:
    import uvloop
except ImportError:  # pragma: no cover - uvicorn[standard] installs it
    uvloop = None

__all__ = ["REDACTED", "RedactTokens", "redact", "serve_both"]


class RedactTokens(logging.Filter):
    """Keeps tokens out of uvicorn's access log: its records are (client, method, path?query, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves the signals to serve_both (two servers must not fight over them)."""

    def capture_signals(self):
        return contextlib.nullcontext()


def serve_both(service: FastAPI, content: FastAPI, settings: Settings, *, log_level: str, access_log: bool,
               sockets: tuple[socket.socket, socket.socket] | None = None,
               stop_signals: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM),
               parent_pid: int | None = None) -> None:
    """Serve SERVICE on HOST:PORT and CONTENT on HOST:CONTENT_PORT until one of STOP_SIGNALS. A child of
    the pre-fork supervisor (cli/supervisor.py) passes SOCKETS (service, content) already bound, stops
    on SIGTERM only (its parent forwards Ctrl-C once) and stops too when PARENT_PID is no longer its
    parent (the supervisor was killed)."""
    # JSON logs: uvicorn leaves logging alone (its records reach our JSON handler) and the access lines
    # come from web/observability.py, which knows the route template and the request id.
    json_logs = settings.log_format == "json"
    extra = {"log_config": None} if json_logs else {}
    servers = [
        _QuietServer(uvicorn.Config(app, host=settings.host, port=port, log_level=log_level,
                                    access_log=access_log and not json_logs, lifespan=lifespan, **extra))
        for app, port, lifespan in ((service, settings.port, "on"), (content, settings.content_port, "off"))
    ]
    logging.getLogger("coursehost.access").disabled = not access_log
    for name in ("uvicorn.access", "coursehost.access"):
        access = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in access.filters):
            access.addFilter(RedactTokens())
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(_run(servers, sockets, stop_signals, parent_pid))


def _loop_factory():
    """uvloop's event loop when installed (uvicorn[standard] brings it; uvicorn's own `loop="auto"` does
    not apply here, since both servers share one loop we start), else asyncio's."""
    return uvloop.new_event_loop if uvloop is not None else None


async def _run(servers: list[uvicorn.Server], sockets: tuple[socket.socket, socket.socket] | None,
               stop_signals: tuple[signal.Signals, ...], parent_pid: int | None) -> None:
    """Run SERVERS together; a signal, or one of them stopping, stops all (a second SIGINT forces it)."""
    loop = asyncio.get_running_loop()

    def stop(*_args) -> None:
        for server in servers:
            server.force_exit = server.should_exit
            server.should_exit = True

    for sig in stop_signals:
        loop.add_signal_handler(sig, stop)
    if signal.SIGINT not in stop_signals:
        loop.add_signal_handler(signal.SIGINT, lambda: None)  # Ctrl-C reaches the whole group: the parent acts

    async def orphaned() -> None:
        while not servers[0].should_exit:
            if os.getppid() != parent_pid:
                stop()
                return
            await asyncio.sleep(1.0)

    watch = asyncio.create_task(orphaned()) if parent_pid is not None else None

    async def run(server: uvicorn.Server, sock: socket.socket | None) -> None:
        try:
            await server.serve(sockets=None if sock is None else [sock])
        finally:
            for other in servers:
                other.should_exit = True

    await asyncio.gather(*(run(server, None if sockets is None else sockets[i]) for i, server in enumerate(servers)))
    if watch is not None:
        watch.cancel()
