"""The public page of a public invitation (and the learner links of private ones), /invite/{id} on the service origin: the course title and
description and a form (first name, last name, e-mail, "Start course") that creates the learner's
registration through the invitation, or resumes the one made before with the same e-mail, and sends
the browser to the player. Nobody signs in. Against bots: a honeypot field people never see and a
per-address limit of sign-ups a minute (counted in the database, like the authentication throttle)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from coursehost.console.pages import render
from coursehost.domain.applications.throttle import TooManyFailures
from coursehost.domain.errors import NotFound
from coursehost.domain.invitations import private, public
from coursehost.domain.registrations import launch_links
from coursehost.web import read_unit, services, throttle, unit

HONEYPOT = "website"  # a field hidden from people; a bot that fills every field gives itself away


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _page(request: Request, invitation_id: str, *, status: int = 200, values: dict | None = None,
          errors: dict | None = None, refusal: str | None = None) -> Response:
    with read_unit(request) as session:
        try:
            page = public.public_page(session, invitation_id=invitation_id)
        except NotFound as exc:
            return render(request, "invite/missing.html", me=None, status=404, title="Invitation not found",
                          message=str(exc))
    refusal = refusal or page.refusal
    return render(request, "invite/page.html", me=None, status=403 if refusal and status == 200 else status,
                  title=page.course_title, page=page, refusal=refusal, values=values or {}, errors=errors or {},
                  honeypot=HONEYPOT)


def build_invite_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/invite/{invitation_id}")
    def invitation_page(request: Request, invitation_id: str):
        return _page(request, invitation_id)

    @router.get("/invite/{invitation_id}/learner/{token}")
    def private_link(request: Request, invitation_id: str, token: str):
        return _open_learner_link(request, invitation_id, token)

    @router.post("/invite/{invitation_id}")
    async def start_course(request: Request, invitation_id: str):
        form = await request.form()
        values = {k: str(form.get(k) or "") for k in ("first_name", "last_name", "email")}
        return await run_in_threadpool(_start_course, request, invitation_id, values, bool(form.get(HONEYPOT)))

    return router


def _start_course(request: Request, invitation_id: str, values: dict, honeypot_filled: bool) -> Response:
    address = _address(request)
    limit = services(request).settings.invite_signups_per_address_per_minute
    signups = throttle(request, "invite", per_key=limit, per_address=limit)
    try:
        signups.check(key=None, address=address)
    except TooManyFailures as exc:
        return _page(request, invitation_id, status=429, values=values,
                     refusal=f"Too many sign-ups from your network; try again in {exc.retry_after} seconds.")
    signups.failed(key=None, address=address)  # every attempt counts, successful or not
    if honeypot_filled:
        return _page(request, invitation_id, status=400, values=values,
                     refusal="This form could not be accepted. Fill in only the fields you can see.")
    person, errors = public.check_sign_up(values["first_name"], values["last_name"], values["email"])
    if errors:
        return _page(request, invitation_id, status=400, values=values, errors=errors)
    svc = services(request)
    try:
        with unit(request) as session:
            reg = public.sign_up(session, invitation_id=invitation_id, person=person)
            url = launch_links.registration_launch_link(
                session, instance_key=svc.instance_key, content_url=svc.settings.content_url, registration=reg,
                request=launch_links.LinkRequest(redirect_on_exit_url=str(request.url)))
    except public.InvitationRefused as exc:
        return _page(request, invitation_id, status=403, values=values, refusal=str(exc))
    except NotFound:
        return _page(request, invitation_id)
    return RedirectResponse(url, status_code=303)


def _open_learner_link(request: Request, invitation_id: str, token: str) -> Response:
    """A private invitation's link from the learner's e-mail: straight into their own registration."""
    svc = services(request)
    try:
        with unit(request) as session:
            reg = private.open_learner_link(session, invitation_id=invitation_id, token=token)
            url = launch_links.registration_launch_link(
                session, instance_key=svc.instance_key, content_url=svc.settings.content_url, registration=reg,
                request=launch_links.LinkRequest())
    except (NotFound, public.InvitationRefused) as exc:
        missing = isinstance(exc, NotFound)
        return render(request, "invite/missing.html", me=None, status=404 if missing else 403,
                      title="Invitation not found" if missing else "Invitation closed", message=str(exc))
    return RedirectResponse(url, status_code=303)
