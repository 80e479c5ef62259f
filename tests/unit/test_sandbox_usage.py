"""Sandbox (preview) registrations are not usage: the usage report counts neither them nor their
launches, the Apps page's registrations chart does not count them, GetRegistrations does not list
them; the month boundaries both reports share."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from coursehost.db.models.courses import Course, CourseVersion
from coursehost.db.models.registrations import Launch, Registration, RegistrationInstance
from coursehost.db.models.tenancy import Application, Realm
from coursehost.domain.applications.overview import registrations_per_month
from coursehost.domain.months import month_starts
from coursehost.domain.registrations.listing import registration_list_query
from coursehost.domain.usage_report import usage_report

NOW = datetime(2025, 3, 20, 9, 30, tzinfo=UTC)
EARLIER = datetime(2025, 3, 18, 14, 0, tzinfo=UTC)  # this month, and in the last 30 days


def test_month_starts_cross_the_new_year_and_end_with_the_next_month():
    assert month_starts(NOW, 4) == [datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC),
                                    datetime(2025, 2, 1, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC),
                                    datetime(2025, 4, 1, tzinfo=UTC)]
    assert month_starts(datetime(2025, 12, 31, 23, 59, tzinfo=UTC), 1) == [
        datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)]


def _registration(session, app: Application, course: Course, version: CourseVersion, *, sandbox: bool) -> str:
    reg = Registration(application_pk=app.pk, registration_id=uuid.uuid4().hex, course_pk=course.pk,
                       course_id=course.course_id, learner_id="l", xapi_registration_id=str(uuid.uuid4()),
                       sandbox=sandbox, created=EARLIER)
    session.add(reg)
    session.flush()
    inst = RegistrationInstance(registration_pk=reg.pk, course_version_pk=version.pk, created=EARLIER)
    session.add(inst)
    session.flush()
    session.add(Launch(launch_id=uuid.uuid4().hex, instance_pk=inst.pk, launch_time=EARLIER))
    session.flush()
    return reg.registration_id


def test_sandbox_registrations_and_their_launches_are_not_usage(db_session):
    realm = Realm(name=f"r-{uuid.uuid4().hex[:6]}")
    db_session.add(realm)
    db_session.flush()
    app = Application(app_id=uuid.uuid4().hex[:20].upper(), realm_id=realm.id, name="a")
    db_session.add(app)
    db_session.flush()
    course = Course(application_pk=app.pk, course_id="c", title="t", learning_standard="SCORM12", created=NOW)
    db_session.add(course)
    db_session.flush()
    version = CourseVersion(course_pk=course.pk, version=0, title="t", learning_standard="SCORM12", structure={},
                            content_prefix="x/", size_bytes=10, created=NOW)
    db_session.add(version)
    db_session.flush()
    real = _registration(db_session, app, course, version, sandbox=False)
    for _ in range(2):
        _registration(db_session, app, course, version, sandbox=True)

    report = usage_report(db_session, realm_id=realm.id, now=NOW)
    assert (report.months[-1].registrations, report.months[-1].launches) == (1, 1)
    assert (report.recent.registrations, report.recent.launches) == (1, 1)
    chart = registrations_per_month(db_session, app_pk=app.pk, now=NOW)
    assert [m.count for m in chart][-1] == 1 and sum(m.count for m in chart) == 1
    listed = db_session.scalars(registration_list_query(app.pk)).all()
    assert [r.registration_id for r in listed] == [real]
    assert len(db_session.scalars(select(Registration).where(Registration.application_pk == app.pk)).all()) == 3
