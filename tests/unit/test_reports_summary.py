"""Report summary rows and queries against hand-made registrations (SQLite, and PostgreSQL when set):
every number is exact, the rows follow launches, commits, resets and deletion in the same
transaction, and a rebuild from the registration tables gives the same rows."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from coursehost.db.models.courses import Course, CourseVersion
from coursehost.db.models.dispatch import Destination
from coursehost.db.models.reports import DAY_COUNTS, ReportActiveDay, ReportDay, ReportRegistration
from coursehost.domain.applications import service as apps
from coursehost.domain.courses.model import Activity
from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import InvalidInput
from coursehost.domain.registrations import core, lifecycle
from coursehost.domain.reports import queries, summary
from coursehost.domain.reports.filters import ReportFilter
from coursehost.domain.runtime.commits import apply_commit
from coursehost.domain.runtime.launches import start_launch

KEY = "unit-test-instance-key-" + "r" * 24
_ids = itertools.count(1)
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


def make_app(session):
    n = next(_ids)
    realm = apps.ensure_realm(session)
    app, _ = apps.create_application(session, box=SecretBox(KEY), realm_id=realm.id, name=f"Reports {n}")
    return app


def make_course(session, app, course_id, scos=("sco1",)):
    root = Activity(id="org", title="Course", children=[
        Activity(id=i, title=i.upper(), activity_type="SCO", href=f"{i}.html") for i in scos])
    course = Course(application_pk=app.pk, course_id=course_id, title=course_id, learning_standard="SCORM12",
                    latest_version=0)
    session.add(course)
    session.flush()
    session.add(CourseVersion(course_pk=course.pk, version=0, title=course_id, learning_standard="SCORM12",
                              structure=root.to_dict(), content_prefix=f"c/{app.pk}/{course_id}/"))
    session.flush()
    return course


def register(session, app, course_id, learner, reg_id, *, sandbox=False):
    return core.create_registration(session, application_pk=app.pk, registration_id=reg_id, course_id=course_id,
                                    learner={"id": learner}, sandbox=sandbox)


def take(session, reg, core_data, *, activity="sco1", at=NOW):
    row = start_launch(session, registration=reg, options={}, user_agent="pytest", now=at)
    apply_commit(session, launch_pk=row.pk, activity_id=activity, seq=1, runtime={"core": core_data}, now=at)
    return row


@pytest.fixture
def realm(db_session):
    """Two courses, five registrations with known results, one sandbox one, another application's."""
    app = make_app(db_session)
    make_course(db_session, app, "math")
    make_course(db_session, app, "art")
    a = register(db_session, app, "math", "ann", "r-a")   # passed 80, 10 min
    b = register(db_session, app, "math", "bob", "r-b")   # failed 40, 30 min
    c = register(db_session, app, "math", "cid", "r-c")   # incomplete, 5 min
    register(db_session, app, "math", "dan", "r-d")       # never launched
    e = register(db_session, app, "art", "ann", "r-e")    # passed 100, 20 min
    take(db_session, a, {"lesson_status": "passed", "score": {"raw": "80"}, "session_time": "00:10:00"})
    take(db_session, b, {"lesson_status": "failed", "score": {"raw": "40"}, "session_time": "00:30:00"})
    take(db_session, c, {"lesson_status": "incomplete", "session_time": "00:05:00"})
    take(db_session, e, {"lesson_status": "passed", "score": {"raw": "100"}, "session_time": "00:20:00"})
    sand = register(db_session, app, "math", "sam", "r-sandbox", sandbox=True)
    take(db_session, sand, {"lesson_status": "passed", "score": {"raw": "10"}})
    other = make_app(db_session)
    make_course(db_session, other, "math")
    take(db_session, register(db_session, other, "math", "ann", "r-other"), {"lesson_status": "failed"})
    db_session.flush()
    return app


def f(app, **narrow):
    return ReportFilter.last_days(app.pk, today=TODAY, **narrow)


