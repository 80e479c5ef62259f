"""LTI over HTTP on the service origin (issue 19): the tool side of dispatches (LTI 1.3 login and
launch), our key set. An HTTP adapter beside api, player and console: it parses, calls the domain
(domain/dispatch, domain/lti), and answers; each protocol part is its own module with its own router."""

from __future__ import annotations

from fastapi import FastAPI

from coursehost.lti_http import jwks, lti13_tool


def install_lti(app: FastAPI) -> None:
    """Route the LTI endpoints on the service app APP (called by create_app)."""
    app.include_router(jwks.build_router())
    app.include_router(lti13_tool.build_router(app.state.services))
