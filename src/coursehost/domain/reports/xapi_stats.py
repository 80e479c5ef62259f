"""xAPI statistics from the application's LRS: statements per verb per day, per activity, and per
activity per day, for
xAPI and cmi5 courses (narrowed to a course's or a learner's registrations through
context.registration, which every statement our launches provoke carries).

A realm's or a course's statistics read the daily counts the statement store keeps
(coursehost.domain.lrs.statement_counts, report_xapi_*): a 90-day range is a few thousand summary
rows instead of every statement in it (docs/PERFORMANCE.md). A learner, invitation or destination
filter matches few registrations and still reads xapi_statement through _where (the _scan_* functions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, distinct, func, or_, select
from sqlalchemy.orm import Session

from coursehost.db.models.lrs import XapiStatement
from coursehost.db.models.registrations import Registration
from coursehost.db.models.reports import ReportXapiActivityDay, ReportXapiActorDay, ReportXapiVerbDay
from coursehost.domain.reports.filters import ReportFilter
from coursehost.domain.reports.scope import registration_conditions

TOP_ACTIVITIES = 100


@dataclass(frozen=True)
class VerbDay:
    """Statements with one verb stored on one UTC day."""

    day: date
    verb_id: str
    statements: int


@dataclass(frozen=True)
class ActivityStatements:
    """Statements about one activity (the statement's object) in the range, and by how many actors."""

    activity_id: str
    statements: int
    actors: int


@dataclass(frozen=True)
class ActivityDay:
    """Statements about one activity (the statement's object) stored on one UTC day."""

    day: date
    activity_id: str
    statements: int


def _where(flt: ReportFilter) -> list[ColumnElement]:
    s = XapiStatement
    start = datetime.combine(flt.start, time.min, tzinfo=UTC)
    end = datetime.combine(flt.end + timedelta(days=1), time.min, tzinfo=UTC)
    conds: list[ColumnElement] = [s.application_pk == flt.application_pk, s.stored >= start, s.stored < end,
                                  s.voided.is_(False)]
    regs = [Registration.application_pk == flt.application_pk]
    if flt.course_id is not None:
        regs.append(Registration.course_id == flt.course_id)
    narrowed = regs[1:] or registration_conditions(flt, Registration.pk)
    regs += registration_conditions(flt, Registration.pk)
    if narrowed:
        conds.append(s.registration.in_(select(func.lower(Registration.xapi_registration_id))
                                        .where(*regs, Registration.sandbox.is_(False))))
    else:  # everything but the statements of sandbox registrations (and those of none stay)
        sandbox = select(func.lower(Registration.xapi_registration_id)).where(*regs, Registration.sandbox.is_(True))
        conds.append(or_(s.registration.is_(None), s.registration.not_in(sandbox)))
    return conds


def _day(session: Session) -> ColumnElement:
    """The UTC day of a statement's stored time, in the database's own words."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", XapiStatement.stored))
    return func.date(XapiStatement.stored)  # SQLite keeps UTC text


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _summarized(flt: ReportFilter) -> bool:
    """Whether the daily counts answer FLT: a realm or one course, no narrower filter."""
    return not registration_conditions(flt, Registration.pk)


def _in_range(model, flt: ReportFilter) -> list[ColumnElement]:
    conds = [model.application_pk == flt.application_pk, model.day >= flt.start, model.day <= flt.end]
    if flt.course_id is not None:
        conds.append(model.course_id == flt.course_id)
    return conds


def statements_per_verb(session: Session, flt: ReportFilter) -> list[VerbDay]:
    """Statements per verb per UTC day in the filter's range, by day then verb."""
    if _summarized(flt):
        m = ReportXapiVerbDay
        total = func.sum(m.n)
        rows = session.execute(select(m.day, m.verb_id, total).where(*_in_range(m, flt))
                               .group_by(m.day, m.verb_id).having(total > 0).order_by(m.day, m.verb_id))
        return [VerbDay(_as_date(d), verb, int(n)) for d, verb, n in rows]
    day = _day(session)
    rows = session.execute(select(day, XapiStatement.verb_id, func.count()).where(*_where(flt))
                           .group_by(day, XapiStatement.verb_id).order_by(day, XapiStatement.verb_id))
    return [VerbDay(_as_date(d), verb, n) for d, verb, n in rows]


def statements_per_activity(session: Session, flt: ReportFilter, *, limit: int = TOP_ACTIVITIES) -> list[ActivityStatements]:
    """The activities statements were about in the range, the most talked-about first."""
    if _summarized(flt):
        return _summary_per_activity(session, flt, limit)
    s = XapiStatement
    count = func.count()
    rows = session.execute(select(s.object_key, count, func.count(distinct(s.actor_key)))
                           .where(*_where(flt), s.object_type == "Activity")
                           .group_by(s.object_key).order_by(count.desc(), s.object_key).limit(limit))
    return [ActivityStatements(key, n, actors) for key, n, actors in rows]


def statements_per_activity_per_day(session: Session, flt: ReportFilter, *,
                                    limit: int = TOP_ACTIVITIES) -> list[ActivityDay]:
    """Statements per activity per UTC day in the filter's range, for the LIMIT most talked-about
    activities of the range (as statements_per_activity ranks them), by day then activity."""
    if _summarized(flt):
        m = ReportXapiActivityDay
        total = func.sum(m.n)
        rows = session.execute(select(m.day, m.activity_id, total).where(*_in_range(m, flt))
                               .group_by(m.day, m.activity_id).having(total > 0))
    else:
        s = XapiStatement
        day = _day(session)
        rows = session.execute(select(day, s.object_key, func.count())
                               .where(*_where(flt), s.object_type == "Activity")
                               .group_by(day, s.object_key))
    per_day = [(_as_date(d), key, int(n)) for d, key, n in rows]
    totals: dict[str, int] = {}
    for _, key, n in per_day:
        totals[key] = totals.get(key, 0) + n
    top = set(sorted(totals, key=lambda k: (-totals[k], k))[:limit])
    return [ActivityDay(d, key, n) for d, key, n in sorted(per_day, key=lambda r: (r[0], r[1])) if key in top]


def _summary_per_activity(session: Session, flt: ReportFilter, limit: int) -> list[ActivityStatements]:
    """statements_per_activity from the daily counts: the top LIMIT activities by their summed
    counts, then the distinct actors of those only (one range scan of the actor rows)."""
    m = ReportXapiActivityDay
    total = func.sum(m.n)
    top = session.execute(select(m.activity_id, total).where(*_in_range(m, flt)).group_by(m.activity_id)
                          .having(total > 0).order_by(total.desc(), m.activity_id).limit(limit)).all()
    if not top:
        return []
    a = ReportXapiActorDay
    actors = dict(session.execute(
        select(a.activity_id, func.count(distinct(a.actor_key)))
        .where(*_in_range(a, flt), a.activity_id.in_([key for key, _ in top]), a.n > 0, a.actor_key != "")
        .group_by(a.activity_id)).all())
    return [ActivityStatements(key, int(n), int(actors.get(key, 0))) for key, n in top]
