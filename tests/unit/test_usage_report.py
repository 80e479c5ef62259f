"""domain/usage_report.py: which month (UTC) a thing counts in, the last 30 days, storage at the end
of each period, and one realm's report never counting another realm's things."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from coursehost.db.models.courses import Course, CourseVersion
from coursehost.db.models.lrs import XapiStatement
from coursehost.db.models.registrations import Launch, Registration, RegistrationInstance
from coursehost.db.models.tenancy import Application, Realm
from coursehost.domain.usage_report import csv_rows, periods, usage_report

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def test_twelve_months_across_a_new_year_and_the_last_30_days():
    rows = periods(NOW)
    assert [key for key, *_ in rows] == [
        "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10",
        "2024-11", "2024-12", "2025-01", "last-30-days"]
    assert rows[0][2] == datetime(2024, 2, 1, tzinfo=UTC) and rows[0][3] == datetime(2024, 3, 1, tzinfo=UTC)
    assert rows[0][1] == "February 2024"
    assert rows[11][3] == NOW  # the current month ends now
    assert rows[12][2:] == (NOW - timedelta(days=30), NOW)


def _realm_with_app(session) -> tuple[Realm, Application]:
    realm = Realm(name=f"r-{uuid.uuid4().hex[:6]}")
    session.add(realm)
    session.flush()
    app = Application(app_id=uuid.uuid4().hex[:20].upper(), realm_id=realm.id, name="a")
    session.add(app)
    session.flush()
    return realm, app


def _things(session, app: Application, *, course_created: datetime, size: int, moments: list[datetime]) -> None:
    course = Course(application_pk=app.pk, course_id=f"c-{uuid.uuid4().hex[:6]}", title="t",
                    learning_standard="SCORM12", created=course_created)
    session.add(course)
    session.flush()
    version = CourseVersion(course_pk=course.pk, version=0, title="t", learning_standard="SCORM12", structure={},
                            content_prefix="x/", size_bytes=size, created=course_created)
    session.add(version)
    session.flush()
    for moment in moments:
        reg = Registration(application_pk=app.pk, registration_id=uuid.uuid4().hex, course_pk=course.pk,
                           course_id=course.course_id, learner_id="l", xapi_registration_id=str(uuid.uuid4()),
                           created=moment)
        session.add(reg)
        session.flush()
        inst = RegistrationInstance(registration_pk=reg.pk, course_version_pk=version.pk, created=moment)
        session.add(inst)
        session.flush()
        session.add(Launch(launch_id=uuid.uuid4().hex, instance_pk=inst.pk, launch_time=moment))
        session.add(XapiStatement(application_pk=app.pk, statement_id=str(uuid.uuid4()), stored=moment,
                                  version="1.0.3", verb_id="v", object_type="Activity", body="{}"))
    session.flush()


def test_counts_land_in_their_month_and_storage_accumulates(db_session):
    realm, app = _realm_with_app(db_session)
    _things(db_session, app, course_created=datetime(2024, 6, 10, tzinfo=UTC), size=1000,
            moments=[datetime(2024, 6, 1, tzinfo=UTC),  # the first instant of June counts in June
                     datetime(2024, 12, 10, tzinfo=UTC),  # December, before the last 30 days
                     datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC),  # December, and in the last 30 days
                     datetime(2025, 1, 3, tzinfo=UTC),
                     datetime(2023, 12, 1, tzinfo=UTC)])  # older than the report: nowhere
    _things(db_session, app, course_created=datetime(2025, 1, 2, tzinfo=UTC), size=500, moments=[])
    _, other_app = _realm_with_app(db_session)
    _things(db_session, other_app, course_created=datetime(2025, 1, 2, tzinfo=UTC), size=7,
            moments=[datetime(2025, 1, 5, tzinfo=UTC)])
    report = usage_report(db_session, realm_id=realm.id, now=NOW)
    by_key = {p.key: p for p in report.months}
    counted = {k: (p.registrations, p.launches, p.statements) for k, p in by_key.items() if p.registrations}
    assert counted == {"2024-06": (1, 1, 1), "2024-12": (2, 2, 2), "2025-01": (1, 1, 1)}
    assert by_key["2024-05"].storage_bytes == 0 and by_key["2024-06"].storage_bytes == 1000
    assert by_key["2024-12"].storage_bytes == 1000 and by_key["2025-01"].storage_bytes == 1500
    recent = report.recent
    assert (recent.registrations, recent.launches, recent.statements, recent.storage_bytes) == (2, 2, 2, 1500)
    rows = csv_rows(report)
    assert rows[0] == ["period", "start", "end", "registrations", "launches", "storage_bytes", "lrs_statements"]
    assert rows[-1][0] == "last-30-days" and rows[-1][3:] == ["2", "2", "1500", "2"]
