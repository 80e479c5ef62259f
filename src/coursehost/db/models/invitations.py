"""Invitations (issue 18): public links anyone may use to register on a course, and the people who
registered through them (one row per e-mail address, pointing at that learner's registration)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    # private invitations: the e-mail, who gets it, and the sending job's progress
    email_subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    email_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    addresses: Mapped[list] = mapped_column(JSON, default=list)
    duplicate_option: Mapped[str | None] = mapped_column(String(32), nullable=True)
    job_status: Mapped[str | None] = mapped_column(String(16), nullable=True)  # STARTED | COMPLETE | ERROR
    job_processed: Mapped[int] = mapped_column(Integer, default=0)
    job_errors: Mapped[list] = mapped_column(JSON, default=list)
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
    # a private invitation's learner link: /invite/{invitation id}/learner/{token}
    token: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    # a private invitation's e-mail to this address: its outbox row says queued, sent or failed (with the
    # SMTP server's answer), so a refused address shows beside the others (null: public, or sent before 0017)
    mail_message_pk: Mapped[int | None] = mapped_column(ForeignKey("mail_message.pk", ondelete="SET NULL"),
                                                        nullable=True, index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
