"""Applying one run-time commit: the SCO's whole data model, once per sequence number, then the
rollup to the instance and the registration, and a postback when the registration's results moved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, bindparam, cast, func, select
from sqlalchemy.orm import Session, defer, with_expression

from coursehost.db.base import utcnow
from coursehost.db.models.registrations import ActivityState, Launch, Registration, RegistrationInstance
from coursehost.db.models.tenancy import Application
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


@dataclass
class PreparedCommit:
    """A commit's read phase, done before the write transaction (on SQLite: before the writer lock):
    the launch's context and effective settings, the activity, the checked run-time data and log.
    CTX is None when the launch will not take the commit (log only, not tracked, exited): the
    write phase then decides on the locked launch row alone."""

    launch_pk: int
    activity_id: str
    seq: int
    log: list[dict] | None
    fresh: bool
    ctx: LaunchContext | None = None
    activity: dict = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    runtime: dict | None = None
    entries: list[dict] = field(default_factory=list)
    application: Application | None = None  # the registration's (the xAPI statements name it)
    locked: Launch | None = None  # the launch, when read locked in the transaction that applies it


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
    changes nothing (FRESH, a first send: see _stale). The caller owns the transaction. Both phases
    run in SESSION here; the player's endpoint runs prepare_commit in a read-only unit first."""
    prepared = prepare_commit(session, launch_pk=launch_pk, launch_id=launch_id, activity_id=activity_id, seq=seq,
                              runtime=runtime, log=log, fresh=fresh, lock=True)
    if isinstance(prepared, dict):
        return prepared
    return apply_prepared(session, prepared, terminated=terminated, now=now, public_url=public_url)


def prepare_commit(session: Session, *, launch_pk: int | None = None, launch_id: str | None = None,
                   activity_id: str, seq: int, runtime: dict | None, log: list[dict] | None = None,
                   fresh: bool = False, lock: bool = False) -> PreparedCommit | dict:
    """The read phase (nothing written): the answer itself when the commit is a retry of one
    applied (its seq at or below the launch's last one, nothing to log), else what apply_prepared
    needs. NotFound / InvalidInput / LaunchExited as apply_commit raises them. LOCK: the launch row
    is read locked, for apply_prepared in the same transaction (which then does not read it again)."""
    by_id = launch_id is not None
    launch = session.scalars(_LAUNCH_STMTS[(by_id, lock)], {"key": launch_id if by_id else launch_pk}).first()
    if launch is None:
        raise NotFound("This launch no longer exists")
    prepared = PreparedCommit(launch_pk=launch.pk, activity_id=activity_id, seq=seq, log=log, fresh=fresh,
                              locked=launch if lock else None)
    if seq <= (launch.last_seq or 0):  # last_seq only grows: still a retry under the lock
        return {"applied": False, "lastSeq": launch.last_seq} if not (fresh and log) else prepared
    require_open(launch)
    if not launch.tracking or runtime is None:
        return prepared
    ctx = load_context(session, launch)
    try:
        prepared.activity = launchable(ctx, activity_id)
    except NotFound as exc:
        raise InvalidInput(str(exc)) from None
    prepared.ctx, prepared.settings = ctx, settings_for(session, ctx)
    prepared.runtime = validate_runtime(runtime, fam=ctx.fam,
                                        suspend_data_max=suspend_data_limit(prepared.settings, ctx.fam))
    prepared.entries = checked_log(log)
    prepared.application = session.get(Application, ctx.registration.application_pk)
    return prepared


def _launch_stmt(by_id: bool, lock: bool):
    stmt = select(Launch).where((Launch.launch_id if by_id else Launch.pk) == bindparam("key"))
    if lock:  # serialise commits of one launch (PostgreSQL)
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return stmt


#: The launch by launch id or pk, read locked or not: built once (each commit runs one).
_LAUNCH_STMTS = {(by_id, lock): _launch_stmt(by_id, lock) for by_id in (True, False) for lock in (True, False)}


def apply_prepared(session: Session, prepared: PreparedCommit, *, terminated: bool = False,
                   now: datetime | None = None, public_url: str | None = None) -> dict:
    """The write phase of a prepared commit, in the caller's transaction: the launch row locked
    (PostgreSQL; SQLite's writer lock is held already) and checked again, then the writes."""
    seq, log = prepared.seq, prepared.log
    launch = prepared.locked if prepared.locked in session else session.execute(
        select(Launch).where(Launch.pk == prepared.launch_pk).with_for_update()
        .execution_options(populate_existing=True)  # serialise commits of one launch (PostgreSQL)
    ).scalars().first()
    if launch is None:
        raise NotFound("This launch no longer exists")
    if seq <= (launch.last_seq or 0):
        return _stale(session, launch, log, fresh=prepared.fresh)
    require_open(launch)
    if not launch.tracking:  # acknowledged, never recorded
        return {"applied": False, "lastSeq": seq}
    if prepared.ctx is None:
        # Log only: the audit trail, no run-time data. It leaves last_seq alone, so a data commit
        # sent before it (a beacon at page close) that arrives after it is still applied.
        append_log(session, launch, checked_log(log))
        return {"applied": False, "lastSeq": seq}
    now = now or utcnow()
    ctx = _write_context(session, launch, prepared.ctx)
    # One flush at the end instead of one before every query (each query below reads rows this
    # commit has not changed yet, or takes the changed objects from the session, not from SQL).
    with session.no_autoflush:
        return _apply(session, launch, ctx, prepared, terminated=terminated, now=now, public_url=public_url)


