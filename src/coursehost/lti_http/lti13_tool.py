"""Coursehost as an LTI 1.3 tool for dispatches: the OIDC login initiation (GET or POST
/dispatch/lti13/login), the launch (POST /dispatch/lti13/launch, the platform's form_post), and the
target link URI itself (/dispatch/lti13/dispatches/{key}, which a platform may post the launch to).
A refused launch is a small page naming the problem (401/403), with nothing created."""

from __future__ import annotations

import html
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from coursehost.domain.dispatch import lti13
from coursehost.domain.errors import DomainError
from coursehost.domain.lti.tool import KeySetCache, fetch_key_set
from coursehost.domain.registrations import launch_links
from coursehost.services import Services
from coursehost.web import http_status, services, unit

MAX_FIELD = 16_384  # an id_token is a few kB; anything far larger is not one


def refusal_page(status: int, message: str) -> HTMLResponse:
    """The page a learner sees in the LMS's frame when we refuse a launch."""
    body = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Launch refused</title></head>"
            f"<body><main><h1>This course could not be launched</h1><p>{html.escape(message)}</p></main></body></html>")
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


async def _params(request: Request) -> dict[str, str]:
    """The query and, for a POST, the form fields (the form wins), as short strings."""
    values = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return {k: v[:MAX_FIELD] for k, v in values.items()}


def _player_url(request: Request, session, reg, back: str | None) -> str:
    svc = services(request)
    return launch_links.registration_launch_link(
        session, instance_key=svc.instance_key, content_url=svc.settings.content_url, registration=reg,
        request=launch_links.LinkRequest(redirect_on_exit_url=back))


def build_router(svc: Services) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    env = lti13.LaunchEnv(instance_key=svc.instance_key, box=svc.box, key_sets=KeySetCache(
        partial(fetch_key_set, allow_private_urls=svc.settings.allow_private_urls)))

    def begin(request: Request, params: dict[str, str]) -> Response:
        public_url = services(request).settings.public_url or ""
        try:
            with unit(request) as session:
                url = lti13.begin_login(session, params=params, public_url=public_url)
        except DomainError as exc:
            return refusal_page(http_status(exc), str(exc))
        return RedirectResponse(url, status_code=302)

    def complete(request: Request, params: dict[str, str]) -> Response:
        try:  # the platform's key set may be fetched here: run off the event loop (run_in_threadpool)
            with unit(request) as session:
                reg, back = lti13.complete_launch(session, id_token=params.get("id_token", ""),
                                                  state=params.get("state", ""), env=env)
                url = _player_url(request, session, reg, back)
        except DomainError as exc:
            return refusal_page(http_status(exc), str(exc))
        return RedirectResponse(url, status_code=303)

    @router.api_route(lti13.LOGIN_PATH, methods=["GET", "POST"])
    async def login(request: Request) -> Response:
        return await run_in_threadpool(begin, request, await _params(request))

    async def launch(request: Request) -> Response:
        return await run_in_threadpool(complete, request, await _params(request))

    router.add_api_route(lti13.LAUNCH_PATH, launch, methods=["POST"])
    router.add_api_route(lti13.TARGET_PREFIX + "{dispatch_key}", launch, methods=["POST"])
    return router
