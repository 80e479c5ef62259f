"""Wire models of the XapiApi: credentials and statement pipes.

The official client models `auth` and `permissionsLevel` as objects, XapiCredentialAuthTypeSchema
{"xapiCredentialAuthType": "BASICAUTH"} and XapiCredentialPermissionsLevelSchema
{"xapiCredentialPermissionsLevel": "DEFAULT"}, and deserializes only that shape; we answer in it
and accept it, or a bare enum string, on input."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from coursehost.api.v2.schemas.common import Wire, WireIn
from coursehost.domain.crypto import SecretBox
from coursehost.domain.lrs.credentials import CredentialFields, credential_secret
from coursehost.domain.lrs.pipes import Endpoint, endpoint_of
from coursehost.domain.values import iso

AUTH_KEY = "xapiCredentialAuthType"
LEVEL_KEY = "xapiCredentialPermissionsLevel"


def _unwrap(key: str, value):
    if isinstance(value, dict):
        value = value.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"expected a string or an object with {key}")
    return value


class XapiCredentialIn(WireIn):
    """XapiCredentialPostSchema / XapiCredentialPutSchema (the id in a PUT body is ignored: the path names it)."""

    id: str | None = Field(None, max_length=64)
    name: str | None = Field(None, max_length=255)
    info: str | None = Field(None, max_length=4000)
    secret: str | None = Field(None, max_length=255, repr=False)
    is_enabled: bool | None = Field(None, alias="isEnabled")
    auth: str | None = None
    permissions_level: str | None = Field(None, alias="permissionsLevel")

    @field_validator("auth", mode="before")
    @classmethod
    def _auth_type(cls, value):
        return _unwrap(AUTH_KEY, value)

    @field_validator("permissions_level", mode="before")
    @classmethod
    def _permissions_level(cls, value):
        return _unwrap(LEVEL_KEY, value)

    def fields(self) -> CredentialFields:
        return CredentialFields(name=self.name, info=self.info, secret=self.secret, is_enabled=self.is_enabled,
                                auth=self.auth, permissions_level=self.permissions_level)


class XapiEndpointIn(WireIn):
    """XapiEndpointSchema."""

    url: str | None = Field(None, max_length=2000)
    user_name: str | None = Field(None, alias="userName", max_length=1000)
    password: str | None = Field(None, max_length=1000, repr=False)

    def endpoint(self) -> Endpoint:
        return Endpoint(self.url, self.user_name, self.password)


class XapiStatementPipeIn(WireIn):
    """XapiStatementPipePostSchema / XapiStatementPipePutSchema."""

    source: XapiEndpointIn | None = None
    target: XapiEndpointIn | None = None

    def endpoints(self) -> tuple[Endpoint | None, Endpoint | None]:
        return (self.source.endpoint() if self.source else None,
                self.target.endpoint() if self.target else None)


# ------------------------------------------------------------------------------- responses


class XapiCredentialAuthTypeSchema(Wire):
    xapi_credential_auth_type: str | None = None


class XapiCredentialPermissionsLevelSchema(Wire):
    xapi_credential_permissions_level: str | None = None


class XapiCredentialSchema(Wire):
    id: str
    name: str | None = None
    info: str | None = None
    secret: str | None = None
    is_enabled: bool
    auth: XapiCredentialAuthTypeSchema
    permissions_level: XapiCredentialPermissionsLevelSchema

    @classmethod
    def of(cls, box: SecretBox, cred) -> XapiCredentialSchema:
        """An activity-provider credential (db row), its secret decrypted."""
        return cls(id=cred.credential_id, name=cred.name, info=cred.info, secret=credential_secret(box, cred),
                   is_enabled=bool(cred.is_enabled),
                   auth=XapiCredentialAuthTypeSchema(xapi_credential_auth_type=cred.auth),
                   permissions_level=XapiCredentialPermissionsLevelSchema(
                       xapi_credential_permissions_level=cred.permissions_level))


class XapiCredentialsListSchema(Wire):
    xapi_credentials: list[XapiCredentialSchema]
    more: str | None = None


class XapiEndpointSchema(Wire):
    url: str | None = None
    user_name: str | None = None
    password: str | None = None

    @classmethod
    def of(cls, box: SecretBox, stored: dict) -> XapiEndpointSchema:
        """A pipe's stored endpoint, its password decrypted."""
        endpoint = endpoint_of(box, stored)
        return cls(url=endpoint.url, user_name=endpoint.user_name, password=endpoint.password)


class XapiStatementPipeSchema(Wire):
    id: str
    last_forwarded_statement_date: str | None = None
    more_url: str | None = None
    attempts: int
    visible_after: str | None = None
    source: XapiEndpointSchema
    target: XapiEndpointSchema

    @classmethod
    def of(cls, box: SecretBox, pipe) -> XapiStatementPipeSchema:
        """A statement pipe (db row)."""
        return cls(id=pipe.pipe_id, last_forwarded_statement_date=pipe.last_forwarded_statement_date,
                   more_url=pipe.more_url, attempts=pipe.attempts or 0, visible_after=iso(pipe.visible_after),
                   source=XapiEndpointSchema.of(box, pipe.source), target=XapiEndpointSchema.of(box, pipe.target))


class XapiStatementPipeListSchema(Wire):
    xapi_statement_pipes: list[XapiStatementPipeSchema]


class XapiStatementResult(Wire):
    """A page of statements, each as the LRS stored it; `more` is null on the last page (answered
    with exclude_none=False)."""

    statements: list[dict[str, Any]]
    more: str | None = None
