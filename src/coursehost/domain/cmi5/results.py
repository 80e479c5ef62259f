"""What an AU's statements that counted change (cmi5 Quartz §9.5, §10): the AU's completion,
success, score and time in the registration, the LMS's satisfied statements by moveOn (AU and
course), the launch's end at terminated, and a postback as for SCORM when the results moved."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.lrs import XapiStatement
from coursehost.db.models.registrations import ActivityState, Launch, Registration, RegistrationInstance
from coursehost.domain.cmi5 import journal, rules, timeouts
from coursehost.domain.cmi5 import vocabulary as v
from coursehost.domain.cmi5.launch import (
    Cmi5Session,
    all_aus,
    all_aus_of,
    begin_session,
    generated_id,
    lms_statement,
    lms_writer,
)
from coursehost.domain.dispatch.outcomes import enqueue_outcomes
from coursehost.domain.lms.results import enqueue_results
from coursehost.domain.lrs.statements import store_statements
from coursehost.domain.lrs.versions import V1
from coursehost.domain.postbacks.enqueue import enqueue_postback
from coursehost.domain.registrations import core
from coursehost.domain.reporting import cmi5_rollup as rollup
from coursehost.domain.reporting.cmi5_rollup import moveon_met  # noqa: F401 (lms_actions uses results.moveon_met)
from coursehost.domain.reports import summary as reports
from coursehost.domain.runtime.debuglog import append_log
from coursehost.domain.scorm.durations import parse_duration
from coursehost.domain.scorm.status import COMPLETED, FAILED, PASSED, UNKNOWN


def _new_state(session: Session, instance_pk: int, activity_id: str) -> ActivityState:
    state = ActivityState(instance_pk=instance_pk, activity_id=activity_id, attempts=0, runtime={},
                          base_seconds=0.0, total_seconds=0.0, completion=UNKNOWN, success=UNKNOWN,
                          attempt_completion=UNKNOWN)
    session.add(state)
    return state


def activity_state(session: Session, instance_pk: int, activity_id: str) -> ActivityState:
    state = session.scalars(select(ActivityState).where(ActivityState.instance_pk == instance_pk,
                                                        ActivityState.activity_id == activity_id)).first()
    if state is None:
        state = _new_state(session, instance_pk, activity_id)
    return state


def _apply(state: ActivityState, stmt: dict, launch: Launch, now: datetime) -> None:
    """One counted statement onto the AU's state (§9.5.3-§9.5.5: completion, success, score, duration)."""
    verb, result = stmt["verb"]["id"], stmt.get("result") or {}
    scaled = (result.get("score") or {}).get("scaled")
    if verb == v.INITIALIZED:
        state.attempts = (state.attempts or 0) + 1
        state.first_access = state.first_access or now
    elif verb == v.COMPLETED:
        state.completion, state.attempt_completion = COMPLETED, COMPLETED
        state.completed_date = state.completed_date or now
    elif verb in (v.PASSED, v.FAILED) and state.success != PASSED:
        state.success = PASSED if verb == v.PASSED else FAILED
    elif verb == v.TERMINATED:
        state.total_seconds = (state.total_seconds or 0.0) + (parse_duration(result.get("duration")) or 0.0)
        launch.exit_time = now
    if verb in (v.PASSED, v.FAILED) and isinstance(scaled, (int, float)):
        state.score_scaled = max(0.0, min(100.0, float(scaled) * 100.0))
    state.last_access = now


def _counts(stmt: dict, sess: Cmi5Session) -> bool:
    """Whether STMT is a cmi5 defined statement about the AU (§9.3): only those move its results;
    a cmi5 allowed one (a video's completed, an answered question) does not."""
    return rules.is_cmi5_defined(stmt) and (stmt.get("object") or {}).get("id") == sess.activity_id


def _already_satisfied(session: Session, sess: Cmi5Session, object_id: str) -> bool:
    return session.scalars(select(XapiStatement.pk).where(
        XapiStatement.application_pk == sess.app_pk, XapiStatement.registration == sess.registration,
        XapiStatement.verb_id == v.SATISFIED, XapiStatement.object_key == object_id,
        XapiStatement.credential_id.is_(None))).first() is not None


def _blocks_met(node: dict, met: dict[str, bool], out: list[str]) -> bool:
    """Whether NODE's AUs are all satisfied; the ids of the blocks below it that are go to OUT (§10)."""
    children = node.get("children") or []
    if not children:
        return met.get(node["id"], False)
    results = [_blocks_met(child, met, out) for child in children]
    if all(results):
        out.append(node["id"])
    return all(results)


