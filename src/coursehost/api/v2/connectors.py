"""ContentConnectorsApi: the application's LTI 1.3 tools (content connectors). A course imported
with a connectorReferenceRequest (course.py) launches the connector's tool, Coursehost acting as
the LTI 1.3 platform (lti_http/platform.py)."""

from __future__ import annotations

from fastapi import Request, Response

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.operations import operation
from coursehost.api.v2.paging import parse_bool
from coursehost.api.v2.schemas.common import StringResultSchema
from coursehost.api.v2.schemas.connectors import (
    ConnectorListSchema,
    ConnectorSchema,
    CreateConnectorIn,
    UpdateConnectorIn,
)
from coursehost.domain.applications.auth import Principal
from coursehost.domain.courses import connectors
from coursehost.web import services, unit


def _schema(request: Request, row, *, with_info: bool) -> ConnectorSchema:
    info = connectors.instance_information(row, service_url=services(request).settings.public_url or "") \
        if with_info else None
    return ConnectorSchema(connector_id=row.connector_id, content_connector_type=row.connector_type,
                           configuration=dict(row.configuration or {}), additional_instance_information=info,
                           enabled=bool(row.enabled))


@operation("CreateConnector", response_model=StringResultSchema)
def create_connector(request: Request, body: CreateConnectorIn, principal: Principal = Auth) -> StringResultSchema:
    """A new connector; its id is the result."""
    with unit(request) as session:
        row = connectors.create_connector(
            session, application_pk=principal.app_pk, connector_type=body.content_connector_type,
            configuration=body.configuration, enabled=body.enabled,
            allow_private_urls=services(request).settings.allow_private_urls)
        return StringResultSchema(result=row.connector_id)


@operation("GetConnectorsList", response_model=ConnectorListSchema)
def get_connectors_list(request: Request, principal: Principal = Auth) -> ConnectorListSchema:
    """The application's connectors; with includeAdditionalInstanceInformation, what each tool needs of us."""
    with_info = parse_bool(request, "includeAdditionalInstanceInformation")
    with unit(request) as session:
        rows = connectors.list_connectors(session, application_pk=principal.app_pk)
        return ConnectorListSchema(connector_entries=[_schema(request, r, with_info=with_info) for r in rows])


@operation("UpdateConnector", status_code=204)
def update_connector(request: Request, connectorId: str, body: UpdateConnectorIn,
                     principal: Principal = Auth) -> Response:
    with unit(request) as session:
        connectors.update_connector(session, application_pk=principal.app_pk, connector_id=connectorId,
                                    configuration=body.configuration, enabled=body.enabled,
                                    allow_private_urls=services(request).settings.allow_private_urls)
    return Response(status_code=204)


@operation("DeleteConnector", status_code=204)
def delete_connector(request: Request, connectorId: str, principal: Principal = Auth) -> Response:
    with unit(request) as session:
        connectors.delete_connector(session, application_pk=principal.app_pk, connector_id=connectorId)
    return Response(status_code=204)
