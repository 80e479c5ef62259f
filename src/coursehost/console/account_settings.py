"""The signed-in user's own settings (`/console/settings`: name, e-mail address, lock-out time,
password) and password reset for people who cannot sign in (`/console/password-reset`: ask for a link
by e-mail, then choose a new password with it). The work is in domain/accounts (profile.py,
password_reset.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from coursehost.console.auth import PRESESSION_COOKIE, csrf_refused, presession_token, same_token, set_cookie, signed_in
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts import password_reset, profile
from coursehost.domain.accounts.profile import FieldErrors
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import email_key
from coursehost.domain.applications.throttle import TooManyFailures
from coursehost.web import services, throttle, unit

SAVED = {
    "profile": "Your settings are saved.",
    "password": "Your password is changed. Your other browsers and devices were signed out.",
}
# Reset e-mails: at most 3 a minute to one address (more requests get the same answer and no mail),
# and 30 requests a minute from one client address (then 429).
RESET_PER_EMAIL, RESET_PER_ADDRESS = 3, 30
# Reset links carry their secret in the path: never pass it on to another page as a Referer.
_NO_REFERRER = {"Referrer-Policy": "no-referrer"}


def _presession_page(request: Request, template: str, *, status: int = 200,
                     headers: dict[str, str] | None = None, **context) -> Response:
    """A page used without a session: its forms carry the pre-session (double-submit) CSRF token."""
    token = presession_token(request)
    response = render(request, template, me=None, status=status, headers=headers, csrf_token=token, **context)
    if request.cookies.get(PRESESSION_COOKIE) != token:
        set_cookie(request, response, PRESESSION_COOKIE, token)
    return response


def _client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _settings_page(request: Request, me: SignedIn, *, status: int = 200, values: dict | None = None,
                   errors: dict[str, str] | None = None, notice: str | None = None) -> Response:
    with unit(request) as session:
        current = profile.profile(session, user_id=me.user_id)
    values = values or {"name": current.name, "email": current.email, "lockout_minutes": current.lockout_minutes}
    return render(request, "account_settings/settings.html", me=me, status=status, title="Your settings",
                  profile=current, values=values, errors=errors or {}, notice=notice,
                  min_lockout=profile.MIN_LOCKOUT_MINUTES, max_lockout=profile.MAX_LOCKOUT_MINUTES)


def build_account_settings_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/settings")
    def settings_page(request: Request, saved: str | None = None, me: SignedIn = Depends(signed_in())):
        return _settings_page(request, me, notice=SAVED.get(saved or ""))

    @router.post("/settings")
    async def save_settings(request: Request, me: SignedIn = Depends(signed_in())):
        form = await request.form()
        values = {key: str(form.get(key) or "") for key in ("name", "email", "lockout_minutes")}
        try:
            with unit(request) as session:
                profile.update_profile(session, user_id=me.user_id, **values)
        except FieldErrors as exc:
            return _settings_page(request, me, status=400, values=values, errors=exc.errors)
        return RedirectResponse("/console/settings?saved=profile", status_code=303)

    @router.post("/settings/password")
    async def change_password(request: Request, me: SignedIn = Depends(signed_in())):
        form = await request.form()
        svc = services(request)
        key = f"console-user:{me.user_id}"
        try:
            svc.throttle.check(key=key, address=None)
            with unit(request) as session:
                profile.change_password(session, user_id=me.user_id, keep_session_id=me.session_id,
                                        current=str(form.get("current_password") or ""),
                                        new=str(form.get("new_password") or ""),
                                        confirm=str(form.get("confirm_password") or ""))
        except TooManyFailures as exc:
            return _settings_page(request, me, status=429, errors={
                "current_password": f"Too many wrong passwords; try again in {exc.retry_after} seconds"})
        except FieldErrors as exc:
            if "current_password" in exc.errors:
                svc.throttle.failed(key=key, address=None)
            return _settings_page(request, me, status=400, errors=exc.errors)
        return RedirectResponse("/console/settings?saved=password", status_code=303)

    @router.get("/password-reset")
    def forgot_form(request: Request):
        return _presession_page(request, "account_settings/forgot.html", title="Reset your password",
                                email="", error=None)

    @router.post("/password-reset")
    async def forgot_submit(request: Request):
        form = await request.form()
        if not same_token(request.cookies.get(PRESESSION_COOKIE), str(form.get("csrf_token") or "")):
            raise csrf_refused()
        email = str(form.get("email") or "").strip()
        if not email:
            return _presession_page(request, "account_settings/forgot.html", status=400, title="Reset your password",
                                    email=email, error="Enter the e-mail address of your account")
        svc = services(request)
        address = _client_address(request)
        reset_throttle = throttle(request, "reset", per_key=RESET_PER_EMAIL, per_address=RESET_PER_ADDRESS)
        try:
            reset_throttle.check(key=None, address=address)
        except TooManyFailures as exc:
            return _presession_page(request, "account_settings/forgot.html", status=429, headers=exc.headers,
                                    title="Reset your password", email=email,
                                    error=f"Too many requests from your address; try again in "
                                          f"{exc.retry_after} seconds.")
        key = "reset:" + email_key(email)
        reset_throttle.failed(key=None, address=address)
        try:
            reset_throttle.check(key=key, address=None)
        except TooManyFailures:
            pass  # enough links went to this address this minute: the same answer, and no e-mail
        else:
            reset_throttle.failed(key=key, address=None)
            with unit(request) as session:
                password_reset.request_reset(session, box=svc.box, email=email, public_url=svc.settings.public_url)
        minutes = round(password_reset.VALID_FOR.total_seconds() / 60)
        return render(request, "account_settings/forgot_sent.html", me=None, title="Check your e-mail",
                      email=email, minutes=minutes)

    def _usable_link(request: Request, token: str) -> str:
        try:
            with unit(request) as session:
                return password_reset.check_reset_link(session, box=services(request).box, token=token)
        except password_reset.InvalidResetLink as exc:
            raise ConsolePageError(400, "This password reset link cannot be used", str(exc),
                                   headers=_NO_REFERRER) from None

    @router.get("/password-reset/{token}")
    def reset_form(request: Request, token: str):
        email = _usable_link(request, token)
        return _presession_page(request, "account_settings/reset.html", headers=_NO_REFERRER,
                                title="Choose a new password", email=email, token=token, errors={})

    @router.post("/password-reset/{token}")
    async def reset_submit(request: Request, token: str):
        form = await request.form()
        if not same_token(request.cookies.get(PRESESSION_COOKIE), str(form.get("csrf_token") or "")):
            raise csrf_refused()
        svc = services(request)
        try:
            with unit(request) as session:
                email = password_reset.reset_password(session, box=svc.box, token=token,
                                                      new=str(form.get("new_password") or ""),
                                                      confirm=str(form.get("confirm_password") or ""))
        except password_reset.InvalidResetLink as exc:
            raise ConsolePageError(400, "This password reset link cannot be used", str(exc),
                                   headers=_NO_REFERRER) from None
        except FieldErrors as exc:
            return _presession_page(request, "account_settings/reset.html", status=400, headers=_NO_REFERRER,
                                    title="Choose a new password", email=_usable_link(request, token),
                                    token=token, errors=exc.errors)
        return render(request, "account_settings/reset_done.html", me=None, headers=_NO_REFERRER,
                      title="Your password is set", email=email)

    return router
