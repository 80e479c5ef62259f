"""The console's pages: sign-in (password or one-time link), sign out, sign out everywhere, the
home page; realms and their users are in realms.py."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from coursehost.console.account import build_account_router
from coursehost.console.account_settings import build_account_settings_router
from coursehost.console.apps import build_apps_router
from coursehost.console.auth import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    csrf_refused,
    presession_token,
    same_token,
    set_cookie,
    signed_in,
)
from coursehost.console.courses import build_courses_router
from coursehost.console.dispatch import build_dispatch_router
from coursehost.console.invitations import build_invitations_router
from coursehost.console.library import build_library_router
from coursehost.console.lms import build_lms_router
from coursehost.console.lrs import build_lrs_router
from coursehost.console.pages import ConsolePageError, render
from coursehost.console.people import build_people_router
from coursehost.console.realms import build_realms_router
from coursehost.console.reports import build_reports_router
from coursehost.console.sandbox import build_sandbox_router
from coursehost.console.settings_editor import build_registration_settings_router
from coursehost.domain.accounts import sessions, signin
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.applications.throttle import TooManyFailures
from coursehost.domain.errors import DomainError
from coursehost.web import services, unit

NOTICES = {
    "signed-out": "You are signed out.",
    "signed-out-everywhere": "You are signed out on every device and browser.",
}


def _safe_next(value: str | None) -> str:
    """Where to go after signing in: a console page of this site, never another site."""
    if value and value.startswith("/console") and "//" not in value and "\\" not in value:
        return value
    return "/console/"


def _signin_page(request: Request, *, status: int = 200, error: str | None = None, email: str = "",
                 next_url: str | None = None, notice: str | None = None,
                 headers: dict[str, str] | None = None) -> Response:
    token = presession_token(request)
    response = render(request, "signin.html", me=None, status=status, headers=headers, title="Sign in",
                      csrf_token=token, error=error, email=email, next_url=_safe_next(next_url), notice=notice)
    if request.cookies.get(PRESESSION_COOKIE) != token:
        set_cookie(request, response, PRESESSION_COOKIE, token)
    return response


def _signed_in_response(request: Request, token: str, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token)
    clear_cookie(request, response, PRESESSION_COOKIE)
    return response


def _client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def build_console_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    router.include_router(build_account_settings_router())

    @router.get("/signin")
    def signin_form(request: Request, next: str | None = None, notice: str | None = None):  # noqa: A002
        return _signin_page(request, next_url=next, notice=NOTICES.get(notice or ""))

    @router.post("/signin")
    async def signin_submit(request: Request):
        form = await request.form()
        email, password = str(form.get("email") or "").strip(), str(form.get("password") or "")
        next_url = str(form.get("next") or "")
        if not same_token(request.cookies.get(PRESESSION_COOKIE), str(form.get("csrf_token") or "")):
            raise csrf_refused()
        if not email or not password:
            return _signin_page(request, status=400, email=email, next_url=next_url,
                                error="Enter your email and your password.")
        svc = services(request)
        address = _client_address(request)
        try:
            svc.throttle.check(key=None, address=address)
        except TooManyFailures as exc:
            return _signin_page(request, status=429, email=email, next_url=next_url, headers=exc.headers,
                                error=f"Too many failed sign-ins from your address; try again in "
                                      f"{exc.retry_after} seconds.")
        refused: DomainError | None = None
        with unit(request) as session:
            try:
                token = signin.sign_in(session, box=svc.box, email=email, password=password,
                                       max_failed=svc.settings.console_max_failed_signins)
            except DomainError as exc:
                refused = exc  # the failed-attempt count and the lock are committed all the same
        if refused is None:
            return _signed_in_response(request, token, _safe_next(next_url))
        if isinstance(refused, signin.WrongCredentials | signin.AccountLocked):
            svc.throttle.failed(key=None, address=address)
        status = refused.status if isinstance(getattr(refused, "status", None), int) else 403
        return _signin_page(request, status=status, email=email, next_url=next_url, error=str(refused))

    @router.get("/signin/link/{token}")
    def signin_link(request: Request, token: str):
        svc = services(request)
        try:
            with unit(request) as session:
                user_id = sessions.use_signin_link(session, box=svc.box, token=token)
                session_token = signin.sign_in_by_link(session, box=svc.box, user_id=user_id)
        except DomainError as exc:
            raise ConsolePageError(400 if isinstance(exc, sessions.InvalidSigninLink) else 403,
                                   "This sign-in link cannot be used", str(exc)) from None
        return _signed_in_response(request, session_token, "/console/")

    def _signed_out(request: Request, notice: str) -> Response:
        response = RedirectResponse(f"/console/signin?notice={notice}", status_code=303)
        clear_cookie(request, response, SESSION_COOKIE)
        return response

    @router.post("/signout")
    def signout(request: Request, me: SignedIn = Depends(signed_in())):
        with unit(request) as session:
            sessions.revoke(session, session_id=me.session_id)
        return _signed_out(request, "signed-out")

    @router.post("/signout-everywhere")
    def signout_everywhere(request: Request, me: SignedIn = Depends(signed_in())):
        with unit(request) as session:
            sessions.revoke_all(session, user_id=me.user_id)
        return _signed_out(request, "signed-out-everywhere")

    @router.get("/")
    def home(request: Request, me: SignedIn = Depends(signed_in())):
        with unit(request) as session:
            open_count = sessions.open_sessions(session, user_id=me.user_id)
        return render(request, "home.html", me=me, title="Home", open_sessions=open_count)

    router.include_router(build_account_router())
    router.include_router(build_apps_router())
    router.include_router(build_realms_router())  # "Your realms", the realm picker, the realm's users
    router.include_router(build_sandbox_router())  # the sandbox (preview launches) and My courses
    router.include_router(build_people_router())  # learners, registrations, debug logs and their shared links
    router.include_router(build_courses_router())  # the course page, its settings, files and registrations
    router.include_router(build_lrs_router())  # the LRS tab: endpoints, activity providers, viewer, pipes
    router.include_router(build_library_router())  # the Library, Add Content, import jobs
    router.include_router(build_registration_settings_router())  # a registration's configuration settings
    router.include_router(build_lms_router())  # LMS connections (issue 17) and a course's LMS configuration
    router.include_router(build_invitations_router())  # the Invitations tab: public and private invitations
    router.include_router(build_dispatch_router())  # the Dispatch tab: destinations, dispatches, zips, LTI, PENS
    router.include_router(build_reports_router())  # reports: report links (ReportingApi), exports
    return router
