"""The reporting shapes, one per official client model (rustici_software_cloud_v2.models, named here
without their "Schema" suffix). Field names are the models' attributes in snake_case and in wire
order; `wire.to_wire` writes them (None fields are left out unless marked `kept`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coursehost.domain.reporting.wire import kept


@dataclass
class Score:
    """ScoreSchema: scaled is a percentage (0..100); {} when unknown."""

    scaled: float | None = None


@dataclass
class CompletionAmount:
    """CompletionAmountSchema: scaled is 0..1."""

    scaled: float | None = None


@dataclass
class CourseReference:
    """CourseReferenceSchema of a registration's course version."""

    id: str | None = kept()
    title: str | None = kept()
    version: int | None = kept()


@dataclass
class Learner:
    """LearnerSchema."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None


@dataclass
class StaticProperties:
    """StaticPropertiesSchema: what the package itself says about an activity."""

    completion_threshold: str | None = None
    launch_data: Any = None
    max_time_allowed: Any = None
    scaled_passing_score: float | None = None
    scaled_passing_score_used: bool | None = None
    time_limit_action: Any = None


@dataclass
class Comment:
    """CommentSchema: one learner or LMS comment."""

    value: str | None = None
    location: str | None = None
    date_time: str | None = None


@dataclass
class LearnerPreference:
    """LearnerPreferenceSchema."""

    audio_level: float | None = None
    language: str | None = None
    delivery_speed: float | None = None
    audio_captioning: int | None = None


@dataclass
class RuntimeInteraction:
    """RuntimeInteractionSchema: one cmi.interactions.n."""

    id: str
    type: str
    objectives: list[str] = field(default_factory=list)
    timestamp: str | None = None
    timestamp_utc: str | None = None
    correct_responses: list[str] = field(default_factory=list)
    weighting: str | None = None
    learner_response: str | None = None
    result: str | None = None
    latency: str | None = None
    description: str | None = None


@dataclass
class RuntimeObjective:
    """RuntimeObjectiveSchema: one cmi.objectives.n as the SCO stored it."""

    id: str
    score_scaled: str | None = None
    score_min: str | None = None
    score_max: str | None = None
    score_raw: str | None = None
    runtime_objective_success_status: str | None = None
    runtime_objective_completion_status: str | None = None
    progress_measure: str | None = None
    description: str | None = None


@dataclass
class RuntimeDetail:
    """RuntimeSchema: one activity's stored run-time data model."""

    completion_status: str
    credit: str
    entry: str
    exit: str
    learner_preference: LearnerPreference | None
    location: str | None
    mode: str
    progress_measure: str | None
    score_scaled: str | None
    score_raw: str | None
    score_min: str | None
    score_max: str | None
    total_time: str
    time_tracked: str
    runtime_success_status: str
    suspend_data: str | None
    learner_comments: list[Comment]
    lms_comments: list[Comment]
    runtime_interactions: list[RuntimeInteraction] | None = None
    runtime_objectives: list[RuntimeObjective] | None = None


@dataclass
class Objective:
    """ObjectiveSchema of one of an activity's objectives (from its cmi.objectives)."""

    id: str
    primary: bool = False
    score: Score | None = None
    score_max: float | None = None
    score_min: float | None = None
    score_raw: float | None = None
    progress_measure: float | None = None
    objective_completion: str = "UNKNOWN"
    objective_success: str = "UNKNOWN"


@dataclass
class GlobalObjective:
    """ObjectiveSchema of a shared global objective (SCORM 2004 SN 3.10), from the sequencer's
    objective progress information; its fields are written in this order."""

    id: str
    primary: bool = False
    score: Score | None = None
    score_raw: Any = None
    score_min: Any = None
    score_max: Any = None
    progress_measure: Any = None
    objective_success: str = "UNKNOWN"
    objective_completion: str = "UNKNOWN"


@dataclass
class SharedDataEntry:
    """SharedDataEntrySchema: one adl.data store (SCORM 2004 4th Ed. CAM 3.4.1.8)."""

    id: str
    value: str


@dataclass
class ActivityResult:
    """ActivityResultSchema of one activity of the course tree (children, objectives, static
    properties and run-time data only when asked for)."""

    id: str | None = kept()
    title: str | None = kept()
    attempts: int | None = kept()
    activity_completion: str = "UNKNOWN"
    activity_success: str = "UNKNOWN"
    score: Score = field(default_factory=Score)
    time_tracked: str = ""
    suspended: bool = False
    completion_amount: CompletionAmount | None = None
    children: list[ActivityResult] | None = None
    objectives: list[Objective] | None = None
    static_properties: StaticProperties | None = None
    runtime: RuntimeDetail | None = None


@dataclass
class RegistrationProgress:
    """RegistrationSchema: a registration instance's results (GetRegistrationProgress, postbacks).
    GLOBAL_OBJECTIVES holds GlobalObjective shapes, or the wire dicts an integrator gave in
    initialRegistrationState, kept as given."""

    id: str
    instance: int
    xapi_registration_id: str | None
    updated: datetime | None
    registration_completion: str
    registration_completion_amount: float | None
    registration_success: str
    score: Score
    total_seconds_tracked: float
    first_access_date: datetime | None
    last_access_date: datetime | None
    completed_date: datetime | None
    created_date: datetime | None
    course: CourseReference
    learner: Learner
    tags: list[str]
    suspended_activity_id: str | None = None
    global_objectives: list[GlobalObjective | dict] | None = None
    shared_data: list[SharedDataEntry] | None = None
    activity_details: ActivityResult | None = None


@dataclass
class LaunchHistory:
    """LaunchHistorySchema: one launch of a registration (historyLog: its debug log as JSON text)."""

    id: str
    launch_history_id: str
    instance: int
    score: Score
    completion_status: str
    success_status: str
    total_seconds_tracked: float
    launch_time: datetime | None = None
    exit_time: datetime | None = None
    last_runtime_update: datetime | None = None
    history_log: str | None = None
