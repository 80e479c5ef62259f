"""Wire models of the ApplicationManagementApi and AuthenticationApi."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.schemas.common import Wire, WireIn
from coursehost.domain.crypto import SecretBox
from coursehost.domain.values import iso


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

    def values(self) -> list[tuple[str, str]]:
        """(settingId, value) pairs; a missing value is a 400 naming the setting."""
        missing = next((item.setting_id for item in self.settings if item.value is None), None)
        if missing is not None:
            raise ApiError(400, f"value is required for setting [{missing}]")
        return [(item.setting_id, item.value) for item in self.settings]


# ------------------------------------------------------------------------------- responses


class ApplicationSchema(Wire):
    id: str
    name: str


class ApplicationListSchema(Wire):
    applications: list[ApplicationSchema]


class ApplicationInfoSchema(Wire):
    id: str
    name: str
    create_date: str | None = None
    update_date: str | None = None
    allow_delete: bool | None = None
    course_count: int | None = None
    registration_count: int | None = None

    @classmethod
    def of(cls, app, counts: dict | None) -> ApplicationInfoSchema:
        """An application (db row) with the usage counts asked for (camelCase keys)."""
        return cls(id=app.app_id, name=app.name, create_date=iso(app.created), update_date=iso(app.updated),
                   allow_delete=app.allow_delete, **(counts or {}))


class ApplicationInfoListSchema(Wire):
    applications: list[ApplicationInfoSchema]
    more: str | None = None


class CredentialSchema(Wire):
    id: str
    name: str
    credential: str
    pens_credential: str
    status: str
    created: str | None = None
    updated: str | None = None

    @classmethod
    def of(cls, box: SecretBox, cred) -> CredentialSchema:
        """A credential (db row), its secrets decrypted: the owner needs them to call the API."""
        return cls(id=cred.credential_id, name=cred.name, credential=box.decrypt(cred.secret_encrypted),
                   pens_credential=box.decrypt(cred.pens_secret_encrypted),
                   status="Enabled" if cred.enabled else "Disabled",
                   created=iso(cred.created), updated=iso(cred.updated))


class CredentialListSchema(Wire):
    credentials: list[CredentialSchema]


class ApplicationToken(Wire):
    """GetAppToken's answer (OAuth field names, not camelCase)."""

    access_token: str = Field(alias="access_token")
    expires_in: int = Field(alias="expires_in")
    token_type: str = Field(alias="token_type")
