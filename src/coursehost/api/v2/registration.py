"""RegistrationApi: create, progress (GET and HEAD), delete."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from coursehost.api.v2.deps import services, unit
from coursehost.api.v2.operations import op
from coursehost.api.v2.schemas.errors import ApiError
from coursehost.api.v2.schemas.paging import parse_bool
from coursehost.api.v2.schemas.registrations import CreateRegistrationIn
from coursehost.domain.applications.auth import Principal
from coursehost.domain.registrations import core
from coursehost.domain.registrations.progress import registration_progress
from coursehost.domain.tags import add_tags, clean_tags

router = APIRouter()
POSTBACK_AUTH = ("form", "httpbasic")
POSTBACK_FORMATS = ("course", "activity", "full")


def _postback(request: Request, body: CreateRegistrationIn) -> dict:
    pb = body.postBack
    if pb is None or not pb.url:
        return {}
    auth = (pb.authType or "form").lower()
    fmt = (pb.resultsFormat or "course").lower()
    if auth not in POSTBACK_AUTH:
        raise ApiError(400, f"postBack.authType must be one of {', '.join(POSTBACK_AUTH)}")
    if fmt not in POSTBACK_FORMATS:
        raise ApiError(400, f"postBack.resultsFormat must be one of {', '.join(POSTBACK_FORMATS)}")
    stored = {"url": pb.url, "authType": auth, "userName": pb.userName or "", "resultsFormat": fmt,
              "legacy": bool(pb.legacy)}
    if pb.password:
        stored["passwordEncrypted"] = services(request).box.encrypt(pb.password)
    return stored


@router.post("/registrations", operation_id="CreateRegistration", status_code=204)
def create_registration(request: Request, body: CreateRegistrationIn,
                        courseVersion: int | None = None,
                        principal: Principal = op("CreateRegistration")) -> Response:
    """A learner's registration on a course (its latest version unless courseVersion)."""
    postback = _postback(request, body)
    with unit(request) as session:
        reg = core.create_registration(
            session, application_pk=principal.app_pk, registration_id=body.registrationId,
            course_id=body.courseId, course_version=courseVersion,
            learner=body.learner.model_dump(exclude_none=True), xapi_registration_id=body.xapiRegistrationId,
            postback=postback)
        for kind, key, tags in (("registration", reg.registration_id, body.registrationTags),
                                ("learner", reg.learner_id, body.learnerTags),
                                ("course", reg.course_id, body.courseTags)):
            if tags:
                add_tags(session, application_pk=principal.app_pk, kind=kind, key=key,
                         tags=clean_tags(tags, f"{kind}Tags"))
    return Response(status_code=204)


@router.get("/registrations/{registrationId}", operation_id="GetRegistrationProgress")
def get_registration_progress(request: Request, registrationId: str,
                              principal: Principal = op("GetRegistrationProgress")) -> dict:
    """The registration's results; child results, interactions and run-time data on request."""
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        return registration_progress(
            session, registration=reg, include_child_results=parse_bool(request, "includeChildResults"),
            include_interactions_and_objectives=parse_bool(request, "includeInteractionsAndObjectives"),
            include_runtime=parse_bool(request, "includeRuntime"))


@router.head("/registrations/{registrationId}", operation_id="GetRegistration")
def get_registration(request: Request, registrationId: str, principal: Principal = op("GetRegistration")) -> Response:
    """200 when the registration exists, 404 when not; no body."""
    with unit(request) as session:
        core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
    return Response(status_code=200)


@router.delete("/registrations/{registrationId}", operation_id="DeleteRegistration", status_code=204)
def delete_registration(request: Request, registrationId: str,
                        principal: Principal = op("DeleteRegistration")) -> Response:
    """Delete the registration with its instances, run-time data and launch history."""
    from coursehost.domain.tags import clear_tags

    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        clear_tags(session, application_pk=principal.app_pk, kind="registration", key=reg.registration_id)
        session.delete(reg)
    return Response(status_code=204)
