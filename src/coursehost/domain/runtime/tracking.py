"""Launches and SCORM run-time commits: activity state, then rollup to the instance and registration."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.registrations import ActivityState, Launch, Registration, RegistrationInstance
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.registrations import core
from coursehost.domain.runtime import rollup
from coursehost.domain.runtime.durations import format_iso, format_scorm12, parse_duration

MAX_LOG_ENTRIES = 5000
MAX_RUNTIME_JSON_CHARS = 4_000_000
SETTINGS = [
    "PlayerResetRunTimeData", "PlayerLaunchCompletedRegsAsNoCredit", "PlayerSuspendDataMaxLength",
    "PlayerScoreOverridesStatus", "PlayerScaleRawScore", *rollup.SETTINGS,
]


def family(learning_standard: str) -> str:
    return "scorm12" if learning_standard == "SCORM12" else "scorm2004"


def start_launch(session: Session, *, registration: Registration, instance: RegistrationInstance | None = None,
                 tracking: bool = True, options: dict | None = None, user_agent: str | None = None,
                 now: datetime | None = None) -> Launch:
    """A new Launch of REGISTRATION's INSTANCE (history entry, debug log, commit sequence)."""
    inst = instance or core.get_instance(session, registration=registration)
    now = now or utcnow()
    row = Launch(launch_id=uuid.uuid4().hex, instance_pk=inst.pk, tracking=tracking, options=dict(options or {}),
                 launch_time=now, user_agent=user_agent, history_log=[], last_seq=0)
    session.add(row)
    if tracking:
        for obj in (registration, inst):
            obj.first_access = obj.first_access or now
            obj.last_access = now
    session.flush()
    return row


def _context(session: Session, launch: Launch):
    inst = session.get(RegistrationInstance, launch.instance_pk)
    reg = session.get(Registration, inst.registration_pk)
    course, version = core.instance_course(session, inst)
    return reg, inst, course, version


def _find(node: dict, activity_id: str) -> dict | None:
    if node.get("id") == activity_id:
        return node
    for child in node.get("children") or []:
        found = _find(child, activity_id)
        if found is not None:
            return found
    return None


def _state(session: Session, instance_pk: int, activity_id: str) -> ActivityState | None:
    return session.scalars(select(ActivityState).where(
        ActivityState.instance_pk == instance_pk, ActivityState.activity_id == activity_id)).first()


def _exit_value(runtime: dict, fam: str) -> str:
    return ((runtime.get("core") or {}).get("exit") if fam == "scorm12" else runtime.get("exit")) or ""


def _keeps_data(state: ActivityState | None, fam: str, reset: str) -> bool:
    """Does a new session of this activity continue the stored data (RTE 1.2 3.4.4 cmi.core.entry;
    RTE 2004 4.2.9 cmi.entry: resume only after exit "suspend"; PlayerResetRunTimeData)."""
    if state is None or not state.runtime:
        return False
    if reset == "NEVER":
        return True
    return _exit_value(state.runtime, fam) == "suspend"


def sco_start_data(session: Session, *, launch: Launch, activity_id: str) -> dict:
    """What the SCO's API starts with: the stored data model and the LMS-supplied values."""
    reg, inst, _, version = _context(session, launch)
    activity = _find(version.structure, activity_id)
    if activity is None or activity.get("children"):
        raise NotFound(f"The course has no SCO [{activity_id}]")
    fam = family(version.learning_standard)
    settings = core.effective_settings(session, registration=reg, setting_ids=SETTINGS, instance=inst)
    state = _state(session, inst.pk, activity_id)
    same_launch = state is not None and state.session_launch_pk == launch.pk
    keep = same_launch or _keeps_data(state, fam, settings["PlayerResetRunTimeData"])
    resumed = state is not None and _exit_value(state.runtime or {}, fam) == "suspend"
    entry = "resume" if resumed and keep else ("ab-initio" if state is None or not state.attempts else "")
    no_credit = settings["PlayerLaunchCompletedRegsAsNoCredit"] == "true" and reg.completion == "COMPLETED"
    learner = reg.learner or {}
    name = ", ".join(p for p in (learner.get("lastName"), learner.get("firstName")) if p) or reg.learner_id
    data = activity.get("data") or {}
    total = state.total_seconds if (state is not None and keep) else 0.0
    lms = {"entry": entry, "credit": "no-credit" if no_credit else "credit", "learner_id": reg.learner_id,
           "learner_name": name, "mode": "normal"}
    if fam == "scorm12":
        lms.update(total_time=format_scorm12(total), launch_data=data.get("datafromlms"),
                   mastery_score=data.get("masteryscore"), max_time_allowed=data.get("maxtimeallowed"),
                   time_limit_action=data.get("timelimitaction"))
    else:
        threshold = data.get("completionThreshold") or {}
        lms.update(total_time=format_iso(total), launch_data=data.get("dataFromLMS"),
                   scaled_passing_score=activity.get("scaled_passing_score"),
                   completion_threshold=threshold.get("minProgressMeasure") if isinstance(threshold, dict) else None,
                   time_limit_action=data.get("timeLimitAction"))
    return {"standard": version.learning_standard, "scorm": "1.2" if fam == "scorm12" else "2004",
            "runtime": (state.runtime if (state is not None and keep) else {}),
            "lms": {k: v for k, v in lms.items() if v is not None}}


