"""Launches and what a SCO starts with; commits are applied in `commits` (re-exported here, the
module the player imports)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.registrations import ActivityState, Launch, Registration, RegistrationInstance
from coursehost.domain.errors import NotFound
from coursehost.domain.registrations import core
from coursehost.domain.runtime import sequenced
from coursehost.domain.runtime.commits import apply_commit
from coursehost.domain.runtime.context import (
    NO_CREDIT_OPTION, LaunchContext, attempt_starts, find_state, launchable, load_context, new_state,
    set_attempt_start, settings_for,
)
from coursehost.domain.runtime.datamodel import API_NAMES, SCORM12, exit_value
from coursehost.domain.runtime.durations import format_iso, format_scorm12
from coursehost.domain.runtime.status import COMPLETED, UNKNOWN, truthy

__all__ = ["apply_commit", "exit_launch", "lms_values", "sco_start_data", "start_entry", "start_launch",
           "start_runtime"]


def start_launch(session: Session, *, registration: Registration, instance: RegistrationInstance | None = None,
                 tracking: bool = True, options: dict | None = None, user_agent: str | None = None,
                 now: datetime | None = None) -> Launch:
    """A new Launch of REGISTRATION's INSTANCE (its current one by default).

    tracking=False still gives the player a launch to run, but nothing of it is recorded
    (scorm-cloud-behaviour.md: launch links with tracking=false); its commits are acknowledged and
    ignored. Whether the launch runs for credit is decided here, once: with
    PlayerLaunchCompletedRegsAsNoCredit, relaunching a completed registration is no-credit."""
    inst = instance or core.get_instance(session, registration=registration)
    now = now or utcnow()
    opts = dict(options or {})
    opts.pop(NO_CREDIT_OPTION, None)  # ours to decide, never the caller's
    if registration.completion == COMPLETED:
        value = core.effective_settings(session, registration=registration, instance=inst,
                                        setting_ids=["PlayerLaunchCompletedRegsAsNoCredit"])
        if truthy(value.get("PlayerLaunchCompletedRegsAsNoCredit")):
            opts[NO_CREDIT_OPTION] = True
    row = Launch(launch_id=uuid.uuid4().hex, instance_pk=inst.pk, tracking=bool(tracking), options=opts,
                 launch_time=now, user_agent=user_agent, history_log=[], last_seq=0,
                 completion=inst.completion, success=inst.success, score_scaled=inst.score_scaled,
                 total_seconds=inst.total_seconds or 0.0)
    session.add(row)
    if tracking:
        for obj in (registration, inst):
            obj.first_access = obj.first_access or now
            obj.last_access = now
    session.flush()
    return row


def exit_launch(session: Session, *, launch_pk: int, now: datetime | None = None) -> None:
    """Record that the learner left the player: the launch's exit time (after its last commit)."""
    launch = session.get(Launch, launch_pk)
    if launch is None:
        raise NotFound("This launch no longer exists")
    launch.exit_time = now or utcnow()


