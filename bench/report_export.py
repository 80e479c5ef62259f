"""Benchmark: peak memory of a full registrations export (CSV and XLSX) of a realm with 1,000,000
registrations, against the baseline of running the same SQL directly and discarding the rows.

A fresh database (SQLite under ./var, or PostgreSQL with --postgres URL: a database of its own is
created and dropped) is migrated, given a realm, an application and a course, then filled by one
INSERT ... SELECT (a recursive CTE on SQLite, generate_series on PostgreSQL). Each measurement runs in
a fresh child process: it opens the database, reads its resident set (VmRSS, "idle"), consumes the
whole export (domain/reports/export.py, the bytes counted and dropped, as a slow client would take
them), then reads its peak resident set (VmHWM); the figure is peak minus idle. "openpyxl" is the
same table through openpyxl's write_only workbook, the alternative to XlsxWriter, for comparison.
Run: .venv/bin/python bench/report_export.py [--scale 1000000] [--postgres postgresql://...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from coursehost.db.migrate import upgrade  # noqa: E402
from coursehost.domain.applications.service import create_realm  # noqa: E402
from coursehost.domain.crypto import SecretBox  # noqa: E402
from coursehost.domain.reports import export  # noqa: E402
from coursehost.domain.reports.filters import ReportFilter  # noqa: E402

SQLITE_SERIES = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) SELECT i FROM n"
PG_SERIES = "SELECT i FROM generate_series(1, :count) AS i"
DAYS = 360


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def generate(url: str, count: int) -> int:
    """A migrated database with COUNT registrations of one course spread over DAYS days; the app's pk."""
    upgrade(url)
    engine = create_engine(url)
    with sessionmaker(engine).begin() as session:
        _, creds = create_realm(session, box=SecretBox("bench-key"), name="bench")
        app_pk = session.execute(text("SELECT pk FROM application WHERE app_id = :a"), {"a": creds.app_id}).scalar()
        session.execute(text("INSERT INTO course (application_pk, course_id, title, learning_standard, latest_version,"
                             " created, updated) VALUES (:a, 'c1', 'Benchmark course', 'SCORM12', 0, :t, :t)"),
                        {"a": app_pk, "t": "2026-01-01 00:00:00"})
        course_pk = session.execute(text("SELECT pk FROM course WHERE application_pk = :a"), {"a": app_pk}).scalar()
    pg = url.startswith("postgresql")
    series = PG_SERIES if pg else SQLITE_SERIES
    created = ("(TIMESTAMP '2026-01-01' + (i % :days) * INTERVAL '1 day' + (i % 86400) * INTERVAL '1 second')" if pg
               else "datetime('2026-01-01', '+' || (i % :days) || ' days', '+' || (i % 86400) || ' seconds')")
    learner = ("json_build_object('id', 'learner-' || i, 'firstName', 'Zoë', 'lastName', 'Number ' || i)" if pg
               else "json_object('id', 'learner-' || i, 'firstName', 'Zoë', 'lastName', 'Number ' || i)")
    empty = "'{}'::json" if pg else "'{}'"
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(
            f"INSERT INTO registration (application_pk, registration_id, course_pk, course_id, learner_id, learner,"
            f" xapi_registration_id, postback, sandbox, instance, created, updated, completion, success,"
            f" score_scaled, total_seconds, first_access, last_access) "
            f"SELECT :a, 'reg-' || i, :c, 'c1', 'learner-' || i, {learner}, 'x-' || i, {empty}, false, 0,"
            f" {created}, {created},"
            f" CASE WHEN i % 3 = 0 THEN 'COMPLETED' ELSE 'INCOMPLETE' END,"
            f" CASE WHEN i % 5 = 0 THEN 'PASSED' WHEN i % 5 = 1 THEN 'FAILED' ELSE 'UNKNOWN' END,"
            f" (i % 101) * 1.0, (i % 3600) * 1.0, {created}, {created} FROM ({series}) AS s"),
            {"a": app_pk, "c": course_pk, "count": count, "days": DAYS})
    print(f"generated {count:,} registrations in {time.perf_counter() - started:.1f} s", flush=True)
    engine.dispose()
    return app_pk


def _openpyxl_size(table: export.Table) -> int:
    """The same table written with openpyxl's write_only workbook (a test dependency); its size."""
    import openpyxl  # noqa: PLC0415 - only this comparison needs it

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(table.name)
    sheet.append(list(table.header))
    for row in table.rows:
        sheet.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.xlsx"
        workbook.save(path)
        return path.stat().st_size


def measure(url: str, app_pk: int, kind: str) -> dict:
    """In this (fresh) process: peak RSS above idle while consuming one export of every registration."""
    engine = create_engine(url)
    factory = sessionmaker(engine)
    flt = ReportFilter(app_pk, date(2025, 12, 1), date(2025, 12, 1) + timedelta(days=DAYS + 60))
    with factory() as session:
        session.execute(text("SELECT 1")).all()
        idle = _kib("VmRSS")
        started, size, rows = time.perf_counter(), 0, 0
        if kind == "sql":  # the baseline: the same SQL through the driver, rows discarded
            result = session.execute(export._registrations_query(flt).execution_options(yield_per=export.FETCH_ROWS))
            for _ in result:
                rows += 1
        elif kind == "openpyxl":  # the alternative XLSX writer, for the record (openpyxl write_only)
            size = _openpyxl_size(export.registrations_table(session, flt))
        else:
            stream = export.csv_stream if kind == "csv" else export.xlsx_stream
            for chunk in stream(export.registrations_table(session, flt)):
                size += len(chunk)
    return {"kind": kind, "idle_mib": idle / 1024, "peak_above_idle_mib": (_kib("VmHWM") - idle) / 1024,
            "seconds": time.perf_counter() - started, "bytes": size, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--kinds", default="sql,csv,xlsx,openpyxl", help="which exports to measure")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database of its own is created)")
    parser.add_argument("--measure", nargs=3, metavar=("URL", "APP_PK", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], int(args.measure[1]), args.measure[2])))
        return
    if args.postgres:
        name = f"bench_export_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
    else:
        folder = ROOT / "var" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"report_export_{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
    try:
        app_pk = generate(url, args.scale)
        for kind in args.kinds.split(","):
            out = subprocess.run([sys.executable, __file__, "--measure", url, str(app_pk), kind], check=True,
                                 capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{r['kind']:>5}: peak RSS above idle {r['peak_above_idle_mib']:6.1f} MiB (idle {r['idle_mib']:.1f}),"
                  f" {r['seconds']:6.1f} s, {r['bytes'] / 1e6:7.1f} MB, {r['rows'] or args.scale:,} rows", flush=True)
    finally:
        if args.postgres:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
