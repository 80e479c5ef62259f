"""Benchmark: report queries on a realm of 1,000,000 registrations (issue 20), SQLite and PostgreSQL.

Generation goes straight to SQL (set-based INSERT ... SELECT over a generated series, no ORM):
one application, 20 courses, --registrations rows in `registration` created over the last 730 days
with deterministic results (about 80 % launched, 50 % completed, 30 % passed, 15 % failed, scores
and times spread), then `summary.rebuild` fills the report tables exactly as the migration does
(timed: that is the backfill cost), and each launched registration gets an active day.

Timed, in alternating rounds in the same run:
- reports: queries.overview(session, ReportFilter(app, last 90 days)) -- the function the console
  and exports call (ORM session, dataclasses out);
- baseline: the same SQL statements (compiled with literal values) run directly on a DBAPI cursor.
Question analysis on the same realm: --interactions rows (default 5,000,000) of
`report_interaction` for a quarter of the registrations (250,000 of 1,000,000, every course), 20
questions each, the rows bench/report_questions.py writes (same questions, responses, 70 % correct,
latencies 2-119 s) but set-based (INSERT ... SELECT, one registration instance each) and dated on
their registration's day, so the last 90 days hold about an eighth of them. Then
questions.question_analysis for one course (course-3, last 90 days) is timed like the overview,
against its own captured SQL run directly.

The LRS of the same application (--statements, default 0: none): that many `xapi_statement` rows
about the registrations of course-3 (the course's xAPI report), 5 verbs, 50 activities, one actor per
registration, stored over the same 730 days (so the last 90 hold about an eighth), then the course's
xAPI statistics (xapi_stats: statements per verb per day, per activity, per activity per day,
course-3, last 90 days, read from the daily counts the LRS keeps, filled here by their rebuild) timed
against their own SQL run directly, with the query plans printed.

Run: PYTHONPATH=src .venv/bin/python bench/reports.py --db sqlite [--registrations 1000000 --runs 30]
     PYTHONPATH=src .venv/bin/python bench/reports.py --db postgresql://postgres@127.0.0.1:5432/bench
(a PostgreSQL database is dropped and recreated, and dropped at the end: give it a scratch database). --registrations 20000
makes a quick run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from coursehost.db.migrate import upgrade
from coursehost.db.session import make_engine, normalize_url
from coursehost.domain.reports import queries, summary
from coursehost.domain.reports.filters import ReportFilter

COURSES = 20
DAYS = 730
QUESTIONS = 20  # per registration that has answers, as in bench/report_questions.py


def _series(dialect: str, n: int) -> str:
    if dialect == "sqlite":
        return (f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n}) "
                "SELECT n FROM s")
    return f"SELECT n FROM generate_series(1, {n}) AS n"


def _ts(dialect: str, days_expr: str) -> str:
    if dialect == "sqlite":
        return f"datetime('now', '-' || ({days_expr}) || ' days')"
    return f"(now() - (({days_expr}) * interval '1 day'))"


def generate(engine, n: int) -> int:
    """The realm: returns the application pk. Everything through SQL text (portable columns only)."""
    d = engine.dialect.name
    with Session(engine) as session:
        from coursehost.db.models.courses import Course
        from coursehost.domain.applications import service as apps
        from coursehost.domain.crypto import SecretBox
        realm = apps.ensure_realm(session)
        app, _ = apps.create_application(session, box=SecretBox("bench-instance-key-" + "b" * 32),
                                         realm_id=realm.id, name="Bench")
        for i in range(COURSES):
            session.add(Course(application_pk=app.pk, course_id=f"course-{i}", title=f"Course {i}",
                               learning_standard="SCORM12", latest_version=0))
        session.commit()
        app_pk = app.pk
        course_pks = [row[0] for row in session.execute(text(
            "SELECT pk FROM course WHERE application_pk = :a ORDER BY pk"), {"a": app_pk})]
    status = ("CASE WHEN n % 10 < 5 THEN 'COMPLETED' WHEN n % 10 < 8 THEN 'INCOMPLETE' ELSE 'UNKNOWN' END")
    success = "CASE WHEN n % 20 < 6 THEN 'PASSED' WHEN n % 20 < 9 THEN 'FAILED' ELSE 'UNKNOWN' END"
    with engine.begin() as conn:
        conn.execute(text(f"""
            INSERT INTO registration (application_pk, registration_id, course_pk, course_id, learner_id, learner,
                xapi_registration_id, postback, sandbox, instance, created, updated, completion, success,
                score_scaled, total_seconds, first_access, completed_date)
            SELECT :app, 'reg-' || n, {course_pks[0]} + (n % {COURSES}), 'course-' || (n % {COURSES}),
                'learner-' || (n % {max(n // 3, 1)}), '{{}}', 'x-' || n, '{{}}', :no, 0,
                {_ts(d, f'n % {DAYS}')}, {_ts(d, f'n % {DAYS}')}, {status}, {success},
                CASE WHEN n % 20 < 9 THEN (n * 7) % 101 END,
                CASE WHEN n % 10 < 8 THEN (n * 13) % 7200 + 1 ELSE 0 END,
                CASE WHEN n % 10 < 8 THEN {_ts(d, f'n % {DAYS}')} END,
                CASE WHEN n % 10 < 5 THEN {_ts(d, f'n % {DAYS}')} END
            FROM ({_series(d, n)}) AS gen"""), {"app": app_pk, "no": False})
    return app_pk


def backfill(engine) -> tuple[int, int]:
    with engine.begin() as conn:
        regs, _ = summary.rebuild(conn)
        days = conn.execute(text("""INSERT INTO report_active_day (registration_pk, day, application_pk,
            course_id, learner_id) SELECT registration_pk, first_launch_day, application_pk, course_id, learner_id
            FROM report_registration WHERE first_launch_day IS NOT NULL""")).rowcount
    backfill_stats(engine)
    return regs, days


def backfill_stats(engine) -> None:
    """Fresh planner statistics (as after a real backfill; a bulk load leaves them stale)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


class Recorder:
    """Captures the SQL an overview runs (with literal values) for the baseline."""

    def __init__(self, engine):
        self.statements: list[str] = []
        self.engine = engine

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        compiled = context.compiled
        if compiled is not None:
            self.statements.append(str(compiled.statement.compile(
                dialect=self.engine.dialect, compile_kwargs={"literal_binds": True})))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _day(dialect: str, column: str) -> str:
    return f"date({column})" if dialect == "sqlite" else f"CAST({column} AS DATE)"


def generate_interactions(engine, app_pk: int, total: int) -> int:
    """The question analysis data: TOTAL interaction facts over the realm's registrations, QUESTIONS per
    registration answered (registrations in blocks of 20, one block in total // (QUESTIONS * blocks),
    so every course gets its share), each with one registration instance; returns the rows written."""
    from sqlalchemy import insert

    from coursehost.db.models.courses import CourseVersion
    d = engine.dialect.name
    with engine.connect() as conn:
        regs = conn.execute(text("SELECT count(*) FROM registration")).scalar_one()
    every = max(1, regs * QUESTIONS // max(total, 1))  # 4 for 1M registrations and 5M interactions
    num = "CAST(substr(r.registration_id, 5) AS INTEGER)"
    with engine.begin() as conn:
        course_pk = conn.execute(text("SELECT min(pk) FROM course WHERE application_pk = :a"), {"a": app_pk}).scalar()
        version_pk = conn.execute(insert(CourseVersion).returning(CourseVersion.pk), {
            "course_pk": course_pk, "version": 0, "title": "v", "learning_standard": "SCORM12",
            "structure": {}, "content_prefix": "x/"}).scalar_one()
        conn.execute(text(f"""
            INSERT INTO registration_instance (registration_pk, instance, course_version_pk, course_version, state,
                completion, success, score_scaled, total_seconds, first_access, completed_date, created, updated)
            SELECT r.pk, 0, :v, 0, '{{}}', r.completion, r.success, r.score_scaled, r.total_seconds,
                r.first_access, r.completed_date, r.created, r.updated
            FROM registration r WHERE r.application_pk = :a AND ({num} / 20) % {every} = 0"""),
            {"v": version_pk, "a": app_pk})
        correct = "((r.pk * 31 + q.n * 17) % 10 < 7)"
        written = conn.execute(text(f"""
            INSERT INTO report_interaction (application_pk, course_pk, registration_pk, instance_pk, activity_id,
                position, interaction_id, description, type, result, correct, learner_response,
                latency_seconds, day)
            SELECT r.application_pk, r.course_pk, r.pk, i.pk, 'sco1', q.n - 1, 'q' || (q.n - 1),
                'Question ' || (q.n - 1), 'Choice', CASE WHEN {correct} THEN 'correct' ELSE 'incorrect' END,
                {correct}, CASE WHEN {correct} THEN 'a' WHEN (r.pk + q.n) % 3 = 0 THEN 'b'
                                WHEN (r.pk + q.n) % 3 = 1 THEN 'c' ELSE 'd' END,
                CAST((r.pk * 7 + q.n * 13) % 118 + 2 AS FLOAT), {_day(d, 'r.created')}
            FROM registration r JOIN registration_instance i ON i.registration_pk = r.pk AND i.instance = 0
            CROSS JOIN ({_series(d, QUESTIONS)}) AS q
            WHERE r.application_pk = :a"""), {"a": app_pk}).rowcount
    return written


VERBS = ("attempted", "answered", "experienced", "completed", "passed")
ACTIVITIES = 50


def generate_statements(engine, app_pk: int, total: int) -> int:
    """TOTAL LRS statements about course-3's registrations (every 20th, 'x-' || n is its xAPI
    registration id), spread over the last 730 days; returns the rows written."""
    d = engine.dialect.name
    with engine.connect() as conn:
        regs = conn.execute(text("SELECT count(*) FROM registration WHERE application_pk = :a"),
                            {"a": app_pk}).scalar_one()
    per_course = max(regs // 20, 1)
    verb = " ".join(f"WHEN n % {len(VERBS)} = {i} THEN 'http://adlnet.gov/expapi/verbs/{v}'"
                    for i, v in enumerate(VERBS))
    with engine.begin() as conn:
        return conn.execute(text(f"""
            INSERT INTO xapi_statement (application_pk, statement_id, stored, timestamp, version, verb_id,
                actor_key, object_type, object_key, registration, voided, has_attachments, body)
            SELECT :a, 'st-' || n, {_ts(d, f'n % {DAYS}')}, {_ts(d, f'n % {DAYS}')}, '1.0.3',
                CASE {verb} END, 'mbox:mailto:l' || (n % {per_course}) || '@example.com', 'Activity',
                'http://example.com/course-3/a' || (n % {ACTIVITIES}), 'x-' || ((n % {per_course}) * 20 + 3),
                :no, :no, '{{}}'
            FROM ({_series(d, total)}) AS gen"""), {"a": app_pk, "no": False}).rowcount


def explain(engine, fn) -> list[str]:
    """The query plans of the SELECTs FN sends (EXPLAIN QUERY PLAN / EXPLAIN), one string each."""
    from sqlalchemy import event
    rec = Recorder(engine)
    event.listen(engine, "before_cursor_execute", rec)
    with Session(engine) as s:
        fn(s)
    event.remove(engine, "before_cursor_execute", rec)
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    plans = []
    with engine.connect() as conn:
        for st in rec.statements:
            rows = conn.exec_driver_sql(prefix + st).fetchall()
            plans.append("\n".join(" | ".join(str(c) for c in row) for row in rows))
    return plans


def time_against_sql(engine, fn, runs: int) -> dict:
    """FN(session) against the SELECTs it sends (captured once, literal values) run on a bare DBAPI
    cursor, alternating, RUNS times each: medians and p95s in ms."""
    from sqlalchemy import event
    rec = Recorder(engine)
    event.listen(engine, "before_cursor_execute", rec)
    with Session(engine) as s:
        result = fn(s)
    event.remove(engine, "before_cursor_execute", rec)
    sql = [st for st in rec.statements if st.lstrip().upper().startswith(("SELECT", "WITH"))]
    ours, base = [], []
    for _ in range(runs):
        with Session(engine) as s:
            a = time.perf_counter()
            fn(s)
            ours.append((time.perf_counter() - a) * 1000)
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            a = time.perf_counter()
            for st in sql:
                cur.execute(st)
                cur.fetchall()
            base.append((time.perf_counter() - a) * 1000)
            raw.rollback()
        finally:
            raw.close()
    return {"result": result, "ours_median": statistics.median(ours), "ours_p95": pct(ours, 95),
            "base_median": statistics.median(base), "base_p95": pct(base, 95), "statements": len(sql)}


def time_xapi(engine, app_pk: int, runs: int) -> dict:
    """The course-3 xAPI statistics, each against its SQL run directly; plus the plans."""
    from coursehost.domain.reports import xapi_stats
    xflt = ReportFilter.last_days(app_pk, 90, course_id="course-3")
    found = {}
    for name, fn in (("per verb per day", lambda s: xapi_stats.statements_per_verb(s, xflt)),
                     ("per activity", lambda s: xapi_stats.statements_per_activity(s, xflt)),
                     ("per activity per day", lambda s: xapi_stats.statements_per_activity_per_day(s, xflt))):
        timed = time_against_sql(engine, fn, runs)
        rows = timed.pop("result")
        found[name] = {**timed, "rows": len(rows), "plans": explain(engine, fn)}
    with Session(engine) as s:
        found["in range"] = sum(v.statements for v in xapi_stats.statements_per_verb(s, xflt))
    return found


def run(url: str, n: int, runs: int, interactions: int = 0, statements: int = 0) -> dict:
    if url != "sqlite" and "postgresql" in url:
        base, db_name = url.rsplit("/", 1)
        admin = create_engine(normalize_url(base + "/postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db_name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{db_name}"')
        admin.dispose()
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-reports-')) / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    app_pk = generate(engine, n)
    t1 = time.perf_counter()
    regs, days = backfill(engine)
    t2 = time.perf_counter()
    facts, t3 = 0, t2
    if interactions:
        facts = generate_interactions(engine, app_pk, interactions)
        backfill_stats(engine)
        t3 = time.perf_counter()
    xapi, stored, t4 = None, 0, t3
    if statements:
        stored = generate_statements(engine, app_pk, statements)
        t4 = time.perf_counter()
        from coursehost.domain.lrs import statement_counts
        with engine.begin() as conn:  # the rows are raw inserts: fill the daily counts as the migration does
            statement_counts.rebuild(conn)
        counts_s = time.perf_counter() - t4
        backfill_stats(engine)
        t4 = time.perf_counter()
        xapi = time_xapi(engine, app_pk, runs)
        xapi["counts rebuild s"] = counts_s
    flt = ReportFilter.last_days(app_pk, 90)
    overview = time_against_sql(engine, lambda s: queries.overview(s, flt), runs)
    result = overview.pop("result")
    questions = None
    if interactions:
        from coursehost.domain.reports.questions import question_analysis
        qflt = ReportFilter.last_days(app_pk, 90, course_id="course-3")
        questions = time_against_sql(engine, lambda s: question_analysis(s, qflt), runs)
        rows = questions.pop("result")
        questions["questions"] = len(rows)
        questions["answered"] = sum(r.answered for r in rows)
    course = {}
    for name, fn in (("overview, one course", lambda s: queries.overview(s, ReportFilter.last_days(
                          app_pk, 90, course_id="course-3"))),
                     ("funnel", lambda s: queries.funnel(s, flt)),
                     ("score and time histograms", lambda s: (queries.score_histogram(s, flt),
                                                              queries.time_histogram(s, flt))),
                     ("one learner's registrations", lambda s: queries.learner_registrations(
                         s, ReportFilter.last_days(app_pk, 730, learner_id="learner-42")))):
        times = []
        for _ in range(runs):
            with Session(engine) as s:
                a = time.perf_counter()
                fn(s)
                times.append((time.perf_counter() - a) * 1000)
        course[name] = (statistics.median(times), pct(times, 95))
    engine.dispose()
    if engine.dialect.name == "postgresql":  # a scratch database: 1M registrations are ~1 GB, do not leave them
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.dispose()
    else:
        shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)
    return {"others": course, "db": engine.dialect.name, "registrations": n, "generate_s": t1 - t0, "backfill_s": t2 - t1,
            "summary_rows": regs, "active_days": days, "in_range": result.registered, "interactions": facts,
            "interactions_s": t3 - t2, "questions": questions, "statements_written": stored, "statements_s": t4 - t3,
            "xapi": xapi, **overview}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="sqlite", help="sqlite, or a scratch PostgreSQL URL (dropped and recreated)")
    ap.add_argument("--registrations", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--interactions", type=int, default=5_000_000, help="interaction facts (0: no question analysis)")
    ap.add_argument("--statements", type=int, default=0, help="LRS statements about course-3 (0: none)")
    ap.add_argument("--plans", action="store_true", help="print the xAPI statistics' query plans")
    args = ap.parse_args()
    r = run(args.db, args.registrations, args.runs, args.interactions, args.statements)
    print(f"{r['db']}: {r['registrations']:,} registrations generated in {r['generate_s']:.1f} s, "
          f"summaries rebuilt in {r['backfill_s']:.1f} s ({r['summary_rows']:,} rows, {r['active_days']:,} active days)")
    print(f"overview, last 90 days ({r['in_range']:,} registrations, {r['statements']} statements), {args.runs} runs:")
    print(f"  reports.queries.overview  median {r['ours_median']:.1f} ms  p95 {r['ours_p95']:.1f} ms")
    print(f"  same SQL on a DBAPI cursor median {r['base_median']:.1f} ms  p95 {r['base_p95']:.1f} ms")
    print(f"  ratio p95 {r['ours_p95'] / r['base_p95']:.2f}  median {r['ours_median'] / r['base_median']:.2f}")
    for name, (median, p95) in r["others"].items():
        print(f"  {name:<28} median {median:.1f} ms  p95 {p95:.1f} ms")
    q = r["questions"]
    if q is not None:
        print(f"{r['interactions']:,} interactions generated in {r['interactions_s']:.1f} s")
        print(f"question analysis, course-3, last 90 days ({q['questions']} questions, {q['answered']:,} answers, "
              f"{q['statements']} statements), {args.runs} runs:")
        print(f"  questions.question_analysis median {q['ours_median']:.1f} ms  p95 {q['ours_p95']:.1f} ms")
        print(f"  same SQL on a DBAPI cursor median {q['base_median']:.1f} ms  p95 {q['base_p95']:.1f} ms")
        print(f"  ratio p95 {q['ours_p95'] / q['base_p95']:.2f}  median {q['ours_median'] / q['base_median']:.2f}")
    x = r["xapi"]
    if x is not None:
        print(f"{r['statements_written']:,} LRS statements generated in {r['statements_s']:.1f} s; course-3, "
              f"last 90 days: {x['in range']:,} statements, {args.runs} runs:")
        print(f"  daily counts (report_xapi_*) rebuilt from them in {x['counts rebuild s']:.1f} s")
        for name in ("per verb per day", "per activity", "per activity per day"):
            t = x[name]
            print(f"  xapi_stats {name:<21} median {t['ours_median']:.1f} ms  p95 {t['ours_p95']:.1f} ms"
                  f"  ({t['rows']} rows)")
            print(f"  same SQL on a DBAPI cursor     median {t['base_median']:.1f} ms  p95 {t['base_p95']:.1f} ms"
                  f"  ratio p95 {t['ours_p95'] / t['base_p95']:.2f}")
            if args.plans:
                for plan in t["plans"]:
                    print("    plan: " + plan.replace("\n", "\n          "))


if __name__ == "__main__":
    main()
