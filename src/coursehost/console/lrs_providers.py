"""Activity providers: the xAPI credentials of the realm's applications (the XapiApi's
CreateXapiCredential / SetXapiCredential / DeleteXapiCredential call the same functions of
domain/lrs/credentials.py): label, Basic or OAuth, allowed endpoint (one application or all of the
realm), permission level, enabled; secrets shown on request (a POST, as on the Apps page)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from coursehost.console.lrs_common import (
    ADMIN,
    ALL_ENDPOINTS,
    AUTH_TYPES,
    PERMISSIONS,
    child_app_or_404,
    child_apps,
    form_of,
    lrs_url,
    see_other,
)
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.errors import Conflict, InvalidInput, NotFound
from coursehost.domain.lrs import credentials
from coursehost.domain.lrs.credentials import CredentialFields
from coursehost.web import read_unit, services, unit

BASE = "/console/lrs/providers"
NOTICES = {
    "created": "The activity provider was created. Show its secret to give it to the provider.",
    "saved": "The activity provider was saved; the LRS applies the change at once.",
    "enabled": "The activity provider was enabled: the LRS accepts its key again.",
    "disabled": "The activity provider was disabled: the LRS refuses its key from now on.",
    "deleted": "The activity provider was deleted.",
}


def _row(cred, owner, *, secret: str | None = None) -> dict:
    level = PERMISSIONS.get(cred.permissions_level, (cred.permissions_level, ""))
    return {"id": cred.credential_id, "name": cred.name, "info": cred.info or "", "auth": cred.auth,
            "auth_label": AUTH_TYPES.get(cred.auth, cred.auth), "level": cred.permissions_level,
            "level_label": level[0], "level_help": level[1], "enabled": cred.is_enabled, "all": cred.all_endpoints,
            "app_id": owner.app_id, "app_name": owner.name, "created": cred.created, "updated": cred.updated,
            "secret": secret, "url": f"{BASE}/{owner.app_id}/{cred.credential_id}"}


def _values(cred: dict) -> dict[str, str]:
    """The edit form's fields as the credential has them."""
    return {"name": cred["name"], "info": cred["info"], "auth": cred["auth"], "level": cred["level"],
            "endpoint": ALL_ENDPOINTS if cred["all"] else cred["app_id"], "enabled": "on" if cred["enabled"] else ""}


def _fields(values: dict[str, str], *, editing: bool) -> CredentialFields:
    secret = values.get("secret", "")
    info = values.get("info", "").strip()
    return CredentialFields(name=values.get("name", ""), info=info if info or editing else None,
                            secret=None if editing and not secret else secret,
                            is_enabled=values.get("enabled") == "on", auth=values.get("auth") or "BASICAUTH",
                            permissions_level=values.get("level") or "DEFAULT",
                            all_endpoints=values.get("endpoint") == ALL_ENDPOINTS)


def _error_field(exc: Exception) -> tuple[str, str]:
    """(form field, message in the form's words) of a domain refusal."""
    text = str(exc)
    if text == "name is required":
        return "name", "Label is required."
    if text.startswith("name is longer"):
        return "name", f"Label must be at most {credentials.MAX_NAME} characters."
    if text.startswith("secret"):
        return "secret", f"The secret must be at least {credentials.MIN_SECRET} characters (or leave it blank)."
    if "auth" in text.split(":")[0]:
        return "auth", "Choose Basic or OAuth."
    if "permissionsLevel" in text:
        return "level", "Choose a permission level."
    if isinstance(exc, Conflict):
        return "endpoint", "That application already has an activity provider with this key; choose another endpoint."
    return "endpoint", text


def _endpoint_app(session, me: SignedIn, value: str, owner=None):
    """The application a credential with allowed endpoint VALUE belongs to: that application, or for
    "all", its current owner (a new one: the realm's oldest application)."""
    if value == ALL_ENDPOINTS:
        return owner or child_apps(session, me)[0]
    try:
        return child_app_or_404(session, me, value)
    except ConsolePageError:
        raise InvalidInput("Choose the application whose LRS accepts this key, or all of them.") from None


def _credential_or_404(session, me: SignedIn, app_id: str, credential_id: str):
    try:
        return credentials.get_realm_credential(session, realm_id=me.realm_id, app_id=app_id,
                                                credential_id=credential_id)
    except NotFound:
        raise ConsolePageError(404, "Activity provider not found",
                               f"There is no activity provider {credential_id} of application {app_id} "
                               f"in {me.realm_name}.", me=me) from None


def _choices(session, me: SignedIn) -> list[tuple[str, str]]:
    return [(ALL_ENDPOINTS, "All applications of the realm")] + [
        (a.app_id, f"{a.name} ({a.app_id})") for a in child_apps(session, me)]


def _list_page(request: Request, me: SignedIn, *, status: int = 200, errors: dict[str, str] | None = None,
               values: dict[str, str] | None = None, notice: str | None = None) -> Response:
    app_filter = request.query_params.get("app") or ""
    with read_unit(request) as session:
        choices = _choices(session, me)
        endpoint = child_app_or_404(session, me, app_filter) if app_filter else None
        rows = [_row(c, owner) for c, owner in credentials.realm_credentials(
            session, realm_id=me.realm_id, app_pk=endpoint.pk if endpoint else None)]
        shown_for = {"app_id": endpoint.app_id, "name": endpoint.name} if endpoint else None
    defaults = {"auth": "BASICAUTH", "level": "DEFAULT", "endpoint": choices[1][0], "enabled": "on"}
    return render(request, "lrs/providers.html", me=me, status=status, title="Activity providers", rows=rows,
                  choices=choices, auth_types=AUTH_TYPES, permissions=PERMISSIONS, shown_for=shown_for,
                  errors=errors or {}, values={**defaults, **(values or {})}, notice=NOTICES.get(notice or ""))


