"""What the People tab's pages share: the application and registration of a URL (another realm's ids
are not found, never shown), the URLs of its pages, the confirmation page and the notices."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from coursehost.console.auth import signed_in
from coursehost.console.pages import TEMPLATES, ConsolePageError, render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.domain.applications import service as apps
from coursehost.domain.errors import NotFound
from coursehost.domain.registrations import core

ADMIN = Depends(signed_in(Role.ADMINISTRATOR))

NOTICES = {
    "learner-updated": "The learner's details were saved on every one of their registrations.",
    "learner-deleted": "The learner's data was deleted: their registrations, with all their results, and their tags.",
    "registration-reset": "The registration's progress was reset: it starts again, clean, on the course's latest version.",
    "registration-deleted": "The registration was deleted.",
    "instance-created": "A new instance was created; it is now the registration's current one.",
    "shared": "A link for support staff was created. Anyone with it can read this launch's log until it expires "
              "or you revoke it.",
    "share-revoked": "The link was revoked: it no longer opens this log.",
}


def part(value: str) -> str:
    """VALUE as one path segment of a URL (ids are chosen by integrators: spaces, ?, # ... are quoted)."""
    return quote(str(value), safe="")


TEMPLATES.env.filters.setdefault("pathpart", part)


def learners_url(app_id: str, **params: str) -> str:
    query = urlencode({"app": app_id, **{k: v for k, v in params.items() if v}})
    return f"/console/learners?{query}"


def learner_url(app_id: str, learner_id: str) -> str:
    return f"/console/learners/{part(app_id)}/{part(learner_id)}"


def registration_url(app_id: str, registration_id: str) -> str:
    return f"/console/registrations/{part(app_id)}/{part(registration_id)}"


def launch_url(app_id: str, registration_id: str, launch_id: str) -> str:
    return f"{registration_url(app_id, registration_id)}/launches/{part(launch_id)}"


def see_other(url: str, notice: str | None = None) -> RedirectResponse:
    """303 to URL (with ?notice=NOTICE), the answer of every form that did what it was asked."""
    if notice:
        url += ("&" if "?" in url else "?") + f"notice={notice}"
    return RedirectResponse(url, status_code=303)


def notice_of(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice") or "")


def app_or_404(session, me: SignedIn, app_id: str):
    """Application APP_ID of the signed-in user's realm; another realm's is not found either."""
    try:
        return apps.get_realm_application(session, realm_id=me.realm_id, app_id=app_id)
    except NotFound:
        raise ConsolePageError(404, "Application not found",
                               f"There is no application {app_id} in {me.realm_name}.", me=me) from None


def registration_or_404(session, me: SignedIn, app_id: str, registration_id: str):
    """(application, registration REGISTRATION_ID of it), both of the signed-in user's realm, or the 404 page."""
    app = app_or_404(session, me, app_id)
    reg = core.find_registration(session, application_pk=app.pk, registration_id=registration_id)
    if reg is None:
        raise ConsolePageError(404, "Registration not found",
                               f"Application {app.name} has no registration {registration_id}.", me=me)
    return app, reg


async def form_of(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def confirm_page(request: Request, me: SignedIn, *, title: str, intro: str, goes: list[str], stays: list[str],
                 action: str, button: str, back: str) -> Response:
    """The page before a destructive action: what goes, what stays, one button that does it."""
    return render(request, "people/confirm.html", me=me, title=title, intro=intro, goes=goes, stays=stays,
                  action=action, button=button, back=back)


def duration_words(seconds: float | None) -> str:
    """SECONDS as "1 h 02 min 05 s" (a time tracked or spent)."""
    if seconds is None:
        return ""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{seconds:.1f} s" if seconds < 10 and seconds != whole else f"{secs} s"


TEMPLATES.env.filters.setdefault("duration", duration_words)
