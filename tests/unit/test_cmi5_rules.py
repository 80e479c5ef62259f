"""The statement rules an LMS applies to a cmi5 AU's statements (cmi5 Quartz §9.3, §9.6, §10.2.1)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coursehost.domain.cmi5 import vocabulary as v
from coursehost.domain.cmi5.launch import Cmi5Session
from coursehost.domain.cmi5.rules import Facts, check
from coursehost.domain.errors import Forbidden

ACTOR = {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "ada"}}
AU = "https://example.com/au/1"
SESS = Cmi5Session("sess-1", 1, 1, "2f0c3a4e-0000-4000-8000-000000000001", AU, "https://example.com/c",
                   ACTOR, "CompletedAndPassed", 0.8, "Normal")
STARTED = Facts(initialized=True)


def stmt(verb: str, *, result=None, category=True, session="sess-1", registration=SESS.registration,
         actor=ACTOR, obj=AU, grouping=True) -> dict:
    context = {"registration": registration, "contextActivities": {}, "extensions": {}}
    if grouping:
        context["contextActivities"]["grouping"] = [{"id": AU}]
    if category:
        context["contextActivities"]["category"] = [{"id": v.CMI5_CATEGORY}]
    if session:
        context["extensions"][v.EXT_SESSION] = session
    out = {"actor": actor, "verb": {"id": verb}, "object": {"id": obj}, "context": context}
    if result is not None:
        out["result"] = result
    return out


def refused(statement, facts=STARTED, sess=SESS) -> str:
    with pytest.raises(Forbidden) as exc:
        check(statement, sess, facts)
    return str(exc.value)


def test_initialized_first():
    assert "initialized must be the session's first" in refused(stmt(v.COMPLETED, result={"completion": True}),
                                                                Facts())
    assert check(stmt(v.INITIALIZED), SESS, Facts()) == STARTED


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
