"""Authentication and authorisation of API v2 calls: basic appId:secret or a bearer token,
the kind of application allowed, and the scope each operation needs (operations.py applies them)."""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum

from fastapi import Depends, Request

from coursehost.api.v2.errors import ApiError
from coursehost.domain.applications.auth import (
    Principal,
    authenticate_basic_cached,
    authenticate_token_cached,
)
from coursehost.web import services

MAX_PATH_ID = 255


class AppKind(StrEnum):
    """Which applications may call an operation."""

    NORMAL = "normal"  # the application's own data: courses, registrations, ...
    MANAGEMENT = "management"  # only the realm's application-management app
    ANY = "any"  # both kinds (tokens)


def _credentials(request: Request) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    svc = services(request)
    scheme = scheme.lower()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        app_id, sep, secret = decoded.partition(":")
        if not sep or not app_id or not secret:
            return None
        return authenticate_basic_cached(svc.read_session_factory, box=svc.box, app_id=app_id, secret=secret)
    if scheme == "bearer" and value.strip():
        return authenticate_token_cached(svc.read_session_factory, instance_key=svc.instance_key,
                                         token=value.strip())
    return None


def authorize(principal: Principal, *, scope: str | None, kind: AppKind) -> None:
    """Refuse (403) the wrong kind of application or a token without the operation's scope."""
    if kind is AppKind.NORMAL and principal.is_management:
        raise ApiError(403, "The application-management application may only call /appManagement operations")
    if kind is AppKind.MANAGEMENT and not principal.is_management:
        raise ApiError(403, "Only the realm's application-management application may call this operation")
    if scope is not None and not principal.allows(scope):
        raise ApiError(403, f"This token lacks the scope this operation requires ({scope})")


def _check_path_ids(request: Request) -> None:
    for name, value in request.path_params.items():
        if isinstance(value, str) and len(value) > MAX_PATH_ID:
            raise ApiError(400, f"{name} is longer than {MAX_PATH_ID} characters")


def authenticate(request: Request, *, scope: str | None, kind: AppKind) -> Principal:
    """The authenticated principal allowed to run this operation, else 401/403."""
    principal = _credentials(request)
    if principal is None:
        raise ApiError(401, "Authorization Required.")
    authorize(principal, scope=scope, kind=kind)
    _check_path_ids(request)
    request.state.principal = principal
    return principal


def require(scope: str | None, kind: AppKind = AppKind.NORMAL):
    """authenticate() as a FastAPI dependency."""

    async def dependency(request: Request) -> Principal:
        return authenticate(request, scope=scope, kind=kind)

    return Depends(dependency)


async def current_principal(request: Request) -> Principal:
    """The principal the operation's own auth dependency admitted (it runs first; see operations.py)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:  # a route registered without its operation's auth dependency
        raise ApiError(401, "Authorization Required.")
    return principal


# A handler's `principal: Principal = Auth` parameter.
Auth = Depends(current_principal)
