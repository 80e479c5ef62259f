"""Benchmark: a course's question analysis and one question's learner responses on 5,000,000
interaction facts (100 courses x 2,500 registrations x 20 questions), on SQLite and PostgreSQL,
against the baseline of the same SQL run directly through the driver in the same run.

The generator writes the rows the run-time commits would have written (report_interaction, with
the registrations and instances they belong to) straight into a freshly migrated database, spread
over the last 90 days, 4 responses per question, 70 % correct. Each measured call is the domain
function a report page calls (coursehost.domain.reports.questions) over the default 90-day range.
Run: .venv/bin/python bench/report_questions.py [--db sqlite|URL] [--interactions 5000000 --courses 100]
(URL: a PostgreSQL server URL; a database bench_report_questions is created on it and dropped after).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from coursehost.db.migrate import upgrade  # noqa: E402
from coursehost.db.models.courses import Course, CourseVersion  # noqa: E402
from coursehost.db.models.registrations import Registration, RegistrationInstance  # noqa: E402
from coursehost.db.models.report_facts import ReportInteraction  # noqa: E402
from coursehost.db.session import make_engine, make_sessionmaker  # noqa: E402
from coursehost.domain.applications import service as apps  # noqa: E402
from coursehost.domain.crypto import SecretBox  # noqa: E402
from coursehost.domain.reports.filters import ReportFilter  # noqa: E402
from coursehost.domain.reports.questions import interaction_responses, question_analysis  # noqa: E402

QUESTIONS = 20
RESPONSES = ("a", "b", "c", "d")
BATCH = 20_000

BASELINE_ANALYSIS = [
    """SELECT interaction_id, learner_response, count(*), sum(CASE WHEN correct THEN 1 ELSE 0 END),
              sum(CASE WHEN NOT correct THEN 1 ELSE 0 END), sum(latency_seconds), count(latency_seconds)
       FROM report_interaction WHERE course_pk = :course AND day >= :start AND day <= :end
       GROUP BY interaction_id, learner_response""",
]
# each question's description and type from its newest answer, one statement for all of them
BASELINE_ANALYSIS.append(" UNION ALL ".join(
    f"SELECT * FROM (SELECT interaction_id, description, type FROM report_interaction WHERE course_pk = :course"
    f" AND interaction_id = 'q{q}' ORDER BY pk DESC LIMIT 1) AS l{q}" for q in range(QUESTIONS)))
BASELINE_RESPONSES = """SELECT f.pk, r.registration_id, r.learner_id, i.instance, f.activity_id, f.learner_response,
       f.result, f.correct, f.latency_seconds, f.day FROM report_interaction f
       JOIN registration r ON r.pk = f.registration_pk JOIN registration_instance i ON i.pk = f.instance_pk
       WHERE f.course_pk = :course AND f.day >= :start AND f.day <= :end
       AND f.interaction_id = :qid ORDER BY f.pk DESC LIMIT 51"""


def database(target: str) -> tuple[str, callable]:
    """(URL of a fresh database, cleanup)."""
    if target == "sqlite":
        path = ROOT / "var" / "bench" / "report_questions.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for p in path.parent.glob(path.name + "*"):
            p.unlink()
        return f"sqlite:///{path}", lambda: [p.unlink() for p in path.parent.glob(path.name + "*")]
    server = create_engine(target.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS bench_report_questions")
        conn.exec_driver_sql("CREATE DATABASE bench_report_questions")

    def drop() -> None:
        with server.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS bench_report_questions WITH (FORCE)")
        server.dispose()
    return target.rsplit("/", 1)[0] + "/bench_report_questions", drop


def generate(engine, *, interactions: int, courses: int) -> tuple[int, list[int]]:
    """One application with COURSES courses and INTERACTIONS facts; (application pk, course pks)."""
    rnd = random.Random(20)
    per_course = interactions // courses // QUESTIONS  # registrations per course
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    session = make_sessionmaker(engine)()
    realm = apps.ensure_realm(session)
    app, _ = apps.create_application(session, box=SecretBox("bench-key-" + "b" * 32), realm_id=realm.id, name="Bench")
    course_pks = []
    for c in range(courses):
        course = Course(application_pk=app.pk, course_id=f"course-{c}", title=f"Course {c}",
                        learning_standard="SCORM12", latest_version=0)
        session.add(course)
        session.flush()
        course_pks.append(course.pk)
    session.commit()
    app_pk = app.pk
    session.close()
    written = 0
    with engine.begin() as conn:  # one course version shared by every instance (the facts do not read it)
        version_pk = conn.execute(insert(CourseVersion).returning(CourseVersion.pk), {
            "course_pk": course_pks[0], "version": 0, "title": "v", "learning_standard": "SCORM12",
            "structure": {}, "content_prefix": "x/"}).scalar_one()
    n = 0
    for c, course_pk in enumerate(course_pks):
        regs = [{"application_pk": app_pk, "registration_id": f"r-{c}-{i}", "course_pk": course_pk,
                 "course_id": f"course-{c}", "learner_id": f"learner-{i}", "learner": {"id": f"learner-{i}"},
                 "xapi_registration_id": str(uuid.UUID(int=n + i + 1)), "postback": {}, "sandbox": False,
                 "instance": 0, "completion": "UNKNOWN", "success": "UNKNOWN", "total_seconds": 0.0,
                 "created": today, "updated": today} for i in range(per_course)]
        n += per_course
        with engine.begin() as conn:
            first = conn.execute(insert(Registration).returning(Registration.pk), regs).scalars().all()
            insts = conn.execute(insert(RegistrationInstance).returning(RegistrationInstance.pk), [
                {"registration_pk": pk, "instance": 0, "course_version_pk": version_pk, "course_version": 0,
                 "state": {}, "completion": "UNKNOWN", "success": "UNKNOWN", "total_seconds": 0.0,
                 "created": today, "updated": today} for pk in first]).scalars().all()
            rows = []
            for reg_pk, inst_pk in zip(first, insts, strict=True):
                day = (today - timedelta(days=rnd.randrange(90))).date()
                for q in range(QUESTIONS):
                    correct = rnd.random() < 0.7
                    rows.append({"application_pk": app_pk, "course_pk": course_pk, "registration_pk": reg_pk,
                                 "instance_pk": inst_pk, "activity_id": "sco1", "position": q,
                                 "interaction_id": f"q{q}", "description": f"Question {q}", "type": "Choice",
                                 "result": "correct" if correct else "incorrect", "correct": correct,
                                 "learner_response": "a" if correct else rnd.choice(RESPONSES[1:]),
                                 "latency_seconds": float(rnd.randrange(2, 120)), "day": day})
                if len(rows) >= BATCH:
                    conn.execute(insert(ReportInteraction), rows)
                    written += len(rows)
                    rows = []
            if rows:
                conn.execute(insert(ReportInteraction), rows)
                written += len(rows)
        print(f"\r  course {c + 1}/{courses}: {written:,} interactions", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return app_pk, course_pks


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000 if len(samples) > 1 else samples[0] * 1000


def measure(engine, app_pk: int, course_pks: list[int], runs: int) -> dict[str, float]:
    """p50 / p95 ms of each call and of its baseline, alternating, over RUNS random courses."""
    rnd = random.Random(95)
    flt0 = ReportFilter(application_pk=app_pk)
    times: dict[str, list[float]] = {k: [] for k in ("analysis", "analysis_sql", "responses", "responses_sql")}
    session = make_sessionmaker(engine)()
    for _ in range(runs):
        c = rnd.randrange(len(course_pks))
        flt = ReportFilter(application_pk=app_pk, start=flt0.start, end=flt0.end, course_id=f"course-{c}")
        params = {"course": course_pks[c], "start": flt.start, "end": flt.end, "app": app_pk,
                  "qid": f"q{rnd.randrange(QUESTIONS)}"}
        t = time.perf_counter()
        rows = question_analysis(session, flt)
        times["analysis"].append(time.perf_counter() - t)
        assert len(rows) == QUESTIONS and sum(r.answered for r in rows) > 0
        conn = session.connection()  # the same connection (SQLite: a second one would wait for its lock)
        t = time.perf_counter()
        for sql in BASELINE_ANALYSIS:
            conn.execute(text(sql), params).all()
        times["analysis_sql"].append(time.perf_counter() - t)
        t = time.perf_counter()
        page = interaction_responses(session, flt, interaction_id=params["qid"])
        times["responses"].append(time.perf_counter() - t)
        assert len(page.responses) == 50
        t = time.perf_counter()
        conn.execute(text(BASELINE_RESPONSES), params).all()
        times["responses_sql"].append(time.perf_counter() - t)
        session.rollback()
    session.close()
    return {f"{k} p50": statistics.median(v) * 1000 for k, v in times.items()} | {
        f"{k} p95": p95(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL (postgresql://user@host:port/x)")
    parser.add_argument("--interactions", type=int, default=5_000_000)
    parser.add_argument("--courses", type=int, default=100)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    url, cleanup = database(args.db)
    try:
        upgrade(url)
        engine = make_engine(url)
        t = time.perf_counter()
        app_pk, course_pks = generate(engine, interactions=args.interactions, courses=args.courses)
        print(f"generated {args.interactions:,} interactions in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        results = measure(engine, app_pk, course_pks, args.runs)
        engine.dispose()
    finally:
        cleanup()
    kind = "SQLite" if args.db == "sqlite" else "PostgreSQL"
    print(f"{kind}, {args.interactions:,} interactions, {args.courses} courses, {args.runs} runs (ms):")
    for key, value in results.items():
        print(f"  {key:<20} {value:8.1f}")


if __name__ == "__main__":
    main()
