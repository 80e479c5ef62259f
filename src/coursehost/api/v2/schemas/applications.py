"""Wire models of the ApplicationManagementApi and AuthenticationApi."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from coursehost.api.v2.schemas.common import WireIn


class ApplicationRequest(WireIn):
    name: str = Field(max_length=255)


class UpdateApplication(WireIn):
    name: str | None = Field(None, max_length=255)
    allow_delete: bool | None = Field(None, alias="allowDelete")


class CredentialRequest(WireIn):
    name: str = Field(max_length=255)
    active: bool | None = None


class Permissions(WireIn):
    scopes: list[str] | None = None
    application_name: str | None = Field(None, alias="applicationName", max_length=255)


class TokenRequest(WireIn):
    permissions: Permissions
    expiry: datetime

    @field_validator("expiry", mode="before")
    @classmethod
    def _iso_string(cls, value):
        # Strict mode would refuse the ISO string the official client sends; parse it here.
        if isinstance(value, str):
            text = value[:-1] + "+00:00" if value.endswith("Z") else value
            return datetime.fromisoformat(text)
        return value


class SettingIndividual(WireIn):
    setting_id: str = Field(alias="settingId", max_length=255)
    value: str | None = None
    explicit: bool | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _scalar_to_string(cls, value):
        # Values are strings on the wire, but a JSON true or 10000 is unambiguous: accept it.
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        return value


class SettingsPost(WireIn):
    settings: list[SettingIndividual]
