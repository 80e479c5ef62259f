"""ApplicationManagementApi: applications, their credentials, tokens, application configuration."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request, Response

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.operations import operation
from coursehost.api.v2.paging import parse_bool, parse_list_request, run_list
from coursehost.api.v2.schemas.applications import (
    ApplicationInfoListSchema,
    ApplicationInfoSchema,
    ApplicationListSchema,
    ApplicationRequest,
    ApplicationSchema,
    CredentialListSchema,
    CredentialRequest,
    CredentialSchema,
    TokenRequest,
    UpdateApplication,
)
from coursehost.api.v2.schemas.common import StringResultSchema
from coursehost.domain.applications import service as apps
from coursehost.domain.applications.auth import Principal, issue_token, parse_scopes, token_subject
from coursehost.domain.applications.usage import usage_counts
from coursehost.web import services, unit


@operation("CreateApplication", response_model=ApplicationSchema)
def create_application(request: Request, body: ApplicationRequest, principal: Principal = Auth) -> ApplicationSchema:
    """A new application in the caller's realm, with one credential."""
    with unit(request) as session:
        app, _ = apps.create_application(
            session, box=services(request).box, realm_id=principal.realm_id, name=body.name
        )
        return ApplicationSchema(id=app.app_id, name=app.name)


@operation("GetApplicationList", response_model=ApplicationListSchema)
def get_application_list(request: Request, principal: Principal = Auth) -> ApplicationListSchema:
    """Every application of the realm (unpaged)."""
    with unit(request) as session:
        found = apps.list_child_applications(session, realm_id=principal.realm_id)
        return ApplicationListSchema(applications=[ApplicationSchema(id=a.app_id, name=a.name) for a in found])


@operation("GetApplications", response_model=ApplicationInfoListSchema)
def get_applications(request: Request, response: Response, principal: Principal = Auth) -> ApplicationInfoListSchema:
    """A page of the realm's applications with filters, ordering and optional counts."""
    listing = parse_list_request(request, apps.APPLICATION_LIST, scope=f"apps:{principal.realm_id}")
    with_courses = parse_bool(request, "includeCourseCount")
    with_regs = parse_bool(request, "includeRegistrationCount")
    with unit(request) as session:
        rows, more = run_list(
            request, response, session, apps.child_applications_query(principal.realm_id),
            apps.APPLICATION_LIST, listing, scope=f"apps:{principal.realm_id}",
        )
        counts = usage_counts(session, app_pks=[a.pk for a in rows], courses=with_courses, registrations=with_regs)
        items = [ApplicationInfoSchema.of(a, counts.get(a.pk)) for a in rows]
    return ApplicationInfoListSchema(applications=items, more=more)


@operation("GetApplicationInfo", response_model=ApplicationInfoSchema)
def get_application_info(request: Request, childAppId: str, principal: Principal = Auth) -> ApplicationInfoSchema:
    """One application of the realm, with optional course and registration counts."""
    with_courses = parse_bool(request, "includeCourseCount")
    with_regs = parse_bool(request, "includeRegistrationCount")
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        counts = usage_counts(session, app_pks=[app.pk], courses=with_courses, registrations=with_regs)
        return ApplicationInfoSchema.of(app, counts.get(app.pk))


@operation("UpdateApplication", status_code=204)
def update_application(
    request: Request, childAppId: str, body: UpdateApplication,
    principal: Principal = Auth,
) -> Response:
    """Rename an application or set whether it may be deleted."""
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        apps.update_application(session, app=app, name=body.name, allow_delete=body.allow_delete)
    return Response(status_code=204)


@operation("DeleteApplication", status_code=204)
def delete_application(
    request: Request, childAppId: str, principal: Principal = Auth
) -> Response:
    """Delete an application that allows deletion, with everything it owns."""
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        apps.delete_application(session, app=app)
    return Response(status_code=204)


@operation("GetCredentials", response_model=CredentialListSchema)
def get_credentials(request: Request, childAppId: str, principal: Principal = Auth) -> CredentialListSchema:
    """The application's credentials, secrets included (the owner needs them to call the API)."""
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        box = services(request).box
        return CredentialListSchema(credentials=[CredentialSchema.of(box, c)
                                                 for c in apps.list_credentials(session, app=app)])


@operation("CreateCredential", response_model=CredentialSchema)
def create_credential(request: Request, childAppId: str, body: CredentialRequest,
                      principal: Principal = Auth) -> CredentialSchema:
    """A new secret key for the application (enabled unless active is false)."""
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        box = services(request).box
        enabled = True if body.active is None else body.active
        cred, _ = apps.add_credential(session, box=box, app=app, name=body.name, enabled=enabled)
        return CredentialSchema.of(box, cred)


@operation("UpdateCredential", status_code=204)
def update_credential(
    request: Request, childAppId: str, credentialId: str, body: CredentialRequest,
    principal: Principal = Auth,
) -> Response:
    """Rename a credential or enable / disable it; a disabled one is refused at once."""
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        cred = apps.get_credential(session, app=app, credential_id=credentialId)
        apps.update_credential(session, cred=cred, name=body.name, enabled=body.active)
    return Response(status_code=204)


@operation("DeleteCredential", status_code=204)
def delete_credential(
    request: Request, childAppId: str, credentialId: str,
    principal: Principal = Auth,
) -> Response:
    """Delete a credential; deleting the last one locks the application out of the API."""
    with unit(request) as session:
        app = apps.get_child_application(session, realm_id=principal.realm_id, app_id=childAppId)
        apps.delete_credential(session, cred=apps.get_credential(session, app=app, credential_id=credentialId))
    return Response(status_code=204)


@operation("CreateToken", response_model=StringResultSchema)
def create_token(request: Request, body: TokenRequest, principal: Principal = Auth) -> StringResultSchema:
    """A bearer token with the given scopes that expires at `expiry`."""
    scopes = parse_scopes(body.permissions.scopes)
    expiry = body.expiry if body.expiry.tzinfo else body.expiry.replace(tzinfo=UTC)
    expires_in = int((expiry - datetime.now(UTC)).total_seconds())
    if expires_in <= 0:
        raise ApiError(400, "expiry must be in the future")
    subject = principal
    if body.permissions.application_name:
        with unit(request) as session:
            subject = token_subject(session, principal=principal, application_name=body.permissions.application_name)
    token = issue_token(
        instance_key=services(request).instance_key, subject=subject, scopes=scopes, expires_in=expires_in
    )
    return StringResultSchema(result=token)
