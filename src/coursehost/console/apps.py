"""The Apps/API pages (administrators and owners): the realm's applications, one application's
credentials (secrets shown on request), its configuration settings with the level that set each
value, and its registrations per month. Every action calls the domain function the matching
ApplicationManagementApi operation calls (domain/applications/service.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from coursehost.console.auth import signed_in
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.domain.applications import service as apps
from coursehost.domain.applications.overview import registrations_per_month
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.settings_registry import application_scope, read_settings
from coursehost.web import services, unit

ADMIN = Depends(signed_in(Role.ADMINISTRATOR))

NOTICES = {
    "created": "The application was created with one enabled credential.",
    "renamed": "The application was renamed.",
    "deleted": "The application was deleted.",
    "delete-allowed": "This application may now be deleted.",
    "delete-forbidden": "This application can no longer be deleted.",
    "credential-created": "A new credential was created.",
    "credential-renamed": "The credential was renamed.",
    "credential-enabled": "The credential was enabled: the API accepts it again.",
    "credential-disabled": "The credential was disabled: the API refuses it from now on.",
    "credential-deleted": "The credential was deleted.",
}
SOURCES = {"default": "Default", "application": "Application"}


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _app_or_404(session, me: SignedIn, app_id: str):
    """The application APP_ID of the signed-in user's realm; another realm's is not found either."""
    try:
        return apps.get_realm_application(session, realm_id=me.realm_id, app_id=app_id)
    except NotFound:
        raise ConsolePageError(404, "Application not found",
                               f"There is no application {app_id} in {me.realm_name}.", me=me) from None


def _credential_or_404(session, me: SignedIn, app, credential_id: str):
    try:
        return apps.get_credential(session, app=app, credential_id=credential_id)
    except NotFound:
        raise ConsolePageError(404, "Credential not found",
                               f"Application {app.app_id} has no credential {credential_id}.", me=me) from None


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _list_page(request: Request, me: SignedIn, *, status: int = 200, error: str | None = None,
               name: str = "", notice: str | None = None) -> Response:
    with unit(request) as session:
        found = apps.list_realm_applications(session, realm_id=me.realm_id)
        rows = [{"app_id": a.app_id, "name": a.name, "created": a.created, "management": a.is_management}
                for a in found]
    return render(request, "apps/list.html", me=me, status=status, title="Applications", apps=rows,
                  error=error, name=name, notice=NOTICES.get(notice or ""))


def _details_page(request: Request, me: SignedIn, app_id: str, *, status: int = 200,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                  reveal: str | None = None, notice: str | None = None) -> Response:
    box = services(request).box
    with unit(request) as session:
        app = _app_or_404(session, me, app_id)
        credentials = [{"id": c.credential_id, "name": c.name, "enabled": c.enabled, "created": c.created,
                        "secret": box.decrypt(c.secret_encrypted) if c.credential_id == reveal else None}
                       for c in apps.list_credentials(session, app=app)]
        settings = read_settings(session, application_pk=app.pk, chain=[application_scope()])
        months = registrations_per_month(session, app_pk=app.pk)
        info = {"app_id": app.app_id, "name": app.name, "created": app.created, "updated": app.updated,
                "management": app.is_management, "allow_delete": app.allow_delete}
    return render(request, "apps/details.html", me=me, status=status, title=info["name"], app=info,
                  credentials=credentials, settings=settings, sources=SOURCES, months=months,
                  errors=errors or {}, values=values or {}, notice=NOTICES.get(notice or ""))


def _confirm_page(request: Request, me: SignedIn, *, title: str, message: str, action: str, button: str,
                  back: str, blocked: str | None = None) -> Response:
    return render(request, "apps/confirm.html", me=me, title=title, message=message, action=action,
                  button=button, back=back, blocked=blocked)


def build_apps_router() -> APIRouter:  # noqa: C901 - one small handler per route
    router = APIRouter(include_in_schema=False)

    @router.get("/apps")
    def list_apps(request: Request, notice: str | None = None, me: SignedIn = ADMIN):
        return _list_page(request, me, notice=notice)

    @router.post("/apps")
    async def create_app(request: Request, me: SignedIn = ADMIN):
        name = (await _form(request)).get("name", "")
        try:
            with unit(request) as session:
                app, _ = apps.create_application(session, box=services(request).box, realm_id=me.realm_id,
                                                 name=name)
                app_id = app.app_id
        except InvalidInput as exc:
            return _list_page(request, me, status=400, error=_field_message("Name", exc), name=name)
        return _see_other(f"/console/apps/{app_id}?notice=created")

    @router.get("/apps/{app_id}")
    def app_details(request: Request, app_id: str, notice: str | None = None, me: SignedIn = ADMIN):
        return _details_page(request, me, app_id, notice=notice)

    @router.post("/apps/{app_id}/rename")
    async def rename_app(request: Request, app_id: str, me: SignedIn = ADMIN):
        name = (await _form(request)).get("name", "")
        try:
            with unit(request) as session:
                apps.update_application(session, app=_app_or_404(session, me, app_id), name=name,
                                        allow_delete=None)
        except InvalidInput as exc:
            return _details_page(request, me, app_id, status=400, errors={"app-name": _field_message("Name", exc)},
                                 values={"app-name": name})
        return _see_other(f"/console/apps/{app_id}?notice=renamed")

    @router.post("/apps/{app_id}/allow-delete")
    async def allow_delete(request: Request, app_id: str, me: SignedIn = ADMIN):
        allow = (await _form(request)).get("allow") == "true"
        with unit(request) as session:
            app = _app_or_404(session, me, app_id)
            if app.is_management:
                raise ConsolePageError(400, "The management application cannot be deleted",
                                       "The realm's application-management application is never deletable.", me=me)
            apps.update_application(session, app=app, name=None, allow_delete=allow)
        return _see_other(f"/console/apps/{app_id}?notice={'delete-allowed' if allow else 'delete-forbidden'}")

    @router.get("/apps/{app_id}/delete")
    def confirm_delete_app(request: Request, app_id: str, me: SignedIn = ADMIN):
        with unit(request) as session:
            app = _app_or_404(session, me, app_id)
            name, management, allowed = app.name, app.is_management, app.allow_delete
        blocked = None
        if management:
            blocked = "This is the realm's application-management application; it cannot be deleted."
        elif not allowed:
            blocked = ("This application does not allow deletion. Allow deletion on its page first "
                       "(the same switch as allowDelete in the API).")
        return _confirm_page(
            request, me, title=f"Delete {name}?", back=f"/console/apps/{app_id}", blocked=blocked,
            message=f"Deleting application {name} ({app_id}) deletes its credentials, courses, registrations "
                    "and settings. This cannot be undone.",
            action=f"/console/apps/{app_id}/delete", button="Delete application")

    @router.post("/apps/{app_id}/delete")
    def delete_app(request: Request, app_id: str, me: SignedIn = ADMIN):
        try:
            with unit(request) as session:
                apps.delete_application(session, app=_app_or_404(session, me, app_id))
        except InvalidInput as exc:
            raise ConsolePageError(400, "This application cannot be deleted", str(exc), me=me) from None
        return _see_other("/console/apps?notice=deleted")

    @router.post("/apps/{app_id}/credentials")
    async def create_credential(request: Request, app_id: str, me: SignedIn = ADMIN):
        name = (await _form(request)).get("name", "")
        try:
            with unit(request) as session:
                apps.add_credential(session, box=services(request).box, app=_app_or_404(session, me, app_id),
                                    name=name, enabled=True)
        except InvalidInput as exc:
            return _details_page(request, me, app_id, status=400,
                                 errors={"new-credential": _field_message("Name", exc)},
                                 values={"new-credential": name})
        return _see_other(f"/console/apps/{app_id}?notice=credential-created#credentials")

    @router.post("/apps/{app_id}/credentials/{credential_id}/reveal")
    def reveal_secret(request: Request, app_id: str, credential_id: str, me: SignedIn = ADMIN):
        with unit(request) as session:
            _credential_or_404(session, me, _app_or_404(session, me, app_id), credential_id)
        return _details_page(request, me, app_id, reveal=credential_id)

    @router.post("/apps/{app_id}/credentials/{credential_id}/rename")
    async def rename_credential(request: Request, app_id: str, credential_id: str, me: SignedIn = ADMIN):
        name = (await _form(request)).get("name", "")
        key = f"credential-{credential_id}"
        try:
            with unit(request) as session:
                cred = _credential_or_404(session, me, _app_or_404(session, me, app_id), credential_id)
                apps.update_credential(session, cred=cred, name=name, enabled=None)
        except InvalidInput as exc:
            return _details_page(request, me, app_id, status=400, errors={key: _field_message("Name", exc)},
                                 values={key: name})
        return _see_other(f"/console/apps/{app_id}?notice=credential-renamed#credentials")

    @router.post("/apps/{app_id}/credentials/{credential_id}/enabled")
    async def enable_credential(request: Request, app_id: str, credential_id: str, me: SignedIn = ADMIN):
        enabled = (await _form(request)).get("enabled") == "true"
        with unit(request) as session:
            cred = _credential_or_404(session, me, _app_or_404(session, me, app_id), credential_id)
            apps.update_credential(session, cred=cred, name=None, enabled=enabled)
        notice = "credential-enabled" if enabled else "credential-disabled"
        return _see_other(f"/console/apps/{app_id}?notice={notice}#credentials")

    @router.get("/apps/{app_id}/credentials/{credential_id}/delete")
    def confirm_delete_credential(request: Request, app_id: str, credential_id: str, me: SignedIn = ADMIN):
        with unit(request) as session:
            app = _app_or_404(session, me, app_id)
            cred = _credential_or_404(session, me, app, credential_id)
            name, last = cred.name, len(apps.list_credentials(session, app=app)) == 1
        warning = " It is the application's last credential: the application will be locked out of the API." if last else ""
        return _confirm_page(
            request, me, title=f"Delete credential {name}?", back=f"/console/apps/{app_id}#credentials",
            message=f"Programs using credential {name} are refused by the API once it is deleted.{warning}",
            action=f"/console/apps/{app_id}/credentials/{credential_id}/delete", button="Delete credential")

    @router.post("/apps/{app_id}/credentials/{credential_id}/delete")
    def delete_credential(request: Request, app_id: str, credential_id: str, me: SignedIn = ADMIN):
        with unit(request) as session:
            cred = _credential_or_404(session, me, _app_or_404(session, me, app_id), credential_id)
            apps.delete_credential(session, cred=cred)
        return _see_other(f"/console/apps/{app_id}?notice=credential-deleted#credentials")

    return router


def _field_message(label: str, exc: InvalidInput) -> str:
    """The domain's message about "name", said about the form's field LABEL."""
    text = str(exc)
    if text == "name is required":
        return f"{label} is required."
    if text.startswith("name is longer"):
        return f"{label} must be at most {apps.MAX_NAME} characters."
    return text
