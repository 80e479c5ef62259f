"""The migration that adds the report tables fills them from the registrations already there (the
backfill of an existing installation), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from coursehost.db.migrate import upgrade
from coursehost.db.models.courses import Course
from coursehost.db.models.registrations import Registration
from coursehost.db.session import make_engine
from coursehost.domain.applications import service as apps
from coursehost.domain.crypto import SecretBox
from tests.databases import create_pg_database, drop_pg_database

DAY = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def test_upgrading_an_installation_backfills_the_reports(database_url, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}" if database_url.startswith("sqlite") else create_pg_database()
    engine = None
    try:
        upgrade(url, "0022")
        engine = make_engine(url)
        with Session(engine) as session:  # the tables these touch are the same at 0022 as now
            realm = apps.ensure_realm(session)
            app, _ = apps.create_application(session, box=SecretBox("k" * 40), realm_id=realm.id, name="old")
            course = Course(application_pk=app.pk, course_id="c1", title="C", learning_standard="SCORM12",
                            latest_version=0)
            session.add(course)
            session.flush()
            for i, (completion, success, score, seconds, sandbox) in enumerate((
                    ("COMPLETED", "PASSED", 90.0, 600.0, False), ("INCOMPLETE", "UNKNOWN", None, 60.0, False),
                    ("COMPLETED", "PASSED", 50.0, 30.0, True))):
                session.add(Registration(
                    application_pk=app.pk, registration_id=f"r{i}", course_pk=course.pk, course_id="c1",
                    learner_id=f"l{i}", learner={}, xapi_registration_id=f"x{i}", postback={}, sandbox=sandbox,
                    instance=0, created=DAY, updated=DAY, completion=completion, success=success,
                    score_scaled=score, total_seconds=seconds, first_access=DAY,
                    completed_date=DAY + timedelta(days=1) if completion == "COMPLETED" else None))
            session.commit()
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT registration_id, registered_day, first_launch_day, completed_day,"
                                     " success, seconds FROM report_registration ORDER BY registration_id")).all()
            day = conn.execute(text("SELECT registered, completed, passed, scored, score_sum, timed, seconds_sum, t4,"
                                    " t1, s9 FROM report_day")).all()
        assert [(r[0], str(r[1]), str(r[2]), str(r[3]), r[4], r[5]) for r in rows] == [
            ("r0", "2026-05-04", "2026-05-04", "2026-05-05", "PASSED", 600.0),
            ("r1", "2026-05-04", "2026-05-04", "None", "UNKNOWN", 60.0)]  # the sandbox one left out
        assert [tuple(r) for r in day] == [(2, 1, 1, 1, 90.0, 2, 660.0, 1, 1, 1)]
    finally:
        if engine is not None:
            engine.dispose()
        if not url.startswith("sqlite"):
            drop_pg_database(url)