def _details_page(request: Request, me: SignedIn, app_id: str, credential_id: str, *, status: int = 200,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                  reveal: bool = False, notice: str | None = None) -> Response:
    box = services(request).box
    with read_unit(request) as session:
        cred, owner = _credential_or_404(session, me, app_id, credential_id)
        row = _row(cred, owner, secret=credentials.credential_secret(box, cred) if reveal else None)
        choices = _choices(session, me)
    endpoints = [lrs_url(request, value) for value, _ in choices[1:] if row["all"] or value == row["app_id"]]
    return render(request, "lrs/provider.html", me=me, status=status, title=row["name"] or row["id"], cred=row,
                  choices=choices, auth_types=AUTH_TYPES, permissions=PERMISSIONS, endpoints=endpoints,
                  errors=errors or {}, values=values or _values(row), notice=NOTICES.get(notice or ""))


def _confirm_page(request: Request, me: SignedIn, app_id: str, credential_id: str) -> Response:
    with read_unit(request) as session:
        cred, owner = _credential_or_404(session, me, app_id, credential_id)
        row = _row(cred, owner)
    return render(request, "lrs/confirm.html", me=me, title=f"Delete activity provider {row['name']}?",
                  message=f"Activity provider {row['name']} (key {row['id']}) is refused by the LRS once it is "
                          "deleted; the statements it wrote stay. This cannot be undone.",
                  action=f"{row['url']}/delete", button="Delete activity provider", back=row["url"])


def build_providers_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/lrs/providers")
    def list_providers(request: Request, notice: str | None = None, me: SignedIn = ADMIN):
        return _list_page(request, me, notice=notice)

    @router.post("/lrs/providers")
    async def create_provider(request: Request, me: SignedIn = ADMIN):
        values = await form_of(request)
        try:
            with unit(request) as session:
                app = _endpoint_app(session, me, values.get("endpoint", ""))
                cred = credentials.create_credential(session, box=services(request).box, app_pk=app.pk,
                                                     fields=_fields(values, editing=False))
                target = f"{BASE}/{app.app_id}/{cred.credential_id}"
        except (InvalidInput, Conflict) as exc:
            field, message = _error_field(exc)
            return _list_page(request, me, status=400, errors={field: message}, values=values)
        return see_other(f"{target}?notice=created")

    @router.get("/lrs/providers/{app_id}/{credential_id}")
    def provider(request: Request, app_id: str, credential_id: str, notice: str | None = None,
                 me: SignedIn = ADMIN):
        return _details_page(request, me, app_id, credential_id, notice=notice)

    @router.post("/lrs/providers/{app_id}/{credential_id}")
    async def save_provider(request: Request, app_id: str, credential_id: str, me: SignedIn = ADMIN):
        values = await form_of(request)
        try:
            with unit(request) as session:
                cred, owner = _credential_or_404(session, me, app_id, credential_id)
                endpoint = _endpoint_app(session, me, values.get("endpoint", ""), owner)
                credentials.set_credential(session, box=services(request).box, app_pk=owner.pk,
                                           credential_id=credential_id, fields=_fields(values, editing=True))
                credentials.move_credential(session, cred=cred, app_pk=endpoint.pk)
                target = f"{BASE}/{endpoint.app_id}/{credential_id}"
        except (InvalidInput, Conflict) as exc:
            field, message = _error_field(exc)
            return _details_page(request, me, app_id, credential_id, status=400, errors={field: message},
                                 values=values)
        return see_other(f"{target}?notice=saved")

    @router.post("/lrs/providers/{app_id}/{credential_id}/reveal")
    def reveal_secret(request: Request, app_id: str, credential_id: str, me: SignedIn = ADMIN):
        return _details_page(request, me, app_id, credential_id, reveal=True)

    @router.post("/lrs/providers/{app_id}/{credential_id}/enabled")
    async def enable_provider(request: Request, app_id: str, credential_id: str, me: SignedIn = ADMIN):
        enabled = (await form_of(request)).get("enabled") == "true"
        with unit(request) as session:
            _, owner = _credential_or_404(session, me, app_id, credential_id)
            credentials.set_credential(session, box=services(request).box, app_pk=owner.pk,
                                       credential_id=credential_id, fields=CredentialFields(is_enabled=enabled))
        return see_other(f"{BASE}/{app_id}/{credential_id}?notice={'enabled' if enabled else 'disabled'}")

    @router.get("/lrs/providers/{app_id}/{credential_id}/delete")
    def confirm_delete(request: Request, app_id: str, credential_id: str, me: SignedIn = ADMIN):
        return _confirm_page(request, me, app_id, credential_id)

    @router.post("/lrs/providers/{app_id}/{credential_id}/delete")
    async def delete_provider(request: Request, app_id: str, credential_id: str, me: SignedIn = ADMIN):
        if (await form_of(request)).get("confirm") != "yes":
            return see_other(f"{BASE}/{app_id}/{credential_id}/delete")
        with unit(request) as session:
            _, owner = _credential_or_404(session, me, app_id, credential_id)
            credentials.delete_credential(session, app_pk=owner.pk, credential_id=credential_id)
        return see_other(f"{BASE}?notice=deleted")

    return router
