"""Routing helpers every HTTP adapter may use: routers added to an application without FastAPI's
inclusion layer (bench/ping.py, docs/PERFORMANCE.md "API v2 overhead (issue 21)")."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from starlette.routing import Mount, Route, WebSocketRoute

# Routes that carry their whole path and behaviour themselves once built.
_SELF_CONTAINED = (APIRoute, Route, WebSocketRoute, Mount)


def include_flat(app: FastAPI, router: APIRouter) -> None:
    """Add ROUTER's routes to APP's own route list, in order, as app.include_router(router) with no
    prefix would route them. An included router is matched through an inclusion layer that, on every
    request, walks the whole included route list twice (a version check, then the match): a quarter
    of an authenticated ping's CPU with the 170 API v2 routes. A route of ours is built by its router
    with that router's prefix, dependencies and response class, so nothing is lost by skipping the
    layer. A router this cannot flatten (it includes routers itself, or has startup handlers) is
    included the usual way."""
    flat = all(isinstance(route, _SELF_CONTAINED) for route in router.routes)
    if not flat or router.on_startup or router.on_shutdown:
        app.include_router(router)
        return
    app.router.routes.extend(router.routes)