def test_overview_counts_the_realm_exactly(db_session, realm):
    o = queries.overview(db_session, f(realm))
    assert (o.registered, o.started, o.completed, o.passed, o.failed) == (5, 4, 3, 2, 1)
    # SCORM 1.2 passed/failed are completed; completion rate 3/5, pass rate 2/3
    assert o.completion_rate == pytest.approx(3 / 5) and o.pass_rate == pytest.approx(2 / 3)
    assert o.average_score == pytest.approx((80 + 40 + 100) / 3)
    assert o.total_seconds == pytest.approx(65 * 60)
    assert o.median_seconds == pytest.approx(15 * 60)  # 5, 10, 20, 30 minutes
    assert [(d.day, d.registered, d.started, d.active_learners) for d in o.days] == [(TODAY, 5, 4, 3)]


def test_filters_narrow_to_a_course_and_a_learner(db_session, realm):
    math = queries.overview(db_session, f(realm, course_id="math"))
    assert (math.registered, math.passed, math.failed, math.median_seconds) == (4, 1, 1, 600)
    ann = queries.overview(db_session, f(realm, learner_id="ann"))
    assert (ann.registered, ann.completed, ann.average_score) == (2, 2, 90)
    assert [r.registration_id for r in queries.learner_registrations(db_session, f(realm, learner_id="ann"))] \
        == ["r-e", "r-a"]
    nobody = queries.overview(db_session, f(realm, course_id="unknown"))
    assert (nobody.registered, nobody.median_seconds, nobody.completion_rate, nobody.days) == (0, None, None, [])


def test_a_range_before_the_registrations_counts_nothing(db_session, realm):
    past = ReportFilter(realm.pk, TODAY - timedelta(days=30), TODAY - timedelta(days=1))
    assert queries.overview(db_session, past).registered == 0


def test_funnel_and_histograms(db_session, realm):
    assert queries.funnel(db_session, f(realm)) == queries.Funnel(5, 4, 3, 2)
    scores = queries.score_histogram(db_session, f(realm))
    assert len(scores) == 10
    assert {(b.low, b.count) for b in scores if b.count} == {(40, 1), (80, 1), (90, 1)}  # 100 in 90-100
    times = queries.time_histogram(db_session, f(realm))
    assert [(b.low, b.count) for b in times if b.count] == [(300, 1), (600, 1), (1200, 1), (1800, 1)]
    assert sum(b.count for b in times) == 4 and times[-1].high is None


def test_one_learner_reads_the_slim_rows_and_agrees(db_session, realm):
    ann = f(realm, learner_id="ann")
    assert queries.funnel(db_session, ann) == queries.Funnel(2, 2, 2, 2)
    assert [(b.low, b.count) for b in queries.score_histogram(db_session, ann) if b.count] == [(80, 1), (90, 1)]
    assert [(b.low, b.count) for b in queries.time_histogram(db_session, ann) if b.count] == [(600, 1), (1200, 1)]
    assert queries.overview(db_session, ann).median_seconds == 900


def test_median_of_an_odd_count_and_of_one(db_session, realm):
    assert queries.median_seconds(db_session, f(realm, course_id="math")) == 600  # 5, 10, 30 minutes
    assert queries.median_seconds(db_session, f(realm, course_id="art")) == 1200


def test_per_activity_completion_and_launch_timeline(db_session, realm):
    rows = queries.activity_completion(db_session, f(realm, course_id="math"))
    assert [(r.activity_id, r.registrations, r.completed, r.passed, r.failed) for r in rows] \
        == [("sco1", 3, 2, 1, 1)]
    timeline = queries.launch_timeline(db_session, f(realm, learner_id="ann"))
    assert sorted(t.registration_id for t in timeline) == ["r-a", "r-e"]
    with pytest.raises(InvalidInput):
        queries.launch_timeline(db_session, f(realm))


def test_reset_and_delete_update_the_rows_in_the_same_transaction(db_session, realm):
    a = core.get_registration(db_session, application_pk=realm.pk, registration_id="r-a")
    lifecycle.reset_progress(db_session, registration=a)
    o = queries.overview(db_session, f(realm))
    assert (o.registered, o.passed, o.started) == (5, 1, 4)  # launch history stays after a reset
    lifecycle.delete_registration(db_session, registration=a)
    db_session.flush()
    assert queries.overview(db_session, f(realm)).registered == 4
    assert db_session.get(ReportRegistration, a.pk) is None
    math = db_session.get(ReportDay, (realm.pk, "math", TODAY))
    assert (math.registered, math.passed, math.failed, math.timed) == (3, 0, 1, 2)


