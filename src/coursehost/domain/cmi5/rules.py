"""The statement rules an LMS enforces on an AU's statements (cmi5 Quartz §9.3, §9.6, §10.2.1).

Pure: `check` sees one statement, the AU session and what the session and registration have
already stated, and raises Forbidden with the clause when the AU breaks a rule; `after` is the
facts once the statement counts."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from coursehost.domain.cmi5 import vocabulary as v
from coursehost.domain.cmi5.launch import Cmi5Session
from coursehost.domain.errors import Forbidden
from coursehost.domain.lrs.validation_values import agent_key


@dataclass(frozen=True)
class Facts:
    """What counts so far: this session's initialized / terminated / verdict and whether its AU has
    read the learner preferences, the registration's AU verdicts."""

    initialized: bool = False
    terminated: bool = False
    completed: bool = False
    passed: bool = False
    failed: bool = False
    preferences_read: bool = False
    verdict_here: bool = False  # passed or failed stated in this session


def _ids(context: dict, kind: str) -> set[str]:
    items = (context.get("contextActivities") or {}).get(kind) or []
    items = items if isinstance(items, list) else [items]
    return {i.get("id") for i in items if isinstance(i, dict)}


def is_cmi5_defined(stmt: dict) -> bool:
    """§9.3: a cmi5 defined statement carries the cmi5 category and one of the cmi5 verbs."""
    return v.CMI5_CATEGORY in _ids(stmt.get("context") or {}, "category")


_UTC = re.compile(r"(Z|[+-]00:?00)$", re.IGNORECASE)


def _refuse(text: str) -> Forbidden:
    return Forbidden(f"cmi5: {text}")


def _check_session(stmt: dict, sess: Cmi5Session) -> None:
    """Every statement of the AU: its learner, its registration, its session (§9.2, §9.6.1, §9.6.3.1)."""
    if not isinstance(stmt.get("id"), str):
        raise _refuse("a statement of an AU carries its id (§9.1)")
    timestamp = stmt.get("timestamp")
    if not isinstance(timestamp, str) or not _UTC.search(timestamp):
        raise _refuse("a statement of an AU carries a timestamp in UTC (§9.7)")
    actor = stmt.get("actor") if isinstance(stmt.get("actor"), dict) else {}
    if actor.get("objectType", "Agent") != "Agent" or agent_key(actor) != agent_key(sess.actor):
        raise _refuse("the actor must be the launch's actor (§9.2)")
    context = stmt.get("context") if isinstance(stmt.get("context"), dict) else {}
    if context.get("registration") != sess.registration:
        raise _refuse("context.registration must be the launch's registration (§9.6.1)")
    if (context.get("extensions") or {}).get(v.EXT_SESSION) != sess.launch_id:
        raise _refuse("the session id extension of the context template is required (§9.6.3.1, §10.2.1)")
    if sess.au_id not in _ids(context, "grouping"):
        raise _refuse("the context template's grouping (the AU's publisher id) is required (§10.2.1)")


def _score(stmt: dict) -> float | None:
    score = ((stmt.get("result") or {}).get("score") or {}).get("scaled")
    return float(score) if isinstance(score, (int, float)) else None


