"""AuthenticationApi: OAuth bearer tokens for an application."""

from __future__ import annotations

from fastapi import Request

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.operations import operation
from coursehost.api.v2.schemas.applications import ApplicationToken
from coursehost.domain.applications.auth import (
    DEFAULT_TOKEN_SECONDS,
    Principal,
    issue_token,
    parse_scopes,
)
from coursehost.web import services


@operation("GetAppToken", response_model=ApplicationToken)
async def get_app_token(request: Request, principal: Principal = Auth) -> ApplicationToken:
    """A bearer token with the requested scopes (form fields scope, expiration)."""
    form = await request.form()
    scopes = parse_scopes(form.get("scope"))
    raw_exp = form.get("expiration") or str(DEFAULT_TOKEN_SECONDS)
    try:
        expires_in = int(raw_exp)
    except ValueError:
        raise ApiError(400, f"Invalid value for expiration: [{raw_exp}]; expected whole seconds") from None
    token = issue_token(
        instance_key=services(request).instance_key, subject=principal, scopes=scopes, expires_in=expires_in
    )
    return ApplicationToken(access_token=token, expires_in=expires_in, token_type="Bearer")
