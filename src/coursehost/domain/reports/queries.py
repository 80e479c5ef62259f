"""Report queries over the summary rows (summary.py): each takes (session, ReportFilter) and returns
plain dataclasses, never ORM rows, so the console, the exports and the ReportingApi share them.

A registration belongs to the day it was created: a range counts the registrations created in it,
with their current results (what GetRegistrationProgress says today). Active learners per day are
the distinct learners who launched or sent run-time data that day. Rates are fractions 0..1:
completion rate = completed / registered, pass rate = passed / (passed + failed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import ActivityState, Launch, Registration, RegistrationInstance
from coursehost.db.models.reports import SCORE_BUCKETS, TIME_EDGES, ReportActiveDay, ReportDay, ReportRegistration
from coursehost.domain.errors import InvalidInput
from coursehost.domain.reports.filters import ReportFilter
from coursehost.domain.reports.summary import score_bucket, time_bucket

R = ReportRegistration
D = ReportDay
TIMELINE_LIMIT = 1000
_SUMS = ("registered", "started", "completed", "passed", "failed", "scored", "score_sum", "timed", "seconds_sum")


@dataclass(frozen=True)
class DayRow:
    day: date
    registered: int
    started: int
    completed: int
    passed: int
    failed: int
    active_learners: int


@dataclass(frozen=True)
class Overview:
    registered: int
    started: int
    completed: int
    passed: int
    failed: int
    completion_rate: float | None
    pass_rate: float | None
    average_score: float | None
    total_seconds: float
    median_seconds: float | None  # over registrations with time spent
    days: list[DayRow]


@dataclass(frozen=True)
class Funnel:
    registered: int
    launched: int
    completed: int
    passed: int


@dataclass(frozen=True)
class Bucket:
    low: float
    high: float | None  # None: open-ended
    count: int


@dataclass(frozen=True)
class ActivityRow:
    activity_id: str
    registrations: int
    completed: int
    passed: int
    failed: int
    average_score: float | None


@dataclass(frozen=True)
class LearnerRegistration:
    registration_id: str
    course_id: str
    registered: date
    first_launch: date | None
    completed: date | None
    completion: str
    success: str
    score: float | None
    seconds: float


@dataclass(frozen=True)
class LaunchRow:
    registration_id: str
    course_id: str
    instance: int
    launch_time: datetime
    exit_time: datetime | None
    completion: str
    success: str
    score: float | None
    seconds: float


def slim_row_where(f: ReportFilter, *, by_day: bool = True) -> list:
    """The conditions on report_registration rows of F (its registration days unless BY_DAY is off)."""
    conds = [R.application_pk == f.application_pk]
    if by_day:
        conds += [R.registered_day >= f.start, R.registered_day <= f.end]
    for column, value in ((R.course_id, f.course_id), (R.learner_id, f.learner_id),
                          (R.invitation_id, f.invitation_id), (R.destination_id, f.destination_id)):
        if value is not None:
            conds.append(column == value)
    return conds


def count_if(cond) -> object:
    """SQL: how many rows meet COND (portable: SUM of CASE)."""
    return func.sum(case((cond, 1), else_=0))


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _coarse(f: ReportFilter) -> bool:
    """A realm or a course: the daily aggregates answer. One learner, invitation or destination
    matches few registrations: the slim rows answer (their own indexes)."""
    return f.learner_id is None and f.invitation_id is None and f.destination_id is None


def _day_where(f: ReportFilter) -> list:
    conds = [D.application_pk == f.application_pk, D.day >= f.start, D.day <= f.end]
    if f.course_id is not None:
        conds.append(D.course_id == f.course_id)
    return conds


def _sums_by_day(session: Session, f: ReportFilter) -> list[tuple]:
    """Per registration day: registered, started, completed, passed, failed, scored, score sum,
    timed, seconds sum (the _SUMS), from the aggregates or the slim rows."""
    if _coarse(f):
        q = select(D.day, *(func.sum(getattr(D, name)) for name in _SUMS)).where(*_day_where(f)).group_by(D.day)
    else:
        q = (select(R.registered_day, func.count(), func.count(R.first_launch_day),
                    count_if(R.completion == "COMPLETED"), count_if(R.success == "PASSED"),
                    count_if(R.success == "FAILED"), func.count(R.score), func.sum(R.score),
                    count_if(R.seconds > 0), func.sum(R.seconds))
             .where(*slim_row_where(f)).group_by(R.registered_day))
    return [(row[0], *(int(v or 0) for v in row[1:7]), float(row[7] or 0), int(row[8] or 0), float(row[9] or 0))
            for row in session.execute(q)]


def overview(session: Session, f: ReportFilter) -> Overview:
    """Registrations created in the range and their results, with one row per day that has any."""
    rows = [r for r in _sums_by_day(session, f) if r[1]]
    active = active_learners(session, f)
    by_day = {row[0]: row for row in rows}
    days = []
    for day in sorted({row[0] for row in rows} | set(active)):
        row = by_day.get(day)
        counts = list(row[1:6]) if row else [0] * 5
        days.append(DayRow(day, *counts, active.get(day, 0)))
    total = [sum(r[i] for r in rows) for i in range(1, 10)]
    registered, started, completed, passed, failed, scored, score_sum, timed, seconds = total
    return Overview(registered, started, completed, passed, failed, _ratio(completed, registered),
                    _ratio(passed, passed + failed), score_sum / scored if scored else None,
                    seconds, median_seconds(session, f), days)


def median_seconds(session: Session, f: ReportFilter) -> float | None:
    """The exact median time over registrations with time spent (two middle rows when even).

    For a realm or a course the aggregates' time buckets say which bucket holds the middle and at
    what rank; the slim rows are then read in order of time from that bucket's lower edge through
    ix_report_registration_app_seconds (or _app_course_seconds), no sort of the whole range."""
    conds = [*slim_row_where(f), R.seconds > 0]
    if not _coarse(f):
        n = session.scalar(select(func.count()).select_from(R).where(*conds)) or 0
        if not n:
            return None
        middle = list(session.scalars(select(R.seconds).where(*conds).order_by(R.seconds)
                                      .offset((n - 1) // 2).limit(2 - n % 2)))
        return sum(middle) / len(middle)
    counts = _time_counts(session, f)
    n = sum(counts)
    if not n:
        return None
    rank, before, bucket = (n - 1) // 2, 0, 0
    while before + counts[bucket] <= rank:  # the bucket holding the middle, and the rows before it
        before += counts[bucket]
        bucket += 1
    index = "ix_report_registration_app_course_seconds" if f.course_id is not None else \
        "ix_report_registration_app_seconds"
    q = (select(R.seconds).where(*conds, R.seconds >= TIME_EDGES[bucket]).order_by(R.seconds)
         .offset(rank - before).limit(2 - n % 2).with_hint(R, f"INDEXED BY {index}", "sqlite"))
    middle = list(session.scalars(q))
    return sum(middle) / len(middle)


def _time_counts(session: Session, f: ReportFilter) -> list[int]:
    row = session.execute(select(*(func.sum(getattr(D, f"t{i}")) for i in range(len(TIME_EDGES))))
                          .where(*_day_where(f))).one()
    return [int(v or 0) for v in row]


def active_learners(session: Session, f: ReportFilter) -> dict[date, int]:
    """Distinct learners active on each day of the range (launched or sent run-time data)."""
    A = ReportActiveDay
    q: Select = select(A.day, func.count(A.learner_id.distinct())).where(
        A.application_pk == f.application_pk, A.day >= f.start, A.day <= f.end)
    if f.course_id is not None:
        q = q.where(A.course_id == f.course_id)
    if f.learner_id is not None:
        q = q.where(A.learner_id == f.learner_id)
    if f.invitation_id is not None or f.destination_id is not None:
        q = q.join(R, R.registration_pk == A.registration_pk)
        if f.invitation_id is not None:
            q = q.where(R.invitation_id == f.invitation_id)
        if f.destination_id is not None:
            q = q.where(R.destination_id == f.destination_id)
    return {day: int(n) for day, n in session.execute(q.group_by(A.day))}


def funnel(session: Session, f: ReportFilter) -> Funnel:
    """Registered -> launched -> completed -> passed, for registrations created in the range."""
    rows = _sums_by_day(session, f)
    registered, started, completed, passed = (sum(r[i] for r in rows) for i in range(1, 5))
    return Funnel(registered, started, completed, passed)


def _buckets(session: Session, f: ReportFilter, prefix: str, n: int, column) -> list[int]:
    if _coarse(f):
        row = session.execute(select(*(func.sum(getattr(D, f"{prefix}{i}")) for i in range(n)))
                              .where(*_day_where(f))).one()
        return [int(v or 0) for v in row]
    counts = [0] * n
    for v in session.scalars(select(column).where(*slim_row_where(f), column.is_not(None))):  # few rows: one learner, invitation or destination
        i = (score_bucket(v) if prefix == "s" else time_bucket(v))
        if i is not None:
            counts[i] += 1
    return counts


def score_histogram(session: Session, f: ReportFilter) -> list[Bucket]:
    """Ten score buckets of 10 points (a score of 100 counts in 90-100); unscored registrations left out."""
    width = 100 / SCORE_BUCKETS
    counts = _buckets(session, f, "s", SCORE_BUCKETS, R.score)
    return [Bucket(i * width, (i + 1) * width, c) for i, c in enumerate(counts)]


def time_histogram(session: Session, f: ReportFilter) -> list[Bucket]:
    """Time spent by registrations with any time, in the buckets of TIME_EDGES (the last open-ended)."""
    counts = _buckets(session, f, "t", len(TIME_EDGES), R.seconds)
    return [Bucket(low, TIME_EDGES[i + 1] if i + 1 < len(TIME_EDGES) else None, counts[i])
            for i, low in enumerate(TIME_EDGES)]


def activity_completion(session: Session, f: ReportFilter) -> list[ActivityRow]:
    """Per SCO / AU (each activity with run-time state in the registrations' current instances):
    how many registrations reached it, completed, passed and failed it, and its average score."""
    A = ActivityState
    q = (select(A.activity_id, func.count(), count_if(A.completion == "COMPLETED"), count_if(A.success == "PASSED"),
                count_if(A.success == "FAILED"), func.avg(A.score_scaled))
         .select_from(R)
         .join(Registration, Registration.pk == R.registration_pk)
         .join(RegistrationInstance, and_(RegistrationInstance.registration_pk == Registration.pk,
                                          RegistrationInstance.instance == Registration.instance))
         .join(A, A.instance_pk == RegistrationInstance.pk)
         .where(*slim_row_where(f)).group_by(A.activity_id).order_by(A.activity_id))
    return [ActivityRow(aid, int(n), int(c or 0), int(p or 0), int(x or 0), float(s) if s is not None else None)
            for aid, n, c, p, x, s in session.execute(q)]


def learner_registrations(session: Session, f: ReportFilter) -> list[LearnerRegistration]:
    """All registrations of the filter's learner (across courses) created in the range, newest first."""
    if f.learner_id is None:
        raise InvalidInput("learner_id is required for a learner's registrations")
    rows = session.scalars(select(R).where(*slim_row_where(f)).order_by(R.registered_day.desc(), R.registration_pk.desc()))
    return [LearnerRegistration(r.registration_id, r.course_id, r.registered_day, r.first_launch_day,
                                r.completed_day, r.completion, r.success, r.score, r.seconds) for r in rows]


def launch_timeline(session: Session, f: ReportFilter, *, limit: int = TIMELINE_LIMIT) -> list[LaunchRow]:
    """Launches (tracked) in the range of the filter's registrations, oldest first, up to LIMIT:
    a learner's or a course's timeline of launches."""
    if f.learner_id is None and f.course_id is None:
        raise InvalidInput("learner_id or course_id is required for a launch timeline")
    conds = slim_row_where(f, by_day=False)  # the range applies to the launches here
    q = (select(R.registration_id, R.course_id, RegistrationInstance.instance, Launch.launch_time, Launch.exit_time,
                Launch.completion, Launch.success, Launch.score_scaled, Launch.total_seconds)
         .select_from(R)
         .join(RegistrationInstance, RegistrationInstance.registration_pk == R.registration_pk)
         .join(Launch, Launch.instance_pk == RegistrationInstance.pk)
         .where(*conds, Launch.tracking.is_(True), Launch.launch_time >= f.start_at, Launch.launch_time < f.end_before)
         .order_by(Launch.launch_time, Launch.pk).limit(limit))
    return [LaunchRow(*row[:8], float(row[8] or 0.0)) for row in session.execute(q)]
