"""ApplicationManagementApi, configuration part: the calling application's own settings."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from coursehost.api.v2.deps import unit
from coursehost.api.v2.schemas.applications import SettingsPost
from coursehost.api.v2.operations import op
from coursehost.api.v2.schemas.paging import parse_bool
from coursehost.api.v2.schemas.settings import application_chain, setting_list_body, settings_values
from coursehost.domain.applications.auth import Principal
from coursehost.domain.settings_registry import delete_setting, read_settings, set_settings

router = APIRouter(prefix="/appManagement")


@router.get("/configuration", operation_id="GetApplicationConfiguration")
def get_application_configuration(
    request: Request, principal: Principal = op("GetApplicationConfiguration")
) -> dict:
    """Every setting's effective value for the application (or one learning standard of it)."""
    chain = application_chain(request)
    include_metadata = parse_bool(request, "includeMetadata")
    with unit(request) as session:
        items = read_settings(
            session, application_pk=principal.app_pk, chain=chain, include_metadata=include_metadata
        )
    return setting_list_body(items)


@router.post("/configuration", operation_id="SetApplicationConfiguration", status_code=204)
def set_application_configuration(
    request: Request, body: SettingsPost, principal: Principal = op("SetApplicationConfiguration")
) -> Response:
    """Set values at application level; all or nothing."""
    chain = application_chain(request)
    with unit(request) as session:
        set_settings(session, application_pk=principal.app_pk, scope=chain[0], values=settings_values(body))
    return Response(status_code=204)


@router.delete("/configuration/{settingId}", operation_id="DeleteApplicationConfigurationSetting", status_code=204)
def delete_application_configuration_setting(
    request: Request, settingId: str, principal: Principal = op("DeleteApplicationConfigurationSetting")
) -> Response:
    """Clear the value set at this level; the next level up shows through."""
    chain = application_chain(request)
    with unit(request) as session:
        delete_setting(session, application_pk=principal.app_pk, scope=chain[0], setting_id=settingId)
    return Response(status_code=204)
