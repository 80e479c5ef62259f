"""Report summary tables (issue 20): one slim row per non-sandbox registration and one row per
registration per day it was active, kept current by the transaction that changes the registration
(coursehost.domain.reports.summary) so report pages never read run-time JSON.

Why slim rows and no daily aggregate table: the overview of a 90-day window reads the covering index
ix_report_registration_app_day and nothing else; on 1,000,000 registrations (bench/reports.py,
docs/PERFORMANCE.md) that stays well under the 300 ms p95, gives an exact median time (a daily
aggregate cannot), filters by learner, invitation or destination with the same table, and a hook is
one upsert with no read-modify-write of a shared counter row (no hot row under concurrent commits).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base


class ReportRegistration(Base):
    """A registration as reports see it: its day, where it came from and its current results
    (the wire words of the API: completion COMPLETED/INCOMPLETE/UNKNOWN, success PASSED/FAILED/UNKNOWN,
    score a percent 0..100 or NULL, seconds the total time)."""

    __tablename__ = "report_registration"
    __table_args__ = (
        # covering index of the overview: the range scan reads no table row
        Index("ix_report_registration_app_day", "application_pk", "registered_day", "first_launch_day",
              "completion", "success", "score", "seconds"),
        Index("ix_report_registration_app_course", "application_pk", "course_id", "registered_day"),
        Index("ix_report_registration_app_learner", "application_pk", "learner_id", "registered_day"),
        Index("ix_report_registration_app_invitation", "application_pk", "invitation_id", "registered_day"),
        Index("ix_report_registration_app_destination", "application_pk", "destination_id", "registered_day"),
        Index("ix_report_registration_app_seconds", "application_pk", "seconds"),
    )

    registration_pk: Mapped[int] = mapped_column(ForeignKey("registration.pk", ondelete="CASCADE"),
                                                 primary_key=True, autoincrement=False)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    registration_id: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[str] = mapped_column(String(255))
    learner_id: Mapped[str] = mapped_column(String(255))
    invitation_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    destination_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    registered_day: Mapped[date] = mapped_column(Date)
    first_launch_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    completed_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    completion: Mapped[str] = mapped_column(String(16), default="UNKNOWN")
    success: Mapped[str] = mapped_column(String(16), default="UNKNOWN")
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class ReportActiveDay(Base):
    """A day on which a registration was launched or sent run-time data: active learners per day."""

    __tablename__ = "report_active_day"
    __table_args__ = (
        Index("ix_report_active_day_app_day", "application_pk", "day", "learner_id"),
    )

    registration_pk: Mapped[int] = mapped_column(ForeignKey("registration.pk", ondelete="CASCADE"),
                                                 primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(String(255))
    learner_id: Mapped[str] = mapped_column(String(255))
