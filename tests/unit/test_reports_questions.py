"""Question analysis, learner responses, objectives met and xAPI statistics from real run-time
commits (apply_commit, as the player's commit endpoint calls it) and real LRS statements; SQLite,
and PostgreSQL when set. Numbers are exact."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import func, select

from coursehost.db.migrate import alembic_config, upgrade
from coursehost.db.models.courses import Course, CourseVersion
from coursehost.db.models.report_facts import ReportInteraction
from coursehost.db.session import make_engine, make_sessionmaker
from coursehost.domain.applications import service as apps
from coursehost.domain.courses.model import Activity
from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import NotFound
from coursehost.domain.lrs.statements import Writer, store_statements
from coursehost.domain.registrations import core, lifecycle
from coursehost.domain.reporting.progress import registration_progress
from coursehost.domain.reports.facts import rebuild_facts
from coursehost.domain.reports.filters import ReportFilter
from coursehost.domain.reports.questions import (
    ResponseCount,
    interaction_responses,
    objectives_met,
    question_analysis,
)
from coursehost.domain.reports.xapi_stats import (
    statements_per_activity,
    statements_per_activity_per_day,
    statements_per_verb,
)
from coursehost.domain.runtime.commits import apply_commit
from coursehost.domain.runtime.launches import start_launch
from tests.databases import BACKENDS, create_pg_database, drop_pg_database

KEY = "unit-test-instance-key-" + "q" * 24
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
D0 = T0.date()
_ids = itertools.count(1)


class Course_:
    """An application with one course of STANDARD; registrations on it commit run-time data."""

    def __init__(self, session, standard: str, app=None):
        n = next(_ids)
        self.session, self.standard = session, standard
        if app is None:
            realm = apps.ensure_realm(session)
            app, _ = apps.create_application(session, box=SecretBox(KEY), realm_id=realm.id, name=f"Reports {n}")
        self.app = app
        root = Activity(id="org", title="Quiz", children=[
            Activity(id="sco1", title="SCO", activity_type="SCO", href="sco1.html")])
        self.course = Course(application_pk=app.pk, course_id="quiz", title="Quiz", learning_standard=standard,
                             latest_version=0)
        session.add(self.course)
        session.flush()
        session.add(CourseVersion(course_pk=self.course.pk, version=0, title="Quiz", learning_standard=standard,
                                  structure=root.to_dict(), content_prefix=f"q/{n}/"))
        session.flush()

    def register(self, learner: str, *, sandbox: bool = False):
        reg = core.create_registration(self.session, application_pk=self.app.pk,
                                       registration_id=f"reg-{next(_ids)}-{learner}", course_id="quiz",
                                       learner={"id": learner, "firstName": learner, "lastName": "L"})
        reg.sandbox = sandbox
        reg.launch = start_launch(self.session, registration=reg, tracking=True, options={}, user_agent="pytest",
                                  now=T0)
        reg.seq = 0
        return reg

    def commit(self, reg, runtime: dict, at: datetime = T0):
        reg.seq += 1
        return apply_commit(self.session, launch_pk=reg.launch.pk, activity_id="sco1", seq=reg.seq,
                            runtime=runtime, now=at)

    def filter(self, **kw) -> ReportFilter:
        return ReportFilter(application_pk=self.app.pk, start=kw.pop("start", D0), end=kw.pop("end", D0),
                            course_id="quiz", **kw)


def i12(qid, response, result, latency, kind="choice"):
    """A SCORM 1.2 cmi.interactions.n (RTE 3.4.2.5; 1.2 says "wrong", and has no description)."""
    return {"id": qid, "type": kind, "student_response": response, "result": result, "latency": latency,
            "time": "12:00:00"}


def rt12(*interactions, objectives=()):
    return {"core": {"lesson_status": "incomplete", "session_time": "00:01:00"},
            "interactions": list(interactions), "objectives": [{"id": o, "status": s} for o, s in objectives]}


def i2004(qid, response, result, latency, description):
    return {"id": qid, "type": "choice", "learner_response": response, "result": result, "latency": latency,
            "description": description, "timestamp": "2026-03-01T12:00:00Z"}


@pytest.fixture
def quiz12(db_session):
    """Three learners answer q1 and q2 of a SCORM 1.2 quiz; a sandbox registration answers too."""
    c = Course_(db_session, "SCORM12")
    ada, bob, cy, box = c.register("ada"), c.register("bob"), c.register("cy"), c.register("sand", sandbox=True)
    c.commit(ada, rt12(i12("q1", "a", "correct", "0000:00:05.00"), i12("q2", "t", "wrong", "0000:00:10.00", "true-false"),
                       objectives=[("obj1", "passed"), ("obj2", "failed")]))
    c.commit(bob, rt12(i12("q1", "b", "wrong", "0000:00:15.00"), i12("q2", "t", "wrong", "0000:00:20.00", "true-false"),
                       objectives=[("obj1", "failed")]))
    c.commit(cy, rt12(i12("q1", "a", "correct", "0000:00:10.00"), objectives=[("obj1", "incomplete")]))
    c.commit(box, rt12(i12("q1", "zzz", "wrong", "0000:01:00.00"), objectives=[("obj1", "failed")]))
    c.regs = {"ada": ada, "bob": bob, "cy": cy, "sand": box}
    return c


def test_scorm12_question_analysis_counts_each_learners_answer(quiz12):
    q1, q2 = question_analysis(quiz12.session, quiz12.filter())
    assert (q1.interaction_id, q1.type, q1.answered, q1.correct, q1.incorrect) == ("q1", "Choice", 3, 2, 1)
    assert q1.percent_correct == 66.67 and q1.average_latency_seconds == 10.0 and q1.description is None
    assert q1.responses == [ResponseCount("a", 2, True), ResponseCount("b", 1, False)] and q1.other_responses == 0
    assert (q2.interaction_id, q2.type, q2.answered, q2.correct, q2.incorrect) == ("q2", "TrueFalse", 2, 0, 2)
    assert q2.percent_correct == 0.0 and q2.average_latency_seconds == 15.0
    assert q2.responses == [ResponseCount("t", 2, False)]


def test_scorm12_objectives_met_per_objective(quiz12):
    obj1, obj2 = objectives_met(quiz12.session, quiz12.filter())
    assert (obj1.objective_id, obj1.met, obj1.not_met, obj1.unknown) == ("obj1", 1, 1, 1)
    assert (obj2.objective_id, obj2.met, obj2.not_met, obj2.unknown) == ("obj2", 0, 1, 0)


def test_a_later_commit_rewrites_only_the_interactions_it_changed(quiz12):
    ada, t1 = quiz12.regs["ada"], T0 + timedelta(days=1)
    quiz12.commit(ada, rt12(i12("q1", "a", "correct", "0000:00:05.00"), i12("q2", "f", "correct", "0000:00:04.00", "true-false"),
                            i12("q3", "x", "neutral", "PT1S"), objectives=[("obj1", "passed"), ("obj2", "failed")]), at=t1)
    next_day = question_analysis(quiz12.session, quiz12.filter(start=t1.date(), end=t1.date()))
    assert [(q.interaction_id, q.answered, q.correct) for q in next_day] == [("q2", 1, 1), ("q3", 1, 0)]
    assert next_day[1].responses == [ResponseCount("x", 1, None)] and next_day[1].percent_correct == 0.0
    both = {q.interaction_id: q for q in question_analysis(quiz12.session, quiz12.filter(end=t1.date()))}
    assert (both["q1"].answered, both["q2"].answered, both["q2"].correct) == (3, 2, 1)
    # the objectives did not change: still counted on the first day only
    assert objectives_met(quiz12.session, quiz12.filter(start=t1.date(), end=t1.date())) == []
    # the same data again (a retry with a new sequence number) writes nothing new
    quiz12.commit(ada, rt12(i12("q1", "a", "correct", "0000:00:05.00")), at=t1 + timedelta(days=1))
    later = question_analysis(quiz12.session, quiz12.filter(start=t1.date() + timedelta(days=1), end=t1.date() + timedelta(days=1)))
    assert later == []  # q1 unchanged; q2 and q3 left the run-time data, so their facts went
    assert {q.interaction_id: q.answered for q in question_analysis(quiz12.session, quiz12.filter(end=t1.date()))} == {"q1": 3, "q2": 1}


def test_learner_responses_are_paged_newest_first_and_name_their_registration(quiz12):
    s, f = quiz12.session, quiz12.filter()
    first = interaction_responses(s, f, interaction_id="q1", limit=2)
    assert [(r.registration_id, r.learner_id, r.learner_response, r.correct) for r in first.responses] == [
        (quiz12.regs["cy"].registration_id, "cy", "a", True), (quiz12.regs["bob"].registration_id, "bob", "b", False)]
    assert first.responses[0].instance == 0 and first.responses[0].activity_id == "sco1"
    assert first.responses[0].latency_seconds == 10.0 and first.responses[0].day == D0
    second = interaction_responses(s, f, interaction_id="q1", limit=2, before=first.next_before)
    assert [r.learner_id for r in second.responses] == ["ada"] and second.next_before is None
    assert interaction_responses(s, f, interaction_id="nope").responses == []


def test_filters_narrow_by_learner_and_range_and_stay_in_the_application(quiz12, db_session):
    s = quiz12.session
    assert [(q.interaction_id, q.answered) for q in question_analysis(s, quiz12.filter(learner_id="bob"))] == [
        ("q1", 1), ("q2", 1)]
    assert question_analysis(s, quiz12.filter(start=D0 + timedelta(days=1), end=D0 + timedelta(days=5))) == []
    other = Course_(db_session, "SCORM12")  # another application with a course of the same id
    assert question_analysis(s, other.filter()) == []
    with pytest.raises(NotFound):
        question_analysis(s, ReportFilter(application_pk=quiz12.app.pk, start=D0, end=D0, course_id="missing"))


def test_reset_and_delete_forget_the_registrations_answers(quiz12):
    s = quiz12.session
    lifecycle.reset_progress(s, registration=quiz12.regs["ada"])
    assert [(q.interaction_id, q.answered) for q in question_analysis(s, quiz12.filter())] == [("q1", 2), ("q2", 1)]
    lifecycle.delete_registration(s, registration=quiz12.regs["bob"])
    assert [(q.interaction_id, q.answered) for q in question_analysis(s, quiz12.filter())] == [("q1", 1)]
    assert [(o.objective_id, o.met, o.not_met, o.unknown) for o in objectives_met(s, quiz12.filter())] == [
        ("obj1", 0, 0, 1)]


def test_rebuild_gives_the_same_analysis_as_the_commits(quiz12):
    s = quiz12.session
    before = question_analysis(s, quiz12.filter())
    mine = select(func.count()).select_from(ReportInteraction).where(ReportInteraction.application_pk == quiz12.app.pk)
    count = s.scalar(mine)  # this application's rows only: live servers of other tests share the database
    assert rebuild_facts(s, application_pk=quiz12.app.pk) == 3  # the sandbox registration's activity is skipped
    assert s.scalar(mine) == count == 5
    assert question_analysis(s, quiz12.filter()) == before


def test_scorm2004_answers_match_what_registration_progress_reports(db_session):
    c = Course_(db_session, "SCORM20044THEDITION")
    ada, bob = c.register("ada"), c.register("bob")
    base = {"completion_status": "incomplete", "session_time": "PT1M"}
    c.commit(ada, {**base, "interactions": [i2004("urn:q:1", "paris", "correct", "PT4S", "Capital of France?"),
                                            i2004("urn:q:2", "3", "incorrect", "PT1M", "1 + 1?")],
                   "objectives": [{"id": "geo", "success_status": "passed", "score": {"scaled": "0.8"}}]})
    c.commit(bob, {**base, "interactions": [i2004("urn:q:1", "lyon", "incorrect", "PT6S", "Capital of France?")],
                   "objectives": [{"id": "geo", "success_status": "failed", "score": {"scaled": "0.4"}}]})
    stats = {q.interaction_id: q for q in question_analysis(db_session, c.filter())}
    q1 = stats["urn:q:1"]
    assert (q1.description, q1.answered, q1.correct, q1.percent_correct, q1.average_latency_seconds) == (
        "Capital of France?", 2, 1, 50.0, 5.0)
    assert q1.responses == [ResponseCount("lyon", 1, False), ResponseCount("paris", 1, True)]
    assert (stats["urn:q:2"].answered, stats["urn:q:2"].average_latency_seconds) == (1, 60.0)
    (geo,) = objectives_met(db_session, c.filter())
    assert (geo.objective_id, geo.met, geo.not_met, geo.average_score) == ("geo", 1, 1, 60.0)
    # what GetRegistrationProgress (includeInteractionsAndObjectives) says for the same registrations
    answers = []
    for reg in (ada, bob):
        progress = registration_progress(db_session, registration=reg, include_child_results=True,
                                         include_interactions_and_objectives=True, include_runtime=True)
        for child in progress.activity_details.children:
            answers += [(i.id, i.learner_response, i.result) for i in child.runtime.runtime_interactions]
    assert sorted(answers) == sorted((qid, r.learner_response, r.result)
                                     for qid in stats for r in interaction_responses(
                                         db_session, c.filter(), interaction_id=qid).responses)


def _statement(verb: str, activity: str, registration: str | None, actor: str, at: datetime) -> dict:
    stmt = {"id": str(uuid.uuid4()), "actor": {"mbox": f"mailto:{actor}@example.com"},
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
            "object": {"id": activity}, "timestamp": at.isoformat()}
    if registration:
        stmt["context"] = {"registration": registration}
    return stmt


def test_xapi_statistics_per_verb_per_day_and_per_activity(db_session):
    c = Course_(db_session, "TINCAN")
    ada, bob, box = c.register("ada"), c.register("bob"), c.register("sand", sandbox=True)
    writer = Writer(app_pk=c.app.pk, credential_id=None, authority={"mbox": "mailto:lrs@example.com"})

    def store(at: datetime, *stmts: dict) -> None:
        store_statements(db_session, writer=writer, body=list(stmts), version="1.0.3", now=at)

    t1 = T0 + timedelta(days=1)
    store(T0, _statement("attempted", "urn:c:1", ada.xapi_registration_id, "ada", T0),
          _statement("answered", "urn:c:1/q1", ada.xapi_registration_id, "ada", T0),
          _statement("answered", "urn:c:1/q1", bob.xapi_registration_id, "bob", T0),
          _statement("answered", "urn:c:1/q1", box.xapi_registration_id, "sand", T0),  # sandbox: never counted
          _statement("answered", "urn:other", None, "eve", T0))  # no registration: not the course's
    store(t1, _statement("completed", "urn:c:1", ada.xapi_registration_id, "ada", t1))
    course = c.filter(end=t1.date())
    answered, attempted, completed = "http://adlnet.gov/expapi/verbs/answered", \
        "http://adlnet.gov/expapi/verbs/attempted", "http://adlnet.gov/expapi/verbs/completed"
    assert [(v.day, v.verb_id, v.statements) for v in statements_per_verb(db_session, course)] == [
        (D0, answered, 2), (D0, attempted, 1), (t1.date(), completed, 1)]
    assert [(a.activity_id, a.statements, a.actors) for a in statements_per_activity(db_session, course)] == [
        ("urn:c:1", 2, 1), ("urn:c:1/q1", 2, 2)]
    assert [(a.day, a.activity_id, a.statements) for a in statements_per_activity_per_day(db_session, course)] == [
        (D0, "urn:c:1", 1), (D0, "urn:c:1/q1", 2), (t1.date(), "urn:c:1", 1)]
    # the most talked-about LIMIT activities of the range, each on every day it had statements
    assert [(a.day, a.activity_id) for a in statements_per_activity_per_day(db_session, course, limit=1)] == [
        (D0, "urn:c:1"), (t1.date(), "urn:c:1")]
    everything = ReportFilter(application_pk=c.app.pk, start=D0, end=D0)
    assert [(v.verb_id, v.statements) for v in statements_per_verb(db_session, everything)] == [
        (answered, 3), (attempted, 1)]
    assert [(v.verb_id, v.statements) for v in statements_per_verb(db_session, c.filter(learner_id="bob"))] == [
        (answered, 1)]
    assert statements_per_verb(db_session, ReportFilter(application_pk=c.app.pk, start=date(2025, 1, 1),
                                                        end=date(2025, 1, 2))) == []


@pytest.fixture(params=BACKENDS)
def fresh_url(request, tmp_path):
    """A fresh, migrated database of each backend of its own (this test migrates it down and up)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'backfill.db'}"
        upgrade(url)
        yield url
        return
    url = create_pg_database()
    upgrade(url)
    yield url
    drop_pg_database(url)


def test_the_migration_fills_facts_from_the_runtime_data_already_stored(fresh_url):
    engine = make_engine(fresh_url)
    with make_sessionmaker(engine)() as session:
        c = Course_(session, "SCORM12")
        ada, bob = c.register("ada"), c.register("bob")
        c.commit(ada, rt12(i12("q1", "a", "correct", "0000:00:05.00"), objectives=[("obj1", "passed")]))
        c.commit(bob, rt12(i12("q1", "b", "wrong", "0000:00:15.00")))
        session.commit()
        flt = c.filter()
    engine.dispose()  # the migration runs on its own connections
    command.downgrade(alembic_config(fresh_url), "0023")  # as if the data was there before the facts
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    with make_sessionmaker(engine)() as session:
        (q1,) = question_analysis(session, flt)
        assert (q1.answered, q1.correct, q1.average_latency_seconds) == (2, 1, 10.0)
        assert q1.responses == [ResponseCount("a", 1, True), ResponseCount("b", 1, False)]
        assert [(o.objective_id, o.met) for o in objectives_met(session, flt)] == [("obj1", 1)]
    engine.dispose()
