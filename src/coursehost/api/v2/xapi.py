"""XapiApi: activity-provider credentials for the application's LRS, and statement pipes."""

from __future__ import annotations

from fastapi import Request, Response

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.operations import operation
from coursehost.api.v2.paging import parse_list_request, run_list
from coursehost.api.v2.schemas.common import StringResultSchema
from coursehost.api.v2.schemas.xapi import (
    XapiCredentialIn,
    XapiCredentialSchema,
    XapiCredentialsListSchema,
    XapiStatementPipeIn,
    XapiStatementPipeListSchema,
    XapiStatementPipeSchema,
)
from coursehost.domain.applications.auth import Principal
from coursehost.domain.lrs import credentials, pipes
from coursehost.web import services, unit


@operation("CreateXapiCredential", response_model=StringResultSchema)
def create_xapi_credential(request: Request, body: XapiCredentialIn,
                           principal: Principal = Auth) -> StringResultSchema:
    """A new activity-provider credential; the id (the Basic-auth user name) is generated."""
    with unit(request) as session:
        cred = credentials.create_credential(session, box=services(request).box, app_pk=principal.app_pk,
                                             fields=body.fields())
        return StringResultSchema(result=cred.credential_id)


@operation("GetXapiCredentials", response_model=XapiCredentialsListSchema)
def get_xapi_credentials(request: Request, response: Response,
                         principal: Principal = Auth) -> XapiCredentialsListSchema:
    """A page of the application's credentials (since/until/filter/orderBy, `more`)."""
    scope = f"xapi-credentials:{principal.app_pk}"
    listing = parse_list_request(request, credentials.CREDENTIAL_LIST, scope=scope)
    with unit(request) as session:
        rows, more = run_list(request, response, session, credentials.credentials_query(principal.app_pk),
                              credentials.CREDENTIAL_LIST, listing, scope=scope)
        box = services(request).box
        return XapiCredentialsListSchema(xapi_credentials=[XapiCredentialSchema.of(box, c) for c in rows], more=more)


@operation("GetXapiCredential", response_model=XapiCredentialSchema)
def get_xapi_credential(request: Request, xapiCredentialId: str,
                        principal: Principal = Auth) -> XapiCredentialSchema:
    with unit(request) as session:
        cred = credentials.get_credential(session, app_pk=principal.app_pk, credential_id=xapiCredentialId)
        return XapiCredentialSchema.of(services(request).box, cred)


@operation("SetXapiCredential", status_code=204)
def set_xapi_credential(request: Request, xapiCredentialId: str, body: XapiCredentialIn,
                        principal: Principal = Auth) -> Response:
    """Create or update the credential; disabling it or changing its secret is in force at once."""
    with unit(request) as session:
        credentials.set_credential(session, box=services(request).box, app_pk=principal.app_pk,
                                   credential_id=xapiCredentialId, fields=body.fields())
    return Response(status_code=204)


@operation("DeleteXapiCredential", status_code=204)
def delete_xapi_credential(request: Request, xapiCredentialId: str,
                           principal: Principal = Auth) -> Response:
    with unit(request) as session:
        credentials.delete_credential(session, app_pk=principal.app_pk, credential_id=xapiCredentialId)
    return Response(status_code=204)


@operation("CreateStatementPipe", response_model=StringResultSchema)
def create_statement_pipe(request: Request, body: XapiStatementPipeIn,
                          principal: Principal = Auth) -> StringResultSchema:
    """A new pipe; forwarding starts in the background."""
    source, target = body.endpoints()
    with unit(request) as session:
        pipe = pipes.create_pipe(session, box=services(request).box, app_pk=principal.app_pk,
                                 source=source, target=target,
                                 allow_private_urls=services(request).settings.allow_private_urls)
        return StringResultSchema(result=pipe.pipe_id)


@operation("GetStatementPipes", response_model=XapiStatementPipeListSchema)
def get_statement_pipes(request: Request, principal: Principal = Auth) -> XapiStatementPipeListSchema:
    with unit(request) as session:
        box = services(request).box
        return XapiStatementPipeListSchema(xapi_statement_pipes=[
            XapiStatementPipeSchema.of(box, p) for p in pipes.list_pipes(session, app_pk=principal.app_pk)])


@operation("GetStatementPipe", response_model=XapiStatementPipeSchema)
def get_statement_pipe(request: Request, statementPipeId: str,
                       principal: Principal = Auth) -> XapiStatementPipeSchema:
    with unit(request) as session:
        return XapiStatementPipeSchema.of(services(request).box,
                                          pipes.get_pipe(session, app_pk=principal.app_pk, pipe_id=statementPipeId))


@operation("SetStatementPipe", response_model=StringResultSchema)
def set_statement_pipe(request: Request, statementPipeId: str, body: XapiStatementPipeIn,
                       principal: Principal = Auth) -> StringResultSchema:
    """Create or update the pipe; an update forwards everything again; 409 while it is forwarding."""
    source, target = body.endpoints()
    with unit(request) as session:
        pipe = pipes.set_pipe(session, box=services(request).box, app_pk=principal.app_pk,
                              pipe_id=statementPipeId, source=source, target=target,
                              allow_private_urls=services(request).settings.allow_private_urls)
        return StringResultSchema(result=pipe.pipe_id)


@operation("DeleteStatementPipe", status_code=204)
def delete_statement_pipe(request: Request, statementPipeId: str,
                          principal: Principal = Auth) -> Response:
    """Delete the pipe; forwarding stops (a pass under way stops at its next step)."""
    with unit(request) as session:
        pipes.delete_pipe(session, app_pk=principal.app_pk, pipe_id=statementPipeId)
    return Response(status_code=204)
