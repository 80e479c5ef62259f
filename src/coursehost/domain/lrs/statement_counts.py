"""Daily statement counts for the course report's xAPI statistics (issue 20), kept current in the
transaction that stores or voids statements: per (application, course, UTC day) the statements per
verb, per activity and per activity and actor (report_xapi_* in coursehost.db.models.reports).

A statement counts for the course of the registration its context.registration names (a
non-sandbox registration of the application: the same join the statistics made at read time),
for '' (NO_COURSE) when it names none, and never when it names only sandbox registrations; voided
statements do not count (xAPI 1.0.3 Data §2.3.2: reports leave them out). Deltas go in as UPSERTs
that add in SQL (INSERT .. ON CONFLICT DO UPDATE SET n = n + excluded.n), so concurrent batches
never lose a count. A registration created or deleted after statements naming it moves their counts
(registration_change). rebuild() refills everything from xapi_statement in set-based SQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from sqlalchemy import Connection, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coursehost.db.models.lrs import XapiStatement
from coursehost.db.models.registrations import Registration
from coursehost.db.models.reports import ReportXapiActivityDay, ReportXapiActorDay, ReportXapiVerbDay

NO_COURSE = ""
_CHUNK = 500
_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
#: The statement columns a count needs, in this order.
COLUMNS = (XapiStatement.stored, XapiStatement.verb_id, XapiStatement.object_type, XapiStatement.object_key,
           XapiStatement.actor_key, XapiStatement.registration)


def courses_of(session: Session, app_pk: int, registrations: Iterable[str]) -> dict[str, str | None]:
    """Each xAPI registration id's course: the first non-sandbox registration's course_id (by
    course id), None when only sandbox registrations have it; ids no registration has are left out."""
    wanted = sorted(set(registrations))
    found: dict[str, str | None] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(select(Registration.xapi_registration_id, Registration.course_id, Registration.sandbox)
                               .where(Registration.application_pk == app_pk,
                                      Registration.xapi_registration_id.in_(wanted[start:start + _CHUNK])))
        for xid, course_id, sandbox in rows:
            key = xid.lower()
            if not sandbox and (found.get(key) is None or course_id < found[key]):
                found[key] = course_id
            else:
                found.setdefault(key, None)
    return found


class Deltas:
    """Count changes of one application, gathered then written as one UPSERT batch per table."""

    def __init__(self, session: Session, app_pk: int) -> None:
        self.session, self.app_pk = session, app_pk
        self.verbs: Counter = Counter()
        self.activities: Counter = Counter()
        self.actors: Counter = Counter()

    def add(self, rows: Iterable[tuple], sign: int, courses: dict[str, str | None] | None = None) -> None:
        """ROWS (COLUMNS' values) each count SIGN; COURSES maps registrations (looked up when None)."""
        rows = list(rows)
        if courses is None:
            courses = courses_of(self.session, self.app_pk, (r[5] for r in rows if r[5]))
        for stored, verb_id, object_type, object_key, actor_key, registration in rows:
            course = courses.get(registration, NO_COURSE) if registration else NO_COURSE
            if course is None:  # a sandbox registration's statement: never in the reports
                continue
            self.add_one(course, _utc_day(stored), verb_id, object_type, object_key, actor_key, sign)

    def add_one(self, course: str, day: date, verb_id: str, object_type: str, object_key: str | None,
                actor_key: str | None, sign: int) -> None:
        """One statement's counts, SIGN times."""
        self.verbs[(course, day, verb_id)] += sign
        if object_type == "Activity" and object_key is not None:
            self.activities[(course, day, object_key)] += sign
            self.actors[(course, day, object_key, actor_key or "")] += sign

    def flush(self) -> None:
        """Write the non-zero deltas (one executemany per table) and forget them."""
        for model, names, counter in ((ReportXapiVerbDay, ("course_id", "day", "verb_id"), self.verbs),
                                      (ReportXapiActivityDay, ("course_id", "day", "activity_id"), self.activities),
                                      (ReportXapiActorDay, ("course_id", "day", "activity_id", "actor_key"),
                                       self.actors)):
            rows = [{"application_pk": self.app_pk, **dict(zip(names, key)), "n": n}
                    for key, n in sorted(counter.items(), key=lambda kv: kv[0]) if n]
            counter.clear()
            if not rows:
                continue
            table = model.__table__
            insert = _UPSERT_INSERTS[self.session.get_bind(model).dialect.name](table)
            stmt = insert.on_conflict_do_update(index_elements=["application_pk", *names],
                                                set_={"n": table.c.n + insert.excluded.n})
            for start in range(0, len(rows), _CHUNK):  # sorted keys: concurrent batches lock rows in one order
                self.session.execute(stmt, rows[start:start + _CHUNK])


def _utc_day(stored: datetime) -> date:
    return stored.date() if stored.tzinfo is None else stored.astimezone(UTC).date()


def stored_rows(rows: Iterable[dict]) -> list[tuple]:
    """COLUMNS' values of freshly inserted xapi_statement row dicts (statement_rows())."""
    return [(r["stored"], r["verb_id"], r["object_type"], r["object_key"], r["actor_key"], r["registration"])
            for r in rows]


@contextmanager
def registration_change(session: Session, *, app_pk: int, xapi_registration_id: str) -> Iterator[None]:
    """Around creating or deleting a registration: the statements already naming its xAPI
    registration id move from the course they counted for before to the one they count for after."""
    key = xapi_registration_id.lower()
    before = courses_of(session, app_pk, [key]).get(key, NO_COURSE)
    yield
    session.flush()
    after = courses_of(session, app_pk, [key]).get(key, NO_COURSE)
    if before == after:
        return
    rows = session.execute(select(*COLUMNS).where(XapiStatement.application_pk == app_pk,
                                                  XapiStatement.registration == key,
                                                  XapiStatement.voided.is_(False))).all()
    if not rows:
        return
    deltas = Deltas(session, app_pk)
    deltas.add(rows, -1, {key: before})
    deltas.add(rows, +1, {key: after})
    deltas.flush()


def _day_sql(dialect: str, column: str) -> str:
    # SQLite keeps UTC timestamps as text; PostgreSQL as timestamptz (read the UTC calendar day)
    return f"date({column})" if dialect == "sqlite" else f"CAST(({column}) AT TIME ZONE 'UTC' AS DATE)"


def rebuild(connection: Connection, *, application_pk: int | None = None) -> int:
    """Refill the report_xapi_* tables from xapi_statement, for one application or all; returns the
    verb-day rows written. The migration that adds the tables and `coursehost reports rebuild` run it."""
    app = "AND s.application_pk = :app" if application_pk is not None else ""
    params = {"app": application_pk} if application_pk is not None else {}
    for table in ("report_xapi_verb_day", "report_xapi_activity_day", "report_xapi_actor_day"):
        connection.execute(text(f"DELETE FROM {table}" + (" WHERE application_pk = :app" if app else "")), params)
    # the same rule as courses_of(): a non-sandbox registration's course (the least course id when
    # several share the id), skipped when only sandbox registrations have it, '' when none has.
    # Correlated lookups through ix_registration_app_xapi: SQLite joined a grouped derived table by
    # scanning it per statement (hours on 1M statements).
    reg = "r.application_pk = s.application_pk AND r.xapi_registration_id = s.registration"
    counted = f"""(SELECT s.application_pk, CASE WHEN s.registration IS NULL THEN '' ELSE COALESCE(
                (SELECT min(r.course_id) FROM registration r WHERE {reg} AND r.sandbox = :no),
                CASE WHEN EXISTS (SELECT 1 FROM registration r WHERE {reg}) THEN NULL ELSE '' END) END AS course_id,
            {_day_sql(connection.dialect.name, 's.stored')} AS day, s.verb_id, s.object_type, s.object_key,
            COALESCE(s.actor_key, '') AS actor_key
        FROM xapi_statement s WHERE s.voided = :no {app}) c WHERE course_id IS NOT NULL"""
    params = {**params, "no": False}
    n = connection.execute(text(f"""
        INSERT INTO report_xapi_verb_day (application_pk, course_id, day, verb_id, n)
        SELECT application_pk, course_id, day, verb_id, count(*) FROM {counted}
        GROUP BY application_pk, course_id, day, verb_id"""), params).rowcount
    connection.execute(text(f"""
        INSERT INTO report_xapi_activity_day (application_pk, course_id, day, activity_id, n)
        SELECT application_pk, course_id, day, object_key, count(*) FROM {counted}
        AND object_type = 'Activity' AND object_key IS NOT NULL
        GROUP BY application_pk, course_id, day, object_key"""), params)
    connection.execute(text(f"""
        INSERT INTO report_xapi_actor_day (application_pk, course_id, day, activity_id, actor_key, n)
        SELECT application_pk, course_id, day, object_key, actor_key, count(*) FROM {counted}
        AND object_type = 'Activity' AND object_key IS NOT NULL
        GROUP BY application_pk, course_id, day, object_key, actor_key"""), params)
    return n


def count_statements(session: Session, *, app_pk: int) -> int:
    """The statements counted for APP_PK (tests: equal to the direct count)."""
    return int(session.scalar(select(func.coalesce(func.sum(ReportXapiVerbDay.n), 0))
                              .where(ReportXapiVerbDay.application_pk == app_pk)) or 0)

