"""Report facts: one row per interaction and per objective of each activity a registration ran.

Kept current by the run-time commit that changes them (domain/reports/facts.py), so question analysis
and objectives reports group these narrow rows instead of parsing every activity's run-time JSON.
Sandbox registrations have none (reports never count them)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base

MAX_TEXT = 1000  # activity ids and descriptions are kept up to this many characters
# interaction ids and learner responses are index keys: bounded so that a PostgreSQL index entry
# stays under its 2,704-byte limit even in 4-byte UTF-8 (the whole answer stays in the run-time data)
MAX_KEY = 255


class ReportInteraction(Base):
    """One cmi.interactions.n of one activity in one registration instance."""

    __tablename__ = "report_interaction"
    __table_args__ = (
        UniqueConstraint("instance_pk", "activity_id", "position"),
        Index("ix_report_interaction_registration", "registration_pk"),
        # question analysis of a course over a date range: a range scan on one index that covers every
        # column the aggregate reads, so 50,000 answers of a course group without touching the table
        Index("ix_report_interaction_course", "course_pk", "day", "interaction_id", "learner_response", "correct",
              "latency_seconds"),
        # one interaction's learner responses, newest first (keyset paging on pk)
        Index("ix_report_interaction_question", "course_pk", "interaction_id", "pk"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"), index=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("course.pk", ondelete="CASCADE"))
    registration_pk: Mapped[int] = mapped_column(ForeignKey("registration.pk", ondelete="CASCADE"))
    # the instance's rows go with it (reset, deleted instance) like its activity states
    instance_pk: Mapped[int] = mapped_column(ForeignKey("registration_instance.pk", ondelete="CASCADE"))
    activity_id: Mapped[str] = mapped_column(String(MAX_TEXT))
    position: Mapped[int] = mapped_column(Integer)  # n of cmi.interactions.n
    interaction_id: Mapped[str] = mapped_column(String(MAX_KEY))
    description: Mapped[str | None] = mapped_column(String(MAX_TEXT), nullable=True)
    type: Mapped[str] = mapped_column(String(16))  # RuntimeInteractionSchema.type words
    result: Mapped[str | None] = mapped_column(String(64), nullable=True)  # 2004 words (1.2 "wrong" -> incorrect)
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # None: neither correct nor incorrect
    learner_response: Mapped[str | None] = mapped_column(String(MAX_KEY), nullable=True)
    latency_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    day: Mapped[date] = mapped_column(Date)  # UTC day of the commit that last wrote it


class ReportObjective(Base):
    """One cmi.objectives.n of one activity in one registration instance."""

    __tablename__ = "report_objective"
    __table_args__ = (
        UniqueConstraint("instance_pk", "activity_id", "position"),
        Index("ix_report_objective_registration", "registration_pk"),
        Index("ix_report_objective_course", "course_pk", "day", "objective_id", "success"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"), index=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("course.pk", ondelete="CASCADE"))
    registration_pk: Mapped[int] = mapped_column(ForeignKey("registration.pk", ondelete="CASCADE"))
    # the instance's rows go with it (reset, deleted instance) like its activity states
    instance_pk: Mapped[int] = mapped_column(ForeignKey("registration_instance.pk", ondelete="CASCADE"))
    activity_id: Mapped[str] = mapped_column(String(MAX_TEXT))
    position: Mapped[int] = mapped_column(Integer)
    objective_id: Mapped[str] = mapped_column(String(MAX_KEY))
    success: Mapped[str] = mapped_column(String(16))  # PASSED | FAILED | UNKNOWN
    completion: Mapped[str] = mapped_column(String(16))  # COMPLETED | INCOMPLETE | ... | UNKNOWN
    score_scaled: Mapped[float | None] = mapped_column(Float, nullable=True)  # percent 0..100
    day: Mapped[date] = mapped_column(Date)
