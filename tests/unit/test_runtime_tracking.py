"""Launches, start data, commits and rollup against the database (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from coursehost.db.models.courses import Course, CourseVersion
from coursehost.db.models.jobs import RUNNING, Job
from coursehost.db.models.registrations import ActivityState, Launch
from coursehost.domain.applications import service as apps
from coursehost.domain.courses.model import Activity
from coursehost.domain.crypto import SecretBox
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.postbacks.enqueue import JOB_KIND
from coursehost.domain.registrations import core
from coursehost.domain.runtime.commits import apply_commit
from coursehost.domain.runtime.debuglog import MAX_LOG_ENTRIES, read_log
from coursehost.domain.runtime.launches import exit_launch, sco_start_data, start_launch
from coursehost.domain.settings_registry import SettingScope, set_settings

KEY = "unit-test-instance-key-" + "k" * 24
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


def make_registration(session, *, standard="SCORM12", scos=("sco1",), data=None, passing=None,
                      postback_url="http://127.0.0.1:9/postback", learner=None):
    """An application, a course version whose tree has SCOS, and a registration on it."""
    n = next(_ids)
    realm = apps.ensure_realm(session)
    app, _ = apps.create_application(session, box=SecretBox(KEY), realm_id=realm.id, name=f"Runtime {n}")
    root = Activity(id="org", title="Course", children=[
        Activity(id=i, title=i.upper(), activity_type="SCO", href=f"{i}.html", data=dict(data or {}),
                 scaled_passing_score=passing) for i in scos])
    course = Course(application_pk=app.pk, course_id=f"course-{n}", title="Course", learning_standard=standard,
                    latest_version=0)
    session.add(course)
    session.flush()
    session.add(CourseVersion(course_pk=course.pk, version=0, title="Course", learning_standard=standard,
                              structure=root.to_dict(), content_prefix=f"c/{n}/"))
    session.flush()
    reg = core.create_registration(
        session, application_pk=app.pk, registration_id=f"reg-{n}", course_id=course.course_id,
        learner=learner or {"id": "learner-1", "firstName": "Ada", "lastName": "Lovelace"},
        postback={"url": postback_url} if postback_url else None)
    return reg


def settings(session, reg, **values):
    set_settings(session, application_pk=reg.application_pk, scope=core.registration_scope(reg.registration_id),
                 values=[(k, str(v)) for k, v in values.items()])


def launch(session, reg, *, tracking=True, at=T0):
    return start_launch(session, registration=reg, tracking=tracking, options={}, user_agent="pytest", now=at)


def commit(session, row, runtime, *, seq, activity="sco1", at=T0, **kw):
    return apply_commit(session, launch_pk=row.pk, activity_id=activity, seq=seq, runtime=runtime, now=at, **kw)


def state_of(session, reg, activity="sco1"):
    inst = core.get_instance(session, registration=reg)
    return session.scalars(select(ActivityState).where(ActivityState.instance_pk == inst.pk,
                                                       ActivityState.activity_id == activity)).one()


def postback_jobs(session, reg):
    return [j for j in session.scalars(select(Job).where(Job.kind == JOB_KIND))
            if j.payload.get("registration_pk") == reg.pk]


# ---------------------------------------------------------------- launches and start data


def test_start_launch_records_access_and_tracking_false_records_nothing(db_session):
    reg = make_registration(db_session)
    row = launch(db_session, reg)
    assert len(row.launch_id) == 32 and row.tracking and row.user_agent == "pytest"
    assert reg.first_access == T0 and reg.last_access == T0
    assert core.get_instance(db_session, registration=reg).first_access == T0

    other = make_registration(db_session)
    quiet = launch(db_session, other, tracking=False)
    assert quiet.pk and quiet.tracking is False and other.first_access is None
    start = sco_start_data(db_session, launch=quiet, activity_id="sco1")
    assert start["tracking"] is False and start["lms"]["entry"] == "ab-initio"
    result = commit(db_session, quiet, {"core": {"lesson_status": "passed"}}, seq=1)
    assert result == {"applied": False, "lastSeq": 1}
    assert other.completion == "UNKNOWN" and db_session.scalars(
        select(ActivityState).where(ActivityState.instance_pk == quiet.instance_pk)).first() is None


def test_scorm12_start_data(db_session):
    reg = make_registration(db_session, data={"masteryscore": "80", "datafromlms": "level=2",
                                              "maxtimeallowed": "00:30:00", "timelimitaction": "exit,message"})
    start = sco_start_data(db_session, launch=launch(db_session, reg), activity_id="sco1")
    assert (start["scorm"], start["api"], start["standard"], start["runtime"]) == ("1.2", "API", "SCORM12", {})
    assert start["lms"] == {
        "entry": "ab-initio", "student_id": "learner-1", "student_name": "Lovelace, Ada", "credit": "credit",
        "lesson_mode": "normal", "total_time": "0000:00:00.00", "launch_data": "level=2", "mastery_score": "80",
        "max_time_allowed": "00:30:00", "time_limit_action": "exit,message",
    }
    assert state_of(db_session, reg).attempts == 1
    with pytest.raises(NotFound):
        sco_start_data(db_session, launch=launch(db_session, reg), activity_id="org")


def test_scorm2004_start_data(db_session):
    reg = make_registration(db_session, standard="SCORM20044THEDITION", passing=0.7, learner={"id": "L2"},
                            data={"dataFromLMS": "x=1", "timeLimitAction": "continue,no message",
                                  "completionThreshold": {"completedByMeasure": True, "minProgressMeasure": 0.8,
                                                          "progressWeight": 1.0}})
    start = sco_start_data(db_session, launch=launch(db_session, reg), activity_id="sco1")
    assert (start["scorm"], start["api"]) == ("2004", "API_1484_11")
    assert start["lms"] == {
        "entry": "ab-initio", "learner_id": "L2", "learner_name": "L2", "credit": "credit", "mode": "normal",
        "total_time": "PT0H0M0S", "launch_data": "x=1", "completion_threshold": "0.8",
        "scaled_passing_score": "0.7", "time_limit_action": "continue,no message",
    }


def test_resume_after_suspend_and_new_attempt_otherwise(db_session):
    reg = make_registration(db_session)
    first = launch(db_session, reg)
    sco_start_data(db_session, launch=first, activity_id="sco1")
    suspended = {"core": {"lesson_status": "incomplete", "lesson_location": "p3", "exit": "suspend",
                          "session_time": "00:10:00"}, "suspend_data": "bookmark"}
    commit(db_session, first, suspended, seq=1)

    second = launch(db_session, reg, at=T0 + timedelta(hours=1))
    start = sco_start_data(db_session, launch=second, activity_id="sco1")
    assert start["lms"]["entry"] == "resume" and start["runtime"]["suspend_data"] == "bookmark"
    assert start["lms"]["total_time"] == "0000:10:00.00" and start["attempt"] == 1
    commit(db_session, second, {"core": {"lesson_status": "incomplete", "exit": "",
                                         "session_time": "00:05:00"}}, seq=1)

    third = launch(db_session, reg, at=T0 + timedelta(hours=2))
    start = sco_start_data(db_session, launch=third, activity_id="sco1")
    state = state_of(db_session, reg)
    assert start["lms"]["entry"] == "ab-initio" and start["runtime"] == {}  # a new attempt, fresh data
    assert state.attempts == 2 and state.runtime == {} and state.base_seconds == 900  # time is kept
    assert start["lms"]["total_time"] == "0000:15:00.00"


def test_reset_never_keeps_data_with_empty_entry(db_session):
    reg = make_registration(db_session, standard="SCORM20043RDEDITION")
    settings(db_session, reg, PlayerResetRunTimeData="NEVER")
    first = launch(db_session, reg)
    sco_start_data(db_session, launch=first, activity_id="sco1")
    commit(db_session, first, {"completion_status": "incomplete", "location": "p2", "exit": "normal",
                               "session_time": "PT1M"}, seq=1)
    start = sco_start_data(db_session, launch=launch(db_session, reg), activity_id="sco1")
    assert start["lms"]["entry"] == "" and start["runtime"]["location"] == "p2"
    assert start["lms"]["total_time"] == "PT0H1M0S"


def test_scorm2004_total_time_covers_the_current_attempt_only(db_session):
    reg = make_registration(db_session, standard="SCORM20044THEDITION")
    first = launch(db_session, reg)
    sco_start_data(db_session, launch=first, activity_id="sco1")
    commit(db_session, first, {"completion_status": "completed", "exit": "normal", "session_time": "PT10M"}, seq=1)
    start = sco_start_data(db_session, launch=launch(db_session, reg), activity_id="sco1")
    assert start["lms"]["entry"] == "ab-initio" and start["lms"]["total_time"] == "PT0H0M0S"  # RTE 4.2.26
    assert reg.total_seconds == 600  # the registration keeps every attempt's time


def test_no_credit_relaunch_of_a_completed_registration(db_session):
    reg = make_registration(db_session)
    settings(db_session, reg, PlayerLaunchCompletedRegsAsNoCredit="true")
    first = launch(db_session, reg)
    sco_start_data(db_session, launch=first, activity_id="sco1")
    commit(db_session, first, {"core": {"lesson_status": "passed", "score": {"raw": "90"}, "exit": ""}}, seq=1)
    assert reg.completion == "COMPLETED"
    again = launch(db_session, reg)
    start = sco_start_data(db_session, launch=again, activity_id="sco1")
    assert start["lms"]["credit"] == "no-credit" and start["lms"]["lesson_mode"] == "review"
    commit(db_session, again, {"core": {"lesson_status": "failed", "score": {"raw": "10"},
                                        "session_time": "00:01:00"}}, seq=1)
    assert (reg.completion, reg.success, reg.score_scaled) == ("COMPLETED", "PASSED", 90)  # unchanged
    assert reg.total_seconds == 60  # time still counts


# ---------------------------------------------------------------- commits


def test_a_dispatch_shell_launch_gets_the_rollup_with_each_commit(db_session):
    reg = make_registration(db_session)
    row = launch(db_session, reg)
    row.options = {**(row.options or {}), "dispatchShell": {"origin": "http://lms.example", "startSeconds": 0}}
    sco_start_data(db_session, launch=row, activity_id="sco1")
    first = commit(db_session, row, {"core": {"lesson_status": "incomplete", "session_time": "00:01:00"}}, seq=1)
    assert first == {"applied": True, "lastSeq": 1, "result": {"completion": "INCOMPLETE", "success": "UNKNOWN",
                                                               "scoreScaled": None, "totalSeconds": 60.0}}
    second = commit(db_session, row, {"core": {"lesson_status": "passed", "session_time": "00:02:00"}}, seq=2)
    assert (second["applied"], second["lastSeq"], second["result"]["success"]) == (True, 2, "PASSED")


def test_commit_is_idempotent_by_seq(db_session):
    reg = make_registration(db_session)
    row = launch(db_session, reg)
    sco_start_data(db_session, launch=row, activity_id="sco1")
    runtime = {"core": {"lesson_status": "incomplete", "session_time": "00:01:00"}}
    assert commit(db_session, row, runtime, seq=1, log=[{"event": "a"}]) == {"applied": True, "lastSeq": 1}
    assert commit(db_session, row, runtime, seq=1, log=[{"event": "a"}]) == {"applied": False, "lastSeq": 1}
    assert commit(db_session, row, {"core": {"lesson_status": "passed", "session_time": "00:02:00"}}, seq=3) \
        == {"applied": True, "lastSeq": 3}
    assert commit(db_session, row, runtime, seq=2) == {"applied": False, "lastSeq": 3}  # late and stale
    assert reg.completion == "COMPLETED" and reg.total_seconds == 120
    assert [e.get("event") for e in read_log(db_session, row)] == ["a"]


def test_total_time_across_two_launches_ignores_client_totals(db_session):
    reg = make_registration(db_session, scos=("sco1", "sco2"))
    first = launch(db_session, reg)
    sco_start_data(db_session, launch=first, activity_id="sco1")
    commit(db_session, first, {"core": {"session_time": "00:01:00", "total_time": "0999:00:00", "exit": "suspend",
                                        "lesson_status": "incomplete"}}, seq=1)
    commit(db_session, first, {"core": {"session_time": "00:02:00", "exit": "suspend",
                                        "lesson_status": "incomplete"}}, seq=2)
    second = launch(db_session, reg, at=T0 + timedelta(days=1))
    sco_start_data(db_session, launch=second, activity_id="sco1")
    commit(db_session, second, {"core": {"session_time": "00:00:30", "lesson_status": "incomplete"}}, seq=1,
           at=T0 + timedelta(days=1))
    sco_start_data(db_session, launch=second, activity_id="sco2")
    commit(db_session, second, {"core": {"session_time": "00:00:15", "lesson_status": "completed"}}, seq=2,
           activity="sco2", at=T0 + timedelta(days=1))
    assert state_of(db_session, reg).total_seconds == 150
    assert reg.total_seconds == 165 and second.total_seconds == 165
    assert reg.last_access == T0 + timedelta(days=1) and reg.first_access == T0


def test_commit_without_a_start_call_still_counts(db_session):
    reg = make_registration(db_session)
    row = launch(db_session, reg)
    commit(db_session, row, {"core": {"lesson_status": "completed", "session_time": "00:00:10"}}, seq=1)
    assert state_of(db_session, reg).attempts == 1 and reg.total_seconds == 10


def test_suspend_data_too_long_changes_nothing(db_session):
    reg = make_registration(db_session)
    settings(db_session, reg, PlayerSuspendDataMaxLength="10")
    row = launch(db_session, reg)
    sco_start_data(db_session, launch=row, activity_id="sco1")
    commit(db_session, row, {"core": {"lesson_status": "incomplete"}, "suspend_data": "short"}, seq=1)
    jobs_before = len(postback_jobs(db_session, reg))
    with pytest.raises(InvalidInput, match=r"cmi\.suspend_data"):
        commit(db_session, row, {"core": {"lesson_status": "passed"}, "suspend_data": "x" * 11}, seq=2,
               log=[{"event": "should not be kept"}])
    assert row.last_seq == 1 and read_log(db_session, row) == []
    assert state_of(db_session, reg).runtime["suspend_data"] == "short" and reg.completion == "INCOMPLETE"
    assert len(postback_jobs(db_session, reg)) == jobs_before


def test_invalid_elements_and_unknown_activity_are_refused(db_session):
    reg = make_registration(db_session, standard="SCORM20044THEDITION")
    row = launch(db_session, reg)
    with pytest.raises(InvalidInput, match=r"cmi\.score\.scaled"):
        commit(db_session, row, {"score": {"scaled": "2"}}, seq=1)
    with pytest.raises(InvalidInput, match="nope"):
        commit(db_session, row, {}, seq=1, activity="nope")
    with pytest.raises(InvalidInput, match=r"cmi\.session_time"):
        commit(db_session, row, {"session_time": "forever"}, seq=1)
    assert row.last_seq == 0


def test_scorm12_mastery_score_and_override_setting(db_session):
    reg = make_registration(db_session, data={"masteryscore": "80"})
    row = launch(db_session, reg)
    sco_start_data(db_session, launch=row, activity_id="sco1")
    commit(db_session, row, {"core": {"lesson_status": "completed", "score": {"raw": "75"}}}, seq=1)
    assert (reg.completion, reg.success, reg.score_scaled) == ("COMPLETED", "FAILED", 75)
    commit(db_session, row, {"core": {"lesson_status": "passed", "score": {"raw": "75"}}}, seq=2)
    assert reg.success == "PASSED"  # the SCO's own judgement stands by default
    settings(db_session, reg, PlayerScoreOverridesStatus="true")
    commit(db_session, row, {"core": {"lesson_status": "passed", "score": {"raw": "75"}}}, seq=3)
    assert reg.success == "FAILED"


def test_allow_complete_status_change_false_keeps_completion(db_session):
    reg = make_registration(db_session)
    settings(db_session, reg, PlayerAllowCompleteStatusChange="false")
    row = launch(db_session, reg)
    commit(db_session, row, {"core": {"lesson_status": "passed"}}, seq=1)
    commit(db_session, row, {"core": {"lesson_status": "incomplete"}}, seq=2)
    assert (reg.completion, reg.success) == ("COMPLETED", "PASSED")
    assert reg.completed_date == T0


def test_scorm2004_thresholds_through_a_commit(db_session):
    reg = make_registration(db_session, standard="SCORM20044THEDITION", passing=0.8,
                            data={"completionThreshold": {"completedByMeasure": True, "minProgressMeasure": 0.5}})
    row = launch(db_session, reg)
    commit(db_session, row, {"completion_status": "incomplete", "progress_measure": "0.6",
                             "success_status": "passed", "score": {"scaled": "0.79"}}, seq=1)
    assert (reg.completion, reg.success, reg.score_scaled) == ("COMPLETED", "FAILED", pytest.approx(79))
    assert reg.completion_amount == pytest.approx(0.6) and row.completion == "COMPLETED"


def test_multi_sco_scorm12_rollup_from_settings(db_session):
    reg = make_registration(db_session, scos=("a", "b"))
    settings(db_session, reg, PlayerStatusRollupModeValue="COMPLETE_WHEN_ALL_UNITS_COMPLETE",
             PlayerScoreRollupModeValue="AVERAGE_SCORE_OF_ALL_UNITS", PlayerApplyRollupStatusToSuccess="true")
    row = launch(db_session, reg)
    commit(db_session, row, {"core": {"lesson_status": "passed", "score": {"raw": "80"}}}, seq=1, activity="a")
    assert (reg.completion, reg.success, reg.score_scaled, reg.completion_amount) == ("INCOMPLETE", "UNKNOWN", 40, 0.5)
    commit(db_session, row, {"core": {"lesson_status": "completed", "score": {"raw": "60"}}}, seq=2, activity="b")
    assert (reg.completion, reg.success, reg.score_scaled) == ("COMPLETED", "PASSED", 70)
    assert reg.completed_date == T0


def test_multi_sco_scorm2004_default_rollup(db_session):
    reg = make_registration(db_session, standard="SCORM20044THEDITION", scos=("a", "b"))
    row = launch(db_session, reg)
    commit(db_session, row, {"completion_status": "completed", "success_status": "passed",
                             "score": {"scaled": "1"}}, seq=1, activity="a")
    assert (reg.completion, reg.success, reg.score_scaled) == ("INCOMPLETE", "UNKNOWN", 50)
    commit(db_session, row, {"completion_status": "completed", "success_status": "failed"}, seq=2, activity="b")
    assert (reg.completion, reg.success) == ("COMPLETED", "FAILED")


def test_postback_enqueued_only_when_the_summary_changes(db_session):
    reg = make_registration(db_session)
    row = launch(db_session, reg)
    sco_start_data(db_session, launch=row, activity_id="sco1")
    commit(db_session, row, {"core": {"lesson_status": "incomplete", "session_time": "00:00:05"}}, seq=1)
    jobs = postback_jobs(db_session, reg)
    assert len(jobs) == 1 and jobs[0].payload["registration_id"] == reg.registration_id
    jobs[0].status = RUNNING  # a worker holds it, so a newer postback is a second row (not a replacement)
    db_session.flush()
    commit(db_session, row, {"core": {"lesson_status": "incomplete", "session_time": "00:00:05",
                                      "lesson_location": "p2"}}, seq=2)
    assert len(postback_jobs(db_session, reg)) == 1  # nothing moved: no new postback
    commit(db_session, row, {"core": {"lesson_status": "passed", "session_time": "00:00:05"}}, seq=3)
    assert len(postback_jobs(db_session, reg)) == 2

    quiet = make_registration(db_session, postback_url=None)
    other = launch(db_session, quiet)
    commit(db_session, other, {"core": {"lesson_status": "passed"}}, seq=1)
    assert postback_jobs(db_session, quiet) == []  # no postback configured, no job


def test_terminate_exit_and_log_cap(db_session):
    reg = make_registration(db_session)
    row = launch(db_session, reg)
    big = [{"event": "call", "n": i} for i in range(MAX_LOG_ENTRIES)]
    commit(db_session, row, {"core": {"lesson_status": "incomplete"}}, seq=1, log=big)
    commit(db_session, row, {"core": {"lesson_status": "incomplete"}}, seq=2, log=[{"event": "last"}],
           terminated=True, at=T0 + timedelta(minutes=1))
    log = read_log(db_session, row)
    assert len(log) == MAX_LOG_ENTRIES
    assert log[0]["event"] == "log-truncated" and log[0]["dropped"] == 2
    assert log[1] == {"event": "call", "n": 2}  # the oldest two went
    assert log[-1] == {"event": "last"} and row.exit_time == T0 + timedelta(minutes=1)
    assert row.last_runtime_update == T0 + timedelta(minutes=1)
    exit_launch(db_session, launch_pk=row.pk, now=T0 + timedelta(minutes=2))
    assert row.exit_time == T0 + timedelta(minutes=2)


def test_commit_of_an_older_launch_does_not_undo_a_newer_one(db_session):
    reg = make_registration(db_session)
    old = launch(db_session, reg)
    sco_start_data(db_session, launch=old, activity_id="sco1")
    commit(db_session, old, {"core": {"lesson_status": "incomplete", "exit": "suspend"}}, seq=1)
    new = launch(db_session, reg)
    sco_start_data(db_session, launch=new, activity_id="sco1")
    commit(db_session, new, {"core": {"lesson_status": "passed", "exit": "suspend"}}, seq=1)
    assert commit(db_session, old, {"core": {"lesson_status": "failed"}}, seq=2)["applied"] is False
    assert reg.success == "PASSED" and read_log(db_session, old)[-1]["event"] == "stale-commit"
    assert db_session.get(Launch, old.pk).last_seq == 2


def test_a_course_setting_changed_between_commits_applies_at_once_in_this_process(db_session):
    """The levels above the registration come from a per-process cache (2 s); this process's own
    writes empty it, so the next commit sees a course's new value at once."""
    reg = make_registration(db_session)
    row = launch(db_session, reg)
    sco_start_data(db_session, launch=row, activity_id="sco1")
    commit(db_session, row, {"core": {"lesson_status": "incomplete"}, "suspend_data": "x" * 20}, seq=1)  # cached now
    course_id = db_session.get(Course, reg.course_pk).course_id
    set_settings(db_session, application_pk=reg.application_pk, scope=SettingScope("course", course_id),
                 values=[("PlayerSuspendDataMaxLength", "10")])
    with pytest.raises(InvalidInput, match=r"cmi\.suspend_data"):
        commit(db_session, row, {"core": {"lesson_status": "incomplete"}, "suspend_data": "x" * 20}, seq=2)
