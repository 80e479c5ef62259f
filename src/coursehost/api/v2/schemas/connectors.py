"""Wire models of the ContentConnectorsApi and the connector import of CourseApi."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from coursehost.api.v2.schemas.common import Wire, WireIn
from coursehost.api.v2.schemas.courses import ImportFetchRequest


class CreateConnectorIn(WireIn):
    content_connector_type: str = Field(alias="contentConnectorType", max_length=100)
    configuration: dict[str, Any]
    enabled: bool = True


class UpdateConnectorIn(WireIn):
    configuration: dict[str, Any] | None = None
    enabled: bool | None = None


class ConnectorSchema(Wire):
    connector_id: str
    content_connector_type: str
    configuration: dict[str, Any]
    additional_instance_information: dict[str, Any] | None = None
    enabled: bool


class ConnectorListSchema(Wire):
    connector_entries: list[ConnectorSchema]


class ImportConnectorRequest(WireIn):
    connector_id: str = Field(alias="connectorId", max_length=64)
    connector_id_for_content: str | None = Field(None, alias="connectorIdForContent", max_length=2000)
    metadata_for_connector: dict[str, Any] | None = Field(None, alias="metadataForConnector")


class ImportRequestIn(WireIn):
    """ImportRequestSchema: exactly one of the three requests. (The API's earlier shape, an
    ImportFetchRequestSchema at the top level, is read by course.py before this model.)"""

    fetch_request: ImportFetchRequest | None = Field(None, alias="fetchRequest")
    media_file_reference_request: ImportFetchRequest | None = Field(None, alias="mediaFileReferenceRequest")
    connector_reference_request: ImportConnectorRequest | None = Field(None, alias="connectorReferenceRequest")
