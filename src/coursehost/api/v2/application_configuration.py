"""ApplicationManagementApi, configuration part: the calling application's own settings."""

from __future__ import annotations

from fastapi import Request, Response

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.operations import operation
from coursehost.api.v2.paging import parse_bool
from coursehost.api.v2.schemas.applications import SettingsPost
from coursehost.api.v2.schemas.settings import SettingListSchema
from coursehost.domain.applications.auth import Principal
from coursehost.domain.settings_registry import (
    SettingScope,
    application_scope,
    delete_setting,
    learning_standard_scope,
    read_settings,
    set_settings,
)
from coursehost.domain.standards import LEARNING_STANDARDS
from coursehost.web import unit


def application_chain(request: Request) -> list[SettingScope]:
    """The application-level chain, narrowed to learningStandardForApplication when both
    learningStandard and singleSco are given (one without the other is a 400)."""
    standard = request.query_params.get("learningStandard")
    single_raw = request.query_params.get("singleSco")
    if not standard and single_raw in (None, ""):
        return [application_scope()]
    if not standard or single_raw in (None, ""):
        raise ApiError(400, "learningStandard and singleSco must be given together")
    if standard not in LEARNING_STANDARDS:
        allowed = ", ".join(LEARNING_STANDARDS)
        raise ApiError(400, f"Invalid value for learningStandard: [{standard}]; allowed: {allowed}")
    single = parse_bool(request, "singleSco")
    return [learning_standard_scope(standard, single), application_scope()]


@operation("GetApplicationConfiguration", response_model=SettingListSchema)
def get_application_configuration(request: Request, principal: Principal = Auth) -> SettingListSchema:
    """Every setting's effective value for the application (or one learning standard of it)."""
    chain = application_chain(request)
    include_metadata = parse_bool(request, "includeMetadata")
    with unit(request) as session:
        items = read_settings(
            session, application_pk=principal.app_pk, chain=chain, include_metadata=include_metadata
        )
    return SettingListSchema.of(items)


@operation("SetApplicationConfiguration", status_code=204)
def set_application_configuration(
    request: Request, body: SettingsPost, principal: Principal = Auth
) -> Response:
    """Set values at application level; all or nothing."""
    chain = application_chain(request)
    with unit(request) as session:
        set_settings(session, application_pk=principal.app_pk, scope=chain[0], values=body.values())
    return Response(status_code=204)


@operation("DeleteApplicationConfigurationSetting", status_code=204)
def delete_application_configuration_setting(
    request: Request, settingId: str, principal: Principal = Auth
) -> Response:
    """Clear the value set at this level; the next level up shows through."""
    chain = application_chain(request)
    with unit(request) as session:
        delete_setting(session, application_pk=principal.app_pk, scope=chain[0], setting_id=settingId)
    return Response(status_code=204)
