"""Wire models of the RegistrationApi and LearnerApi (field names as the official client's models have them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from coursehost.api.v2.schemas.applications import SettingsPost
from coursehost.api.v2.schemas.common import Number, Wire, WireIn
from coursehost.domain.reporting.models import LaunchHistory, RegistrationProgress
from coursehost.domain.reporting.wire import to_wire


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


class PostBackSchema(WireIn):
    """The official PostBackSchema (authType FORM|HTTPBASIC, resultsFormat COURSE|ACTIVITY|FULL)."""

    url: str = Field(max_length=4000)
    auth_type: str | None = Field(None, alias="authType", max_length=20)
    user_name: str | None = Field(None, alias="userName", max_length=1000)
    password: str | None = Field(None, max_length=1000, repr=False)
    results_format: str | None = Field(None, alias="resultsFormat", max_length=20)
    legacy: bool | None = None


class ScoreIn(WireIn):
    model_config = ConfigDict(strict=False, extra="forbid")
    scaled: float | None = None


class InitialStateIn(WireIn):
    """initialRegistrationState: the RegistrationSchema fields a new registration may start from (the
    rest of RegistrationSchema is accepted and ignored: the path and the registration name them)."""

    model_config = ConfigDict(strict=False, extra="forbid", populate_by_name=True)
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
    # Accepted and ignored.
    id: Any = None
    instance: Any = None
    xapiRegistrationId: Any = None
    dispatchId: Any = None
    updated: Any = None
    createdDate: Any = None
    course: Any = None
    learner: Any = None
    tags: Any = None
    suspendedActivityId: Any = None
    activityDetails: Any = None


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


# ------------------------------------------------------------------------------- responses
# The domain builds these shapes as dataclasses (domain/reporting/models.py) with one wire form
# (domain/reporting/wire.py, shared with the postback bodies); each is validated into its model once,
# in its `of`.


class ScoreSchema(Wire):
    scaled: Number | None = None


class CompletionAmountSchema(Wire):
    scaled: Number | None = None


class ObjectiveSchema(Wire):
    # A global objective given in initialRegistrationState is answered as it was given, keys and all.
    model_config = ConfigDict(extra="allow")

    id: str
    primary: bool | None = None
    score: ScoreSchema | None = None
    score_max: Number | None = None
    score_min: Number | None = None
    score_raw: Number | None = None
    previous_score_scaled: Number | None = None
    first_score_scaled: Number | None = None
    progress_measure: Number | None = None
    first_success_time_stamp: str | None = None
    objective_completion: str | None = None
    objective_success: str | None = None
    previous_objective_success: str | None = None


class SharedDataEntrySchema(Wire):
    id: str
    value: str


class CourseReferenceSchema(Wire):
    id: str
    title: str | None = None
    version: int | None = None


class LearnerSchema(Wire):
    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None


class StaticPropertiesSchema(Wire):
    completion_threshold: str | None = None
    launch_data: str | None = None
    max_time_allowed: str | None = None
    scaled_passing_score: Number | None = None
    scaled_passing_score_used: bool | None = None
    time_limit_action: str | None = None


class LearnerPreferenceSchema(Wire):
    audio_level: Number | None = None
    language: str | None = None
    delivery_speed: Number | None = None
    audio_captioning: int | None = None


class CommentSchema(Wire):
    value: str | None = None
    location: str | None = None
    date_time: str | None = None


class RuntimeInteractionSchema(Wire):
    id: str
    type: str | None = None
    objectives: list[str] | None = None
    timestamp: str | None = None
    timestamp_utc: str | None = None
    correct_responses: list[str] | None = None
    weighting: str | None = None
    learner_response: str | None = None
    result: str | None = None
    latency: str | None = None
    description: str | None = None


class RuntimeObjectiveSchema(Wire):
    id: str
    score_scaled: str | None = None
    score_min: str | None = None
    score_max: str | None = None
    score_raw: str | None = None
    runtime_objective_success_status: str | None = None
    runtime_objective_completion_status: str | None = None
    progress_measure: str | None = None
    description: str | None = None


class RuntimeSchema(Wire):
    completion_status: str | None = None
    credit: str | None = None
    entry: str | None = None
    exit: str | None = None
    learner_preference: LearnerPreferenceSchema | None = None
    location: str | None = None
    mode: str | None = None
    progress_measure: str | None = None
    score_scaled: str | None = None
    score_raw: str | None = None
    score_min: str | None = None
    score_max: str | None = None
    total_time: str | None = None
    time_tracked: str | None = None
    runtime_success_status: str | None = None
    suspend_data: str | None = None
    learner_comments: list[CommentSchema] | None = None
    lms_comments: list[CommentSchema] | None = None
    runtime_interactions: list[RuntimeInteractionSchema] | None = None
    runtime_objectives: list[RuntimeObjectiveSchema] | None = None


class ActivityResultSchema(Wire):
    id: str
    title: str | None = None
    attempts: int | None = None
    activity_completion: str | None = None
    activity_success: str | None = None
    score: ScoreSchema | None = None
    time_tracked: str | None = None
    suspended: bool | None = None
    completion_amount: CompletionAmountSchema | None = None
    children: list[ActivityResultSchema] | None = None
    objectives: list[ObjectiveSchema] | None = None
    static_properties: StaticPropertiesSchema | None = None
    runtime: RuntimeSchema | None = None


class RegistrationSchema(Wire):
    id: str
    instance: int | None = None
    xapi_registration_id: str | None = None
    updated: str | None = None
    registration_completion: str | None = None
    registration_completion_amount: Number | None = None
    registration_success: str | None = None
    score: ScoreSchema | None = None
    total_seconds_tracked: Number | None = None
    first_access_date: str | None = None
    last_access_date: str | None = None
    completed_date: str | None = None
    created_date: str | None = None
    course: CourseReferenceSchema | None = None
    learner: LearnerSchema | None = None
    tags: list[str] | None = None
    suspended_activity_id: str | None = None
    global_objectives: list[ObjectiveSchema] | None = None
    shared_data: list[SharedDataEntrySchema] | None = None
    activity_details: ActivityResultSchema | None = None

    @classmethod
    def of(cls, progress: RegistrationProgress) -> RegistrationSchema:
        """The domain's registration progress, in its one wire form."""
        return cls.model_validate(to_wire(progress))


class RegistrationListSchema(Wire):
    registrations: list[RegistrationSchema]
    more: str | None = None


class LaunchHistorySchema(Wire):
    id: str
    launch_history_id: str | None = None
    instance: int | None = None
    score: ScoreSchema | None = None
    completion_status: str | None = None
    success_status: str | None = None
    total_seconds_tracked: Number | None = None
    launch_time: str | None = None
    exit_time: str | None = None
    last_runtime_update: str | None = None
    history_log: str | None = None


class LaunchHistoryListSchema(Wire):
    launch_history: list[LaunchHistorySchema]

    @classmethod
    def of(cls, launches: list[LaunchHistory]) -> LaunchHistoryListSchema:
        """The domain's launch history, in its one wire form."""
        return cls(launch_history=[LaunchHistorySchema.model_validate(launch) for launch in to_wire(launches)])
