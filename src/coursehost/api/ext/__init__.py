"""Coursehost's own API beyond SCORM Cloud's contract, under /api/ext/v1 (same OpenAPI document,
same credentials and tokens as API v2), so /api/v2 stays exactly the official client's."""

from __future__ import annotations

from fastapi import APIRouter

from coursehost.api.ext import lms, pens
from coursehost.web import json_input

PREFIX = "/api/ext/v1"


def build_ext_router() -> APIRouter:
    """Every /api/ext/v1 route."""
    router = APIRouter(route_class=json_input.StrictJsonRoute)
    lms.add_routes(router, prefix=PREFIX)
    pens.add_routes(router, prefix=PREFIX)
    return router
