"""One dispatch's console page (the Dispatch tab): its settings edited with field errors, its registration
count and "Reset count", the shell package download (SCORM 1.2, SCORM 2004 3rd, AICC; optional CSS URL),
the LTI 1.1 and 1.3 URLs to give the far side (the LTI 1.1 shared secret only after a POST "Show secret",
as the Apps page shows credentials), and publishing with PENS with the publication history.

Each action calls the domain function behind the matching operation: UpdateDispatch (apply_changes),
ResetDispatchRegistrationCount (reset_counts), GetDispatchZip (package.dispatch_zip), GetLtiDispatch
(lti11.credentials), GetLti13Dispatch and GetLti13ToolConfigurationSchema (lti13.target_link_uri,
tool_configuration), the /api/ext/v1 PENS route (pens.publish, pens.history)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from coursehost.console.course_common import app_or_404, confirm_page, download, form_of, see_other
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.dispatch import browse as dispatch_browse
from coursehost.domain.dispatch import dispatches as disp_domain
from coursehost.domain.dispatch import lti11, lti13, package, pens
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.web import services, unit

NOTICES = {
    "saved": "The dispatch settings were saved.",
    "reset": "The registration count was reset to 0: the cap counts from here.",
    "published": "The PENS collect request is queued: the history below shows the target's answer.",
}
ZIP_TYPES = {"SCORM_12": "SCORM 1.2", "SCORM_2004_3RD": "SCORM 2004 3rd Edition", "AICC": "AICC"}
#: LTI 1.3 (Coursehost as the tool): the fields of GetLti13ToolConfigurationSchema shown, with their labels
LTI13_FIELDS = [("oidcLoginInitiationsUrl", "login", "OIDC login initiation URL"),
                ("redirectUri", "redirect", "Redirect URI"), ("jsonWebKeySetUrl", "jwks", "Public key set (JWKS) URL")]


def dispatch_url(app_id: str, dispatch_id: str, tail: str = "") -> str:
    return f"/console/dispatch/{quote(app_id, safe='')}/dispatches/{quote(dispatch_id, safe='')}{tail}"


def _public_url(request: Request) -> str:
    s = services(request).settings
    return (s.public_url or s.base_url or "").rstrip("/")


def _dispatch_or_404(session, me: SignedIn, app, dispatch_id: str):
    try:
        return disp_domain.get_dispatch(session, application_pk=app.pk, dispatch_id=dispatch_id)
    except NotFound:
        raise ConsolePageError(404, "Dispatch not found",
                               f"Application {app.app_id} has no dispatch {dispatch_id}.", me=me) from None


def _settings_values(d) -> dict[str, str]:
    expires = disp_domain.aware(d.expiration_date)
    return {"enabled": "on" if d.enabled else "", "allow_new": "on" if d.allow_new_registrations else "",
            "instanced": "on" if d.instanced else "", "cap": str(d.registration_cap or 0),
            "expires": expires.date().isoformat() if expires else "", "notes": d.notes or ""}


def _publications(session, app, dispatch_id: str) -> list[dict]:
    return [{"target": p.target_url, "status": p.status, "error": p.error, "created": p.created,
             "events": list(p.events or [])} for p in pens.history(session, application_pk=app.pk,
                                                                   dispatch_id=dispatch_id)]


def dispatch_page(request: Request, me: SignedIn, app_id: str, dispatch_id: str, *, status: int = 200,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                  secret: str | None = None, pens_values: dict[str, str] | None = None) -> Response:
    base = _public_url(request)
    with unit(request) as session:
        app = app_or_404(session, me, app_id)
        d = _dispatch_or_404(session, me, app, dispatch_id)
        dest = dispatch_browse.destination_of(session, d)
        _, titles = disp_domain.describe(session, [d])
        info = {"id": d.dispatch_id, "course_id": d.course_id, "title": titles.get(d.course_pk) or d.course_id,
                "dest_id": dest.destination_id, "dest_name": dest.name, "count": d.registration_count,
                "cap": d.registration_cap, "reset": d.registration_reset_date, "created": d.created,
                "enabled": d.enabled, "hash": d.hash_user_info, "key": d.dispatch_key,
                "here": dispatch_url(app.app_id, d.dispatch_id)}
        lti11_url = lti11.launch_url(base, d.dispatch_key)
        # GetLti13Dispatch's target link URI and GetLti13ToolConfigurationSchema's URLs
        tool = lti13.tool_configuration(session, application_pk=app.pk, destination_id=dest.destination_id,
                                        public_url=base, box=services(request).box)
        lti13_urls = [("target", "Target link URI", lti13.target_link_uri(
            session, application_pk=app.pk, dispatch_id=d.dispatch_id, public_url=base))]
        lti13_urls += [(name, label, tool[key]) for key, name, label in LTI13_FIELDS]
        publications = _publications(session, app, dispatch_id)
        shown = values if values is not None else _settings_values(d)
    return render(request, "dispatch/dispatch.html", me=me, status=status, title=f"Dispatch of {info['title']}",
                  app_id=app_id, d=info, values=shown, errors=errors or {}, lti11_url=lti11_url, lti13=lti13_urls,
                  secret=secret, zip_types=ZIP_TYPES, pens_values=pens_values or {}, publications=publications,
                  home=f"/console/dispatch?app={quote(app_id, safe='')}",
                  dest_url=f"/console/dispatch/{quote(app_id, safe='')}/destinations/{quote(info['dest_id'], safe='')}",
                  notice=NOTICES.get(request.query_params.get("notice") or ""))


def _expiry(value: str, errors: dict[str, str]) -> datetime | None:
    """A YYYY-MM-DD date as the end of that day (UTC); empty: no expiration."""
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(23, 59, 59), tzinfo=UTC)
    except ValueError:
        errors["expires"] = "Enter the expiration date as YYYY-MM-DD, or leave it empty for none."
        return None


def _changes(data: dict[str, str]) -> tuple[disp_domain.DispatchChanges | None, dict[str, str], dict[str, str]]:
    """(the UpdateDispatch changes, or None when a field is wrong; the field errors; the values as sent)."""
    values = {k: data.get(k, "").strip() for k in ("enabled", "allow_new", "instanced", "cap", "expires")}
    values["notes"] = data.get("notes", "")
    errors: dict[str, str] = {}
    cap = values["cap"] or "0"
    if not cap.isdigit() or int(cap) > disp_domain.MAX_CAP:
        errors["cap"] = f"Enter a whole number of registrations from 0 (no limit) to {disp_domain.MAX_CAP}."
    expires = _expiry(values["expires"], errors)
    if len(values["notes"]) > disp_domain.MAX_NOTES:
        errors["notes"] = f"The notes are longer than {disp_domain.MAX_NOTES} characters."
    if errors:
        return None, errors, values
    return disp_domain.DispatchChanges(
        enabled=bool(values["enabled"]), allow_new_registrations=bool(values["allow_new"]),
        instanced=bool(values["instanced"]), registration_cap=int(cap), expiration_date=expires,
        notes=values["notes"]), errors, values


def add_dispatch_routes(router: APIRouter, admin) -> None:
    """The routes of one dispatch's page, behind ADMIN (the administrators' dependency)."""

    @router.get("/dispatch/{app_id}/dispatches/{dispatch_id}")
    def dispatch(request: Request, app_id: str, dispatch_id: str, me: SignedIn = admin):
        return dispatch_page(request, me, app_id, dispatch_id)

    @router.post("/dispatch/{app_id}/dispatches/{dispatch_id}/settings")
    async def settings(request: Request, app_id: str, dispatch_id: str, me: SignedIn = admin):
        changes, errors, values = _changes(await form_of(request))
        if changes is None:
            with unit(request) as session:  # the 404 before the form's errors
                _dispatch_or_404(session, me, app_or_404(session, me, app_id), dispatch_id)
            return dispatch_page(request, me, app_id, dispatch_id, status=400, errors=errors, values=values)
        with unit(request) as session:  # UpdateDispatch
            d = _dispatch_or_404(session, me, app_or_404(session, me, app_id), dispatch_id)
            # an emptied date: the dispatch no longer expires
            disp_domain.apply_changes(d, changes, clear_expiration=changes.expiration_date is None)
        return see_other(dispatch_url(app_id, dispatch_id, "?notice=saved"))

    @router.get("/dispatch/{app_id}/dispatches/{dispatch_id}/reset")
    def reset_confirm(request: Request, app_id: str, dispatch_id: str, me: SignedIn = admin):
        with unit(request) as session:
            d = _dispatch_or_404(session, me, app_or_404(session, me, app_id), dispatch_id)
            count = d.registration_count
        here = dispatch_url(app_id, dispatch_id)
        return confirm_page(request, me, title="Reset the registration count?", button="Reset count", back=here,
                            action=here + "/reset", crumbs=[(f"/console/dispatch?app={quote(app_id, safe='')}",
                                                             "Dispatch"), (here, "Dispatch")],
                            message=f"The count goes from {count} back to 0, so the registration cap counts again "
                                    "from now. The registrations and their results stay.")

    @router.post("/dispatch/{app_id}/dispatches/{dispatch_id}/reset")
    def reset(request: Request, app_id: str, dispatch_id: str, me: SignedIn = admin):
        with unit(request) as session:  # ResetDispatchRegistrationCount
            d = _dispatch_or_404(session, me, app_or_404(session, me, app_id), dispatch_id)
            disp_domain.reset_counts(session, [d])
        return see_other(dispatch_url(app_id, dispatch_id, "?notice=reset"))

    @router.post("/dispatch/{app_id}/dispatches/{dispatch_id}/secret")
    def show_secret(request: Request, app_id: str, dispatch_id: str, me: SignedIn = admin):
        with unit(request) as session:  # GetLtiDispatch
            app = app_or_404(session, me, app_id)
            _dispatch_or_404(session, me, app, dispatch_id)
            creds = lti11.credentials(session, box=services(request).box, public_url=_public_url(request),
                                      application_pk=app.pk, dispatch_id=dispatch_id)
        return dispatch_page(request, me, app_id, dispatch_id, secret=creds.shared_secret)

    @router.get("/dispatch/{app_id}/dispatches/{dispatch_id}/zip")
    def zip_download(request: Request, app_id: str, dispatch_id: str, me: SignedIn = admin):
        q = request.query_params
        kind, css = q.get("type") or "SCORM_12", (q.get("css") or "").strip() or None
        svc = services(request)
        try:
            with unit(request) as session:  # GetDispatchZip
                d = _dispatch_or_404(session, me, app_or_404(session, me, app_id), dispatch_id)
                data = package.dispatch_zip(session, box=svc.box, content_url=svc.settings.content_url or "",
                                            dispatches=[d], kind=kind, css_url=css)
        except InvalidInput as exc:
            key = "css" if "css" in str(exc).lower() else "type"
            return dispatch_page(request, me, app_id, dispatch_id, status=400, errors={f"zip-{key}": f"{exc}"})
        name = f"dispatch-{dispatch_id}-{package.KINDS.get(kind, 'scorm12')}.zip"
        return download(io.BytesIO(data), name, "application/zip", len(data))

    @router.post("/dispatch/{app_id}/dispatches/{dispatch_id}/pens")
    async def publish(request: Request, app_id: str, dispatch_id: str, me: SignedIn = admin):
        data = await form_of(request)
        target = pens.PensTarget(url=data.get("target_url", "").strip(), system_user_id=data.get("user_id", ""),
                                 system_password=data.get("password", ""))
        try:
            with unit(request) as session:  # POST /api/ext/v1/dispatches/{id}/pens
                app = app_or_404(session, me, app_id)
                _dispatch_or_404(session, me, app, dispatch_id)
                pens.publish(session, box=services(request).box, application_pk=app.pk, dispatch_id=dispatch_id,
                             target=target)
        except InvalidInput as exc:
            text = str(exc).replace("targetUrl", "The target URL").replace("systemUserId or systemPassword",
                                                                            "The user ID or the password")
            key = "pens-user" if text.startswith("The user ID") else "pens-url"
            return dispatch_page(request, me, app_id, dispatch_id, status=400, errors={key: text.rstrip(".") + "."},
                                 pens_values={"target_url": target.url, "user_id": target.system_user_id})
        return see_other(dispatch_url(app_id, dispatch_id, "?notice=published"))
