"""Keeping the report summary rows current, in the transaction that changes a registration.

Each hook site calls one function, cheap by construction: it copies a few columns the registration
object already holds into its slim row (one primary-key read, then an UPDATE or INSERT) and marks
today as an active day; it never loads activities or run-time JSON. Sandbox registrations never
count. rebuild() refills everything from the registration and launch tables in set-based SQL
(the migration that adds the tables and `coursehost reports rebuild`)."""

from __future__ import annotations

import functools
from datetime import date, datetime

from sqlalchemy import Connection, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.dispatch import Destination
from coursehost.db.models.registrations import Registration
from coursehost.db.models.reports import (
    DAY_COUNTS,
    SCORE_BUCKETS,
    TIME_EDGES,
    ReportActiveDay,
    ReportDay,
    ReportRegistration,
)

COMPLETED = "COMPLETED"
# The dialects' INSERT ... ON CONFLICT constructs, by dialect name (SQLite and PostgreSQL).
_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def score_bucket(score: float | None) -> int | None:
    """The SCORE_BUCKETS bucket of a percent score (100 in the last); None when unscored."""
    if score is None:
        return None
    return max(0, min(SCORE_BUCKETS - 1, int(score // (100 / SCORE_BUCKETS))))


def time_bucket(seconds: float | None) -> int | None:
    """The TIME_EDGES bucket of a time spent; None when no time was spent."""
    if not seconds or seconds <= 0:
        return None
    return max(i for i, edge in enumerate(TIME_EDGES) if seconds >= edge)


def contribution(row: ReportRegistration | None) -> dict[str, float]:
    """What one slim row adds to its ReportDay (all zeros for none)."""
    out: dict[str, float] = dict.fromkeys(DAY_COUNTS, 0)
    if row is None:
        return out
    out["registered"] = 1
    out["started"] = int(row.first_launch_day is not None)
    out["completed"] = int(row.completion == COMPLETED)
    out["passed"], out["failed"] = int(row.success == "PASSED"), int(row.success == "FAILED")
    if row.score is not None:
        out["scored"], out["score_sum"] = 1, row.score
        out[f"s{score_bucket(row.score)}"] = 1
    bucket = time_bucket(row.seconds)
    if bucket is not None:
        out["timed"], out["seconds_sum"] = 1, row.seconds
        out[f"t{bucket}"] = 1
    return out


def _apply(session: Session, row: ReportRegistration, before: dict[str, float], after: dict[str, float]) -> None:
    """Add after - before to the row's day (one row per application, course and day): one UPSERT
    that adds in SQL, so concurrent commits of one course's registrations never lose a delta (a
    read-then-write would on PostgreSQL) and the day's row is locked only for that one statement."""
    delta = {k: after[k] - before[k] for k in DAY_COUNTS if after[k] != before[k]}
    if not delta:
        return
    key = {"application_pk": row.application_pk, "course_id": row.course_id, "day": row.registered_day}
    stmt = _day_upsert(session.get_bind(ReportDay).dialect.name, tuple(sorted(delta)))
    session.execute(stmt, {**key, **dict.fromkeys(DAY_COUNTS, 0), **delta})


_DAY_KEY = ("application_pk", "course_id", "day")


@functools.lru_cache(maxsize=1024)
def _day_upsert(dialect: str, changed: tuple[str, ...]):
    """The day row's UPSERT adding the CHANGED counts, built once per dialect and set of counts
    (building `excluded` costs more CPU than running the statement); the values are parameters."""
    table = ReportDay.__table__
    stmt = _UPSERT_INSERTS[dialect](table)
    return stmt.on_conflict_do_update(index_elements=list(_DAY_KEY),
                                      set_={k: table.c[k] + stmt.excluded[k] for k in changed})


def record(session: Session, *, registration: Registration, launched: datetime | None = None,
           active: datetime | None = None) -> None:
    """REGISTRATION's current results into its slim row and its day. LAUNCHED: a launch started then
    (the first one sets the launch day); ACTIVE: run-time data arrived then. Both mark that day active."""
    if registration.sandbox:
        return
    if registration.pk is None:
        session.flush()
    row = session.get(ReportRegistration, registration.pk)
    before = contribution(row)
    if row is None:
        row = ReportRegistration(registration_pk=registration.pk, application_pk=registration.application_pk,
                                 registration_id=registration.registration_id, course_id=registration.course_id,
                                 learner_id=registration.learner_id,
                                 registered_day=(registration.created or utcnow()).date())
        session.add(row)
    row.completion, row.success = registration.completion or "UNKNOWN", registration.success or "UNKNOWN"
    row.score, row.seconds = registration.score_scaled, registration.total_seconds or 0.0
    row.completed_day = _day(registration.completed_date) if row.completion == COMPLETED else None
    when = launched or active
    if row.first_launch_day is None:
        row.first_launch_day = _day(launched) or _day(registration.first_access)
    _apply(session, row, before, contribution(row))
    if when is not None:
        _mark_active(session, registration, when.date())


def _mark_active(session: Session, registration: Registration, day: date) -> None:
    """One INSERT that does nothing when the day is marked already (no read first, no ORM object)."""
    session.execute(_active_day_insert(session.get_bind(ReportActiveDay).dialect.name), {
        "registration_pk": registration.pk, "day": day, "application_pk": registration.application_pk,
        "course_id": registration.course_id, "learner_id": registration.learner_id})


@functools.lru_cache(maxsize=4)
def _active_day_insert(dialect: str):
    return _UPSERT_INSERTS[dialect](ReportActiveDay.__table__).on_conflict_do_nothing()


def record_source(session: Session, *, registration: Registration, invitation_id: str | None = None,
                  destination_pk: int | None = None) -> None:
    """The invitation or dispatch destination REGISTRATION came through (called where the link row
    is written), so reports can be narrowed to one invitation or one destination."""
    record(session, registration=registration)
    row = session.get(ReportRegistration, registration.pk)
    if row is None:  # a sandbox registration
        return
    if invitation_id is not None:
        row.invitation_id = invitation_id
    if destination_pk is not None:
        row.destination_id = session.scalar(select(Destination.destination_id).where(Destination.pk == destination_pk))


def forget(session: Session, *, registration: Registration) -> None:
    """A deleted registration leaves the reports (explicit: SQLite may run without cascades)."""
    row = session.get(ReportRegistration, registration.pk)
    if row is not None:
        _apply(session, row, contribution(row), contribution(None))
        session.expunge(row)
    for model in (ReportActiveDay, ReportRegistration):  # now, before the registration's own DELETE
        session.execute(delete(model).where(model.registration_pk == registration.pk)
                        .execution_options(synchronize_session=False))


def _day_sql(dialect: str, column: str) -> str:
    # SQLite keeps UTC timestamps as text; PostgreSQL as timestamptz (read the UTC calendar day)
    return f"date({column})" if dialect == "sqlite" else f"CAST(({column}) AT TIME ZONE 'UTC' AS DATE)"


def rebuild(connection: Connection, *, application_pk: int | None = None) -> tuple[int, int]:
    """Refill the summary tables from registrations, launches, invitations and dispatches, for one
    application or all; returns (registrations, active days) written. Set-based SQL: a million
    registrations take seconds, not a Python loop over rows."""
    d = connection.dialect.name
    app = "AND r.application_pk = :app" if application_pk is not None else ""
    where = "WHERE application_pk = :app" if application_pk is not None else ""
    params = {"app": application_pk} if application_pk is not None else {}
    for table in ("report_active_day", "report_day", "report_registration"):
        connection.execute(text(f"DELETE FROM {table} {where}"), params)
    first_launch = ("(SELECT min(l.launch_time) FROM launch l JOIN registration_instance ri ON ri.pk = l.instance_pk"
                    " WHERE ri.registration_pk = r.pk AND l.tracking = :yes)")
    regs = connection.execute(text(f"""
        INSERT INTO report_registration (registration_pk, application_pk, registration_id, course_id, learner_id,
            invitation_id, destination_id, registered_day, first_launch_day, completed_day, completion, success,
            score, seconds)
        SELECT r.pk, r.application_pk, r.registration_id, r.course_id, r.learner_id,
            (SELECT i.invitation_id FROM user_invitation ui JOIN invitation i ON i.pk = ui.invitation_pk
              WHERE i.application_pk = r.application_pk AND ui.registration_id = r.registration_id
              ORDER BY ui.pk LIMIT 1),
            (SELECT ds.destination_id FROM dispatch_registration dr JOIN dispatch x ON x.pk = dr.dispatch_pk
              JOIN dispatch_destination ds ON ds.pk = x.destination_pk
              WHERE x.application_pk = r.application_pk AND dr.registration_id = r.registration_id
              ORDER BY dr.pk LIMIT 1),
            {_day_sql(d, 'r.created')}, {_day_sql(d, f'COALESCE({first_launch}, r.first_access)')},
            CASE WHEN r.completion = 'COMPLETED' THEN {_day_sql(d, 'r.completed_date')} END,
            r.completion, r.success, r.score_scaled, r.total_seconds
        FROM registration r WHERE r.sandbox = :no {app}"""), {**params, "no": False, "yes": True}).rowcount
    days = connection.execute(text(f"""
        INSERT INTO report_active_day (registration_pk, day, application_pk, course_id, learner_id)
        SELECT DISTINCT r.pk, a.day, r.application_pk, r.course_id, r.learner_id
        FROM (SELECT ri.registration_pk AS reg, {_day_sql(d, 'l.launch_time')} AS day FROM launch l
                JOIN registration_instance ri ON ri.pk = l.instance_pk WHERE l.tracking = :yes
              UNION
              SELECT ri.registration_pk, {_day_sql(d, 'l.last_runtime_update')} FROM launch l
                JOIN registration_instance ri ON ri.pk = l.instance_pk WHERE l.last_runtime_update IS NOT NULL
             ) a JOIN registration r ON r.pk = a.reg
        WHERE r.sandbox = :no {app}"""), {**params, "no": False, "yes": True}).rowcount
    connection.execute(text(f"""
        INSERT INTO report_day (application_pk, course_id, day, {', '.join(DAY_COUNTS)})
        SELECT application_pk, course_id, registered_day, {', '.join(_day_sums())}
        FROM report_registration {where} GROUP BY application_pk, course_id, registered_day"""), params)
    return regs, days


def _between(column: str, edges: tuple[float, ...], i: int, first: str) -> str:
    lo = f"{column} {first} {edges[i]}" if i == 0 else f"{column} >= {edges[i]}"
    return lo if i + 1 == len(edges) else f"{lo} AND {column} < {edges[i + 1]}"


def _day_sums() -> list[str]:
    """ReportDay's columns as SQL aggregates over slim rows: the same buckets as contribution()."""
    def count(cond: str) -> str:
        return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"
    score_edges = tuple(i * 100 // SCORE_BUCKETS for i in range(SCORE_BUCKETS))
    scores = [count(f"score IS NOT NULL AND {_between('score', score_edges, i, '>=')}" if i else
                    f"score < {score_edges[1]}") for i in range(SCORE_BUCKETS)]
    times = [count(_between("seconds", TIME_EDGES, i, ">")) for i in range(len(TIME_EDGES))]
    return ["COUNT(*)", "COUNT(first_launch_day)", count("completion = 'COMPLETED'"), count("success = 'PASSED'"),
            count("success = 'FAILED'"), "COUNT(score)", "COALESCE(SUM(score), 0)", count("seconds > 0"),
            f"COALESCE(SUM({'CASE WHEN seconds > 0 THEN seconds ELSE 0 END'}), 0)", *scores, *times]


def rebuild_session(session: Session, *, application_pk: int | None = None) -> tuple[int, int]:
    """rebuild() in SESSION's transaction (the CLI); the ORM rows it held are stale afterwards."""
    result = rebuild(session.connection(), application_pk=application_pk)
    session.expire_all()
    return result


def slim_row(session: Session, registration_pk: int) -> ReportRegistration | None:
    """The slim row of one registration (tests and the rebuild check)."""
    return session.scalars(select(ReportRegistration).where(
        ReportRegistration.registration_pk == registration_pk)).first()
