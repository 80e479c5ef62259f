"""Launches: what every run-time call needs about one (its registration, instance, course version,
data-model family, the activity, its stored state and the effective Player* settings), starting
and leaving a launch, what a SCO starts with, and the registration's launch history."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.courses import CourseVersion
from coursehost.db.models.registrations import ActivityState, Launch, Registration, RegistrationInstance
from coursehost.db.models.tenancy import Application
from coursehost.domain.courses.catalog import course_chain
from coursehost.domain.errors import Conflict, InvalidInput, NotFound
from coursehost.domain.postbacks.config import SETTING_IDS as POSTBACK_SETTING_IDS
from coursehost.domain.registrations import core
from coursehost.domain.reporting.models import LaunchHistory, Score
from coursehost.domain.reports import summary as reports
from coursehost.domain.runtime import rollup, sequenced
from coursehost.domain.runtime.debuglog import read_log
from coursehost.domain.scorm.datamodel import API_NAMES, SUSPEND_DATA_LIMITS, exit_value, number
from coursehost.domain.scorm.durations import format_iso, format_scorm12
from coursehost.domain.scorm.status import COMPLETED, COMPLETIONS, SUCCESSES, UNKNOWN
from coursehost.domain.settings_registry.cascade import effective_values
from coursehost.domain.standards import RuntimeFamily, family
from coursehost.domain.values import truthy

SETTING_IDS = (
    "PlayerResetRunTimeData", "PlayerLaunchCompletedRegsAsNoCredit", "PlayerSuspendDataMaxLength",
    "PlayerScoreOverridesStatus", "PlayerScaleRawScore", "PlayerAllowCompleteStatusChange",
    "XapiForScormEnabled",  # a commit also writes xAPI statements (runtime.scorm_statements)
    *rollup.SETTING_IDS,
    *POSTBACK_SETTING_IDS,  # read with the rest: a commit that moves the results may queue a postback
)
#: Key in Launch.options recording that the launch runs in no-credit mode (decided once, at launch).
NO_CREDIT_OPTION = "noCredit"
#: Key in Launch.options recording that the player's exit call ended the launch. Not exit_time: a
#: SCO's terminating commit sets that too, and the next SCO of the same launch still writes.
EXITED_OPTION = "exited"


class LaunchExited(Conflict):
    """A write to a launch the learner has left (HTTP 410): its results are final."""

    status = 410


def has_exited(launch: Launch) -> bool:
    """Whether the player's exit call has ended LAUNCH."""
    return bool((launch.options or {}).get(EXITED_OPTION))


def require_open(launch: Launch) -> None:
    """LaunchExited when LAUNCH has exited: a launch accepts no run-time writes after its exit."""
    if has_exited(launch):
        raise LaunchExited("This launch has exited and accepts no more run-time data; launch the course again")
#: Key in RegistrationInstance.state: {"attemptStartSeconds": {activity id: total seconds when the
#: current attempt began}} so SCORM 2004 cmi.total_time covers the current attempt only (RTE 4.2.26).
RUNTIME_STATE_KEY = "runtime"


@dataclass
class LaunchContext:
    registration: Registration
    instance: RegistrationInstance
    version: CourseVersion
    fam: RuntimeFamily

    @property
    def is_current(self) -> bool:
        """Whether the instance is the registration's current one (whose summary it mirrors)."""
        return self.instance.instance == self.registration.instance


def load_context(session: Session, launch: Launch) -> LaunchContext:
    """The registration side of LAUNCH, or NotFound / InvalidInput when it cannot run SCORM."""
    # One statement for the instance, its registration, course version and application (the commit
    # path reads all four; three were a round trip and an ORM load each). The course is not loaded.
    row = session.execute(_CONTEXT, {"pk": launch.instance_pk}).first()
    if row is None:
        raise NotFound("This launch's registration no longer exists")
    inst, reg, version = row[0], row[1], row[2]
    if version is None:
        raise NotFound("The course version of this registration no longer exists")
    fam = family(version.learning_standard)
    if fam is None:
        raise InvalidInput(f"{version.learning_standard} courses have no SCORM run-time")
    return LaunchContext(reg, inst, version, fam)


_CONTEXT = (select(RegistrationInstance, Registration, CourseVersion, Application)
            .outerjoin(Registration, Registration.pk == RegistrationInstance.registration_pk)
            .outerjoin(CourseVersion, CourseVersion.pk == RegistrationInstance.course_version_pk)
            .outerjoin(Application, Application.pk == Registration.application_pk)
            .where(RegistrationInstance.pk == bindparam("pk")))


def launchable(ctx: LaunchContext, activity_id: str) -> dict:
    """The launchable activity ACTIVITY_ID of the course, or NotFound."""
    node = rollup.find_activity(ctx.version.structure or {}, activity_id) if activity_id else None
    if node is None or node.get("children") or not node.get("href"):
        raise NotFound(f"The course has no launchable activity [{activity_id}]")
    return node


def find_state(session: Session, instance_pk: int, activity_id: str) -> ActivityState | None:
    """The stored state of ACTIVITY_ID in the instance, or None before its first launch."""
    return session.scalars(_FIND_STATE, {"instance_pk": instance_pk, "activity_id": activity_id}).first()


# (built once: constructing the statement cost more CPU than running it, on every commit)
_FIND_STATE = select(ActivityState).where(ActivityState.instance_pk == bindparam("instance_pk"),
                                          ActivityState.activity_id == bindparam("activity_id"))


def new_state(session: Session, instance_pk: int, activity_id: str) -> ActivityState:
    """A new, empty state of ACTIVITY_ID in the instance (added to the session)."""
    state = ActivityState(instance_pk=instance_pk, activity_id=activity_id, attempts=0, runtime={},
                          base_seconds=0.0, total_seconds=0.0, completion="UNKNOWN", success="UNKNOWN",
                          attempt_completion="UNKNOWN")
    session.add(state)
    return state


