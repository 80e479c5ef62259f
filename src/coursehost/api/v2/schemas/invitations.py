"""InvitationsApi wire models (PublicInvitationSchema, UserInvitationSchema, ...), field for field."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from coursehost.api.v2.schemas.common import Number, Wire, WireIn
from coursehost.api.v2.schemas.registrations import PostBackIn, ScoreSchema


class PostBackOut(Wire):
    """PostBackSchema as the official API answers it (never the password)."""

    url: str
    auth_type: str
    user_name: str | None = None
    results_format: str
    legacy: bool

    @classmethod
    def of(cls, stored: dict | None) -> PostBackOut | None:
        if not stored or not stored.get("url"):
            return None
        return cls(url=stored["url"], auth_type=str(stored.get("authType") or "form").upper(),
                   user_name=stored.get("userName") or None,
                   results_format=str(stored.get("resultsFormat") or "course").upper(),
                   legacy=bool(stored.get("legacy")))


class CreatePublicInvitationIn(WireIn):
    """CreatePublicInvitationSchema."""

    courseId: str = Field(max_length=255)
    creatingUserEmail: str = Field(max_length=320)
    registrationCap: int | None = None
    postBack: PostBackIn | None = None
    expirationDate: datetime | None = Field(None, strict=False)
    tags: list[str] | None = None


class PublicInvitationUpdateIn(WireIn):
    """PublicInvitationUpdateSchema."""

    allowLaunch: bool | None = None
    allowNewRegistrations: bool | None = None
    postBack: PostBackIn | None = None
    expirationDate: datetime | None = Field(None, strict=False)
    registrationCap: int | None = None


class PublicInvitationSchema(Wire):
    id: str
    course_id: str
    course_title: str
    allow_launch: bool
    allow_new_registrations: bool
    url: str
    create_date: datetime
    updated: datetime
    post_back: PostBackOut | None = None
    expiration_date: datetime | None = None
    registration_cap: int
    registration_count: int | None = None


class PublicInvitationList(Wire):
    invitations: list[PublicInvitationSchema]
    more: str | None = None


class InvitationSummarySchema(Wire):
    id: str
    course_id: str
    is_public: bool
    create_date: datetime
    updated: datetime


class InvitationSummaryList(Wire):
    invitations: list[InvitationSummarySchema]
    more: str | None = None


class UserInvitationRegistrationReport(Wire):
    """UserInvitationSchemaRegistrationReport."""

    complete: str
    success: str
    total_seconds_tracked: Number
    score: ScoreSchema | None = None


class UserInvitationSchema(Wire):
    email: str
    url: str
    is_started: bool
    updated: datetime
    registration_id: str | None = None
    registration_report: UserInvitationRegistrationReport | None = None


class UserInvitationList(Wire):
    user_invitations: list[UserInvitationSchema]
    more: str | None = None


class InvitationEmailIn(WireIn):
    """InvitationEmailSchema (lengths and addresses are checked by the domain, with clear messages)."""

    subject: str | None = None
    body: str | None = None
    addresses: list[str]


class InvitationEmailUpdateIn(WireIn):
    """InvitationEmailUpdateSchema."""

    subject: str | None = None
    body: str | None = None


class CreatePrivateInvitationIn(WireIn):
    """CreatePrivateInvitationSchema."""

    courseId: str = Field(max_length=255)
    creatingUserEmail: str = Field(max_length=320)
    invitationEmail: InvitationEmailIn
    postBack: PostBackIn | None = None
    expirationDate: datetime | None = Field(None, strict=False)
    tags: list[str] | None = None
    duplicateRegistrationOption: str | None = None


class PrivateInvitationUpdateIn(WireIn):
    """PrivateInvitationUpdateSchema."""

    allowLaunch: bool | None = None
    invitationEmail: InvitationEmailUpdateIn | None = None
    postBack: PostBackIn | None = None
    expirationDate: datetime | None = Field(None, strict=False)


class InvitationEmailSchema(Wire):
    subject: str | None = None
    body: str | None = None
    addresses: list[str]


class PrivateInvitationSchema(Wire):
    id: str
    course_id: str
    course_title: str
    allow_launch: bool
    invitation_email: InvitationEmailSchema
    create_date: datetime
    updated: datetime
    post_back: PostBackOut | None = None
    expiration_date: datetime | None = None
    registration_count: int | None = None
    launched_registration_count: int | None = None


class PrivateInvitationList(Wire):
    invitations: list[PrivateInvitationSchema]
    more: str | None = None


class InvitationJobStatusSchema(Wire):
    status: str
    errors: list[str]
    total: int
    processed: int
