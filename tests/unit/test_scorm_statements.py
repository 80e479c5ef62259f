"""SCORM run-time changes -> xAPI statements: the mapping (pure) and its place in a commit's transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from coursehost.db.models.lrs import XapiStatement
from coursehost.db.models.registrations import ActivityState
from coursehost.domain.lrs.validation import validate_statements
from coursehost.domain.lrs.versions import V1
from coursehost.domain.registrations import core
from coursehost.domain.runtime.scorm_statements import Origin, statements_for
from coursehost.domain.scorm.status import Result
from coursehost.domain.settings_registry import set_settings
from coursehost.domain.settings_registry.cascade import application_scope
from coursehost.domain.standards import RuntimeFamily
from tests.unit.test_runtime_tracking import commit, launch, make_registration

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ADL = "http://adlnet.gov/expapi/verbs/"
REG = "5f0c4a8e-3b7d-4c1e-9a2f-0d6b8e1c2a3b"


def origin(fam=RuntimeFamily.SCORM12, **kw) -> Origin:
    base = dict(home_page="https://lms.example.com", app_id="APP1", course_id="course 1", course_title="Course",
                learner_id="ada", learner_name="Ada Lovelace", registration=REG, launch_id="L1",
                activity_id="sco1", activity_title="SCO 1", fam=fam)
    return Origin(**{**base, **kw})


def verbs(stmts) -> list[str]:
    return [s["verb"]["id"].removeprefix(ADL) for s in stmts]


def test_a_first_scorm12_commit_that_passes_maps_to_initialized_completed_passed_answered_suspended():
    after = {"core": {"lesson_status": "passed", "exit": "suspend", "session_time": "00:01:30",
                      "score": {"raw": "85", "min": "0", "max": "100"}},
             "interactions": [{"id": "q 1", "type": "choice", "student_response": "a", "result": "correct"}]}
    stmts = statements_for(origin(), before={}, after=after, results=(Result(), Result("COMPLETED", "PASSED", 85.0)),
                           first=True, seq=1, now=T0)
    assert verbs(stmts) == ["initialized", "completed", "passed", "answered", "suspended"]
    validate_statements(stmts, version=V1)  # every one is a statement the LRS accepts
    passed = stmts[2]
    assert passed["result"] == {"score": {"scaled": 0.85, "raw": 85.0, "min": 0.0, "max": 100.0},
                                "success": True, "completion": True}
    assert passed["actor"] == {"objectType": "Agent", "name": "Ada Lovelace",
                               "account": {"homePage": "https://lms.example.com", "name": "ada"}}
    assert passed["context"]["registration"] == REG
    assert passed["context"]["contextActivities"]["grouping"][0]["id"] == \
        "https://lms.example.com/xapi/APP1/courses/course%201"
    answered = stmts[3]
    assert answered["object"]["id"] == "https://lms.example.com/xapi/APP1/courses/course%201/interactions/q%201"
    assert answered["object"]["definition"]["interactionType"] == "choice"
    assert answered["result"] == {"response": "a", "success": True}
    assert answered["context"]["contextActivities"]["parent"][0]["id"].endswith("/activities/sco1")
    assert stmts[4]["result"] == {"duration": "PT0H1M30S"}


def test_only_what_changed_is_stated():
    before = {"core": {"lesson_status": "passed"},
              "interactions": [{"id": "q1", "type": "choice", "student_response": "a", "result": "wrong"}]}
    after = {"core": {"lesson_status": "passed"},
             "interactions": [{"id": "q1", "type": "choice", "student_response": "b", "result": "correct"},
                              {"id": "q2", "type": "numeric", "student_response": "3", "result": "neutral"}]}
    same = Result("COMPLETED", "PASSED", None)
    stmts = statements_for(origin(), before=before, after=after, results=(same, same), first=False, seq=4, now=T0)
    assert verbs(stmts) == ["answered", "answered"]
    assert [s["result"] for s in stmts] == [{"response": "b", "success": True}, {"response": "3"}]
    assert statements_for(origin(), before=after, after=after, results=(same, same), first=False, seq=5, now=T0) == []


def test_scorm2004_failed_with_completion_and_a_score_xapi_can_carry():
    after = {"completion_status": "completed", "success_status": "failed",
             "score": {"scaled": "0.3", "raw": "130", "min": "0", "max": "100"}}  # raw above max: left out
    stmts = statements_for(origin(RuntimeFamily.SCORM2004), before={"completion_status": "incomplete"}, after=after,
                           results=(Result("INCOMPLETE"), Result("COMPLETED", "FAILED", 30.0)),
                           first=False, seq=2, now=T0)
    assert verbs(stmts) == ["completed", "failed"]
    assert stmts[1]["result"] == {"score": {"scaled": 0.3}, "success": False, "completion": True}
    validate_statements(stmts, version=V1)


def test_statement_ids_are_stable_per_change_and_differ_between_changes():
    after = {"core": {"lesson_status": "failed", "exit": "suspend"}}
    res = (Result(), Result("COMPLETED", "FAILED", None))
    one = statements_for(origin(), before={}, after=after, results=res, first=True, seq=3, now=T0)
    again = statements_for(origin(), before={}, after=after, results=res, first=True, seq=3, now=T0)
    later = statements_for(origin(), before={}, after=after, results=res, first=True, seq=4, now=T0)
    other_launch = statements_for(origin(launch_id="L2"), before={}, after=after, results=res, first=True, seq=3, now=T0)
    ids = [s["id"] for s in one]
    assert ids == [s["id"] for s in again] and len(set(ids)) == len(ids)
    assert not set(ids) & {s["id"] for s in later + other_launch}


def test_no_credit_states_no_results():
    after = {"core": {"lesson_status": "passed"}}
    stmts = statements_for(origin(), before={}, after=after, results=(Result(), Result("COMPLETED", "PASSED", None)),
                           first=True, seq=1, now=T0, credit=False)
    assert verbs(stmts) == ["initialized"]


def _statements(session, reg):
    rows = session.scalars(select(XapiStatement.body).where(XapiStatement.application_pk == reg.application_pk))
    return [json.loads(body) for body in rows]


def test_a_commit_writes_its_statements_in_its_own_transaction(db_session):
    reg = make_registration(db_session)
    row = launch(db_session, reg)
    nested = db_session.begin_nested()
    commit(db_session, row, {"core": {"lesson_status": "passed"}}, seq=1, public_url="https://lms.example.com")
    stmts = _statements(db_session, reg)
    assert sorted(verbs(stmts)) == ["completed", "initialized", "passed"]
    assert {s["context"]["registration"] for s in stmts} == {core.registration_uuid(reg, 0)}
    nested.rollback()  # the commit's transaction fails: neither its data nor its statements remain
    assert _statements(db_session, reg) == []
    inst = core.get_instance(db_session, registration=reg)
    assert db_session.scalars(select(ActivityState).where(ActivityState.instance_pk == inst.pk)).all() == []


def test_a_retried_commit_and_a_second_commit_add_no_duplicates(db_session):
    reg = make_registration(db_session)
    row = launch(db_session, reg)
    data = {"core": {"lesson_status": "incomplete", "exit": "suspend"}}
    commit(db_session, row, data, seq=1, public_url="https://lms.example.com")
    commit(db_session, row, data, seq=1, public_url="https://lms.example.com")  # the same seq again
    commit(db_session, row, data, seq=2, public_url="https://lms.example.com")  # nothing changed
    assert sorted(verbs(_statements(db_session, reg))) == ["initialized", "suspended"]


def test_the_setting_off_or_no_public_url_writes_none(db_session):
    reg = make_registration(db_session)
    set_settings(db_session, application_pk=reg.application_pk, scope=application_scope(),
                 values=[("XapiForScormEnabled", "false")])
    commit(db_session, launch(db_session, reg), {"core": {"lesson_status": "passed"}}, seq=1,
           public_url="https://lms.example.com")
    other = make_registration(db_session)
    commit(db_session, launch(db_session, other), {"core": {"lesson_status": "passed"}}, seq=1)
    assert _statements(db_session, reg) == [] and _statements(db_session, other) == []


def test_registration_uuid_is_the_registrations_xapi_registration_for_every_instance(db_session):
    reg = make_registration(db_session)
    assert core.registration_uuid(reg, 0) == core.registration_uuid(reg, 3) == reg.xapi_registration_id.lower()


def test_odd_run_time_data_never_breaks_the_mapping():
    odd = {"core": {"score": {"raw": "x", "min": "5", "max": "1"}}, "interactions": {"0": {"id": "q"}}}
    res = (Result(), Result("COMPLETED", "FAILED", 250.0))
    stmts = statements_for(origin(), before=odd, after={**odd, "interactions": [{"id": "q", "result": "7"}, "x"]},
                           results=res, first=False, seq=1, now=T0)
    assert verbs(stmts) == ["completed", "failed", "answered"]
    assert stmts[1]["result"]["score"] == {"scaled": 1.0}  # clamped to xAPI's -1..1; inconsistent raw/min/max left out
    validate_statements(stmts, version=V1)


def test_scorm12_list_responses_take_xapis_form_and_2004_ones_stay():
    after = {"interactions": [{"id": "c", "type": "choice", "student_response": "{a,b}"},
                              {"id": "m", "type": "matching", "student_response": "1.a,2.b"},
                              {"id": "f", "type": "fill-in", "student_response": "x,y"}]}
    stmts = statements_for(origin(), before={}, after=after, results=(Result(), Result()), first=False, seq=1, now=T0)
    assert [s["result"]["response"] for s in stmts] == ["a[,]b", "1[.]a[,]2[.]b", "x,y"]
    after = {"interactions": [{"id": "c", "type": "choice", "learner_response": "a[,]b"}]}
    stmts = statements_for(origin(RuntimeFamily.SCORM2004), before={}, after=after, results=(Result(), Result()),
                           first=False, seq=1, now=T0)
    assert stmts[0]["result"]["response"] == "a[,]b"
