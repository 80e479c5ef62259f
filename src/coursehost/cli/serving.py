"""`coursehost serve` runs both origins in one process: two uvicorn servers on one asyncio loop (the
service app with the worker's lifespan, the content app beside it), with an access log that shows no
launch or runtime token."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import uvicorn
from fastapi import FastAPI

from coursehost.settings import Settings
from coursehost.web.redaction import REDACTED, redact

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


def serve_both(service: FastAPI, content: FastAPI, settings: Settings, *, log_level: str, access_log: bool) -> None:
    """Serve SERVICE on HOST:PORT and CONTENT on HOST:CONTENT_PORT until SIGINT or SIGTERM."""
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
    asyncio.run(_run(servers))


async def _run(servers: list[uvicorn.Server]) -> None:
    """Run SERVERS together; a signal, or one of them stopping, stops all (a second SIGINT forces it)."""
    loop = asyncio.get_running_loop()

    def stop(*_args) -> None:
        for server in servers:
            server.force_exit = server.should_exit
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)

    async def run(server: uvicorn.Server) -> None:
        try:
            await server.serve()
        finally:
            for other in servers:
                other.should_exit = True

    await asyncio.gather(*(run(server) for server in servers))
