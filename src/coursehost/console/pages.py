"""Rendering console pages: the templates, the console's Content-Security-Policy (its own files only,
no inline script or style), and the error pages (403, 429, ...) raised as ConsolePageError."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.web import services

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))

CONSOLE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-store"}


class ConsolePageError(Exception):
    """Answer the request with an error page: STATUS, a title and a sentence saying what to do."""

    def __init__(self, status: int, title: str, message: str, *, me: SignedIn | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.title, self.message, self.me, self.headers = status, title, message, me, headers or {}


def page_csp(request: Request) -> str:
    """The console's policy, its forms also allowed to lead to the content origin: a launch button
    (sandbox, My courses) POSTs to the console, which redirects to the player there, and Chromium
    holds a form's redirect targets to form-action too."""
    parts = urlsplit(services(request).settings.content_url or "")
    if not parts.scheme or not parts.netloc:
        return CONSOLE_CSP
    return CONSOLE_CSP.replace("form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}")


def render(request: Request, template: str, *, me: SignedIn | None, status: int = 200,
           headers: dict[str, str] | None = None, **context) -> HTMLResponse:
    """TEMPLATE with the layout's context (who is signed in, their role, the CSRF token)."""
    context.update(me=me, csrf_token=me.csrf_token if me else context.get("csrf_token"),
                   is_administrator=bool(me and me.role.allows(Role.ADMINISTRATOR)))
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status,
                                      headers={**PAGE_HEADERS, "Content-Security-Policy": page_csp(request),
                                               **(headers or {})})


async def error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsolePageError)
    return render(request, "error.html", me=exc.me, status=exc.status, headers=exc.headers,
                  title=exc.title, message=exc.message)
