"""Configuration settings on the wire, shared by every level (application, course, registration...)."""

from __future__ import annotations

from coursehost.api.v2.schemas.common import Wire


class SettingValidValue(Wire):
    value: str
    value_description: str


class SettingMetadata(Wire):
    default: str | None = None
    data_type: str | None = None
    setting_description: str | None = None
    level: str | None = None
    learning_standards: list[str]
    learning_standard_variant: str | None = None
    fallback: str | None = None
    valid_values: list[SettingValidValue]

    @classmethod
    def of(cls, definition) -> SettingMetadata:
        """A setting's definition (settings_registry.SettingDefinition)."""
        return cls(default=definition.default, data_type=definition.data_type,
                   setting_description=definition.description, level=definition.level,
                   learning_standards=list(definition.learning_standards),
                   learning_standard_variant=definition.variant, fallback=definition.fallback or None,
                   valid_values=[SettingValidValue(value=v, value_description=d) for v, d in definition.valid_values])


class SettingItem(Wire):
    id: str
    effective_value: str | None = None
    effective_value_source: str | None = None
    explicit_value: str | None = None
    metadata: SettingMetadata | None = None


class SettingListSchema(Wire):
    setting_items: list[SettingItem]

    @classmethod
    def of(cls, items) -> SettingListSchema:
        """The settings one chain sees (settings_registry.SettingItem), with metadata when it was read."""
        return cls(setting_items=[
            SettingItem(id=item.id, effective_value=item.effective_value,
                        effective_value_source=item.effective_value_source, explicit_value=item.explicit_value,
                        metadata=None if item.metadata is None else SettingMetadata.of(item.metadata))
            for item in items])
