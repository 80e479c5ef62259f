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
from coursehost.db.models.reports import ReportActiveDay, ReportRegistration
from coursehost.domain.errors import InvalidInput
from coursehost.domain.reports.filters import ReportFilter

R = ReportRegistration
SCORE_BUCKETS = 10  # 0-10, 10-20, ..., 90-100 (100 falls in the last)
TIME_EDGES = (0, 60, 300, 900, 1800, 3600, 7200)  # seconds: <1 min, 1-5 min, ..., 2 h and more
TIMELINE_LIMIT = 1000


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


def _where(f: ReportFilter, *, by_day: bool = True) -> list:
    conds = [R.application_pk == f.application_pk]
    if by_day:
        conds += [R.registered_day >= f.start, R.registered_day <= f.end]
    for column, value in ((R.course_id, f.course_id), (R.learner_id, f.learner_id),
                          (R.invitation_id, f.invitation_id), (R.destination_id, f.destination_id)):
        if value is not None:
            conds.append(column == value)
    return conds


def _count_if(cond) -> object:
    return func.sum(case((cond, 1), else_=0))


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def overview(session: Session, f: ReportFilter) -> Overview:
    """Registrations created in the range and their results, with one row per day that has any."""
    rows = session.execute(
        select(R.registered_day, func.count(), func.count(R.first_launch_day), _count_if(R.completion == "COMPLETED"),
               _count_if(R.success == "PASSED"), _count_if(R.success == "FAILED"), func.sum(R.score),
               func.count(R.score), func.sum(R.seconds))
        .where(*_where(f)).group_by(R.registered_day)).all()
    active = active_learners(session, f)
    days_seen = {row[0] for row in rows} | set(active)
    by_day = {row[0]: row for row in rows}
    days = []
    for day in sorted(days_seen):
        row = by_day.get(day)
        counts = [int(v or 0) for v in row[1:6]] if row else [0] * 5
        days.append(DayRow(day, *counts, active.get(day, 0)))
    registered, started, completed, passed, failed = (sum(int(r[i] or 0) for r in rows) for i in range(1, 6))
    score_sum, score_n = sum(float(r[6] or 0) for r in rows), sum(int(r[7] or 0) for r in rows)
    return Overview(registered, started, completed, passed, failed, _ratio(completed, registered),
                    _ratio(passed, passed + failed), score_sum / score_n if score_n else None,
                    sum(float(r[8] or 0) for r in rows), median_seconds(session, f), days)


def median_seconds(session: Session, f: ReportFilter) -> float | None:
    """The exact median time over registrations with time spent (two middle rows when even)."""
    conds = [*_where(f), R.seconds > 0]
    n = session.scalar(select(func.count()).select_from(R).where(*conds)) or 0
    if not n:
        return None
    middle = list(session.scalars(select(R.seconds).where(*conds).order_by(R.seconds)
                                  .offset((n - 1) // 2).limit(2 - n % 2)))
    return sum(middle) / len(middle)


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
    row = session.execute(select(func.count(), func.count(R.first_launch_day), _count_if(R.completion == "COMPLETED"),
                                 _count_if(R.success == "PASSED")).where(*_where(f))).one()
    return Funnel(*(int(v or 0) for v in row))


def _histogram(session: Session, f: ReportFilter, column, edges: list[float], last_closed: bool) -> list[Bucket]:
    sums = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        if high is None:
            cond = column >= low
        elif last_closed and i + 2 == len(edges):
            cond = and_(column >= low, column <= high)
        else:
            cond = and_(column >= low, column < high)
        sums.append(_count_if(cond))
    row = session.execute(select(*sums).where(*_where(f), column.is_not(None))).one()
    return [Bucket(low, edges[i + 1] if i + 1 < len(edges) else None, int(row[i] or 0))
            for i, low in enumerate(edges)]


def score_histogram(session: Session, f: ReportFilter) -> list[Bucket]:
    """Ten score buckets of 10 points (a score of 100 counts in 90-100); unscored registrations left out."""
    edges = [i * 100 / SCORE_BUCKETS for i in range(SCORE_BUCKETS + 1)]
    return _histogram(session, f, R.score, edges, last_closed=True)[:-1]


def time_histogram(session: Session, f: ReportFilter) -> list[Bucket]:
    """Time spent by registrations with any time, in buckets of TIME_EDGES (the last open-ended)."""
    buckets = _histogram(session, f, R.seconds, list(TIME_EDGES), last_closed=False)
    first = buckets[0]
    # registrations that never spent time are not part of the distribution
    zero = session.scalar(select(func.count()).select_from(R).where(*_where(f), R.seconds <= 0)) or 0
    return [Bucket(first.low, first.high, first.count - zero), *buckets[1:]]


def activity_completion(session: Session, f: ReportFilter) -> list[ActivityRow]:
    """Per SCO / AU (each activity with run-time state in the registrations' current instances):
    how many registrations reached it, completed, passed and failed it, and its average score."""
    A = ActivityState
    q = (select(A.activity_id, func.count(), _count_if(A.completion == "COMPLETED"), _count_if(A.success == "PASSED"),
                _count_if(A.success == "FAILED"), func.avg(A.score_scaled))
         .select_from(R)
         .join(Registration, Registration.pk == R.registration_pk)
         .join(RegistrationInstance, and_(RegistrationInstance.registration_pk == Registration.pk,
                                          RegistrationInstance.instance == Registration.instance))
         .join(A, A.instance_pk == RegistrationInstance.pk)
         .where(*_where(f)).group_by(A.activity_id).order_by(A.activity_id))
    return [ActivityRow(aid, int(n), int(c or 0), int(p or 0), int(x or 0), float(s) if s is not None else None)
            for aid, n, c, p, x, s in session.execute(q)]


def learner_registrations(session: Session, f: ReportFilter) -> list[LearnerRegistration]:
    """All registrations of the filter's learner (across courses) created in the range, newest first."""
    if f.learner_id is None:
        raise InvalidInput("learner_id is required for a learner's registrations")
    rows = session.scalars(select(R).where(*_where(f)).order_by(R.registered_day.desc(), R.registration_pk.desc()))
    return [LearnerRegistration(r.registration_id, r.course_id, r.registered_day, r.first_launch_day,
                                r.completed_day, r.completion, r.success, r.score, r.seconds) for r in rows]


def launch_timeline(session: Session, f: ReportFilter, *, limit: int = TIMELINE_LIMIT) -> list[LaunchRow]:
    """Launches (tracked) in the range of the filter's registrations, oldest first, up to LIMIT:
    a learner's or a course's timeline of launches."""
    if f.learner_id is None and f.course_id is None:
        raise InvalidInput("learner_id or course_id is required for a launch timeline")
    conds = _where(f, by_day=False)  # the range applies to the launches here
    q = (select(R.registration_id, R.course_id, RegistrationInstance.instance, Launch.launch_time, Launch.exit_time,
                Launch.completion, Launch.success, Launch.score_scaled, Launch.total_seconds)
         .select_from(R)
         .join(RegistrationInstance, RegistrationInstance.registration_pk == R.registration_pk)
         .join(Launch, Launch.instance_pk == RegistrationInstance.pk)
         .where(*conds, Launch.tracking.is_(True), Launch.launch_time >= f.start_at, Launch.launch_time < f.end_before)
         .order_by(Launch.launch_time, Launch.pk).limit(limit))
    return [LaunchRow(*row[:8], float(row[8] or 0.0)) for row in session.execute(q)]
