"""The xAPI LRS of every application under /lrs/{appId}/ (xAPI 1.0.3 and 2.0.0).

One catch-all route authenticates a request that has a body from its headers before reading the
body (lrs_http.bodies), then hands it to `dispatch`, which unwraps the alternate request syntax
(refused for browsers' cross-site form posts, lrs_http.browser), negotiates the version,
authenticates (token scopes: lrs_http.scopes) and calls the resource handler registered in
`lrs_http.response.HANDLERS`. Every answer carries X-Experience-API-Version and CORS headers
(content in a browser on another origin talks to the LRS with an Authorization header, no cookies)."""

from __future__ import annotations

import logging
import random
import time
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.concurrency import run_in_threadpool

from coursehost import web
from coursehost.domain.errors import DomainError, InvalidInput, NotFound
from coursehost.domain.lrs.errors import XapiError
from coursehost.domain.lrs.versions import V2, negotiate

# The resource modules register their handlers in HANDLERS when they are imported.
from coursehost.lrs_http import about, agents, cmi5, documents, statements  # noqa: F401
from coursehost.lrs_http.auth import SignedRequest, authenticate, scoped
from coursehost.lrs_http.bodies import BodyRefused, ClientGone, has_body, read_body
from coursehost.lrs_http.browser import refuse_cross_site_form
from coursehost.lrs_http.request import LrsPrincipal, XapiRequest, single_params, unwrap_alternate
from coursehost.lrs_http.response import HANDLERS, XapiResponse, error_result
from coursehost.lrs_http.scopes import require_scope

log = logging.getLogger(__name__)

PREFIX = "/lrs"
PUBLIC_RESOURCES = {"about"}
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"]
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Content-Type, X-Experience-API-Version, "
                                     "X-Experience-API-Consistent-Through",
}
# The service origin's policy (web/headers.py) plus `sandbox`: a stored document never runs as a page.
# no-store: an answer is one learner's data and changes with every write; a browser that answered an
# AU's GET from its cache would hide the request from us (cmi5's "preferences read before initialized"
# rule then refused the next initialized of a second AU of the same learner) and could show stale state.
SAFE = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
        "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'none'"}
CORS_PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "GET, HEAD, PUT, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Experience-API-Version, If-Match, "
                                    "If-None-Match",
    "Access-Control-Max-Age": "86400",
}


def build_lrs_router() -> APIRouter:
    """The LRS route (the resource modules imported above have registered their handlers)."""
    router = APIRouter()
    router.add_api_route(PREFIX + "/{app_id}/{resource:path}", lrs_endpoint, methods=METHODS,
                         include_in_schema=False)
    return router


async def lrs_endpoint(request: Request, app_id: str, resource: str) -> Response:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.scope["headers"]}
    services = web.services(request)
    settings = services.settings
    call = {"method": request.method, "app_id": app_id, "resource": resource.strip("/"),
            "query": request.url.query, "headers": headers, "base_url": settings.base_url.rstrip("/"),
            "url": str(request.url.replace(query="", fragment="")).rstrip("?"),
            "origin": f"{request.url.scheme}://{request.url.netloc}",
            "client": request.client.host if request.client else None}
    principal = None
    # Who is calling is known from the headers before the body is read, unless the body carries
    # the credentials (a form: the alternate request syntax, or OAuth 1.0a signing its fields).
    if has_body(headers) and not _form_body(headers):
        early = await run_in_threadpool(authorize_headers, services, **call)
        if isinstance(early, Response):
            return early
        principal = early
    try:
        body = await read_body(request, headers, limit=settings.lrs_max_body_bytes,
                               concurrent=settings.lrs_max_concurrent_large_bodies)
    except BodyRefused as exc:
        return _finish(XapiResponse.json({"message": str(exc)}, exc.status, exc.headers), request.method,
                       settings.lrs_latest_version)
    except ClientGone:
        log.info("LRS client went away before sending its whole body: %s %s", request.method, request.url.path)
        return Response(status_code=400)
    return await run_in_threadpool(dispatch, services, body=body, principal=principal, **call)


def _form_body(headers: dict[str, str]) -> bool:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded"


def _signed_request(method: str, url: str, query: str, headers: dict[str, str], body: bytes) -> SignedRequest | None:
    """What an OAuth 1.0a signature covers; built only for requests that carry one."""
    auth = headers.get("authorization", "")
    form = []
    if _form_body(headers):
        form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        if not auth:  # alternate request syntax: the Authorization header travels in the form
            auth = next((v for k, v in form if k.lower() == "authorization"), "")
    if not auth.lower().startswith("oauth "):
        return None
    params = parse_qsl(query, keep_blank_values=True) + [(k, v) for k, v in form if k.lower() != "authorization"]
    return SignedRequest(method, url, params)


def _route(resource: str, method: str, headers: dict[str, str], alternate: bool):
    """The handler for METHOD on RESOURCE and the version the request speaks (404, 405, 400)."""
    table = HANDLERS.get(resource)
    if table is None:
        raise NotFound(f"The LRS has no resource {resource!r}")
    handler = table.get("GET" if method == "HEAD" else method)
    if handler is None:
        raise XapiError(405, f"{method} is not allowed on {resource}")
    raw_version = headers.get("x-experience-api-version")
    version = None
    if not (resource in PUBLIC_RESOURCES and raw_version is None):
        version = negotiate(raw_version)
    if alternate and version == V2:
        raise InvalidInput("The alternate request syntax is not part of xAPI 2.0 (9274.1.1 4.1.5)")
    return handler, version


