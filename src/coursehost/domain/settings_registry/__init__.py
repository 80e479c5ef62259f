"""Configuration settings: the catalog of known settings and the cascade that resolves their values."""

from coursehost.domain.settings_registry.cascade import (
    SettingItem,
    SettingLevelError,
    SettingScope,
    application_scope,
    delete_all_settings,
    delete_setting,
    effective_value,
    learning_standard_scope,
    read_settings,
    set_settings,
    settable_at,
)
from coursehost.domain.settings_registry.catalog import (
    CATALOG,
    DATA_TYPES,
    LEVELS,
    VARIANTS,
    SettingDefinition,
    SettingValueError,
    UnknownSettingError,
    allowed_values_text,
    get_definition,
    normalize_value,
)

__all__ = [
    "CATALOG", "DATA_TYPES", "LEVELS", "VARIANTS",
    "SettingDefinition", "SettingItem", "SettingScope",
    "SettingLevelError", "SettingValueError", "UnknownSettingError",
    "application_scope", "learning_standard_scope",
    "allowed_values_text", "get_definition", "normalize_value",
    "read_settings", "effective_value", "set_settings", "settable_at", "delete_setting", "delete_all_settings",
]