def sco_start_data(session: Session, *, launch: Launch, activity_id: str, now: datetime | None = None) -> dict:
    """What the player loads into the SCO's API before it runs: the stored data model and the
    values the LMS supplies, under their standard names ({"standard", "scorm", "api", "runtime", "lms"}).

    A new attempt begins with fresh data (attempts + 1; the time already spent is kept) when the
    SCO last exited other than "suspend" and PlayerResetRunTimeData is not NEVER: SCORM 1.2 RTE
    3.4.4 cmi.core.entry / cmi.core.exit, SCORM 2004 RTE 4.2.8 (cmi.exit: only "suspend" keeps the
    attempt open; "normal", "logout", "time-out" and "" end it) and 4.2.9 (cmi.entry)."""
    now = now or utcnow()
    ctx = load_context(session, launch)
    activity = launchable(ctx, activity_id)
    settings = settings_for(session, ctx)
    state = find_state(session, ctx.instance.pk, activity_id)
    reset = settings.get("PlayerResetRunTimeData") or "WHEN_EXIT_IS_NOT_SUSPEND"
    seq = _sequencing_start(ctx, activity) if sequenced.uses_engine(ctx.version) else None
    entry, fresh = start_entry(state.runtime if state is not None else None,
                               (state.attempts or 0) if state is not None else 0, ctx.fam, reset, seq)
    if launch.tracking:
        state = _begin_session(session, ctx, state, activity, launch, fresh=fresh, now=now)
        if seq is not None and seq["attempt"] > (state.attempts or 0):
            state.attempts = seq["attempt"]
    runtime = start_runtime(state.runtime if state is not None else None, fresh, seq)
    total = (state.total_seconds or 0.0) if state is not None else 0.0
    no_credit = bool((launch.options or {}).get(NO_CREDIT_OPTION))
    lms = lms_values(activity, ctx.fam, learner_id=ctx.registration.learner_id,
                     learner_name=_learner_name(ctx.registration), no_credit=no_credit, total=total,
                     attempt_total=0.0 if fresh else total - attempt_starts(ctx.instance).get(activity_id, 0.0))
    return {
        "activityId": activity_id, "standard": ctx.version.learning_standard, "scorm": ctx.fam,
        "api": API_NAMES[ctx.fam], "tracking": bool(launch.tracking),
        "attempt": (state.attempts if state is not None else 0) or 1,
        "runtime": runtime, "lms": {k: v for k, v in lms.items() if v not in (None, "")} | {"entry": entry},
        **({"adlData": seq["adlData"]} if seq is not None and seq.get("adlData") else {}),
    }


def _sequencing_start(ctx: LaunchContext, activity: dict) -> dict:
    """SCORM 2004: objectives with read maps applied and adl.data buckets, from the tracking model."""
    ses = sequenced.load(ctx.instance, sequenced.tree_for(ctx.version))
    shared = (ctx.instance.state or {}).get(sequenced.SHARED_KEY)
    return sequenced.start_values(ses, activity, shared if isinstance(shared, dict) else None)


# ---------------------------------------------------------------- pure parts of sco_start_data
# (also what tests/conformance/scorm2004 builds each SCO's start data with)


def start_entry(prior: dict | None, attempts: int, fam: str, reset: str, seq: dict | None) -> tuple[str, bool]:
    """(cmi entry value, whether a new attempt with fresh data begins) for an activity whose stored
    run-time is PRIOR after ATTEMPTS attempts; SEQ: the engine's start values (SCORM 2004)."""
    entry, fresh = _entry(prior, fam, reset)
    if seq is not None and seq["entry"] == "resume" and prior:
        entry, fresh = "resume", False  # suspended by the SCO or by suspendAll (RTE 4.2.9 cmi.entry)
    elif seq is not None and prior and seq["attempt"] > attempts:
        # The sequencer began a new attempt of the activity (SN 4.2.1.3): fresh data, unless the
        # settings say never to reset.
        entry, fresh = ("", False) if reset == "NEVER" else ("ab-initio", True)
    return entry, fresh


def start_runtime(prior: dict | None, fresh: bool, seq: dict | None) -> dict:
    """The stored run-time the SCO resumes with (none when FRESH), with the engine's cmi.objectives
    (read maps applied) laid over it."""
    runtime = {} if (not prior or fresh) else dict(prior)
    if seq is not None and seq["objectives"]:
        runtime["objectives"] = sequenced.merge_objectives(runtime.get("objectives"), seq["objectives"])
    return runtime


def _entry(prior: dict | None, fam: str, reset: str) -> tuple[str, bool]:
    """(cmi entry value, whether a new attempt with fresh data begins)."""
    if not prior:
        return "ab-initio", False
    previous_exit = exit_value(prior, fam)
    if previous_exit == "suspend":
        return "resume", False
    if reset == "NEVER":
        return "", False
    # WHEN_EXIT_IS_NOT_SUSPEND, and ON_EACH_NEW_SEQUENCING_ATTEMPT until the sequencing engine
    # decides attempts: a SCO that did not suspend ended its attempt, so the next one starts afresh.
    return "ab-initio", True


