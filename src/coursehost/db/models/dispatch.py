"""Dispatch (issue 19): destinations (the clients a course is sent to), dispatches (one course to one
destination, delivered as a shell package or an LTI launch), and the registrations the far side's
learners made through a dispatch.

Tags of destinations and dispatches live in the one tag table (kinds "destination" and "dispatch").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime, utcnow


class Destination(Base):
    """A client a course is dispatched to (DestinationSchema)."""

    __tablename__ = "dispatch_destination"
    __table_args__ = (
        UniqueConstraint("application_pk", "destination_id"),
        Index("ix_dispatch_destination_app_updated", "application_pk", "updated", "pk"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    destination_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # LaunchAuthSchema as the client sent it ({"type": "cookies"|"vault", "options": {...}})
    launch_auth: Mapped[dict] = mapped_column(JSON, default=dict)
    # Lti13PlatformConfigurationSchema of the LMS this destination is (LTI 1.3 dispatch launches):
    # clientId, platformIssuerIdentifier, deploymentId, oidcAuthorizationEndpoint, jsonWebKeySetUrl,
    # accessTokenUrl
    lti13: Mapped[dict] = mapped_column(JSON, default=dict)
    # UpdateDestinationHashUserInfo: dispatches created for this destination start with it (migration 0018)
    hash_user_info: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Dispatch(Base):
    """One course sent to one destination (DispatchSchema)."""

    __tablename__ = "dispatch"
    __table_args__ = (
        UniqueConstraint("application_pk", "dispatch_id"),
        Index("ix_dispatch_app_updated", "application_pk", "updated", "pk"),
        Index("ix_dispatch_destination", "destination_pk", "pk"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    dispatch_id: Mapped[str] = mapped_column(String(255))
    destination_pk: Mapped[int] = mapped_column(ForeignKey("dispatch_destination.pk", ondelete="CASCADE"))
    course_pk: Mapped[int] = mapped_column(ForeignKey("course.pk", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(255))
    allow_new_registrations: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # instanced: every launch context of the far side (an LMS attempt) gets a registration of its own
    instanced: Mapped[bool] = mapped_column(Boolean, default=False)
    registration_cap: Mapped[int] = mapped_column(Integer, default=0)  # 0: no cap
    registration_count: Mapped[int] = mapped_column(Integer, default=0)
    registration_reset_date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expiration_date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the stored postback dict of the registrations made through it (password encrypted)
    postback: Mapped[dict] = mapped_column(JSON, default=dict)
    # learner ids from the far side are stored as a keyed hash (HMAC with the instance key)
    hash_user_info: Mapped[bool] = mapped_column(Boolean, default=False)
    # the secret that signs this dispatch's shell packages and LTI 1.1 launches (encrypted at rest);
    # the LTI 1.1 consumer key is dispatch_key
    dispatch_key: Mapped[str] = mapped_column(String(64), unique=True)
    secret: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DispatchRegistration(Base):
    """A far-side learner's registration through a dispatch: (dispatch, learner key, context key) ->
    our registration. learner_key is the LMS's learner id, or its hash when hash_user_info was on;
    context_key is "" unless the dispatch is instanced (then the far side's attempt / resource link)."""

    __tablename__ = "dispatch_registration"
    __table_args__ = (
        UniqueConstraint("dispatch_pk", "learner_key", "context_key"),
        Index("ix_dispatch_registration_created", "dispatch_pk", "created", "pk"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispatch_pk: Mapped[int] = mapped_column(ForeignKey("dispatch.pk", ondelete="CASCADE"))
    learner_key: Mapped[str] = mapped_column(String(255))
    context_key: Mapped[str] = mapped_column(String(255), default="")
    registration_id: Mapped[str] = mapped_column(String(255))
    # how the far side launched: scorm12 | scorm2004 | aicc | lti11 | lti13
    via: Mapped[str] = mapped_column(String(16))
    # where to send results back (LTI 1.1 lis_outcome_service_url + lis_result_sourcedid, LTI 1.3
    # AGS lineitem and user sub), empty for shell packages (the shell reports through the LMS's API)
    outcome: Mapped[dict] = mapped_column(JSON, default=dict)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
