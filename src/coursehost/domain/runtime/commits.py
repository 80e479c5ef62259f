"""Applying one run-time commit: the SCO's whole data model, once per sequence number, then the
rollup to the instance and the registration, and a postback when the registration's results moved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.registrations import ActivityState, Launch
from coursehost.domain.courses import aicc_script
from coursehost.domain.dispatch.access import SHELL_LAUNCH_OPTION
from coursehost.domain.dispatch.outcomes import enqueue_outcomes
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.lms.results import enqueue_results
from coursehost.domain.postbacks.enqueue import enqueue_postback
from coursehost.domain.reports import summary as reports
from coursehost.domain.reports.facts import record_facts
from coursehost.domain.runtime import navigation, rollup, sequenced
from coursehost.domain.runtime.debuglog import append_log, checked_log
from coursehost.domain.runtime.launches import (
    NO_CREDIT_OPTION,
    LaunchContext,
    find_state,
    has_exited,
    launchable,
    load_context,
    new_state,
    require_open,
    set_attempt_start,
    settings_for,
    suspend_data_limit,
)
from coursehost.domain.runtime.scorm_statements import record_scorm_statements
from coursehost.domain.scorm.datamodel import exit_value, get, session_seconds, validate_runtime
from coursehost.domain.scorm.status import COMPLETED, PASSED, Result, result_for
from coursehost.domain.standards import RuntimeFamily
from coursehost.domain.values import truthy


def apply_commit(session: Session, *, launch_pk: int | None = None, launch_id: str | None = None,
                 activity_id: str, seq: int, runtime: dict | None, log: list[dict] | None = None,
                 terminated: bool = False, fresh: bool = False, now: datetime | None = None,
                 public_url: str | None = None) -> dict:
    """Apply one commit of ACTIVITY_ID's whole data model (normalized form) -> {"applied", "lastSeq"}.
    The launch is LAUNCH_PK or LAUNCH_ID (the run-time token's). RUNTIME None: only LOG is stored
    (the debug log entries no commit carried, such as calls refused after Finish). PUBLIC_URL (the
    service's) names the learner's account in the xAPI statements the commit also writes (none
    without it).

    Idempotent by SEQ: a sequence number at or below the launch's last one was applied already and
    changes nothing (FRESH, a first send: see _stale). The caller owns the transaction."""
    which = Launch.pk == launch_pk if launch_id is None else Launch.launch_id == launch_id
    launch = session.execute(
        select(Launch).where(which).with_for_update()
        .execution_options(populate_existing=True)  # serialise commits of one launch (PostgreSQL)
    ).scalars().first()
    if launch is None:
        raise NotFound("This launch no longer exists")
    if seq <= (launch.last_seq or 0):
        return _stale(session, launch, log, fresh=fresh)
    require_open(launch)
    if not launch.tracking:  # acknowledged, never recorded
        return {"applied": False, "lastSeq": seq}
    if runtime is None:
        # Log only: the audit trail, no run-time data. It leaves last_seq alone, so a data commit
        # sent before it (a beacon at page close) that arrives after it is still applied.
        append_log(session, launch, checked_log(log))
        return {"applied": False, "lastSeq": seq}
    now = now or utcnow()
    ctx = load_context(session, launch)
    try:
        activity = launchable(ctx, activity_id)
    except NotFound as exc:
        raise InvalidInput(str(exc)) from None
    settings = settings_for(session, ctx)
    clean = validate_runtime(runtime, fam=ctx.fam, suspend_data_max=suspend_data_limit(settings, ctx.fam))
    entries = checked_log(log)

    launch.last_seq = seq
    launch.last_runtime_update = now
    append_log(session, launch, entries)
    state = find_state(session, ctx.instance.pk, activity_id) or new_state(session, ctx.instance.pk, activity_id)
    if not _owns_session(state, ctx, launch, now):
        append_log(session, launch, [{"event": "stale-commit", "activityId": activity_id, "seq": seq,
                              "message": "a newer launch has this activity open; this commit was not applied"}])
        return {"applied": False, "lastSeq": seq}
    no_credit = bool((launch.options or {}).get(NO_CREDIT_OPTION))
    record_scorm_statements(session, ctx=ctx, launch=launch, state=state, activity=activity, runtime=clean,
                            settings=settings, seq=seq, public_url=public_url, now=now)  # before state changes
    record_facts(session, registration=ctx.registration, instance_pk=ctx.instance.pk, activity_id=activity_id,
                 fam=ctx.fam, before=state.runtime, after=clean, now=now)  # before state.runtime is replaced
    _record_activity(state, activity, clean, ctx, settings, no_credit=no_credit, now=now)
    _track_suspend(ctx, activity_id, clean)
    engine = _report_to_engine(ctx, activity, clean) if sequenced.uses_engine(ctx.version) and not no_credit else None
    changed = _roll_up(session, ctx, settings, now=now, engine=engine)
    inst = ctx.instance
    launch.completion, launch.success = inst.completion, inst.success
    launch.score_scaled, launch.total_seconds = inst.score_scaled, inst.total_seconds
    if terminated:
        launch.exit_time = now
    if changed:
        enqueue_postback(session, registration=ctx.registration, settings=settings)
        enqueue_results(session, registration=ctx.registration)
        enqueue_outcomes(session, registration=ctx.registration)
    reports.record(session, registration=ctx.registration, active=now)
    session.flush()
    answer = {"applied": True, "lastSeq": seq}
    if (launch.options or {}).get(SHELL_LAUNCH_OPTION):  # a dispatch shell reports the rollup to its LMS
        answer["result"] = {"completion": inst.completion, "success": inst.success,
                            "scoreScaled": inst.score_scaled, "totalSeconds": inst.total_seconds}
    return answer


def _stale(session: Session, launch: Launch, log: list[dict] | None, *, fresh: bool) -> dict:
    """A commit at or below the launch's last seq: a retry of what was applied changes nothing; a
    first send that a later commit overtook stores only its log entries (no other body has them)."""
    if fresh and log and not has_exited(launch):
        append_log(session, launch, checked_log(log))
    return {"applied": False, "lastSeq": launch.last_seq}


def _owns_session(state: ActivityState, ctx: LaunchContext, launch: Launch, now: datetime) -> bool:
    """Whether LAUNCH may write STATE: it opened the activity's current session, or it is newer than
    the launch that did (its start call failed or was skipped), in which case it opens one now."""
    if state.session_launch_pk == launch.pk:
        return True
    if state.session_launch_pk is not None and state.session_launch_pk > launch.pk:
        return False  # a late commit of an older launch (e.g. a beacon) must not undo newer data
    if not state.attempts:
        state.attempts = 1
        state.first_access = state.first_access or now
        set_attempt_start(ctx.instance, state.activity_id, state.total_seconds or 0.0)
    state.base_seconds = state.total_seconds or 0.0
    state.session_launch_pk = launch.pk
    return True


def _record_activity(state: ActivityState, activity: dict, runtime: dict, ctx: LaunchContext,
                     settings: dict[str, str], *, no_credit: bool, now: datetime) -> None:
    """Store RUNTIME and the activity's results; time is base_seconds + this session's time,
    never a total the client claims."""
    state.runtime = runtime
    state.total_seconds = (state.base_seconds or 0.0) + session_seconds(runtime, ctx.fam)
    state.first_access = state.first_access or now
    state.last_access = now
    if no_credit:  # RTE 1.2 3.4.4 / 2004 4.2.7 cmi.credit "no-credit": results are not recorded
        return
    result = result_for(ctx.fam, runtime, activity, settings, credit=True)
    if not truthy(settings.get("PlayerAllowCompleteStatusChange", "true")):
        result = _sticky(state, result)
    state.completion, state.success = result.completion, result.success
    state.score_scaled, state.completion_amount = result.score, result.completion_amount
    state.attempt_completion = result.completion
    if result.completion == COMPLETED and state.completed_date is None:
        state.completed_date = now


def _sticky(state: ActivityState, result: Result) -> Result:
    """PlayerAllowCompleteStatusChange false: a completed (or passed) activity never goes back."""
    completion, success, amount = result.completion, result.success, result.completion_amount
    if state.completion == COMPLETED and completion != COMPLETED:
        completion, amount = COMPLETED, 1.0
    if state.success == PASSED and success != PASSED:
        success = PASSED
    return Result(completion, success, result.score, amount)


def _track_suspend(ctx: LaunchContext, activity_id: str, runtime: dict) -> None:
    """Remember the suspended activity, where the next launch resumes (SCORM 2004 SN 4.7.2
    suspendAll; SCORM 1.2 cmi.core.exit "suspend")."""
    reg = ctx.registration
    suspended = exit_value(runtime, ctx.fam) == "suspend" or get(runtime, "adl.nav.request") == "suspendAll"
    if suspended:
        reg.suspended_activity_id = activity_id
    elif reg.suspended_activity_id == activity_id:
        reg.suspended_activity_id = None


def _report_to_engine(ctx: LaunchContext, activity: dict, runtime: dict) -> sequenced.SequencingSession:
    """SCORM 2004: the commit into the sequencing tracking model (rolled up by the author's rules)
    and the adl.data stores the SCO may write into the registration's shared data."""
    tree = sequenced.tree_for(ctx.version)
    ses = sequenced.load(ctx.instance, tree)
    sequenced.report(ses, activity["id"], runtime)
    sequenced.save(ctx.instance, ses)
    shared = sequenced.write_shared(activity, runtime, (ctx.instance.state or {}).get(sequenced.SHARED_KEY))
    if shared is not None:
        ctx.instance.state = {**(ctx.instance.state or {}), sequenced.SHARED_KEY: shared}
    return ses


def _roll_up(session: Session, ctx: LaunchContext, settings: dict[str, str], *, now: datetime,
             engine: sequenced.SequencingSession | None = None) -> bool:
    """Instance results from its activities; the registration mirrors its current instance.
    Whether the registration's completion, success, score or time changed. A multi-SCO SCORM 2004
    course takes its root activity's rolled-up status from the sequencing engine (SN 4.6)."""
    structure = ctx.version.structure or {}
    states = list(session.scalars(select(ActivityState).where(ActivityState.instance_pk == ctx.instance.pk)))
    leaves = {s.activity_id: _leaf(s) for s in states}
    ids = rollup.leaf_ids(structure)
    if len(ids) <= 1:
        result = leaves.get(ids[0]).result if ids and ids[0] in leaves else Result()
    elif engine is not None:
        result = sequenced.root_result(engine)
    elif ctx.fam == RuntimeFamily.SCORM12:
        result = rollup.rollup_scorm12(structure, leaves, settings)
    else:
        result = rollup.rollup_2004_default(
            structure, leaves, empty_set_unknown=truthy(settings.get("PlayerRollupEmptySetToUnknown", "true")))
    if ctx.fam == RuntimeFamily.SCORM12 and aicc_script.has_requirements(structure):
        result = _requirements(ctx, structure, states, result)
    if not truthy(settings.get("PlayerAllowCompleteStatusChange", "true")) and ctx.instance.completion == COMPLETED:
        result = Result(COMPLETED, result.success, result.score, 1.0)
    counted = set(ids)
    total = sum(s.total_seconds or 0.0 for s in states if s.activity_id in counted)
    reg = ctx.registration
    before = (reg.completion, reg.success, reg.score_scaled, reg.total_seconds)
    targets = [ctx.instance, reg] if ctx.is_current else [ctx.instance]
    for obj in targets:
        obj.completion, obj.success, obj.score_scaled = result.completion, result.success, result.score
        obj.completion_amount = result.completion_amount
        obj.total_seconds = total
        obj.first_access = obj.first_access or now
        obj.last_access = now
        if result.completion == COMPLETED and obj.completed_date is None:
            obj.completed_date = now
        obj.updated = now
    return (reg.completion, reg.success, reg.score_scaled, reg.total_seconds) != before


def _requirements(ctx: LaunchContext, structure: dict, states: list[ActivityState], result: Result) -> Result:
    """AICC completion requirements (.cmp): the elements whose requirement holds keep the row's
    status in the instance's state (activity details show it for blocks); the course's decides
    its result over the rollup's."""
    elements = aicc_script.decided(structure, navigation.statuses_of(states, structure))
    state = ctx.instance.state if isinstance(ctx.instance.state, dict) else {}
    if state.get(aicc_script.STATE_KEY) != elements:
        ctx.instance.state = {**state, aicc_script.STATE_KEY: elements}
    return rollup.with_requirement(result, elements.get(structure.get("id")))


def _leaf(state: ActivityState) -> rollup.Leaf:
    result = Result(state.completion or "UNKNOWN", state.success or "UNKNOWN", state.score_scaled,
                    state.completion_amount)
    return rollup.Leaf(result=result, attempted=bool(state.attempts or state.runtime),
                       scored_at=state.last_access if state.score_scaled is not None else None)
