"""ApplicationManagementApi: applications, their credentials, tokens, application configuration."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from coursehost.api.v2.deps import services, unit
from coursehost.api.v2.schemas.applications import (
    ApplicationRequest, CredentialRequest, TokenRequest, UpdateApplication,
)
from coursehost.api.v2.operations import op
from coursehost.api.v2.schemas.common import iso
from coursehost.api.v2.schemas.errors import ApiError
from coursehost.api.v2.schemas.paging import parse_bool, parse_list_request, run_list
from coursehost.db.models.tenancy import Application
from coursehost.domain.applications import service as apps
from coursehost.domain.applications.auth import Principal, issue_token, parse_scopes
from coursehost.domain.applications.usage import usage_counts
from coursehost.domain.paging import ListSpec

router = APIRouter(prefix="/appManagement")

APPLICATION_LIST = ListSpec(
    order_by={
        "app_id_asc": (Application.app_id, False), "app_id_desc": (Application.app_id, True),
        "app_name_asc": (Application.name, False), "app_name_desc": (Application.name, True),
        "created_asc": (Application.created, False), "created_desc": (Application.created, True),
        "updated_asc": (Application.updated, False), "updated_desc": (Application.updated, True),
    },
    default_order="updated_asc",
    filter_by={"app_id": Application.app_id, "app_name": Application.name},
    default_filter_by="app_name",
    datetime_fields={"created": Application.created, "updated": Application.updated},
    default_datetime="updated",
    tiebreak=Application.pk,
)


def _application_info(app: Application, counts: dict | None) -> dict:
    body = {
        "id": app.app_id, "name": app.name, "createDate": iso(app.created),
        "updateDate": iso(app.updated), "allowDelete": app.allow_delete,
    }
    if counts is not None:
        body.update({k: v for k, v in counts.items() if v is not None})
    return body


def _credential(box, cred) -> dict:
    return {
        "id": cred.credential_id, "name": cred.name, "credential": box.decrypt(cred.secret_encrypted),
        "pensCredential": box.decrypt(cred.pens_secret_encrypted),
        "status": "Enabled" if cred.enabled else "Disabled",
        "created": iso(cred.created), "updated": iso(cred.updated),
    }


@router.post("/applications", operation_id="CreateApplication")
def create_application(
    request: Request, body: ApplicationRequest, principal: Principal = op("CreateApplication")
) -> dict:
    """A new application in the caller's realm, with one credential."""
    with unit(request) as session:
        app, _ = apps.create_application(
            session, box=services(request).box, realm_id=principal.realm_id, name=body.name
        )
        return {"id": app.app_id, "name": app.name}


@router.get("/applications", operation_id="GetApplicationList")
def get_application_list(request: Request, principal: Principal = op("GetApplicationList")) -> dict:
    """Every application of the realm (unpaged)."""
    with unit(request) as session:
        found = apps.list_child_applications(session, realm_id=principal.realm_id)
        return {"applications": [{"id": a.app_id, "name": a.name} for a in found]}


@router.get("/applicationList", operation_id="GetApplications")
def get_applications(
    request: Request, response: Response, principal: Principal = op("GetApplications")
) -> dict:
    """A page of the realm's applications with filters, ordering and optional counts."""
    listing = parse_list_request(request, APPLICATION_LIST, scope=f"apps:{principal.realm_id}")
    with_courses = parse_bool(request, "includeCourseCount")
    with_regs = parse_bool(request, "includeRegistrationCount")
    with unit(request) as session:
        rows, more = run_list(
            request, response, session, apps.child_applications_query(principal.realm_id),
            APPLICATION_LIST, listing, scope=f"apps:{principal.realm_id}",
        )
        counts = usage_counts(session, app_pks=[a.pk for a in rows], courses=with_courses, registrations=with_regs)
        items = [_application_info(a, counts.get(a.pk)) for a in rows]
    return {"applications": items, **({"more": more} if more else {})}


@router.get("/applications/{childAppId}", operation_id="GetApplicationInfo")
def get_application_info(
    request: Request, childAppId: str, principal: Principal = op("GetApplicationInfo")
) -> dict:
    """One application of the realm, with optional course and registration counts."""
    with_courses = parse_bool(request, "includeCourseCount")
    with_regs = parse_bool(request, "includeRegistrationCount")
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        counts = usage_counts(session, app_pks=[app.pk], courses=with_courses, registrations=with_regs)
        return _application_info(app, counts.get(app.pk))


