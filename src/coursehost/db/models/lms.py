"""External LMS configurations (issue 17): where a realm's results are sent, which courses send
there, and each result change waiting for, or done with, its delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime, utcnow


class LmsConfiguration(Base):
    """A realm's LMS: a name, a contact address for alerts, a type and the type's properties
    (secrets among them encrypted with the instance key), and its delivery health."""

    __tablename__ = "lms_configuration"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_id: Mapped[str] = mapped_column(String(64), unique=True)
    realm_id: Mapped[int] = mapped_column(ForeignKey("realm.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    contact_email: Mapped[str] = mapped_column(String(320))
    type: Mapped[str] = mapped_column(String(32))
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="OK")  # OK | CANT_CONNECT | SERVER_ERROR
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LmsCourseLink(Base):
    """The configuration a course sends its registrations' results to (one per course)."""

    __tablename__ = "lms_course_link"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("course.pk", ondelete="CASCADE"), unique=True)
    configuration_pk: Mapped[int] = mapped_column(ForeignKey("lms_configuration.pk", ondelete="CASCADE"), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LmsResult(Base):
    """One result change of a registration for one configuration: the snapshot its statement is
    built from (so a re-send is the same statement), and whether it was sent, waits, or why not."""

    __tablename__ = "lms_result"
    __table_args__ = (
        UniqueConstraint("configuration_pk", "registration_pk", "seq"),
        Index("ix_lms_result_config_status", "configuration_pk", "status"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    configuration_pk: Mapped[int] = mapped_column(ForeignKey("lms_configuration.pk", ondelete="CASCADE"))
    registration_pk: Mapped[int] = mapped_column(ForeignKey("registration.pk", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # per (configuration, registration): the delivery order
    verb: Mapped[str] = mapped_column(String(16))  # completed | passed | failed
    completion: Mapped[str] = mapped_column(String(16))
    success: Mapped[str] = mapped_column(String(16))
    score_scaled: Mapped[float | None] = mapped_column(Float, nullable=True)  # percent 0..100
    total_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    occurred: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    statement_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))  # PENDING | DELIVERED | NOT_SENT
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why NOT_SENT
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed sends so far
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
