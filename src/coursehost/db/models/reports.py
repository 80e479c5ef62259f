"""Report summary tables (issue 20): one slim row per non-sandbox registration and one row per
registration per day it was active, kept current by the transaction that changes the registration
(coursehost.domain.reports.summary) so report pages never read run-time JSON.

Why slim rows AND daily aggregates (measured, docs/PERFORMANCE.md): the overview of a 90-day window
over 1,000,000 registrations read from the slim rows alone (covering index, exact median by sorting
the window) took a p95 of 550-740 ms; the median sort was most of it. ReportDay holds, per
(application, course, registration day), the counts, sums and score / time bucket counts; the
overview, funnel and histograms of a realm or a course read those (90 days x courses rows), and the
exact median reads the slim rows only inside the time bucket the aggregates point at, in the order
of ix_report_registration_app_seconds (no sort). Narrower filters (one learner, invitation or
destination) match few registrations and read the slim rows directly. The hooks keep both in step:
the day row gets the difference between a registration's contribution before and after.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text
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
        # the exact median: walk registrations in order of time from the bucket the aggregates name
        Index("ix_report_registration_app_seconds", "application_pk", "seconds", "registered_day"),
        Index("ix_report_registration_app_course_seconds", "application_pk", "course_id", "seconds",
              "registered_day"),
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
        # one course's active learners read this index only (without it: 110 ms on 1M, bench/reports.py)
        Index("ix_report_active_day_app_course_day", "application_pk", "course_id", "day", "learner_id"),
    )

    registration_pk: Mapped[int] = mapped_column(ForeignKey("registration.pk", ondelete="CASCADE"),
                                                 primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(String(255))
    learner_id: Mapped[str] = mapped_column(String(255))


SCORE_BUCKETS = 10  # 0-10, 10-20, ..., 90-100 (a score of 100 counts in the last)
# time spent, seconds: bucket i holds (TIME_EDGES[i], TIME_EDGES[i+1]) left-closed, the first excludes 0,
# the last is open-ended; registrations with no time are in no bucket
TIME_EDGES = (0, 60, 120, 300, 600, 900, 1200, 1800, 2400, 3600, 5400, 7200, 10800, 14400, 21600, 28800)


class ReportDay(Base):
    """Per application, course and registration day: what the registrations created that day add up
    to now (their current results). s0..s9 count scores per SCORE_BUCKETS, t0..t15 time per TIME_EDGES."""

    __tablename__ = "report_day"

    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"), primary_key=True,
                                                autoincrement=False)
    course_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    started: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    scored: Mapped[int] = mapped_column(Integer, default=0)
    score_sum: Mapped[float] = mapped_column(Float, default=0.0)
    timed: Mapped[int] = mapped_column(Integer, default=0)
    seconds_sum: Mapped[float] = mapped_column(Float, default=0.0)
    s0: Mapped[int] = mapped_column(Integer, default=0)
    s1: Mapped[int] = mapped_column(Integer, default=0)
    s2: Mapped[int] = mapped_column(Integer, default=0)
    s3: Mapped[int] = mapped_column(Integer, default=0)
    s4: Mapped[int] = mapped_column(Integer, default=0)
    s5: Mapped[int] = mapped_column(Integer, default=0)
    s6: Mapped[int] = mapped_column(Integer, default=0)
    s7: Mapped[int] = mapped_column(Integer, default=0)
    s8: Mapped[int] = mapped_column(Integer, default=0)
    s9: Mapped[int] = mapped_column(Integer, default=0)
    t0: Mapped[int] = mapped_column(Integer, default=0)
    t1: Mapped[int] = mapped_column(Integer, default=0)
    t2: Mapped[int] = mapped_column(Integer, default=0)
    t3: Mapped[int] = mapped_column(Integer, default=0)
    t4: Mapped[int] = mapped_column(Integer, default=0)
    t5: Mapped[int] = mapped_column(Integer, default=0)
    t6: Mapped[int] = mapped_column(Integer, default=0)
    t7: Mapped[int] = mapped_column(Integer, default=0)
    t8: Mapped[int] = mapped_column(Integer, default=0)
    t9: Mapped[int] = mapped_column(Integer, default=0)
    t10: Mapped[int] = mapped_column(Integer, default=0)
    t11: Mapped[int] = mapped_column(Integer, default=0)
    t12: Mapped[int] = mapped_column(Integer, default=0)
    t13: Mapped[int] = mapped_column(Integer, default=0)
    t14: Mapped[int] = mapped_column(Integer, default=0)
    t15: Mapped[int] = mapped_column(Integer, default=0)


DAY_COUNTS = ("registered", "started", "completed", "passed", "failed", "scored", "score_sum", "timed",
              "seconds_sum", *(f"s{i}" for i in range(SCORE_BUCKETS)), *(f"t{i}" for i in range(len(TIME_EDGES))))


# xAPI statistics (issue 20): daily statement counts kept current by the LRS statement store
# (coursehost.domain.lrs.statement_counts) in the transaction that stores or voids statements, so the
# course report never scans xapi_statement. course_id is the course of the statement's
# context.registration ('' when it names no registration of the application; statements of sandbox
# registrations are never counted). Voided statements are not counted. Rows may reach n = 0 (voiding),
# so readers keep only sums > 0.


class ReportXapiVerbDay(Base):
    """Statements with one verb stored on one UTC day, per course: the verbs-per-day chart."""

    __tablename__ = "report_xapi_verb_day"
    __table_args__ = (Index("ix_report_xapi_verb_day_app_day", "application_pk", "day", "verb_id", "n"),)

    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"),
                                                primary_key=True, autoincrement=False)
    course_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    verb_id: Mapped[str] = mapped_column(Text, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ReportXapiActivityDay(Base):
    """Statements about one activity (object.objectType Activity) stored on one UTC day, per course:
    the top activities of a range and their daily counts."""

    __tablename__ = "report_xapi_activity_day"
    __table_args__ = (Index("ix_report_xapi_activity_day_app_day", "application_pk", "day", "activity_id", "n"),)

    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"),
                                                primary_key=True, autoincrement=False)
    course_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    activity_id: Mapped[str] = mapped_column(Text, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ReportXapiActorDay(Base):
    """Statements by one actor about one activity on one UTC day, per course: distinct actors of an
    activity over any range (a distinct count cannot be summed from daily totals). actor_key '' is
    an anonymous group (no key), which the distinct count leaves out as COUNT(DISTINCT NULL) did."""

    __tablename__ = "report_xapi_actor_day"
    __table_args__ = (Index("ix_report_xapi_actor_day_app_day", "application_pk", "day", "activity_id",
                            "actor_key", "n"),)

    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"),
                                                primary_key=True, autoincrement=False)
    course_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    activity_id: Mapped[str] = mapped_column(Text, primary_key=True)
    actor_key: Mapped[str] = mapped_column(Text, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
