"""/healthz (the process answers; no I/O) and /readyz (the database and the blob store answer, each
within COURSEHOST_READINESS_TIMEOUT_SECONDS), and /metrics, on the service origin; /healthz on the
content origin too. Load balancers and orchestrators poll these (docs/DEPLOY.md)."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse

from coursehost.domain import operations
from coursehost.web.metrics import metrics_response

log = logging.getLogger(__name__)


async def healthz(_request: Request) -> JSONResponse:
    """The process is alive and its event loop answers."""
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


class Readiness:
    """The checks of /readyz, each in a small thread pool of its own: a database or store that hangs
    ties up these two threads, never the request thread pool."""

    def __init__(self, services) -> None:
        self.services = services
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="coursehost-readyz")

    def _database(self) -> None:
        with self.services.read_session_factory() as session:
            operations.ping(session)

    def _store(self) -> None:
        self.services.store.ping()

    async def _check(self, name: str, check) -> str:
        timeout = self.services.settings.readiness_timeout_seconds
        try:
            await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(self.pool, check), timeout)
        except TimeoutError:
            log.warning("readyz: %s did not answer within %g s", name, timeout)
            return "timeout"
        except Exception as exc:
            # The reason goes to the log only: the answer names the failed check, not hosts or paths.
            log.warning("readyz: %s failed: %s: %s", name, exc.__class__.__name__, str(exc).splitlines()[0][:300]
                        if str(exc) else "")
            return "failed"
        return "ok"

    async def __call__(self, _request: Request) -> JSONResponse:
        database, store = await asyncio.gather(self._check("database", self._database),
                                               self._check("store", self._store))
        checks = {"database": database, "store": store}
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                            status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def install_health(app: FastAPI, *, readiness: bool) -> None:
    """/healthz on APP; with READINESS (the service origin) also /readyz and /metrics."""
    app.add_api_route("/healthz", healthz, methods=["GET", "HEAD"], include_in_schema=False)
    if readiness:
        app.state.readiness = Readiness(app.state.services)
        app.add_api_route("/readyz", app.state.readiness, methods=["GET", "HEAD"], include_in_schema=False)
        app.add_api_route("/metrics", metrics_response, methods=["GET"], include_in_schema=False)