def _check_verdict(verb: str, stmt: dict, sess: Cmi5Session, facts: Facts) -> None:
    result = stmt.get("result") if isinstance(stmt.get("result"), dict) else {}
    if not result.get("duration"):
        raise _refuse(f"{verb.rsplit('/', 1)[-1]} needs result.duration (§9.5.4.1)")
    if verb == v.COMPLETED:
        if "success" in result or "score" in result:
            raise _refuse("completed carries neither result.success nor a score (§9.5.1, §9.5.2)")
        if facts.completed:
            raise _refuse("completed may be stated once per registration (§9.3.3)")
        if result.get("completion") is not True:
            raise _refuse("completed needs result.completion true (§9.5.3)")
        return
    if facts.passed:
        raise _refuse(f"no {verb.rsplit('/', 1)[-1]} after passed in this registration (§9.3.4, §9.3.5)")
    if "completion" in result:
        raise _refuse(f"{verb.rsplit('/', 1)[-1]} does not carry result.completion (§9.5.3)")
    if facts.verdict_here:
        raise _refuse("one of passed or failed per session, once (§9.3.0: no verb twice, not both)")
    if verb == v.PASSED and result.get("success") is not True:
        raise _refuse("passed needs result.success true (§9.5.4.1)")
    if verb == v.FAILED and result.get("success") is not False:
        raise _refuse("failed needs result.success false (§9.5.4.1)")
    score_of = result.get("score") if isinstance(result.get("score"), dict) else {}
    if "raw" in score_of and ("min" not in score_of or "max" not in score_of):
        raise _refuse("a raw score comes with its min and max (§9.5.1)")
    extensions = (stmt.get("context") or {}).get("extensions") or {}
    stated = v.EXT_MASTERY in extensions or "scaled" in score_of
    if sess.mastery_score is not None and stated and extensions.get(v.EXT_MASTERY) != sess.mastery_score:
        raise _refuse(f"{verb.rsplit('/', 1)[-1]} carries the masteryScore {sess.mastery_score} of the launch "
                      "data in its context extensions (§9.6.3.2)")
    score, mastery = _score(stmt), sess.mastery_score
    if mastery is not None and score is not None:
        if verb == v.PASSED and score < mastery:
            raise _refuse(f"passed with a scaled score below the masteryScore {mastery} (§9.3.4)")
        if verb == v.FAILED and score >= mastery:
            raise _refuse(f"failed with a scaled score at or above the masteryScore {mastery} (§9.3.5)")


def check(stmt: dict, sess: Cmi5Session, facts: Facts) -> Facts:
    """Forbidden (403 with the reason) when STMT breaks a rule; else the facts once it counts."""
    _check_session(stmt, sess)
    verb = (stmt.get("verb") or {}).get("id")
    if verb == v.VOIDED:
        raise _refuse("an AU may not void statements (§6.3)")
    if facts.terminated:
        raise _refuse("no statement after terminated in a session (§9.3.8)")
    if not facts.initialized and verb != v.INITIALIZED:
        raise _refuse("initialized must be the session's first statement (§9.3.2)")
    if not is_cmi5_defined(stmt):
        if verb in v.AU_VERBS and (stmt.get("object") or {}).get("id") == sess.activity_id:
            raise _refuse("a cmi5 verb needs the cmi5 category in context.contextActivities.category (§9.6.2.1)")
        if v.MOVEON_CATEGORY in _ids(stmt.get("context") or {}, "category"):
            raise _refuse("the moveOn category is on completed, passed and failed, and only there (§9.6.2.2)")
        # cmi5 allowed: any other statement between initialized and terminated (§9.3), such as the
        # xAPI video profile's initialized / completed about a video inside the AU.
        return facts
    if verb not in v.AU_VERBS:
        raise _refuse(f"{verb} is not a verb an AU may use in a cmi5 defined statement (§9.3)")
    moveon = v.MOVEON_CATEGORY in _ids(stmt.get("context") or {}, "category")
    if moveon != (verb in (v.COMPLETED, v.PASSED, v.FAILED)):
        raise _refuse("the moveOn category is on completed, passed and failed, and only there (§9.6.2.2)")
    if (stmt.get("object") or {}).get("id") != sess.activity_id:
        raise _refuse("a cmi5 defined statement's object must be the AU (§9.4)")
    if verb == v.INITIALIZED:
        if facts.initialized:
            raise _refuse("initialized may be stated once per session (§9.3.2)")
        if not facts.preferences_read:
            raise _refuse("the AU must read the learner preferences (agent profile cmi5LearnerPreferences) "
                          "before initialized (§11.0)")
        return replace(facts, initialized=True)
    if verb == v.TERMINATED:
        if not isinstance(stmt.get("result"), dict) or not stmt["result"].get("duration"):
            raise _refuse("terminated needs result.duration (§9.5.4.1)")
        return replace(facts, terminated=True)
    if sess.launch_mode != "Normal":
        raise _refuse(f"{verb.rsplit('/', 1)[-1]} is only allowed in Normal launch mode (§10.2.2)")
    _check_verdict(verb, stmt, sess, facts)
    field = {v.COMPLETED: "completed", v.PASSED: "passed", v.FAILED: "failed"}[verb]
    return replace(facts, **{field: True}, verdict_here=facts.verdict_here or verb != v.COMPLETED)
