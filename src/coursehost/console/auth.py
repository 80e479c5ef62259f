"""Who a console request comes from, what they may see, and CSRF.

`signed_in(role)` is the dependency every signed-in page declares: no valid session -> redirect to
the sign-in page; a role below ROLE -> the 403 page; a POST without the session's CSRF token (form
field `csrf_token` or header X-CSRF-Token, which htmx sends) -> 403 and nothing done. The sign-in
form, used before there is a session, is protected by a double-submit cookie instead."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from urllib.parse import quote

from fastapi import Request
from starlette.responses import Response

from coursehost.console.pages import ConsolePageError
from coursehost.domain.accounts import sessions
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.web import services, unit

SESSION_COOKIE = "coursehost_console"
PRESESSION_COOKIE = "coursehost_console_csrf"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(ConsolePageError):
    """No valid session: the error handler's page is replaced by a redirect (see redirect_to_signin)."""


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """A console cookie: HttpOnly, SameSite=Lax, only under /console, Secure when the service is HTTPS."""
    response.set_cookie(name, value, path=COOKIE_PATH, httponly=True, samesite="lax",
                        secure=services(request).settings.https)


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="lax",
                           secure=services(request).settings.https)


def presession_token(request: Request) -> str:
    """The sign-in form's CSRF value: the browser's pre-session cookie (set_presession sets a new one)."""
    return request.cookies.get(PRESESSION_COOKIE) or secrets.token_urlsafe(32)


def same_token(expected: str | None, sent: str | None) -> bool:
    return bool(expected and sent) and hmac.compare_digest(expected.encode(), sent.encode())


async def sent_csrf(request: Request) -> str | None:
    """The CSRF token a POST sent: the X-CSRF-Token header (htmx) or the form's csrf_token field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


def csrf_refused(me: SignedIn | None = None) -> ConsolePageError:
    return ConsolePageError(403, "This form has expired",
                            "The form was not accepted because it did not carry this page's security token "
                            "(it may be out of date or come from another site). Nothing was changed. "
                            "Reload the page and try again.", me=me)


def session_of(request: Request) -> SignedIn | None:
    """The signed-in user of the request's session cookie, or None."""
    svc = services(request)
    idle = timedelta(hours=svc.settings.console_session_idle_hours)
    with unit(request) as session:
        return sessions.current(session, box=svc.box, token=request.cookies.get(SESSION_COOKIE), idle=idle)


def signin_url(request: Request) -> str:
    """The sign-in page, asked to come back to this page afterwards (GET pages only)."""
    if request.method != "GET":
        return "/console/signin"
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/console/signin?next={quote(target, safe='/')}"


def signed_in(role: Role = Role.LEARNER, *, csrf: bool = True):
    """Dependency: the signed-in user, with at least ROLE in their realm; POSTs must carry the CSRF token.
    With csrf=False the handler checks the token itself (a streamed upload reads its body once; see
    console/library.py)."""

    async def dependency(request: Request) -> SignedIn:
        me = session_of(request)
        if me is None:
            raise SignInRequired(303, "Sign in", "Sign in to continue.", headers={"Location": signin_url(request)})
        if csrf and request.method == "POST" and not same_token(me.csrf_token, await sent_csrf(request)):
            await request.close()  # the refused form's uploaded files are not left open
            raise csrf_refused(me)
        if not me.role.allows(role):
            await request.close()
            raise ConsolePageError(403, "You do not have access to this page",
                                   f"This page is for {role.label.lower()}s of the realm; your role in "
                                   f"{me.realm_name} is {me.role.label}.", me=me)
        return me

    return dependency
