"""cmi5 actions of the LMS that SCORM Cloud's API has no operation for (Coursehost's own, beside
the official operations; they use the same credentials and scopes):

    POST /api/v2/registrations/{registrationId}/cmi5/waive      {"auId", "reason"} -> {"sessionId"}
    POST /api/v2/cmi5/sessions/{sessionId}/abandon               -> 204

Waive (cmi5 Quartz §9.3.7): the AU counts as satisfied, with the "waived" statement and the
satisfied statements it earns. Abandon (§9.3.6): the AU session (its launch id, the session id the
AU sees) ends now, its auth token refused from then on. Both need write:registration."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import Field

from coursehost.api.v2.auth import Auth, require
from coursehost.api.v2.schemas.common import Wire, WireIn
from coursehost.domain.applications.auth import Principal
from coursehost.domain.cmi5 import lms_actions
from coursehost.domain.registrations import core
from coursehost.web import services, unit

SCOPE = "write:registration"


class WaiveRequest(WireIn):
    au_id: str = Field(alias="auId", min_length=1, max_length=2000)
    reason: str = Field(max_length=100)


class WaiveResult(Wire):
    session_id: str


def waive_au(request: Request, registrationId: str, body: WaiveRequest, principal: Principal = Auth) -> WaiveResult:
    """Waive one AU of the registration for one of cmi5's reasons (§9.5.5.2)."""
    with unit(request) as session:
        registration = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        session_id = lms_actions.waive_au(session, registration=registration, au_id=body.au_id, reason=body.reason,
                                          base_url=services(request).settings.base_url.rstrip("/"))
    return WaiveResult(session_id=session_id)


def abandon_session(request: Request, sessionId: str, principal: Principal = Auth) -> Response:
    """End an AU session as abandoned."""
    with unit(request) as session:
        lms_actions.abandon_session(session, application_pk=principal.app_pk, session_id=sessionId,
                                    base_url=services(request).settings.base_url.rstrip("/"))
    return Response(status_code=204)


def add_routes(router: APIRouter, *, prefix: str) -> None:
    """Route both under PREFIX (before the catch-all of operations not routed yet). They stay out of
    the OpenAPI document, which lists the official operations only (test_operation_coverage.py)."""
    router.add_api_route(prefix + "/registrations/{registrationId}/cmi5/waive", waive_au, methods=["POST"],
                         response_model=WaiveResult, response_model_exclude_none=True,
                         dependencies=[require(SCOPE)], include_in_schema=False)
    router.add_api_route(prefix + "/cmi5/sessions/{sessionId}/abandon", abandon_session, methods=["POST"],
                         status_code=204, dependencies=[require(SCOPE)], include_in_schema=False)
