"""LTI and other launch protocols on the service origin (issue 19): dispatch launches from far-side
LMSs (LTI 1.1, LTI 1.3 tool side), our key set, the platform side of content connectors, PENS. An HTTP
adapter beside api, player and console: each module parses, calls the domain (domain/dispatch,
domain/lti), and answers; each protocol part is its own module with its own router."""

from __future__ import annotations

from fastapi import FastAPI

from coursehost.lti_http import jwks, lti11, lti13_tool, pens, platform
from coursehost.web.routing import include_flat


def install_lti(app: FastAPI) -> None:
    """Route the LTI endpoints on the service app APP (called by create_app)."""
    include_flat(app, jwks.build_router())
    include_flat(app, lti13_tool.build_router(app.state.services))
    include_flat(app, lti11.router)
    include_flat(app, pens.router)
    app.include_router(platform.build_platform_router())  # Coursehost as an LTI 1.3 platform
