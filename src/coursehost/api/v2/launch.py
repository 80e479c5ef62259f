"""Launch links: BuildRegistrationLaunchLink and the course preview links (CourseApi)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from pydantic import Field

from coursehost.api.v2.operations import op
from coursehost.api.v2.schemas.common import WireIn
from coursehost.domain.applications.auth import Principal
from coursehost.domain.courses import catalog
from coursehost.domain.registrations import core
from coursehost.player import links
from coursehost.web import services, unit

router = APIRouter()

PREVIEW_LEARNER = {"id": "preview-learner", "firstName": "Preview", "lastName": "Learner"}


class LaunchLinkRequest(WireIn):
    """LaunchLinkRequestSchema (tags, additionalvalues and launchAuth are accepted and ignored)."""

    expiry: int | None = links.EXPIRY_DEFAULT
    redirect_on_exit_url: str | None = Field(None, alias="redirectOnExitUrl", max_length=4000)
    tracking: bool | None = True
    start_sco: str | None = Field(None, alias="startSco", max_length=1000)
    culture: str | None = Field(None, max_length=100)
    css_url: str | None = Field(None, alias="cssUrl", max_length=4000)


def base_url(request: Request) -> str:
    return services(request).settings.base_url or str(request.base_url)


def _link(request: Request, session, registration, body: LaunchLinkRequest, *, tracking: bool | None = None) -> dict:
    expiry = links.check_expiry(body.expiry)
    options = links.launch_options(session, registration=registration, redirect_on_exit_url=body.redirect_on_exit_url,
                                   start_sco=body.start_sco, culture=body.culture, css_url=body.css_url)
    url = links.build_launch_link(
        instance_key=services(request).instance_key, base_url=base_url(request), registration=registration,
        options=options, tracking=body.tracking is not False if tracking is None else tracking, expiry=expiry)
    return {"launchLink": url}


@router.post("/registrations/{registrationId}/launchLink", operation_id="BuildRegistrationLaunchLink")
def build_registration_launch_link(
    request: Request, registrationId: str, body: LaunchLinkRequest,
    principal: Principal = op("BuildRegistrationLaunchLink"),
) -> dict:
    """A signed, short-lived link that starts the player on this registration."""
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        return _link(request, session, reg, body)


def _preview(request: Request, principal: Principal, course_id: str, version: int | None, body: LaunchLinkRequest) -> dict:
    links.check_expiry(body.expiry)
    with unit(request) as session:
        course = catalog.get_course(session, application_pk=principal.app_pk, course_id=course_id)
        if version is not None:
            catalog.get_version(session, course=course, version=version)
        reg = core.create_registration(
            session, application_pk=principal.app_pk, registration_id=f"preview-{uuid.uuid4().hex}",
            course_id=course.course_id, course_version=version, learner=dict(PREVIEW_LEARNER), sandbox=True)
        return _link(request, session, reg, body)


@router.post("/courses/{courseId}/preview", operation_id="BuildCoursePreviewLaunchLink")
def build_course_preview_launch_link(
    request: Request, courseId: str, body: LaunchLinkRequest,
    principal: Principal = op("BuildCoursePreviewLaunchLink"),
) -> dict:
    """A launch link on a new sandbox registration of the course's latest version."""
    return _preview(request, principal, courseId, None, body)


@router.post("/courses/{courseId}/versions/{versionId}/preview", operation_id="BuildCoursePreviewLaunchLinkWithVersion")
def build_course_preview_launch_link_with_version(
    request: Request, courseId: str, versionId: int, body: LaunchLinkRequest,
    principal: Principal = op("BuildCoursePreviewLaunchLinkWithVersion"),
) -> dict:
    """A launch link on a new sandbox registration of one course version."""
    return _preview(request, principal, courseId, versionId, body)
