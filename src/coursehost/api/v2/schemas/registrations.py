"""Wire models of the RegistrationApi and LearnerApi (field names as the official client's models have them)."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from coursehost.api.v2.schemas.applications import SettingsPost
from coursehost.api.v2.schemas.common import WireIn


class LearnerIn(WireIn):
    id: str = Field(min_length=1, max_length=255)
    email: str | None = Field(None, max_length=255)
    firstName: str | None = Field(None, max_length=255)
    lastName: str | None = Field(None, max_length=255)


class LearnerInfoIn(WireIn):
    """UpdateLearnerInfo's LearnerSchema: the id in the path rules, so here it may be left out."""

    id: str | None = Field(None, max_length=255)
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


class ScoreIn(WireIn):
    model_config = ConfigDict(strict=False, extra="ignore")
    scaled: float | None = None


class InitialStateIn(WireIn):
    """initialRegistrationState: the RegistrationSchema fields a new registration may start from."""

    model_config = ConfigDict(strict=False, extra="ignore", populate_by_name=True)
    registrationCompletion: str | None = None
    registrationCompletionAmount: float | None = Field(None, ge=0, le=1)
    registrationSuccess: str | None = None
    score: ScoreIn | None = None
    totalSecondsTracked: float | None = Field(None, ge=0)
    firstAccessDate: datetime | None = None
    lastAccessDate: datetime | None = None
    completedDate: datetime | None = None
    globalObjectives: list[dict] | None = None
    sharedData: list[dict] | None = None


class CreateRegistrationIn(WireIn):
    courseId: str = Field(min_length=1, max_length=255)
    learner: LearnerIn
    registrationId: str = Field(min_length=1, max_length=255)
    xapiRegistrationId: str | None = None
    learnerTags: list[str] | None = None
    courseTags: list[str] | None = None
    registrationTags: list[str] | None = None
    postBack: PostBackIn | None = None
    initialRegistrationState: InitialStateIn | None = None
    initialSettings: SettingsPost | None = None