def test_rebuild_gives_the_rows_the_hooks_wrote(db_session, realm):
    def snapshot():
        regs = db_session.execute(select(
            ReportRegistration.registration_id, ReportRegistration.registered_day, ReportRegistration.first_launch_day,
            ReportRegistration.completed_day, ReportRegistration.completion, ReportRegistration.success,
            ReportRegistration.score, ReportRegistration.seconds).where(
            ReportRegistration.application_pk == realm.pk).order_by(ReportRegistration.registration_id)).all()
        days = db_session.execute(select(ReportActiveDay.registration_pk, ReportActiveDay.day).where(
            ReportActiveDay.application_pk == realm.pk).order_by(ReportActiveDay.registration_pk)).all()
        aggregates = db_session.execute(select(ReportDay.course_id, ReportDay.day, *(
            getattr(ReportDay, name) for name in DAY_COUNTS)).where(ReportDay.application_pk == realm.pk)
            .order_by(ReportDay.course_id)).all()
        return regs, days, [tuple(row) for row in aggregates]

    lifecycle.reset_progress(db_session, registration=core.get_registration(
        db_session, application_pk=realm.pk, registration_id="r-b"))  # deltas both ways
    before = snapshot()
    assert len(before[2]) == 2 and before[2][1][2] == 4  # math: 4 registered today
    assert summary.rebuild_session(db_session, application_pk=realm.pk) == (5, 4)
    assert snapshot() == before


def test_a_filter_refuses_an_inverted_range(realm):
    with pytest.raises(InvalidInput, match="end"):
        ReportFilter(realm.pk, TODAY, TODAY - timedelta(days=1))


def test_registrations_through_a_dispatch_are_reported_under_its_destination(db_session):
    from tests.unit.test_dispatch_access import _dispatch, _launch

    d = _dispatch(db_session)
    _launch(db_session, d, "lms-1")
    _launch(db_session, d, "lms-2")
    _launch(db_session, d, "lms-1")  # resumes: still two registrations
    dest = db_session.get(Destination, d.destination_pk)
    through = queries.overview(db_session, ReportFilter.last_days(d.application_pk, destination_id=dest.destination_id))
    assert through.registered == 2
    assert queries.overview(db_session, ReportFilter.last_days(d.application_pk, destination_id="elsewhere")) \
        .registered == 0
    assert queries.overview(db_session, ReportFilter.last_days(d.application_pk)).registered == 2


def test_registrations_through_an_invitation_are_reported_under_it(db_session, realm):
    reg = register(db_session, realm, "art", "ivy", "r-invited")
    summary.record_source(db_session, registration=reg, invitation_id="inv-1")
    assert queries.overview(db_session, f(realm, invitation_id="inv-1")).registered == 1
    assert queries.overview(db_session, f(realm)).registered == 6


def test_concurrent_commits_of_one_course_add_to_the_day_row(session_factory):
    """Two registrations of one course changing at once each add their delta to the day's row: on
    PostgreSQL a read-then-write of the row loses one (or fails on the new row's key); SQLite's
    writer lock serialises the two."""
    with session_factory() as s:
        app_pk = make_app(s).pk
        s.commit()
    row = SimpleNamespace(application_pk=app_pk, course_id="concurrent", registered_day=TODAY)
    zero = summary.contribution(None)
    one = {**zero, "registered": 1, "started": 1}
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with session_factory() as s:
                summary._apply(s, row, zero, one)
                s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    first = session_factory()
    summary._apply(first, row, zero, one)
    first.flush()
    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)  # the second waits for the first's row (PostgreSQL) or writer lock (SQLite)
    first.commit()
    first.close()
    thread.join(30)
    assert not errors
    with session_factory() as s:
        day = s.get(ReportDay, (app_pk, "concurrent", TODAY))
        assert (day.registered, day.started) == (2, 2)
