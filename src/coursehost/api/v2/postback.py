"""API v2 routes: TestRegistrationPostback (queued postbacks are sent by the job worker)."""

from __future__ import annotations

from fastapi import Request, Response

from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.operations import operation
from coursehost.api.v2.schemas.registrations import PostBackSchema
from coursehost.domain.postbacks.config import (
    AUTH_TYPES,
    RESULTS_FORMATS,
    PostbackConfig,
    normalize_auth_type,
    normalize_results_format,
)
from coursehost.domain.postbacks.delivery import check_url, test_postback
from coursehost.web import services


@operation("TestRegistrationPostback", status_code=204)
def test_registration_postback(request: Request, body: PostBackSchema) -> Response:
    """Send a sample progress to body.url once, now; 400 naming the failure if it is refused."""
    allow_private = services(request).settings.allow_private_urls
    _check_enum("authType", body.auth_type, ("UNDEFINED", *(t.upper() for t in AUTH_TYPES)))
    _check_enum("resultsFormat", body.results_format, ("UNDEFINED", *(f.upper() for f in RESULTS_FORMATS)))
    config = PostbackConfig(
        url=check_url(body.url, allow_private_urls=allow_private), auth_type=normalize_auth_type(body.auth_type),
        user_name=body.user_name or "", password=body.password or "",
        results_format=normalize_results_format(body.results_format), legacy=bool(body.legacy),
    )
    test_postback(config=config, allow_private_urls=allow_private)
    return Response(status_code=204)


def _check_enum(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value.upper() not in allowed:
        raise ApiError(400, f"Invalid value for {name}: {value!r} (one of {', '.join(allowed)})")
