"""XapiApi: activity-provider credentials for the application's LRS, and statement pipes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from coursehost.api.v2.deps import services, unit
from coursehost.api.v2.operations import op
from coursehost.api.v2.schemas.paging import parse_list_request, run_list
from coursehost.api.v2.schemas.xapi import XapiCredentialIn, XapiStatementPipeIn, credential_body, pipe_body
from coursehost.domain.applications.auth import Principal
from coursehost.domain.lrs import credentials, pipes

router = APIRouter(prefix="/xapi")


@router.post("/credentials", operation_id="CreateXapiCredential")
def create_xapi_credential(request: Request, body: XapiCredentialIn,
                           principal: Principal = op("CreateXapiCredential")) -> dict:
    """A new activity-provider credential; the id (the Basic-auth user name) is generated."""
    with unit(request) as session:
        cred = credentials.create_credential(session, box=services(request).box, app_pk=principal.app_pk,
                                             fields=body.fields())
        return {"result": cred.credential_id}


@router.get("/credentials", operation_id="GetXapiCredentials")
def get_xapi_credentials(request: Request, response: Response,
                         principal: Principal = op("GetXapiCredentials")) -> dict:
    """A page of the application's credentials (since/until/filter/orderBy, `more`)."""
    scope = f"xapi-credentials:{principal.app_pk}"
    listing = parse_list_request(request, credentials.CREDENTIAL_LIST, scope=scope)
    with unit(request) as session:
        rows, more = run_list(request, response, session, credentials.credentials_query(principal.app_pk),
                              credentials.CREDENTIAL_LIST, listing, scope=scope)
        box = services(request).box
        return {"xapiCredentials": [credential_body(box, c) for c in rows], **({"more": more} if more else {})}


@router.get("/credentials/{xapiCredentialId}", operation_id="GetXapiCredential")
def get_xapi_credential(request: Request, xapiCredentialId: str,
                        principal: Principal = op("GetXapiCredential")) -> dict:
    with unit(request) as session:
        cred = credentials.get_credential(session, app_pk=principal.app_pk, credential_id=xapiCredentialId)
        return credential_body(services(request).box, cred)


@router.put("/credentials/{xapiCredentialId}", operation_id="SetXapiCredential", status_code=204)
def set_xapi_credential(request: Request, xapiCredentialId: str, body: XapiCredentialIn,
                        principal: Principal = op("SetXapiCredential")) -> Response:
    """Create or update the credential; disabling it or changing its secret is in force at once."""
    with unit(request) as session:
        credentials.set_credential(session, box=services(request).box, app_pk=principal.app_pk,
                                   credential_id=xapiCredentialId, fields=body.fields())
    return Response(status_code=204)


@router.delete("/credentials/{xapiCredentialId}", operation_id="DeleteXapiCredential", status_code=204)
def delete_xapi_credential(request: Request, xapiCredentialId: str,
                           principal: Principal = op("DeleteXapiCredential")) -> Response:
    with unit(request) as session:
        credentials.delete_credential(session, app_pk=principal.app_pk, credential_id=xapiCredentialId)
    return Response(status_code=204)


@router.post("/statementPipes", operation_id="CreateStatementPipe")
def create_statement_pipe(request: Request, body: XapiStatementPipeIn,
                          principal: Principal = op("CreateStatementPipe")) -> dict:
    """A new pipe; forwarding starts in the background."""
    source, target = body.endpoints()
    with unit(request) as session:
        pipe = pipes.create_pipe(session, box=services(request).box, app_pk=principal.app_pk,
                                 source=source, target=target)
        return {"result": pipe.pipe_id}


@router.get("/statementPipes", operation_id="GetStatementPipes")
def get_statement_pipes(request: Request, principal: Principal = op("GetStatementPipes")) -> dict:
    with unit(request) as session:
        box = services(request).box
        return {"xapiStatementPipes": [pipe_body(box, p) for p in pipes.list_pipes(session, app_pk=principal.app_pk)]}


@router.get("/statementPipes/{statementPipeId}", operation_id="GetStatementPipe")
def get_statement_pipe(request: Request, statementPipeId: str,
                       principal: Principal = op("GetStatementPipe")) -> dict:
    with unit(request) as session:
        return pipe_body(services(request).box,
                         pipes.get_pipe(session, app_pk=principal.app_pk, pipe_id=statementPipeId))


@router.put("/statementPipes/{statementPipeId}", operation_id="SetStatementPipe")
def set_statement_pipe(request: Request, statementPipeId: str, body: XapiStatementPipeIn,
                       principal: Principal = op("SetStatementPipe")) -> dict:
    """Create or update the pipe; an update forwards everything again; 409 while it is forwarding."""
    source, target = body.endpoints()
    with unit(request) as session:
        pipe = pipes.set_pipe(session, box=services(request).box, app_pk=principal.app_pk,
                              pipe_id=statementPipeId, source=source, target=target)
        return {"result": pipe.pipe_id}


@router.delete("/statementPipes/{statementPipeId}", operation_id="DeleteStatementPipe", status_code=204)
def delete_statement_pipe(request: Request, statementPipeId: str,
                          principal: Principal = op("DeleteStatementPipe")) -> Response:
    """Delete the pipe; forwarding stops (a pass under way stops at its next step)."""
    with unit(request) as session:
        pipes.delete_pipe(session, app_pk=principal.app_pk, pipe_id=statementPipeId)
    return Response(status_code=204)