def state_satisfied(session: Session, sess: Cmi5Session, *, base_url: str, states: dict[str, ActivityState],
                    structure: dict) -> None:
    """The LMS's satisfied statements (§9.3.9): each block, then the course, once the moveOn of
    every AU in it is met (an AU whose moveOn is NotApplicable from the start, §9.6.1.1), each
    once per registration, about the LMS's generated id with the publisher's id in grouping."""
    met = {au["id"]: rollup.au_satisfied(au, states) for au in all_aus_of(structure)}
    containers: list[str] = []
    _blocks_met(structure, met, containers)  # blocks inner first, the course (the root) last
    fresh = []
    for publisher_id in containers:
        kind, obj_type = ("course", v.COURSE_TYPE) if publisher_id == structure.get("id") else ("block", v.BLOCK_TYPE)
        obj = generated_id(sess.app_pk, sess.course_key, kind, publisher_id)
        if not _already_satisfied(session, sess, obj):
            fresh.append(lms_statement(sess, v.SATISFIED, obj=obj, category=(v.CMI5_CATEGORY, v.MOVEON_CATEGORY),
                                       obj_type=obj_type, publisher_id=publisher_id))
    if fresh:
        store_statements(session, writer=lms_writer(sess.app_pk, base_url), body=fresh, version=V1)


def record(session: Session, sess: Cmi5Session, statements: list[dict], *, base_url: str,
           now: datetime | None = None) -> None:
    """Apply STATEMENTS (stored, and within the rules) of AU session SESS to the registration."""
    now = now or datetime.now(UTC)
    launch = session.scalars(select(Launch).where(Launch.launch_id == sess.launch_id).with_for_update()).one()
    append_log(session, launch, journal.statement_entries(statements, activity_id=sess.activity_id, result="200"))
    launch.last_runtime_update = now  # the session's last activity: timeouts.py abandons it after a long silence
    if not launch.tracking:  # a launch link with tracking=false: statements are kept, results are not
        if any(s["verb"]["id"] == v.TERMINATED for s in statements):
            launch.exit_time = now
        return
    instance = session.get(RegistrationInstance, launch.instance_pk)
    registration = session.get(Registration, sess.registration_pk)
    states = {s.activity_id: s for s in session.scalars(select(ActivityState).where(
        ActivityState.instance_pk == instance.pk))}
    state = states.get(sess.au_id) or _new_state(session, instance.pk, sess.au_id)
    states[sess.au_id] = state
    for stmt in statements:
        if _counts(stmt, sess):
            _apply(state, stmt, launch, now)
    session.flush()
    version = core.instance_version(session, instance)
    aus = all_aus(version)
    state_satisfied(session, sess, base_url=base_url, states=states, structure=version.structure)
    summary = summarize(session, instance, registration, aus, states, now)
    launch.completion, launch.success, launch.score_scaled, launch.total_seconds = summary
    session.flush()


def summarize(session: Session, instance: RegistrationInstance, registration: Registration, aus: list[dict],
              states: dict[str, ActivityState], now: datetime) -> tuple:
    """The course's results from its AUs' into INSTANCE and REGISTRATION, a postback when they moved."""
    summary = rollup.summarize(aus, states)
    before = (registration.completion, registration.success, registration.score_scaled, registration.total_seconds)
    for obj in (instance, registration):
        obj.completion, obj.success, obj.score_scaled, obj.total_seconds = summary
        obj.last_access = now
        if summary[0] == COMPLETED:
            obj.completed_date = obj.completed_date or now
    if summary != before:
        enqueue_postback(session, registration=registration)
        enqueue_results(session, registration=registration)
        enqueue_outcomes(session, registration=registration)
    reports.record(session, registration=registration, active=now)
    return summary


def start_session(session: Session, *, launch_id: str, base_url: str, content_base: str, fetch_url: str,
                  return_url: str) -> str:
    """begin_session (the AU's launch URL), with the satisfied statements the registration has
    earned before this launch stated ahead of "launched": the blocks and course whose AUs' moveOn
    is NotApplicable are satisfied from the registration's start (§9.6.1.1)."""
    def satisfied_so_far(sess: Cmi5Session) -> None:
        launch = session.scalars(select(Launch).where(Launch.launch_id == sess.launch_id)).one()
        instance = session.get(RegistrationInstance, launch.instance_pk)
        _, version = core.instance_course(session, instance)
        states = {s.activity_id: s for s in session.scalars(select(ActivityState).where(
            ActivityState.instance_pk == instance.pk))}
        state_satisfied(session, sess, base_url=base_url, states=states, structure=version.structure)
    url = begin_session(session, launch_id=launch_id, base_url=base_url, content_base=content_base,
                        fetch_url=fetch_url, return_url=return_url, before_launched=satisfied_so_far)
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id)).one()
    timeouts.session_began(session, launch, now=datetime.now(UTC))
    return url