def _authorize(services, *, app_id: str, method: str, headers: dict[str, str], base_url: str,
               signed: SignedRequest | None, client: str | None) -> LrsPrincipal | None:
    """The caller (None: 401), refused (403) when its token's scopes do not cover METHOD."""
    principal = authenticate(services, app_id=app_id, authorization=headers.get("authorization"),
                             base_url=base_url, signed=signed, client=client)
    if principal is not None:
        require_scope(services, authorization=headers.get("authorization"), method=method)
    return principal


def _unauthorized(method: str, version: str) -> Response:
    return _finish(XapiResponse.json({"message": "Authorization Required."}, 401,
                                     {"WWW-Authenticate": 'Basic realm="xAPI"'}), method, version)


def authorize_headers(services, *, method: str, app_id: str, resource: str, query: str, headers: dict[str, str],
                      base_url: str, url: str = "", origin: str | None = None,
                      client: str | None = None) -> LrsPrincipal | Response | None:
    """Before a body is read: the caller its headers name, or the answer to send without reading
    it (404, 405, 400 as the full request would get, 401, 403); None for a public resource."""
    version = services.settings.lrs_latest_version
    try:
        single_params(parse_qsl(query, keep_blank_values=True))
        _, negotiated = _route(resource, method, headers, alternate=False)
        version = negotiated or version
        if resource in PUBLIC_RESOURCES:
            return None
        principal = _authorize(services, app_id=app_id, method=method, headers=headers, base_url=base_url,
                               signed=_signed_request(method, url, query, headers, b""), client=client)
        return principal or _unauthorized(method, version)
    except DomainError as exc:
        return _finish(error_result(exc), method, version)


def dispatch(services, *, method: str, app_id: str, resource: str, query: str, headers: dict[str, str],
             body: bytes, base_url: str, url: str = "", origin: str | None = None,
             principal: LrsPrincipal | None = None, client: str | None = None) -> Response:
    """Answer one LRS request (PRINCIPAL: the caller already authenticated from the headers);
    every error becomes a status and a {"message"} body."""
    if method == "OPTIONS":
        return Response(status_code=204, headers=CORS_PREFLIGHT)
    # A request that names no version is answered in the latest one this LRS is set to speak
    # (xAPI 1.0.3 Communication §3.3, 9274.1.1 4.1.1: the header names "the latest patch version").
    version = services.settings.lrs_latest_version
    try:
        signed = _signed_request(method, url, query, headers, body)
        params = single_params(parse_qsl(query, keep_blank_values=True))
        alternate = method == "POST" and "method" in params
        if alternate:
            refuse_cross_site_form(headers, settings=services.settings, request_origin=origin)
            method, params, headers, body = unwrap_alternate(method, params, headers, body)
        handler, negotiated = _route(resource, method, headers, alternate)
        version = negotiated or version
        if resource not in PUBLIC_RESOURCES and principal is None:
            principal = _authorize(services, app_id=app_id, method=method, headers=headers, base_url=base_url,
                                   signed=signed, client=client)
            if principal is None:
                return _unauthorized(method, version)
        request = XapiRequest(method=method, resource=resource, params=params, headers=headers, body=body,
                              version=version, principal=principal, alternate=alternate, base_url=base_url)
        result = _run(cmi5.wrap(scoped(handler, principal), principal), request, services)
    except RecursionError:
        result = XapiResponse.json({"message": "The request's JSON is nested too deeply"}, 400)
    except DomainError as exc:
        result = error_result(exc)
    except Exception:
        log.exception("LRS request failed: %s %s", method, resource)
        result = XapiResponse.json({"message": "Internal error in the LRS"}, 500)
    return _finish(result, method, version)


#: Tries of a request that lost a race: on a unique key, or a deadlock / serialization failure.
RACE_TRIES = 4
#: SQLSTATEs of a transaction PostgreSQL aborted to resolve a race; running it again is the cure.
RETRY_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure


def _lost_race(exc: Exception) -> bool:
    """Did EXC abort a transaction only because of a concurrent one?"""
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, OperationalError):
        orig = exc.orig
        return getattr(orig, "sqlstate", None) in RETRY_SQLSTATES or "database is locked" in str(orig)
    return False


def _run(handler, request: XapiRequest, services) -> XapiResponse:
    """HANDLER, tried again when its transaction lost a race. On a unique key: two clients storing
    the same statement id or creating the same document at once (PostgreSQL lets both check, then
    refuses the second insert); the retry sees the winner's row and answers as the spec says for an
    existing one (no-op or 409 for a statement, update or 412 for a document). A deadlock or
    serialization failure (concurrent batches touching the same activities) rolled the whole
    transaction back, so running it again, after a short random pause, is safe."""
    for attempt in range(1, RACE_TRIES):
        try:
            return handler(request, services)
        except (IntegrityError, OperationalError) as exc:
            if not _lost_race(exc):
                raise
            log.info("LRS %s %s lost a race (%s); trying again", request.method, request.resource,
                     type(exc.orig).__name__)
            if not isinstance(exc, IntegrityError):
                time.sleep(random.uniform(0, 0.05 * attempt))
    return handler(request, services)


def _finish(result: XapiResponse, method: str, version: str) -> Response:
    # Documents and attachments come back with the Content-Type they were stored with (xAPI 1.0.3
    # Communication §2.2); nosniff and a sandbox keep a stored text/html one from running script
    # at the service origin when a browser opens it.
    headers = {**CORS, **SAFE, **result.headers, "X-Experience-API-Version": version}
    if result.content_type:
        headers["Content-Type"] = result.content_type
    if method == "HEAD":
        headers["Content-Length"] = str(len(result.body))
        return Response(status_code=result.status, headers=headers)
    return Response(content=result.body, status_code=result.status, headers=headers)
