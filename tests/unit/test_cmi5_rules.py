"""The statement rules an LMS applies to a cmi5 AU's statements (cmi5 Quartz §9.3, §9.6, §10.2.1)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coursehost.domain.cmi5 import vocabulary as v
from coursehost.domain.cmi5.launch import Cmi5Session
from coursehost.domain.cmi5.rules import Facts, check
from coursehost.domain.errors import Forbidden

ACTOR = {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "ada"}}
AU = "https://example.com/au/1"  # the publisher's id (cmi5.xml)
ACTIVITY = "urn:uuid:7c1c1f5e-0000-5000-8000-000000000001"  # the LMS's activityId of the AU (8.1.5)
SESS = Cmi5Session("sess-1", 1, 1, "2f0c3a4e-0000-4000-8000-000000000001", ACTIVITY, "https://example.com/c",
                   ACTOR, "CompletedAndPassed", 0.8, "Normal", AU, "course-1")
STARTED = Facts(initialized=True)
VERDICTS = (v.COMPLETED, v.PASSED, v.FAILED)


def stmt(verb: str, *, result=None, category=True, session="sess-1", registration=SESS.registration,
         actor=ACTOR, obj=ACTIVITY, grouping=True, moveon=None, duration="PT1S",
         timestamp="2024-05-01T10:00:00.000Z") -> dict:
    """A statement as a well-behaved AU sends it (a duration and the moveOn category on verdicts
    and terminated, the masteryScore beside a scaled score), changed by the arguments."""
    context = {"registration": registration, "contextActivities": {}, "extensions": {}}
    if grouping:
        context["contextActivities"]["grouping"] = [{"id": AU}]
    if category:
        context["contextActivities"]["category"] = [{"id": v.CMI5_CATEGORY}]
        if verb in VERDICTS if moveon is None else moveon:
            context["contextActivities"]["category"].append({"id": v.MOVEON_CATEGORY})
    if session:
        context["extensions"][v.EXT_SESSION] = session
    out = {"id": "6e3c0000-0000-4000-8000-000000000001", "timestamp": timestamp, "actor": actor,
           "verb": {"id": verb}, "object": {"id": obj}, "context": context}
    if verb in (*VERDICTS, v.TERMINATED) and duration:
        result = {**(result or {}), "duration": duration}
    if result is not None:
        out["result"] = result
        if "scaled" in (result.get("score") or {}):
            context["extensions"][v.EXT_MASTERY] = SESS.mastery_score
    return out


def refused(statement, facts=STARTED, sess=SESS) -> str:
    with pytest.raises(Forbidden) as exc:
        check(statement, sess, facts)
    return str(exc.value)


READY = Facts(preferences_read=True)


def test_initialized_first():
    assert "initialized must be the session's first" in refused(stmt(v.COMPLETED, result={"completion": True}),
                                                                READY)
    assert check(stmt(v.INITIALIZED), SESS, READY) == replace(READY, initialized=True)


def test_initialized_only_once_the_learner_preferences_were_read():
    assert "learner preferences" in refused(stmt(v.INITIALIZED), Facts())


def test_initialized_once_per_session():
    assert "once per session" in refused(stmt(v.INITIALIZED))


def test_nothing_after_terminated():
    done = check(stmt(v.TERMINATED), SESS, STARTED)
    assert done.terminated
    assert "after terminated" in refused(stmt("https://example.com/verbs/looked"), done)


def test_completed_once_and_with_completion():
    facts = check(stmt(v.COMPLETED, result={"completion": True}), SESS, STARTED)
    assert facts.completed
    assert "once per registration" in refused(stmt(v.COMPLETED, result={"completion": True}), facts)
    assert "result.completion true" in refused(stmt(v.COMPLETED))


def test_passed_below_mastery_is_refused():
    assert "below the masteryScore 0.8" in refused(stmt(v.PASSED, result={"success": True, "score": {"scaled": 0.5}}))
    assert check(stmt(v.PASSED, result={"success": True, "score": {"scaled": 0.9}}), SESS, STARTED).passed


def test_failed_at_mastery_is_refused():
    assert "at or above" in refused(stmt(v.FAILED, result={"success": False, "score": {"scaled": 0.8}}))


def test_passed_once_and_nothing_after_it():
    after = replace(STARTED, passed=True)
    assert "after passed" in refused(stmt(v.PASSED, result={"success": True}), after)
    assert "after passed" in refused(stmt(v.FAILED, result={"success": False}), after)


def test_passed_after_failed_is_a_retake():
    assert check(stmt(v.PASSED, result={"success": True}), SESS, replace(STARTED, failed=True)).passed


def test_one_verdict_per_session():
    failed = check(stmt(v.FAILED, result={"success": False}), SESS, STARTED)
    assert failed.verdict_here
    assert "one of passed or failed per session" in refused(stmt(v.FAILED, result={"success": False}), failed)
    assert "one of passed or failed per session" in refused(stmt(v.PASSED, result={"success": True}), failed)


def _allowed_with_moveon() -> dict:
    out = stmt("http://adlnet.gov/expapi/verbs/experienced", category=False)
    out["context"]["contextActivities"]["category"] = [{"id": v.MOVEON_CATEGORY}]
    return out


@pytest.mark.parametrize(("statement", "reason"), [
    (dict(stmt(v.INITIALIZED), id=None), "its id"),
    (stmt("http://adlnet.gov/expapi/verbs/experienced", timestamp=None), "timestamp in UTC"),
    (stmt("http://adlnet.gov/expapi/verbs/experienced", timestamp="2024-05-01T10:00:00-06:00"), "timestamp in UTC"),
    (stmt(v.PASSED, actor={**ACTOR, "objectType": "Group"}, result={"success": True}), "actor"),
    (stmt(v.TERMINATED, duration=None), "terminated needs result.duration"),
    (stmt(v.COMPLETED, duration=None, result={"completion": True}), "completed needs result.duration"),
    (stmt(v.PASSED, duration=None, result={"success": True}), "passed needs result.duration"),
    (stmt(v.COMPLETED, result={"completion": True, "success": True}), "neither result.success nor a score"),
    (stmt(v.COMPLETED, result={"completion": True, "score": {"scaled": 0.5}}), "neither result.success nor a score"),
    (stmt(v.PASSED, result={"success": True, "completion": True}), "does not carry result.completion"),
    (stmt(v.PASSED, result={"success": True, "score": {"raw": 90, "max": 100}}), "min and max"),
    (stmt(v.PASSED, moveon=False, result={"success": True}), "moveOn category"),
    (stmt(v.TERMINATED, moveon=True), "moveOn category"),
    (_allowed_with_moveon(), "moveOn category"),
    (stmt("http://adlnet.gov/expapi/verbs/voided"), "may not void"),
])
def test_what_catapults_invalid_aus_send_is_refused(statement, reason):
    assert reason in refused(statement)


def test_a_scaled_score_comes_with_the_launch_datas_mastery_score():
    sent = stmt(v.PASSED, result={"success": True, "score": {"scaled": 0.9}})
    del sent["context"]["extensions"][v.EXT_MASTERY]
    assert "masteryScore 0.8" in refused(sent)
    sent["context"]["extensions"][v.EXT_MASTERY] = 0.7
    assert "masteryScore 0.8" in refused(sent)


@pytest.mark.parametrize(("change", "reason"), [
    ({"session": None}, "session id extension"),
    ({"session": "another"}, "session id extension"),
    ({"registration": "2f0c3a4e-0000-4000-8000-000000000002"}, "context.registration"),
    ({"actor": {"mbox": "mailto:eve@example.com"}}, "actor"),
    ({"grouping": False}, "grouping"),
    ({"obj": "https://example.com/elsewhere"}, "object must be the AU"),
])
def test_the_context_template_and_session_are_required(change, reason):
    assert reason in refused(stmt(v.TERMINATED, **change))


def test_cmi5_verb_without_the_category_is_refused():
    assert "cmi5 category" in refused(stmt(v.COMPLETED, category=False, result={"completion": True}))


def test_allowed_statements_pass_between_initialized_and_terminated():
    other = stmt("http://adlnet.gov/expapi/verbs/experienced", category=False)
    assert check(other, SESS, STARTED) == STARTED


def test_verdicts_only_in_normal_mode():
    browse = replace(SESS, launch_mode="Browse")
    assert "Normal launch mode" in refused(stmt(v.COMPLETED, result={"completion": True}), sess=browse)
