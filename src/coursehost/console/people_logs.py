"""The debug-log viewer of one launch (every run-time API call with its arguments, result and error
code, sequencing audit lines, player events, timings; filters by kind and text) and "Share with
support": signed, expiring, revocable read-only links (domain/runtime/launch_logs.py) whose page,
/console/shared/launches/{token}, opens without signing in and shows that launch's log only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from coursehost.console.debug_entries import KINDS, PAGE_SIZE, ROW_LABELS, log_rows, matches, summary
from coursehost.console.pages import ConsolePageError, render
from coursehost.console.people_support import (
    ADMIN,
    form_of,
    launch_url,
    learner_url,
    notice_of,
    part,
    registration_or_404,
    registration_url,
    see_other,
)
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.errors import NotFound
from coursehost.domain.runtime import launch_logs
from coursehost.web import read_unit, services, unit

LIFETIMES = {"1h": ("1 hour", timedelta(hours=1)), "1d": ("1 day", timedelta(days=1)),
             "7d": ("7 days", timedelta(days=7)), "30d": ("30 days", timedelta(days=30))}
DEFAULT_LIFETIME = "7d"
# The shared page: never indexed, and its address (which opens it) never sent on as a Referer.
SHARED_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _filtered(request: Request, view: launch_logs.LaunchLogView) -> dict:
    """The log's rows that pass the page's filters (?kind=, ?q=), one page of them, and the summary."""
    params = request.query_params
    kind = params.get("kind") if params.get("kind") in KINDS else ""
    text = (params.get("q") or "").strip()[:200]
    rows = log_rows(view.entries, view.standard)
    shown = [r for r in rows if matches(r, kind, text)]
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = params.get("page") or "1"
    page = min(int(page), pages) if page.isdigit() and int(page) > 0 else 1
    return {"rows": shown[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], "matched": len(shown), "summary": summary(rows),
            "kind": kind, "text": text, "page": page, "pages": pages, "kinds": KINDS, "labels": ROW_LABELS,
            "page_size": PAGE_SIZE}


def _share_rows(request: Request, shares) -> list[dict]:
    key, base, now = services(request).instance_key, services(request).settings.public_url, datetime.now(UTC)
    out = []
    for s in shares:
        state = "Revoked" if s.revoked else ("Expired" if now >= s.expires else "Active")
        out.append({"id": s.share_id, "created_by": s.created_by, "created": s.created, "expires": s.expires,
                    "revoked": s.revoked, "state": state,
                    "url": f"{base}/console/shared/launches/{launch_logs.share_token(key, s)}"})
    return out


def _launch_or_404(session, me: SignedIn, reg, launch_id: str) -> launch_logs.LaunchLogView:
    try:
        return launch_logs.registration_launch(session, registration=reg, launch_id=launch_id)
    except NotFound:
        raise ConsolePageError(404, "Launch not found",
                               f"Registration {reg.registration_id} has no launch {launch_id}.", me=me) from None


def build_people_logs_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/registrations/{app_id}/{registration_id}/launches/{launch_id}")
    def launch_page(request: Request, app_id: str, registration_id: str, launch_id: str, me: SignedIn = ADMIN):
        with read_unit(request) as session:
            app, reg = registration_or_404(session, me, app_id, registration_id)
            view = _launch_or_404(session, me, reg, launch_id)
            shares = _share_rows(request, launch_logs.launch_shares(session, launch_pk=view.launch_pk))
            learner_id, app_name = reg.learner_id, app.name
        here = launch_url(app_id, registration_id, launch_id)
        return render(request, "people/launch.html", me=me, title=f"Debug log of launch {launch_id}",
                      app_id=app_id, app_name=app_name, registration_id=registration_id, launch=view,
                      log=_filtered(request, view), shares=shares, lifetimes=LIFETIMES,
                      default_lifetime=DEFAULT_LIFETIME, new_share=request.query_params.get("share"),
                      notice=notice_of(request), here=here, learner_href=learner_url(app_id, learner_id),
                      learner_id=learner_id, registration_href=registration_url(app_id, registration_id))

    @router.post("/registrations/{app_id}/{registration_id}/launches/{launch_id}/shares")
    async def share(request: Request, app_id: str, registration_id: str, launch_id: str, me: SignedIn = ADMIN):
        choice = (await form_of(request)).get("lifetime", "")
        if choice not in LIFETIMES:
            raise ConsolePageError(400, "Choose how long the link lasts",
                                   "The link was not created: choose one of the durations offered.", me=me)
        with unit(request) as session:
            _, reg = registration_or_404(session, me, app_id, registration_id)
            view = _launch_or_404(session, me, reg, launch_id)
            made = launch_logs.share_launch_log(session, launch_pk=view.launch_pk, created_by=me.email,
                                                lifetime=LIFETIMES[choice][1])
            share_id = made.share_id
        return see_other(f"{launch_url(app_id, registration_id, launch_id)}?share={part(share_id)}&notice=shared#share")

    @router.post("/registrations/{app_id}/{registration_id}/launches/{launch_id}/shares/{share_id}/revoke")
    def revoke(request: Request, app_id: str, registration_id: str, launch_id: str, share_id: str,
               me: SignedIn = ADMIN):
        with unit(request) as session:
            _, reg = registration_or_404(session, me, app_id, registration_id)
            view = _launch_or_404(session, me, reg, launch_id)
            try:
                launch_logs.revoke_share(session, launch_pk=view.launch_pk, share_id=share_id)
            except NotFound:
                raise ConsolePageError(404, "Link not found", "This launch has no such shared link.", me=me) from None
        return see_other(f"{launch_url(app_id, registration_id, launch_id)}?notice=share-revoked#share")

    @router.get("/shared/launches/{token}")
    def shared_launch(request: Request, token: str) -> Response:
        try:
            with read_unit(request) as session:
                share, view = launch_logs.open_shared_log(session, instance_key=services(request).instance_key,
                                                          token=token)
                expires = share.expires
        except launch_logs.ShareGone as exc:
            raise ConsolePageError(410, "This link no longer works", f"{exc}. Ask the people who sent it "
                                   "for a new one.", headers=SHARED_HEADERS) from None
        except NotFound:
            raise ConsolePageError(404, "Link not found", "There is no debug log at this address: the link is "
                                   "wrong, or the launch it showed was deleted.", headers=SHARED_HEADERS) from None
        return render(request, "people/shared_launch.html", me=None, headers=SHARED_HEADERS,
                      title="Shared debug log", launch=view, log=_filtered(request, view), expires=expires,
                      here=request.url.path)

    return router
