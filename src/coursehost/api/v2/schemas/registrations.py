"""Wire models of the RegistrationApi (field names as the official client's models have them)."""

from __future__ import annotations

from pydantic import Field

from coursehost.api.v2.schemas.common import WireIn


class LearnerIn(WireIn):
    id: str = Field(min_length=1, max_length=255)
    email: str | None = Field(None, max_length=255)
    firstName: str | None = Field(None, max_length=255)
    lastName: str | None = Field(None, max_length=255)


class PostBackIn(WireIn):
    url: str | None = Field(None, max_length=2000)
    authType: str | None = None
    userName: str | None = Field(None, max_length=255)
    password: str | None = Field(None, max_length=255)
    resultsFormat: str | None = None
    legacy: bool | None = None


class CreateRegistrationIn(WireIn):
    courseId: str = Field(min_length=1, max_length=255)
    learner: LearnerIn
    registrationId: str = Field(min_length=1, max_length=255)
    xapiRegistrationId: str | None = None
    learnerTags: list[str] | None = None
    courseTags: list[str] | None = None
    registrationTags: list[str] | None = None
    postBack: PostBackIn | None = None