def _validate(runtime: dict, fam: str, max_suspend: int) -> None:
    import json

    if len(json.dumps(runtime)) > MAX_RUNTIME_JSON_CHARS:
        raise InvalidInput("runtime is too large")
    suspend = runtime.get("suspend_data")
    if suspend is not None and not isinstance(suspend, str):
        raise InvalidInput("suspend_data must be a string")
    limit = min(max_suspend, 4096) if fam == "scorm12" else max_suspend
    if isinstance(suspend, str) and len(suspend) > limit:
        raise InvalidInput(f"suspend_data is longer than {limit} characters")
    for name in ("interactions", "objectives"):
        if name in runtime and not isinstance(runtime[name], list):
            raise InvalidInput(f"{name} must be a list")
    if fam == "scorm12" and "core" in runtime and not isinstance(runtime["core"], dict):
        raise InvalidInput("core must be an object")


def apply_commit(session: Session, *, launch_pk: int, activity_id: str, seq: int, runtime: dict,
                 log: list | None = None, terminated: bool = False, now: datetime | None = None) -> dict:
    """Apply one commit of the SCO's whole data model, once per SEQ; roll up; enqueue a postback."""
    launch = session.scalars(select(Launch).where(Launch.pk == launch_pk).with_for_update()).first()
    if launch is None:
        raise NotFound("This launch no longer exists")
    if seq <= launch.last_seq:  # a retried commit: already applied
        return {"applied": False, "lastSeq": launch.last_seq}
    now = now or utcnow()
    launch.last_seq = seq
    if not launch.tracking:
        return {"applied": True, "lastSeq": seq}
    reg, inst, _, version = _context(session, launch)
    activity = _find(version.structure, activity_id)
    if activity is None or activity.get("children"):
        raise InvalidInput(f"activityId [{activity_id}] is not a SCO of this course")
    fam = family(version.learning_standard)
    settings = core.effective_settings(session, registration=reg, setting_ids=SETTINGS, instance=inst)
    _validate(runtime, fam, int(settings["PlayerSuspendDataMaxLength"] or 64000))
    if log:
        entries = list(launch.history_log or []) + [dict(e) for e in log]
        if len(entries) > MAX_LOG_ENTRIES:
            entries = [{"event": "log truncated", "dropped": len(entries) - MAX_LOG_ENTRIES}] + entries[-MAX_LOG_ENTRIES:]
        launch.history_log = entries
    state = _state(session, inst.pk, activity_id)
    if state is None:
        state = ActivityState(instance_pk=inst.pk, activity_id=activity_id, attempts=0, runtime={},
                              base_seconds=0.0, total_seconds=0.0, first_access=now)
        session.add(state)
    if state.session_launch_pk != launch.pk:  # this launch's first commit for the activity
        if not _keeps_data(state, fam, settings["PlayerResetRunTimeData"]) or not state.attempts:
            state.attempts = (state.attempts or 0) + 1
        state.base_seconds = state.total_seconds or 0.0
        state.session_launch_pk = launch.pk
    session_time = (runtime.get("core") or {}).get("session_time") if fam == "scorm12" else runtime.get("session_time")
    state.total_seconds = (state.base_seconds or 0.0) + (parse_duration(session_time) or 0.0)
    state.runtime = runtime
    state.last_access = now
    rollup.summarize_activity(state, activity, fam, settings)
    if state.completion == "COMPLETED" and state.completed_date is None:
        state.completed_date = now
    before = (reg.completion, reg.success, reg.score_scaled, reg.total_seconds)
    rollup.roll_up(session, registration=reg, instance=inst, version=version, settings=settings, now=now)
    launch.completion, launch.success = inst.completion, inst.success
    launch.score_scaled, launch.total_seconds = inst.score_scaled, inst.total_seconds
    launch.last_runtime_update = now
    if terminated:
        launch.exit_time = now
    if (reg.completion, reg.success, reg.score_scaled, reg.total_seconds) != before:
        from coursehost.domain.postbacks.enqueue import enqueue_postback

        enqueue_postback(session, registration=reg)
    session.flush()
    return {"applied": True, "lastSeq": seq}


def exit_launch(session: Session, *, launch_pk: int, now: datetime | None = None) -> None:
    """Record that the learner left the player (exit time of the launch)."""
    launch = session.get(Launch, launch_pk)
    if launch is not None and launch.exit_time is None:
        launch.exit_time = now or utcnow()
