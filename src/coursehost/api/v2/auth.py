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


def _basic(value: str) -> tuple[str, str] | None:
    """(app id, secret) from a Basic header's value, or None when it is not one."""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    app_id, sep, secret = decoded.partition(":")
    return (app_id, secret) if sep and app_id and secret else None


def client_address(request: Request) -> str | None:
    """The address the connection comes from (what throttling counts per address)."""
    return request.client.host if request.client else None


def _credentials(request: Request) -> Principal | None:
    """The caller the Authorization header proves, else None; 429 (TooManyFailures) while its key or
    its address is locked out by failed attempts, which are counted here."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme not in ("basic", "bearer") or not value.strip():
        return None  # no credentials offered: nothing was guessed
    svc = services(request)
    address = client_address(request)
    pair = _basic(value) if scheme == "basic" else None
    # A token is proof of an earlier login: only its address is checked, never the application's key.
    key = pair[0] if pair else None
    svc.throttle.check(key=key, address=address)
    if pair is not None:
        principal = authenticate_basic_cached(svc.read_session_factory, box=svc.box, app_id=pair[0],
                                              secret=pair[1])
    elif scheme == "bearer":
        principal = authenticate_token_cached(svc.read_session_factory, instance_key=svc.instance_key,
                                              token=value.strip())
    else:
        principal = None
    if principal is None:
        svc.throttle.failed(key=key, address=address)
    return principal


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
