"""GET /lti/jwks: Coursehost's public keys (one set for the tool and the platform roles), which
platforms use to check our client assertions and tools to check the id_tokens we sign."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from coursehost.domain.lti import keys
from coursehost.web import read_unit, services, unit

#: short, so a rotated key reaches verifiers soon; the old key stays published for the grace period
CACHE_CONTROL = "public, max-age=300"


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/lti/jwks", include_in_schema=False)
    def key_set(request: Request) -> JSONResponse:
        box = services(request).box
        with read_unit(request) as session:  # no write lock: a job may hold it while a platform asks
            body = keys.jwks(session, box, make=False)
        if not body["keys"]:
            with unit(request) as session:  # the very first call: the first key is made
                body = keys.jwks(session, box)
        return JSONResponse(body, headers={"Cache-Control": CACHE_CONTROL})

    return router