@router.put("/applications/{childAppId}", operation_id="UpdateApplication", status_code=204)
def update_application(
    request: Request, childAppId: str, body: UpdateApplication,
    principal: Principal = op("UpdateApplication"),
) -> Response:
    """Rename an application or set whether it may be deleted."""
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        apps.update_application(session, app=app, name=body.name, allow_delete=body.allow_delete)
    return Response(status_code=204)


@router.delete("/applications/{childAppId}", operation_id="DeleteApplication", status_code=204)
def delete_application(
    request: Request, childAppId: str, principal: Principal = op("DeleteApplication")
) -> Response:
    """Delete an application that allows deletion, with everything it owns."""
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        apps.delete_application(session, app=app)
    return Response(status_code=204)


@router.get("/{childAppId}/credentials", operation_id="GetCredentials")
def get_credentials(
    request: Request, childAppId: str, principal: Principal = op("GetCredentials")
) -> dict:
    """The application's credentials, secrets included (the owner needs them to call the API)."""
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        box = services(request).box
        return {"credentials": [_credential(box, c) for c in apps.list_credentials(session, app=app)]}


@router.post("/{childAppId}/credentials", operation_id="CreateCredential")
def create_credential(
    request: Request, childAppId: str, body: CredentialRequest,
    principal: Principal = op("CreateCredential"),
) -> dict:
    """A new secret key for the application (enabled unless active is false)."""
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        box = services(request).box
        enabled = True if body.active is None else body.active
        cred, _ = apps.add_credential(session, box=box, app=app, name=body.name, enabled=enabled)
        return _credential(box, cred)


@router.put("/{childAppId}/credentials/{credentialId}", operation_id="UpdateCredential", status_code=204)
def update_credential(
    request: Request, childAppId: str, credentialId: str, body: CredentialRequest,
    principal: Principal = op("UpdateCredential"),
) -> Response:
    """Rename a credential or enable / disable it; a disabled one is refused at once."""
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        cred = apps.get_credential(session, app=app, credential_id=credentialId)
        apps.update_credential(session, cred=cred, name=body.name, enabled=body.active)
    return Response(status_code=204)


@router.delete("/{childAppId}/credentials/{credentialId}", operation_id="DeleteCredential", status_code=204)
def delete_credential(
    request: Request, childAppId: str, credentialId: str,
    principal: Principal = op("DeleteCredential"),
) -> Response:
    """Delete a credential; deleting the last one locks the application out of the API."""
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        apps.delete_credential(session, cred=apps.get_credential(session, app=app, credential_id=credentialId))
    return Response(status_code=204)


@router.post("/token", operation_id="CreateToken")
def create_token(
    request: Request, body: TokenRequest, principal: Principal = op("CreateToken")
) -> dict:
    """A bearer token with the given scopes that expires at `expiry`."""
    scopes = parse_scopes(body.permissions.scopes)
    expiry = body.expiry if body.expiry.tzinfo else body.expiry.replace(tzinfo=timezone.utc)
    expires_in = int((expiry - datetime.now(timezone.utc)).total_seconds())
    if expires_in <= 0:
        raise ApiError(400, "expiry must be in the future")
    subject = principal
    if body.permissions.application_name:
        with unit(request) as session:
            subject = _named_child(session, principal, body.permissions.application_name)
    token = issue_token(
        instance_key=services(request).instance_key, subject=subject, scopes=scopes, expires_in=expires_in
    )
    return {"result": token}


def _named_child(session, principal: Principal, name: str) -> Principal:
    """The realm's application called NAME, for a management app minting a token on its behalf."""
    if not principal.is_management:
        if name != _own_name(session, principal):
            raise ApiError(403, "Only the application-management application may create tokens for other applications")
        return principal
    found = session.scalars(
        select(Application).where(
            Application.realm_id == principal.realm_id, Application.name == name,
            Application.is_management.is_(False),
        )
    ).all()
    if not found:
        raise ApiError(404, f"Could not find application named [{name}]")
    if len(found) > 1:
        raise ApiError(400, f"More than one application is named [{name}]; rename one first")
    app = found[0]
    return Principal(app_pk=app.pk, app_id=app.app_id, realm_id=app.realm_id, is_management=False,
                     scopes=principal.scopes, via=principal.via)


def _own_name(session, principal: Principal) -> str:
    return session.scalar(select(Application.name).where(Application.pk == principal.app_pk))
