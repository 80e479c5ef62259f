"""What the LRS tab's pages share (console/lrs.py and its lrs_*.py pages): who may open them, the
form reader, the redirect after a POST, an application's LRS URL and the words for the credentials'
choices."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.responses import RedirectResponse

from coursehost.console.auth import signed_in
from coursehost.console.pages import ConsolePageError
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.domain.applications import service as apps
from coursehost.domain.errors import NotFound
from coursehost.web import services

ADMIN = Depends(signed_in(Role.ADMINISTRATOR))

AUTH_TYPES = {"BASICAUTH": "Basic", "OAUTH": "OAuth 1.0a"}
# What each permission level lets a credential do on the LRS (lrs_http.request.LrsPrincipal).
PERMISSIONS = {
    "DEFAULT": ("Default", "writes statements and reads the statements it wrote"),
    "USER": ("User", "writes statements and reads the statements it wrote"),
    "ROOT": ("Root", "writes statements and reads every statement of the endpoint"),
    "READONLY": ("Read only", "reads every statement of the endpoint, writes none"),
    "WRITEONLY": ("Write only", "writes statements, reads none"),
}
ALL_ENDPOINTS = "all"


async def form_of(request: Request) -> dict[str, str]:
    """The POSTed form's text fields."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def lrs_url(request: Request, app_id: str) -> str:
    """APP_ID's LRS endpoint on the service origin, as lrs_http serves it (/lrs/{appId}/)."""
    return f"{services(request).settings.base_url.rstrip('/')}/lrs/{app_id}/"


def child_apps(session, me: SignedIn) -> list:
    """The realm's applications that have an LRS of their own with activity providers and pipes
    (the XapiApi is not open to the management application)."""
    found = apps.list_child_applications(session, realm_id=me.realm_id)
    if not found:
        raise ConsolePageError(404, "No application", f"{me.realm_name} has no application yet.", me=me)
    return found


def child_app_or_404(session, me: SignedIn, app_id: str):
    """Application APP_ID of the signed-in user's realm (not its management application), or the 404 page."""
    try:
        return apps.get_child_application(session, realm_id=me.realm_id, app_id=app_id)
    except NotFound:
        raise ConsolePageError(404, "Application not found",
                               f"There is no application {app_id} in {me.realm_name}.", me=me) from None