def _begin_session(session: Session, ctx: LaunchContext, state: ActivityState | None, activity: dict,
                   launch: Launch, *, fresh: bool, now: datetime) -> ActivityState:
    """Open a new session of the activity in STATE: fold the time so far into base_seconds."""
    if state is None:
        state = new_state(session, ctx.instance.pk, activity["id"])
        state.first_access = now
    if fresh or not state.attempts:
        state.attempts = (state.attempts or 0) + 1
        state.attempt_completion = UNKNOWN
        if fresh:
            state.runtime = {}
        set_attempt_start(ctx.instance, activity["id"], state.total_seconds or 0.0)
    state.base_seconds = state.total_seconds or 0.0
    state.session_launch_pk = launch.pk
    state.last_access = now
    if (activity.get("activity_type") or "").upper() == "ASSET" and state.completion != COMPLETED:
        # An asset has no run-time: delivering it completes it (SCORM 2004 SN 4.2.1.2 defaults for
        # content that does not report, and SCORM 1.2 LMS practice).
        state.completion, state.completion_amount = COMPLETED, 1.0
        state.completed_date = state.completed_date or now
    session.flush()
    return state


def _learner_name(registration: Registration) -> str:
    """"Last, First" (SCORM 1.2 RTE 3.4.4 cmi.core.student_name; 2004 RTE 4.2.12 learner_name)."""
    learner = registration.learner or {}
    parts = [str(p).strip() for p in (learner.get("lastName"), learner.get("firstName")) if p and str(p).strip()]
    return ", ".join(parts) or registration.learner_id


def lms_values(activity: dict, fam: str, *, learner_id: str, learner_name: str, no_credit: bool,
               total: float, attempt_total: float) -> dict:
    """The values the LMS supplies to the SCO of ACTIVITY (a course structure dict), entry aside."""
    data = activity.get("data") or {}
    credit = "no-credit" if no_credit else "credit"
    if fam == SCORM12:
        return {  # SCORM 1.2 RTE 3.4.4 (cmi.core.*, cmi.launch_data, cmi.student_data.*)
            "student_id": learner_id, "student_name": learner_name,
            "credit": credit, "lesson_mode": "review" if no_credit else "normal",
            "total_time": format_scorm12(total), "launch_data": data.get("datafromlms"),
            "mastery_score": data.get("masteryscore"), "max_time_allowed": data.get("maxtimeallowed"),
            "time_limit_action": data.get("timelimitaction"),
        }
    threshold = data.get("completionThreshold") or {}
    limit = (((activity.get("sequencing") or {}).get("limitConditions") or {})
             .get("attemptAbsoluteDurationLimit"))
    passing = activity.get("scaled_passing_score")
    return {  # SCORM 2004 RTE 4.2 (cmi.learner_id, learner_name, credit, mode, total_time, ...)
        "learner_id": learner_id, "learner_name": learner_name,
        "credit": credit, "mode": "review" if no_credit else "normal",
        # RTE 4.2.26: cmi.total_time sums the sessions of the current learner attempt only.
        "total_time": format_iso(max(0.0, attempt_total)), "launch_data": data.get("dataFromLMS"),
        "completion_threshold": (_decimal(threshold.get("minProgressMeasure", 1.0))
                                 if isinstance(threshold, dict) and threshold.get("completedByMeasure") else None),
        "scaled_passing_score": _decimal(passing) if isinstance(passing, (int, float)) else None,
        "max_time_allowed": limit, "time_limit_action": data.get("timeLimitAction"),
    }


def _decimal(value) -> str:
    return format(float(value), "g")