def settings_for(session: Session, ctx: LaunchContext) -> dict[str, str]:
    """The run-time settings (SETTING_IDS) as the launch's registration instance sees them. The
    registration's and instance's levels are read each time; the course version's chain above them
    (course version, course, learning standard, application) comes from a per-process cache at most
    cascade.CACHE_TTL_SECONDS old (docs/ARCHITECTURE.md "Processes and shared state")."""
    reg = ctx.registration
    fresh = [core.instance_scope(reg.registration_id, ctx.instance.instance), core.registration_scope(reg.registration_id)]
    return effective_values(session, application_pk=reg.application_pk, fresh=fresh,
                            cached=_version_chain(session, ctx.version), setting_ids=SETTING_IDS)


_VERSION_CHAINS: dict[tuple, list] = {}


def _version_chain(session: Session, version: CourseVersion) -> list:
    """The settings chain above a registration for VERSION: immutable per version, so cached per
    process (keyed by more than the pk: SQLite may reuse a deleted row's pk)."""
    key = (version.pk, version.course_pk, version.content_prefix, version.created)
    chain = _VERSION_CHAINS.get(key)
    if chain is None:
        if len(_VERSION_CHAINS) >= 10_000:
            _VERSION_CHAINS.clear()
        chain = _VERSION_CHAINS[key] = course_chain(version.course, version, versioned=True)
    return chain


def suspend_data_limit(settings: dict[str, str], fam: RuntimeFamily) -> int:
    """PlayerSuspendDataMaxLength, else the standard's minimum (4096 for 1.2, 64000 for 2004)."""
    value = number(settings.get("PlayerSuspendDataMaxLength"))
    return int(value) if value is not None and value > 0 else SUSPEND_DATA_LIMITS[fam]


def attempt_starts(instance: RegistrationInstance) -> dict[str, float]:
    """{activity id: total seconds when its current attempt began} of INSTANCE."""
    return dict(((instance.state or {}).get(RUNTIME_STATE_KEY) or {}).get("attemptStartSeconds") or {})


def set_attempt_start(instance: RegistrationInstance, activity_id: str, seconds: float) -> None:
    """Record that ACTIVITY_ID's current attempt began at SECONDS of total time."""
    state = dict(instance.state or {})
    runtime = dict(state.get(RUNTIME_STATE_KEY) or {})
    starts = dict(runtime.get("attemptStartSeconds") or {})
    starts[activity_id] = seconds
    runtime["attemptStartSeconds"] = starts
    state[RUNTIME_STATE_KEY] = runtime
    instance.state = state  # a new dict, so the JSON column is seen as changed


# ---------------------------------------------------------------- starting and leaving a launch


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
        reports.record(session, registration=registration, launched=now)
    session.flush()
    return row


def exit_launch(session: Session, *, launch_pk: int, now: datetime | None = None) -> None:
    """Record that the learner left the player: the launch's exit time (after its last commit)."""
    launch = session.get(Launch, launch_pk)
    if launch is None:
        raise NotFound("This launch no longer exists")
    launch.exit_time = now or utcnow()
    launch.options = {**(launch.options or {}), EXITED_OPTION: True}


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
        "activityId": activity_id, "standard": ctx.version.learning_standard, "scorm": ctx.fam.value,
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


def start_entry(prior: dict | None, attempts: int, fam: RuntimeFamily, reset: str,
                seq: dict | None) -> tuple[str, bool]:
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


def _entry(prior: dict | None, fam: RuntimeFamily, reset: str) -> tuple[str, bool]:
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


def lms_values(activity: dict, fam: RuntimeFamily, *, learner_id: str, learner_name: str, no_credit: bool,
               total: float, attempt_total: float) -> dict:
    """The values the LMS supplies to the SCO of ACTIVITY (a course structure dict), entry aside."""
    data = activity.get("data") or {}
    credit = "no-credit" if no_credit else "credit"
    if fam == RuntimeFamily.SCORM12:
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


# ---------------------------------------------------------------- launch history


def launch_history(session: Session, *, registration: Registration, instance: int | None = None,
                   include_log: bool = False) -> list[LaunchHistory]:
    """The registration's launches (of one INSTANCE when given), oldest first."""
    stmt = select(Launch, RegistrationInstance.instance).join(
        RegistrationInstance, Launch.instance_pk == RegistrationInstance.pk).where(
        RegistrationInstance.registration_pk == registration.pk)
    if instance is not None:
        stmt = stmt.where(RegistrationInstance.instance == core.get_instance(
            session, registration=registration, instance=instance).instance)
    out = []
    for launch, instance_number in session.execute(stmt.order_by(Launch.launch_time, Launch.pk)):
        entry = history_entry(launch, instance_number)
        if include_log:  # LaunchHistorySchema.historyLog is a string: the log entries as JSON
            entry.history_log = json.dumps(read_log(session, launch), separators=(",", ":"))
        out.append(entry)
    return out


def history_entry(launch: Launch, instance_number: int) -> LaunchHistory:
    """LAUNCH (of instance INSTANCE_NUMBER) as one entry of the launch history, without its log."""
    return LaunchHistory(
        id=launch.launch_id, launch_history_id=launch.launch_id, instance=instance_number,
        score=Score(launch.score_scaled),
        completion_status=launch.completion if launch.completion in COMPLETIONS else UNKNOWN,
        success_status=launch.success if launch.success in SUCCESSES else UNKNOWN,
        total_seconds_tracked=round(launch.total_seconds or 0.0, 2),
        launch_time=launch.launch_time, exit_time=launch.exit_time,
        last_runtime_update=launch.last_runtime_update,
    )
