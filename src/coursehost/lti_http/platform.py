"""Coursehost as an LTI 1.3 platform (content connectors), on the service origin:

    GET|POST /lti/platform/auth                 OIDC authentication request -> form_post of the id_token
    POST     /lti/platform/token                client_credentials with a JWT client assertion
    GET      /lti/platform/lineitems/{key}      the lineitem of one registration instance (AGS)
    POST     /lti/platform/lineitems/{key}/scores   a score -> the registration's results

Tools check our id_tokens with our key set at /lti/jwks (lti_http/jwks.py).

The launch starts on the content origin (player/lti13.py), which sends the browser to the tool's
login URL; the tool sends it here.
"""

from __future__ import annotations

import html
import json
import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from coursehost.domain.lti import platform
from coursehost.domain.runtime import launch_lti
from coursehost.web import services, unit
from coursehost.web.json_input import JsonInputError, loads

router = APIRouter(include_in_schema=False)
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _issuer(request: Request) -> str:
    return (services(request).settings.public_url or "").rstrip("/")


def _refused(exc: platform.LtiRefused) -> JSONResponse:
    """AGS and token errors as JSON (RFC 6749 §5.2 names for the token endpoint's)."""
    error = {400: "invalid_request", 401: "invalid_client"}.get(exc.status, "access_denied")
    return JSONResponse({"error": error, "error_description": str(exc)}, status_code=exc.status, headers=_NO_STORE)


@router.api_route("/lti/platform/auth", methods=["GET", "POST"])
async def auth(request: Request) -> Response:
    """The tool's authentication request (Security Framework §5.1.1.2); answered with a page that
    form_posts the id_token to the tool's launch URL, or a page saying why not."""
    params = dict(request.query_params)
    if request.method == "POST":
        params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    svc = services(request)
    try:
        with unit(request) as session:
            post = platform.authorize(session, svc.box, params=params, instance_key=svc.instance_key,
                                      issuer=_issuer(request))
    except platform.LtiRefused as exc:
        return HTMLResponse(_page("Launch refused", f"<p>{html.escape(str(exc))}</p>"),
                            status_code=exc.status, headers=_NO_STORE)
    return _form_post(post)


def _form_post(post: platform.FormPost) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    fields = [("id_token", post.id_token)] + ([("state", post.state)] if post.state is not None else [])
    inputs = "".join(f'<input type="hidden" name="{n}" value="{html.escape(v)}">' for n, v in fields)
    body = (f'<form id="lti" method="post" action="{html.escape(post.redirect_uri)}">{inputs}'
            '<noscript><button type="submit">Continue to the tool</button></noscript></form>'
            f'<script nonce="{nonce}">document.getElementById("lti").submit();</script>')
    target = urlsplit(post.redirect_uri)
    csp = (f"default-src 'none'; script-src 'nonce-{nonce}'; form-action {target.scheme}://{target.netloc}; "
           "base-uri 'none'; frame-ancestors 'self'")
    return HTMLResponse(_page("Launching", body), headers={**_NO_STORE, "Content-Security-Policy": csp})


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"</head><body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>")


@router.post("/lti/platform/token")
async def token(request: Request) -> Response:
    """An AGS access token for a tool's signed client assertion."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    svc = services(request)
    try:
        with unit(request) as session:
            answer = platform.issue_access_token(
                session, form=form, token_url=_issuer(request) + "/lti/platform/token",
                instance_key=svc.instance_key, allow_private_urls=svc.settings.allow_private_urls)
    except platform.LtiRefused as exc:
        return _refused(exc)
    return JSONResponse(answer, headers=_NO_STORE)


@router.get("/lti/platform/lineitems/{key}")
def get_lineitem(request: Request, key: str) -> Response:
    svc = services(request)
    try:
        grant = platform.read_access_token(svc.instance_key, request.headers.get("authorization"))
        item = platform.read_lineitem(svc.instance_key, key)
        with unit(request) as session:
            answer = launch_lti.lineitem(session, grant=grant, item=item, url=str(request.url))
    except platform.LtiRefused as exc:
        return _refused(exc)
    return Response(json.dumps(answer), media_type="application/vnd.ims.lis.v2.lineitem+json")


@router.post("/lti/platform/lineitems/{key}/scores")
async def post_score(request: Request, key: str) -> Response:
    """A score for the lineitem's learner (AGS §3.4): the registration's results, a postback."""
    svc = services(request)
    try:
        grant = platform.read_access_token(svc.instance_key, request.headers.get("authorization"))
        item = platform.read_lineitem(svc.instance_key, key)
        score = loads(await request.body(), what="score")
        with unit(request) as session:
            launch_lti.post_score(session, grant=grant, item=item, score=score, instance_key=svc.instance_key)
    except platform.LtiRefused as exc:
        return _refused(exc)
    except (JsonInputError, ValueError) as exc:
        return _refused(platform.LtiRefused(f"The score is not valid JSON: {exc}"))
    return Response(status_code=204)


def build_platform_router() -> APIRouter:
    return router
