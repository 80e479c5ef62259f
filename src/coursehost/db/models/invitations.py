"""Invitations (issue 18): public links anyone may use to register on a course, and the people who
registered through them (one row per e-mail address, pointing at that learner's registration)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime, utcnow


class Invitation(Base):
    """An invitation to one course of one application; its id is global (the public page finds it
    by id alone)."""

    __tablename__ = "invitation"
    __table_args__ = (
        Index("ix_invitation_app_created", "application_pk", "created", "pk"),
        Index("ix_invitation_app_updated", "application_pk", "updated", "pk"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    invitation_id: Mapped[str] = mapped_column(String(64), unique=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"), index=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("course.pk", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(255))
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    creating_user_email: Mapped[str] = mapped_column(String(320))
    allow_launch: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_new_registrations: Mapped[bool] = mapped_column(Boolean, default=True)
    registration_cap: Mapped[int] = mapped_column(Integer, default=0)  # 0: no cap (as SCORM Cloud)
    expiration_date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # the stored postback dict of the registrations made through it (password encrypted)
    postback: Mapped[dict] = mapped_column(JSON, default=dict)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class UserInvitation(Base):
    """One person who registered through an invitation, by e-mail address."""

    __tablename__ = "user_invitation"
    __table_args__ = (
        UniqueConstraint("invitation_pk", "email"),
        Index("ix_user_invitation_inv_created", "invitation_pk", "created", "pk"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    invitation_pk: Mapped[int] = mapped_column(ForeignKey("invitation.pk", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    registration_id: Mapped[str] = mapped_column(String(255))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
