"""Launch links (BuildRegistrationLaunchLink, the course preview links): the checks on a launch
request and the signed player URL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Registration
from coursehost.domain.courses import catalog
from coursehost.domain.courses.model import Activity
from coursehost.domain.errors import InvalidInput
from coursehost.domain.registrations import core
from coursehost.domain.registrations.launch_tokens import make_launch_token

EXPIRY_DEFAULT, EXPIRY_MIN, EXPIRY_MAX = 120, 10, 300
REDIRECT_KEYWORDS = ("closer", "blank", "message")
PREVIEW_LEARNER = {"id": "preview-learner", "firstName": "Preview", "lastName": "Learner"}
# cmi5 §10.2.2 launch modes; a launch link asks for one with additionalvalues [{item: "launchMode", value}].
LAUNCH_MODES = ("Normal", "Browse", "Review")


@dataclass(frozen=True)
class LinkRequest:
    """What a caller asks of a launch link (LaunchLinkRequestSchema, the fields we act on)."""

    expiry: int | None = EXPIRY_DEFAULT
    redirect_on_exit_url: str | None = None
    tracking: bool | None = True
    start_sco: str | None = None
    culture: str | None = None
    css_url: str | None = None
    launch_mode: str | None = None


def check_url(value: str | None, field: str, keywords: tuple[str, ...] = ()) -> str | None:
    """An absolute http(s) URL, one of KEYWORDS, or None for empty."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.lower() in keywords:
        return value.lower()
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        extra = f" or one of {', '.join(keywords)}" if keywords else ""
        raise InvalidInput(f"{field} must be an absolute http(s) URL{extra}: [{value}]")
    return value


def launch_options(session: Session, *, registration: Registration, redirect_on_exit_url: str | None,
                   start_sco: str | None, culture: str | None, css_url: str | None,
                   launch_mode: str | None = None) -> dict:
    """The checked options a launch carries (only the ones given)."""
    options: dict = {}
    if launch_mode is not None:
        if launch_mode not in LAUNCH_MODES:
            raise InvalidInput(f"launchMode must be one of {', '.join(LAUNCH_MODES)}: [{launch_mode}]")
        options["launchMode"] = launch_mode
    try:
        redirect = check_url(redirect_on_exit_url, "redirectOnExitUrl", REDIRECT_KEYWORDS)
    except InvalidInput:  # the official API: "If an invalid url is specified, the Message.html page will be loaded"
        redirect = "message"
    if redirect:
        options["redirectOnExitUrl"] = redirect
    css = check_url(css_url, "cssUrl")
    if css:
        options["cssUrl"] = css
    if culture and culture.strip():
        options["culture"] = culture.strip()[:35]
    if start_sco and start_sco.strip():
        _, version = core.instance_course(session, core.get_instance(session, registration=registration))
        ids = {a.id for a in Activity.from_dict(version.structure).leaves()}
        if start_sco.strip() not in ids:
            raise InvalidInput(f"startSco [{start_sco}] is not a launchable activity of this course")
        options["startSco"] = start_sco.strip()
    return options


def check_expiry(expiry: int | None) -> int:
    """The link's lifetime in seconds: EXPIRY_DEFAULT when not given, InvalidInput outside the range."""
    if expiry is None:
        return EXPIRY_DEFAULT
    if not EXPIRY_MIN <= expiry <= EXPIRY_MAX:
        raise InvalidInput("expiry is out of range")
    return expiry


def build_launch_link(*, instance_key: str, content_url: str, registration: Registration, options: dict,
                      tracking: bool, expiry: int) -> str:
    """The signed player URL on the content origin CONTENT_URL for REGISTRATION (its current instance
    at launch time)."""
    token = make_launch_token(instance_key, registration_pk=registration.pk,
                              application_pk=registration.application_pk, instance=registration.instance,
                              options=options, tracking=tracking, expiry_seconds=expiry)
    return f"{content_url.rstrip('/')}/player/launch?{urlencode({'token': token})}"


def registration_launch_link(session: Session, *, instance_key: str, content_url: str, registration: Registration,
                             request: LinkRequest) -> str:
    """The checked REQUEST for REGISTRATION as a signed player URL."""
    expiry = check_expiry(request.expiry)
    options = launch_options(session, registration=registration, redirect_on_exit_url=request.redirect_on_exit_url,
                             start_sco=request.start_sco, culture=request.culture, css_url=request.css_url,
                             launch_mode=request.launch_mode)
    return build_launch_link(instance_key=instance_key, content_url=content_url, registration=registration,
                             options=options, tracking=request.tracking is not False, expiry=expiry)


def preview_launch_link(session: Session, *, instance_key: str, content_url: str, application_pk: int,
                        course_id: str, version: int | None, request: LinkRequest) -> str:
    """A launch link on a new sandbox registration of the course (VERSION, or its latest)."""
    check_expiry(request.expiry)
    course = catalog.get_course(session, application_pk=application_pk, course_id=course_id)
    if version is not None:
        catalog.get_version(session, course=course, version=version)
    registration = core.create_registration(
        session, application_pk=application_pk, registration_id=f"preview-{uuid.uuid4().hex}",
        course_id=course.course_id, course_version=version, learner=dict(PREVIEW_LEARNER), sandbox=True)
    return registration_launch_link(session, instance_key=instance_key, content_url=content_url,
                                    registration=registration, request=request)
