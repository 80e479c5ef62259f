"""The SCORM Cloud API v2 wire contract under /api/v2."""

from __future__ import annotations

import copy

from fastapi import APIRouter
from starlette.routing import compile_path


PREFIX = "/api/v2"


def build_router() -> APIRouter:
    """Every API v2 operation routed so far, one module per official client API class.

    The module routers' routes are copied into one flat router: FastAPI re-walks nested included
    routers on every request, and flat matching measurably lowers per-request cost (bench/ping.py)."""
    from coursehost.api.v2 import (
        about, application_configuration, application_management, authentication, course, course_assets,
        launch, learner, pending, ping, postback, registration, xapi,
    )

    router = APIRouter()
    for module in (ping, about, authentication, application_management, application_configuration,
                   course, course_assets, launch, postback, registration, learner, xapi, pending):  # pending last: it catches what nothing above routes
        for original in module.router.routes:
            route = copy.copy(original)
            route.path = PREFIX + route.path
            route.path_regex, route.path_format, route.param_convertors = compile_path(route.path)
            router.routes.append(route)
    return router
