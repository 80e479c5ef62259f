"""LTI and other launch protocols on the service origin (issue 19): dispatch launches from far-side
LMSs (LTI 1.1, LTI 1.3), our JWKS, the platform side of content connectors, PENS. An HTTP adapter
beside api, player and console: each module parses, calls the domain, answers."""

from __future__ import annotations

from fastapi import APIRouter

from coursehost.lti_http import lti11, pens, platform


def build_lti_router() -> APIRouter:
    """Every route of the LTI adapter (one router per module, included here)."""
    router = APIRouter(include_in_schema=False)
    router.include_router(lti11.router)
    router.include_router(pens.router)
    router.include_router(platform.build_platform_router())  # Coursehost as an LTI 1.3 platform
    return router
