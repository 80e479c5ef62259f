"""What a SCO starts with in the harness, built by the product's own pure functions: the
sequencing start values (coursehost.domain.runtime.sequenced.start_values: cmi.objectives with read
maps, adl.data buckets, the engine's entry and attempt) and launches.sco_start_data's decisions
(launches.start_entry, start_runtime, lms_values). The harness keeps, per activity, the part of the
product's ActivityState those functions read (`Tracked`), and per registration the shared data
(instance.state["sharedData"])."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coursehost.domain.runtime import launches, sequenced
from coursehost.domain.sequencing import SequencingSession
from coursehost.domain.sequencing.tree import duration_seconds
from coursehost.domain.standards import RuntimeFamily

LEARNER_ID = "learner-1"
LEARNER_NAME = "Learner, Test"
RESET = "WHEN_EXIT_IS_NOT_SUSPEND"  # PlayerResetRunTimeData's default


@dataclass
class Tracked:
    """An activity's ActivityState as far as start data goes: the stored run-time, attempts, time."""
    runtime: dict[str, Any] | None = None
    attempts: int = 0
    total_seconds: float = 0.0
    attempt_start: float = 0.0  # total_seconds when the current attempt began (context.attempt_starts)
    base_seconds: float = 0.0


def start_data(ses: SequencingSession, activity: dict[str, Any], tracked: Tracked,
               shared: dict[str, str] | None) -> dict[str, Any]:
    """launches.sco_start_data for a tracked, for-credit launch, minus the database: the start
    JSON the player gives toLoadJSON / loadSharedData. Updates TRACKED like _begin_session."""
    seq = sequenced.start_values(ses, activity, shared)
    entry, fresh = launches.start_entry(tracked.runtime, tracked.attempts, RuntimeFamily.SCORM2004, RESET, seq)
    # _begin_session
    if fresh or not tracked.attempts:
        tracked.attempts += 1
        if fresh:
            tracked.runtime = {}
        tracked.attempt_start = tracked.total_seconds
    tracked.base_seconds = tracked.total_seconds
    if seq["attempt"] > tracked.attempts:
        tracked.attempts = seq["attempt"]
    runtime = launches.start_runtime(tracked.runtime, fresh, seq)
    lms = launches.lms_values(activity, RuntimeFamily.SCORM2004, learner_id=LEARNER_ID, learner_name=LEARNER_NAME,
                              no_credit=False, total=tracked.total_seconds,
                              attempt_total=0.0 if fresh else tracked.total_seconds - tracked.attempt_start)
    out: dict[str, Any] = {"runtime": runtime,
                           "lms": {k: v for k, v in lms.items() if v not in (None, "")} | {"entry": entry}}
    if seq.get("adlData"):
        out["adlData"] = seq["adlData"]
    return out


def commit(tracked: Tracked, runtime: dict[str, Any]) -> None:
    """commits._record_activity: the stored run-time, and time as base + this session's."""
    tracked.runtime = runtime
    tracked.total_seconds = tracked.base_seconds + (duration_seconds(runtime.get("session_time")) or 0.0)
