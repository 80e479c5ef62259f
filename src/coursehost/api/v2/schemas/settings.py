"""Configuration settings on the wire, shared by every level (application, course, registration...)."""

from __future__ import annotations

from fastapi import Request

from coursehost.api.v2.schemas.applications import SettingsPost
from coursehost.api.v2.schemas.errors import ApiError
from coursehost.api.v2.schemas.paging import parse_bool
from coursehost.domain.settings_registry import SettingScope, application_scope, learning_standard_scope
from coursehost.domain.standards import LEARNING_STANDARDS


def metadata_body(definition) -> dict:
    return {
        "default": definition.default,
        "dataType": definition.data_type,
        "settingDescription": definition.description,
        "level": definition.level,
        "learningStandards": list(definition.learning_standards),
        "learningStandardVariant": definition.variant,
        **({"fallback": definition.fallback} if definition.fallback else {}),
        "validValues": [{"value": v, "valueDescription": d} for v, d in definition.valid_values],
    }


def setting_list_body(items) -> dict:
    """SettingListSchema: {"settingItems": [...]} with metadata when it was asked for."""
    out = []
    for item in items:
        entry = {
            "id": item.id,
            "effectiveValue": item.effective_value,
            "effectiveValueSource": item.effective_value_source,
        }
        if item.explicit_value is not None:
            entry["explicitValue"] = item.explicit_value
        if item.metadata is not None:
            entry["metadata"] = metadata_body(item.metadata)
        out.append(entry)
    return {"settingItems": out}


def settings_values(body: SettingsPost) -> list[tuple[str, str]]:
    """(settingId, value) pairs; a missing value is a 400 naming the setting."""
    values = []
    for item in body.settings:
        if item.value is None:
            raise ApiError(400, f"value is required for setting [{item.setting_id}]")
        values.append((item.setting_id, item.value))
    return values


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
        raise ApiError(400, f"Invalid value for learningStandard: [{standard}]; allowed: {', '.join(LEARNING_STANDARDS)}")
    single = parse_bool(request, "singleSco")
    return [learning_standard_scope(standard, single), application_scope()]
