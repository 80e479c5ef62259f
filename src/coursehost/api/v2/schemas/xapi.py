"""Wire models of the XapiApi: credentials and statement pipes.

The official client models `auth` and `permissionsLevel` as objects, XapiCredentialAuthTypeSchema
{"xapiCredentialAuthType": "BASICAUTH"} and XapiCredentialPermissionsLevelSchema
{"xapiCredentialPermissionsLevel": "DEFAULT"}, and deserializes only that shape; we answer in it
and accept it, or a bare enum string, on input."""

from __future__ import annotations

from pydantic import Field, field_validator

from coursehost.api.v2.schemas.common import WireIn, iso
from coursehost.db.models.xapi import StatementPipe, XapiCredential
from coursehost.domain.crypto import SecretBox
from coursehost.domain.lrs.credentials import CredentialFields, credential_secret
from coursehost.domain.lrs.pipes import Endpoint, endpoint_of

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


def credential_body(box: SecretBox, cred: XapiCredential) -> dict:
    """XapiCredentialSchema."""
    body = {"id": cred.credential_id, "name": cred.name, "info": cred.info,
            "secret": credential_secret(box, cred), "isEnabled": bool(cred.is_enabled),
            "auth": {AUTH_KEY: cred.auth}, "permissionsLevel": {LEVEL_KEY: cred.permissions_level}}
    return {k: v for k, v in body.items() if v is not None}


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


def _endpoint_body(box: SecretBox, stored: dict) -> dict:
    endpoint = endpoint_of(box, stored)
    return {"url": endpoint.url, "userName": endpoint.user_name, "password": endpoint.password}


def pipe_body(box: SecretBox, pipe: StatementPipe) -> dict:
    """XapiStatementPipeSchema."""
    body = {"id": pipe.pipe_id, "lastForwardedStatementDate": pipe.last_forwarded_statement_date,
            "moreUrl": pipe.more_url, "attempts": pipe.attempts or 0, "visibleAfter": iso(pipe.visible_after),
            "source": _endpoint_body(box, pipe.source), "target": _endpoint_body(box, pipe.target)}
    return {k: v for k, v in body.items() if v is not None}
