"""The xAPI LRS of every application under /lrs/{appId}/ (xAPI 1.0.3 and 2.0.0).

One catch-all route hands each request to `dispatch`, which unwraps the alternate request syntax,
negotiates the version, authenticates and calls the resource handler registered in
`lrs_http.response.HANDLERS`. Every answer carries X-Experience-API-Version and CORS headers
(content in a browser on another origin talks to the LRS with an Authorization header, no cookies)."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from coursehost import web
from coursehost.domain.errors import DomainError, InvalidInput, NotFound
from coursehost.domain.lrs.errors import XapiError
from coursehost.domain.lrs.versions import V2, negotiate

# The resource modules register their handlers in HANDLERS when they are imported.
from coursehost.lrs_http import about, agents, documents, statements  # noqa: F401
from coursehost.lrs_http.auth import SignedRequest, authenticate
from coursehost.lrs_http.request import XapiRequest, single_params, unwrap_alternate
from coursehost.lrs_http.response import HANDLERS, XapiResponse, error_result

log = logging.getLogger(__name__)

PREFIX = "/lrs"
PUBLIC_RESOURCES = {"about"}
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"]
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Content-Type, X-Experience-API-Version, "
                                     "X-Experience-API-Consistent-Through",
}
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
    body = await request.body()
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.scope["headers"]}
    services = web.services(request)
    base_url = services.settings.base_url.rstrip("/")
    url = str(request.url.replace(query="", fragment="")).rstrip("?")
    return await run_in_threadpool(
        dispatch, services, method=request.method, app_id=app_id,
        resource=resource.strip("/"), query=request.url.query, headers=headers, body=body, base_url=base_url,
        url=url, client=request.client.host if request.client else None)


def _signed_request(method: str, url: str, query: str, headers: dict[str, str], body: bytes) -> SignedRequest | None:
    """What an OAuth 1.0a signature covers; built only for requests that carry one."""
    auth = headers.get("authorization", "")
    form = []
    if headers.get("content-type", "").split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded":
        form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        if not auth:  # alternate request syntax: the Authorization header travels in the form
            auth = next((v for k, v in form if k.lower() == "authorization"), "")
    if not auth.lower().startswith("oauth "):
        return None
    params = parse_qsl(query, keep_blank_values=True) + [(k, v) for k, v in form if k.lower() != "authorization"]
    return SignedRequest(method, url, params)


def dispatch(services, *, method: str, app_id: str, resource: str, query: str, headers: dict[str, str],
             body: bytes, base_url: str, url: str = "", client: str | None = None) -> Response:
    """Answer one LRS request; every error becomes a status and a {"message"} body."""
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
            method, params, headers, body = unwrap_alternate(method, params, headers, body)
        table = HANDLERS.get(resource)
        if table is None:
            raise NotFound(f"The LRS has no resource {resource!r}")
        handler = table.get("GET" if method == "HEAD" else method)
        if handler is None:
            raise XapiError(405, f"{method} is not allowed on {resource}")
        raw_version = headers.get("x-experience-api-version")
        if not (resource in PUBLIC_RESOURCES and raw_version is None):
            version = negotiate(raw_version)
        if alternate and version == V2:
            raise InvalidInput("The alternate request syntax is not part of xAPI 2.0 (9274.1.1 4.1.5)")
        principal = None
        if resource not in PUBLIC_RESOURCES:
            principal = authenticate(services, app_id=app_id, authorization=headers.get("authorization"),
                                     base_url=base_url, signed=signed, client=client)
            if principal is None:
                return _finish(XapiResponse.json({"message": "Authorization Required."}, 401,
                                                 {"WWW-Authenticate": 'Basic realm="xAPI"'}), method, version)
        request = XapiRequest(method=method, resource=resource, params=params, headers=headers, body=body,
                              version=version, principal=principal, alternate=alternate, base_url=base_url)
        result = _run(handler, request, services)
    except RecursionError:
        result = XapiResponse.json({"message": "The request's JSON is nested too deeply"}, 400)
    except DomainError as exc:
        result = error_result(exc)
    except Exception:
        log.exception("LRS request failed: %s %s", method, resource)
        result = XapiResponse.json({"message": "Internal error in the LRS"}, 500)
    return _finish(result, method, version)


#: Tries of a request that lost a race on a unique key (same statement id, same document).
RACE_TRIES = 3


def _run(handler, request: XapiRequest, services) -> XapiResponse:
    """HANDLER, tried again when its transaction lost a race on a unique key: two clients storing
    the same statement id or creating the same document at once (PostgreSQL lets both check, then
    refuses the second insert). The retry sees the winner's row and answers as the spec says for an
    existing one (no-op or 409 for a statement, update or 412 for a document)."""
    for _ in range(RACE_TRIES - 1):
        try:
            return handler(request, services)
        except IntegrityError:
            pass
    return handler(request, services)


def _finish(result: XapiResponse, method: str, version: str) -> Response:
    headers = {**CORS, **result.headers, "X-Experience-API-Version": version}
    if result.content_type:
        headers["Content-Type"] = result.content_type
    if method == "HEAD":
        headers["Content-Length"] = str(len(result.body))
        return Response(status_code=result.status, headers=headers)
    return Response(content=result.body, status_code=result.status, headers=headers)
