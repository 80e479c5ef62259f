"""DispatchApi wire models (DestinationSchema, DispatchSchema, CreateDispatchSchema, ...), field for field."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from coursehost.api.v2.schemas.common import Wire, WireIn
from coursehost.api.v2.schemas.registrations import PostBackIn

URL_MAX = 2000


# --- request bodies ------------------------------------------------------------------------------------

class LaunchAuthOptionsIn(WireIn):
    ipAddress: bool | None = None
    fingerprint: bool | None = None
    expiry: int | None = None
    slidingExpiry: int | None = None


class LaunchAuthIn(WireIn):
    """LaunchAuthSchema: type "cookies" or "vault"."""

    type: str | None = Field(None, max_length=16)
    options: LaunchAuthOptionsIn | None = None


class Lti13PlatformIn(WireIn):
    """Lti13PlatformConfigurationSchema: the LMS of an LTI 1.3 destination."""

    clientId: str | None = Field(None, max_length=255)
    platformIssuerIdentifier: str | None = Field(None, max_length=URL_MAX)
    deploymentId: str | None = Field(None, max_length=255)
    oidcAuthorizationEndpoint: str | None = Field(None, max_length=URL_MAX)
    jsonWebKeySetUrl: str | None = Field(None, max_length=URL_MAX)
    accessTokenUrl: str | None = Field(None, max_length=URL_MAX)


class DestinationIn(WireIn):
    """DestinationSchema as a request body (created / updated are ignored, as SCORM Cloud does)."""

    name: str | None = None
    updated: datetime | None = Field(None, strict=False)
    created: datetime | None = Field(None, strict=False)
    tags: list[str] | None = None
    email: str | None = None
    notes: str | None = None
    launchAuth: LaunchAuthIn | None = None
    lti13Data: Lti13PlatformIn | None = None


class DestinationIdIn(WireIn):
    id: str
    data: DestinationIn


class DestinationListIn(WireIn):
    destinations: list[DestinationIdIn]


class CreateDispatchIn(WireIn):
    destinationId: str
    courseId: str
    allowNewRegistrations: bool | None = None
    instanced: bool | None = None
    registrationCap: int | None = None
    expirationDate: datetime | None = Field(None, strict=False)
    enabled: bool | None = None
    tags: list[str] | None = None
    email: str | None = None
    notes: str | None = None
    postBack: PostBackIn | None = None


class CreateDispatchIdIn(WireIn):
    id: str
    data: CreateDispatchIn


class CreateDispatchListIn(WireIn):
    dispatches: list[CreateDispatchIdIn]


class UpdateDispatchIn(WireIn):
    allowNewRegistrations: bool | None = None
    instanced: bool | None = None
    registrationCap: int | None = None
    registrationCount: int | None = None
    expirationDate: datetime | None = Field(None, strict=False)
    enabled: bool | None = None
    email: str | None = None
    notes: str | None = None
    postBack: PostBackIn | None = None


class EnabledIn(WireIn):
    enabled: bool


# --- responses -----------------------------------------------------------------------------------------

class LaunchAuthOptionsSchema(Wire):
    ip_address: bool | None = None
    fingerprint: bool | None = None
    expiry: int | None = None
    sliding_expiry: int | None = None


class LaunchAuthSchema(Wire):
    type: str | None = None
    options: LaunchAuthOptionsSchema | None = None


class Lti13PlatformConfigurationSchema(Wire):
    client_id: str | None = None
    platform_issuer_identifier: str | None = None
    deployment_id: str | None = None
    oidc_authorization_endpoint: str | None = None
    json_web_key_set_url: str | None = None
    access_token_url: str | None = None


class DestinationInfoSchema(Wire):
    name: str
    dispatch_count: int | None = None
    updated: datetime
    created: datetime
    tags: list[str]
    email: str | None = None
    notes: str | None = None
    launch_auth: LaunchAuthSchema | None = None
    lti13_data: Lti13PlatformConfigurationSchema | None = None


class DestinationInfoIdSchema(Wire):
    id: str
    data: DestinationInfoSchema


class DestinationInfoListSchema(Wire):
    destinations: list[DestinationInfoIdSchema]
    more: str | None = None


class DispatchSchema(Wire):
    destination_id: str
    destination_name: str
    course_id: str
    course_title: str
    updated: datetime
    created: datetime
    allow_new_registrations: bool
    enabled: bool
    instanced: bool
    registration_cap: int
    registration_count: int
    registration_reset_date: datetime | None = None
    expiration_date: datetime | None = None
    tags: list[str]
    email: str | None = None
    notes: str | None = None


class DispatchIdSchema(Wire):
    id: str
    data: DispatchSchema


class DispatchListSchema(Wire):
    dispatches: list[DispatchIdSchema]
    more: str | None = None


class DispatchRegistrationCountSchema(Wire):
    registration_count: int
    last_reset_date: datetime | None = None


class EnabledSchema(Wire):
    enabled: bool


class IntegerResultSchema(Wire):
    result: int
