"""Registrations (a learner taking a course), their instances, per-activity run-time state, launches.

Summary columns use the wire words of the official API: completion COMPLETED / INCOMPLETE / UNKNOWN,
success PASSED / FAILED / UNKNOWN; score_scaled is a percentage 0..100 (ScoreSchema.scaled) or NULL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from coursehost.db.base import Base, UTCDateTime, utcnow


class _Summary:
    """Results shared by a registration (its current instance), an instance and an activity."""

    completion: Mapped[str] = mapped_column(String(16), default="UNKNOWN")
    completion_amount: Mapped[float | None] = mapped_column(Float, nullable=True)  # 0..1
    success: Mapped[str] = mapped_column(String(16), default="UNKNOWN")
    score_scaled: Mapped[float | None] = mapped_column(Float, nullable=True)  # percent 0..100
    total_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    first_access: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_access: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Registration(_Summary, Base):
    """A learner's enrolment in a course of one application; ids are chosen by the integrator."""

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("application_pk", "registration_id"),
        Index("ix_registration_app_created", "application_pk", "created", "pk"),
        Index("ix_registration_app_updated", "application_pk", "updated", "pk"),
        Index("ix_registration_app_course", "application_pk", "course_id"),
        Index("ix_registration_app_learner", "application_pk", "learner_id"),
        # the LRS maps a statement's context.registration to its course (report_xapi_* counts)
        Index("ix_registration_app_xapi", "application_pk", "xapi_registration_id"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    registration_id: Mapped[str] = mapped_column(String(255))
    course_pk: Mapped[int] = mapped_column(ForeignKey("course.pk", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(255))
    learner_id: Mapped[str] = mapped_column(String(255))
    learner: Mapped[dict] = mapped_column(JSON, default=dict)  # LearnerSchema fields (camelCase)
    xapi_registration_id: Mapped[str] = mapped_column(String(64))
    # {"url", "authType", "userName", "passwordEncrypted", "resultsFormat", "legacy"} from the create call
    postback: Mapped[dict] = mapped_column(JSON, default=dict)
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False)  # a no-charge preview registration
    instance: Mapped[int] = mapped_column(Integer, default=0)  # the current instance number
    suspended_activity_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    instances: Mapped[list[RegistrationInstance]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", passive_deletes=True,
        order_by="RegistrationInstance.instance",
    )


class RegistrationInstance(_Summary, Base):
    """One instance (0, 1, ...) of a registration, bound to one course version; holds its state."""

    __tablename__ = "registration_instance"
    __table_args__ = (UniqueConstraint("registration_pk", "instance"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_pk: Mapped[int] = mapped_column(ForeignKey("registration.pk", ondelete="CASCADE"))
    instance: Mapped[int] = mapped_column(Integer, default=0)
    course_version_pk: Mapped[int] = mapped_column(ForeignKey("course_version.pk", ondelete="CASCADE"), index=True)
    course_version: Mapped[int] = mapped_column(Integer, default=0)
    # registration-wide state: {"globalObjectives": [...], "sharedData": {...}, "sequencing": {...}}
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="instances")


class ActivityState(_Summary, Base):
    """Tracking and run-time data of one activity (SCO, asset or cluster) in one instance.

    runtime: the SCORM data model as scorm-again's JSON renders it, under the standard's own
    element names (SCORM 1.2: {"core": {...}, "suspend_data", "objectives": [...], "interactions":
    [...], ...}; SCORM 2004: {"completion_status", "success_status", "score": {...}, "location",
    "suspend_data", "interactions": [...], "objectives": [...], ...}).
    """

    __tablename__ = "activity_state"
    __table_args__ = (UniqueConstraint("instance_pk", "activity_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_pk: Mapped[int] = mapped_column(ForeignKey("registration_instance.pk", ondelete="CASCADE"))
    activity_id: Mapped[str] = mapped_column(String(1000))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    attempt_completion: Mapped[str] = mapped_column(String(16), default="UNKNOWN")  # this attempt
    runtime: Mapped[dict] = mapped_column(JSON, default=dict)
    # seconds of finished sessions before the session in progress (total = base + session_time)
    base_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    session_launch_pk: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Whether runtime holds data, when a query computed it instead of loading the JSON (the rollup).
    has_runtime: Mapped[bool | None] = query_expression()


class Launch(Base):
    """One launch of a registration instance: its history entry and debug log."""

    __tablename__ = "launch"
    __table_args__ = (Index("ix_launch_instance", "instance_pk", "launch_time"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    launch_id: Mapped[str] = mapped_column(String(64), unique=True)
    instance_pk: Mapped[int] = mapped_column(ForeignKey("registration_instance.pk", ondelete="CASCADE"))
    tracking: Mapped[bool] = mapped_column(Boolean, default=True)
    options: Mapped[dict] = mapped_column(JSON, default=dict)  # redirectOnExitUrl, culture, cssUrl, startSco
    launch_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    exit_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_runtime_update: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completion: Mapped[str] = mapped_column(String(16), default="UNKNOWN")
    success: Mapped[str] = mapped_column(String(16), default="UNKNOWN")
    score_scaled: Mapped[float | None] = mapped_column(Float, nullable=True)
    total_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)  # highest commit sequence applied
    # The debug log lives in LaunchLog chunks (appending never rewrites it); history_log holds what
    # launches recorded before the chunks existed, and is never loaded by a commit.
    history_log: Mapped[list] = mapped_column(JSON, default=list, deferred=True)
    log_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # entries in the chunks
    log_dropped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # oldest entries dropped (cap)
    user_agent: Mapped[str | None] = mapped_column(Text, nullable=True)


class LaunchLog(Base):
    """One chunk of a launch's debug log: the entries one commit brought, in order of pk."""

    __tablename__ = "launch_log"
    __table_args__ = (Index("ix_launch_log_launch", "launch_pk", "pk"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    launch_pk: Mapped[int] = mapped_column(ForeignKey("launch.pk", ondelete="CASCADE"))
    entries: Mapped[list] = mapped_column(JSON, default=list)
    count: Mapped[int] = mapped_column(Integer, default=0)


class LaunchLogShare(Base):
    """A read-only link to one launch's debug log for support staff (console "Share with support").

    The URL carries a token signed with the instance key (share id and expiry inside, nothing
    stored that would open it); this row makes it revocable and records who made it. Deleting the
    launch (its registration, or the learner's data) deletes the row, and the link stops working."""

    __tablename__ = "launch_log_share"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    share_id: Mapped[str] = mapped_column(String(32), unique=True)
    launch_pk: Mapped[int] = mapped_column(ForeignKey("launch.pk", ondelete="CASCADE"), index=True)
    created_by: Mapped[str] = mapped_column(String(320), default="")  # the console user's e-mail
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
