"""AuthenticationApi: OAuth bearer tokens for an application."""

from __future__ import annotations

from fastapi import APIRouter, Request

from coursehost.api.v2.deps import services
from coursehost.api.v2.operations import op
from coursehost.api.v2.schemas.errors import ApiError
from coursehost.domain.applications.auth import (
    DEFAULT_TOKEN_SECONDS, Principal, issue_token, parse_scopes,
)

router = APIRouter()


@router.post("/oauth/authenticate/application/token", operation_id="GetAppToken")
async def get_app_token(request: Request, principal: Principal = op("GetAppToken")) -> dict:
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
    return {"access_token": token, "expires_in": expires_in, "token_type": "Bearer"}
