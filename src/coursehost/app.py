"""create_app(settings) and create_content_app(services): the one wiring point of the two origins
(docs/SECURITY.md). No import-time side effects."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from coursehost import __version__
from coursehost.api.ext import build_ext_router
from coursehost.api.limits import BodyLimitMiddleware
from coursehost.api.v2 import build_router
from coursehost.api.v2.errors import install_error_handlers
from coursehost.console import install_console
from coursehost.jobs.handlers import register_all
from coursehost.jobs.registry import JobRegistry
from coursehost.jobs.worker import start_worker_thread
from coursehost.lrs_http import build_lrs_router
from coursehost.lti_http import install_lti
from coursehost.player import build_player_router
from coursehost.services import Services, build_services
from coursehost.settings import Settings
from coursehost.web.headers import (
    CONTENT_HEADERS,
    DOCS_ASSETS,
    SecurityHeadersMiddleware,
    docs_page,
    service_headers,
)
from coursehost.web.health import install_health
from coursehost.web.observability import ObservabilityMiddleware
from coursehost.web.routing import include_flat

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"


def build_job_registry() -> JobRegistry:
    """Every job kind the service knows."""
    return register_all(JobRegistry())


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """The service origin's ASGI application for SETTINGS (resolved here: DATA_DIR, instance key,
    defaults): the API, the LRS, the console and the job worker. It serves no player page and no course file."""
    if services is None:
        settings = (settings or Settings()).resolved()
        settings.check_safe()
        services = build_services(settings)
    registry = build_job_registry()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker = None
        if services.settings.run_worker:
            worker = start_worker_thread(
                services.session_factory, registry, services,
                lease_seconds=services.settings.job_lease_seconds,
                poll_seconds=services.settings.worker_poll_seconds,
            )
        # Everything built so far lives as long as the process: move it out of the collector's
        # sight so collections triggered by request garbage stay cheap (bench/ping.py).
        gc.freeze()
        try:
            yield
        finally:
            if worker is not None:
                thread, stop = worker
                stop.set()
                thread.join(timeout=10)
            app.state.readiness.close()
            services.engine.dispose()

    app = FastAPI(
        title="Coursehost", version=__version__, lifespan=lifespan,
        docs_url=None, redoc_url=None, openapi_url="/api/openapi.json", swagger_ui_oauth2_redirect_url=None,
        # No OpenTelemetry by default: its per-request check costs ~10% of a ping (bench/ping.py).
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.services = services
    app.state.job_registry = registry
    install_error_handlers(app)
    # Flat: FastAPI's inclusion layer costs every request a walk of each included route list.
    include_flat(app, build_router())
    include_flat(app, build_ext_router())
    include_flat(app, build_lrs_router())
    app.add_api_route("/api/docs", lambda: docs_page(openapi_url=app.openapi_url, title=f"{app.title} API"),
                      include_in_schema=False)
    app.mount(DOCS_ASSETS, StaticFiles(directory=STATIC_DIR / "vendor" / "swagger-ui", check_dir=False))
    install_console(app, static_dir=STATIC_DIR)
    install_lti(app)
    uploads = services.settings.import_max_package_bytes
    app.add_middleware(BodyLimitMiddleware, default_limit=services.settings.max_json_body_bytes, limits={
        r"/api/v2/courses/importJobs/upload$": uploads,
        r"/api/v2/courses/[^/]+(/versions/[^/]+)?/asset/upload$": uploads,
        r"/console/library/add$": uploads,  # the console's Add Content: the API's limit
        r"/lrs/": services.settings.lrs_max_body_bytes,
    })
    app.add_middleware(SecurityHeadersMiddleware, headers=service_headers(services.settings))
    install_health(app, readiness=True)
    app.add_middleware(ObservabilityMiddleware, origin="service", json_access_log=services.settings.log_format == "json")
    return app


def create_content_app(services: Services) -> FastAPI:
    """The content origin's ASGI application over the service app's SERVICES: the player pages, its
    run-time endpoints, course files and the player's static files; no API, no LRS, no cookie."""
    app = FastAPI(title="Coursehost content", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None, swagger_ui_oauth2_redirect_url=None,
                  telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False})
    app.state.services = services
    install_error_handlers(app)
    app.include_router(build_player_router())
    app.add_middleware(BodyLimitMiddleware, default_limit=services.settings.max_json_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware, headers=CONTENT_HEADERS)
    install_health(app, readiness=False)
    app.add_middleware(ObservabilityMiddleware, origin="content", json_access_log=services.settings.log_format == "json")
    return app