def _write_context(session: Session, launch: Launch, read: LaunchContext) -> LaunchContext:
    """The launch's registration and instance as rows of SESSION (they are written); the course
    version read before (it is only read) unless the instance runs another one by now."""
    if read.instance in session and read.registration in session:
        return read  # both phases in one session
    inst = session.get(RegistrationInstance, launch.instance_pk)
    if inst is None or inst.course_version_pk != read.version.pk:
        return load_context(session, launch)
    reg = session.get(Registration, inst.registration_pk)
    return LaunchContext(reg, inst, read.version, read.fam)


def _apply(session: Session, launch: Launch, ctx: LaunchContext, prepared: PreparedCommit, *, terminated: bool,
           now: datetime, public_url: str | None) -> dict:
    """The writes of a commit the launch takes."""
    activity_id, seq, activity, settings = prepared.activity_id, prepared.seq, prepared.activity, prepared.settings
    clean = prepared.runtime
    launch.last_seq = seq
    launch.last_runtime_update = now
    append_log(session, launch, prepared.entries)
    state = find_state(session, ctx.instance.pk, activity_id) or new_state(session, ctx.instance.pk, activity_id)
    if not _owns_session(state, ctx, launch, now):
        append_log(session, launch, [{"event": "stale-commit", "activityId": activity_id, "seq": seq,
                              "message": "a newer launch has this activity open; this commit was not applied"}])
        return {"applied": False, "lastSeq": seq}
    no_credit = bool((launch.options or {}).get(NO_CREDIT_OPTION))
    record_scorm_statements(session, ctx=ctx, launch=launch, state=state, activity=activity, runtime=clean,
                            settings=settings, seq=seq, public_url=public_url, now=now,
                            app=prepared.application)  # before state changes
    record_facts(session, registration=ctx.registration, instance_pk=ctx.instance.pk, activity_id=activity_id,
                 fam=ctx.fam, before=state.runtime, after=clean, now=now)  # before state.runtime is replaced
    _record_activity(state, activity, clean, ctx, settings, no_credit=no_credit, now=now)
    _track_suspend(ctx, activity_id, clean)
    engine = _report_to_engine(ctx, activity, clean) if sequenced.uses_engine(ctx.version) and not no_credit else None
    changed = _roll_up(session, ctx, settings, state, now=now, engine=engine)
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


def _roll_up(session: Session, ctx: LaunchContext, settings: dict[str, str], current: ActivityState, *,
             now: datetime, engine: sequenced.SequencingSession | None = None) -> bool:
    """Instance results from its activities (CURRENT: the state this commit changed, maybe not yet
    flushed); the registration mirrors its current instance. Whether the registration's completion,
    success, score or time changed. A multi-SCO SCORM 2004 course takes its root activity's
    rolled-up status from the sequencing engine (SN 4.6)."""
    structure = ctx.version.structure or {}
    ids = rollup.leaf_ids(structure)
    states = [current, *_other_states(session, ctx, current, structure, ids)]
    leaves = {s.activity_id: _leaf(s) for s in states}
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


def _other_states(session: Session, ctx: LaunchContext, current: ActivityState, structure: dict,
                  ids: list[str]) -> list[ActivityState]:
    """The instance's other activity states: none for a one-activity course; without their run-time
    JSON (deferred) unless AICC completion requirements read the objectives in it."""
    if len(ids) <= 1 and ids == [current.activity_id]:
        return []
    stmt = select(ActivityState).where(ActivityState.instance_pk == ctx.instance.pk,
                                       ActivityState.activity_id != current.activity_id)
    if not (ctx.fam == RuntimeFamily.SCORM12 and aicc_script.has_requirements(structure)):
        stmt = stmt.options(defer(ActivityState.runtime), with_expression(ActivityState.has_runtime, _HAS_RUNTIME))
    return list(session.scalars(stmt))


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
    return rollup.Leaf(result=result, attempted=bool(state.attempts or _has_runtime(state)),
                       scored_at=state.last_access if state.score_scaled is not None else None)


#: Whether an activity state holds run-time data, in SQL (its JSON is not loaded for the rollup).
_HAS_RUNTIME = func.coalesce(func.length(cast(ActivityState.runtime, String)), 0) > 2


def _has_runtime(state: ActivityState) -> bool:
    if "runtime" in state.__dict__:  # loaded (or set by this commit)
        return bool(state.runtime)
    return bool(state.has_runtime)
