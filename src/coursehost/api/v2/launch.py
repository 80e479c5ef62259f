"""Launch links: BuildRegistrationLaunchLink and the course preview links (CourseApi)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import Field

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.operations import operation
from coursehost.api.v2.schemas.common import Wire, WireIn
from coursehost.domain.applications.auth import Principal
from coursehost.domain.registrations import core, launch_links
from coursehost.web import services, unit


class LaunchLinkSchema(Wire):
    launch_link: str


class LaunchLinkRequest(WireIn):
    """LaunchLinkRequestSchema / PreviewLaunchLinkRequestSchema (the tags and launchAuth are
    accepted and ignored; of additionalvalues, the item "launchMode" is a cmi5 launch mode)."""

    expiry: int | None = launch_links.EXPIRY_DEFAULT
    redirect_on_exit_url: str | None = Field(None, alias="redirectOnExitUrl", max_length=4000)
    tracking: bool | None = True
    start_sco: str | None = Field(None, alias="startSco", max_length=1000)
    culture: str | None = Field(None, max_length=100)
    css_url: str | None = Field(None, alias="cssUrl", max_length=4000)
    learner_tags: list[str] | None = Field(None, alias="learnerTags")
    course_tags: list[str] | None = Field(None, alias="courseTags")
    registration_tags: list[str] | None = Field(None, alias="registrationTags")
    additionalvalues: list[dict[str, Any]] | None = None
    launch_auth: dict[str, Any] | None = Field(None, alias="launchAuth")

    def to_domain(self) -> launch_links.LinkRequest:
        """The request as the domain reads it."""
        return launch_links.LinkRequest(
            expiry=self.expiry, redirect_on_exit_url=self.redirect_on_exit_url, tracking=self.tracking,
            start_sco=self.start_sco, culture=self.culture, css_url=self.css_url,
            launch_mode=self._additional("launchMode"))

    def _additional(self, item: str) -> str | None:
        """The value of ADDITIONALVALUES' ITEM (ItemValuePairSchema {item, value}), if given."""
        for pair in self.additionalvalues or []:
            if isinstance(pair, dict) and pair.get("item") == item:
                value = pair.get("value")
                return value if isinstance(value, str) else str(value)
        return None


def content_url(request: Request) -> str:
    """The content origin launch links point at (COURSEHOST_CONTENT_URL): the player never runs on
    the service's origin (docs/SECURITY.md)."""
    return services(request).settings.content_url


@operation("BuildRegistrationLaunchLink", response_model=LaunchLinkSchema)
def build_registration_launch_link(
    request: Request, registrationId: str, body: LaunchLinkRequest, principal: Principal = Auth,
) -> LaunchLinkSchema:
    """A signed, short-lived link that starts the player on this registration."""
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        url = launch_links.registration_launch_link(
            session, instance_key=services(request).instance_key, content_url=content_url(request), registration=reg,
            request=body.to_domain())
    return LaunchLinkSchema(launch_link=url)


def _preview(request: Request, principal: Principal, course_id: str, version: int | None,
             body: LaunchLinkRequest) -> LaunchLinkSchema:
    with unit(request) as session:
        url = launch_links.preview_launch_link(
            session, instance_key=services(request).instance_key, content_url=content_url(request),
            application_pk=principal.app_pk, course_id=course_id, version=version, request=body.to_domain())
    return LaunchLinkSchema(launch_link=url)


@operation("BuildCoursePreviewLaunchLink", response_model=LaunchLinkSchema)
def build_course_preview_launch_link(
    request: Request, courseId: str, body: LaunchLinkRequest, principal: Principal = Auth,
) -> LaunchLinkSchema:
    """A launch link on a new sandbox registration of the course's latest version."""
    return _preview(request, principal, courseId, None, body)


@operation("BuildCoursePreviewLaunchLinkWithVersion", response_model=LaunchLinkSchema)
def build_course_preview_launch_link_with_version(
    request: Request, courseId: str, versionId: int, body: LaunchLinkRequest, principal: Principal = Auth,
) -> LaunchLinkSchema:
    """A launch link on a new sandbox registration of one course version."""
    return _preview(request, principal, courseId, versionId, body)
