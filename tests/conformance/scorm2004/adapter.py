"""What a SCO starts with in the harness: the LMS-supplied values and the stored run-time data,
built the way the server should build them (src/coursehost/domain/runtime/tracking.py
sco_start_data + the sequencing engine's start_data). Pure functions; see docs/CONFORMANCE.md for
what the server still lacks."""

from __future__ import annotations

from typing import Any

from coursehost.domain.courses.model import Activity
from coursehost.domain.sequencing.tree import duration_seconds

LEARNER_ID = "learner-1"
LEARNER_NAME = "Learner, Test"


def iso_duration(seconds: float) -> str:
    """Seconds -> an ISO 8601 duration (RTE 4.2.26 total_time), centiseconds at most."""
    cs = int(round(seconds * 100))
    h, rem = divmod(cs, 360000)
    m, rem = divmod(rem, 6000)
    s = rem / 100
    out = "PT"
    if h:
        out += f"{h}H"
    if m:
        out += f"{m}M"
    if s or out == "PT":
        out += (f"{s:.2f}".rstrip("0").rstrip(".")) + "S"
    return out


def lms_values(activity: Activity, engine: dict[str, Any], prior: dict[str, Any] | None) -> dict[str, Any]:
    """cmi values the LMS supplies (RTE 4.2): learner, credit, mode, entry, total_time,
    launch_data, completion_threshold, scaled_passing_score, max_time_allowed, time_limit_action."""
    data = activity.data or {}
    limit = ((activity.sequencing or {}).get("limitConditions") or {}).get("attemptAbsoluteDurationLimit")
    entry = engine.get("entry") or "ab-initio"
    total = 0.0
    if prior and entry == "resume":
        total = (duration_seconds(prior.get("total_time")) or 0.0) + (duration_seconds(prior.get("session_time")) or 0.0)
    out = {
        "learner_id": LEARNER_ID, "learner_name": LEARNER_NAME, "credit": "credit", "mode": "normal",
        "entry": entry, "total_time": iso_duration(total), "launch_data": data.get("dataFromLMS"),
        "completion_threshold": engine.get("completion_threshold"),
        "scaled_passing_score": engine.get("scaled_passing_score"),
        "max_time_allowed": limit, "time_limit_action": data.get("timeLimitAction"),
    }
    return {k: v for k, v in out.items() if v not in (None, "")}


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items() if x is not None}
    return v


def runtime_start(engine: dict[str, Any], prior: dict[str, Any] | None) -> dict[str, Any]:
    """The stored run-time to load: the prior attempt's data when resuming (RTE 4.2.9), with the
    engine's objectives (read maps from global objectives applied, SN 4.2.1.2) merged in."""
    resume = engine.get("entry") == "resume" and prior
    runtime: dict[str, Any] = dict(prior) if resume else {}
    objectives = [dict(o) for o in runtime.get("objectives") or []]
    by_id = {o.get("id"): o for o in objectives}
    for eo in engine.get("objectives") or []:
        eo = _clean(eo)
        cur = by_id.get(eo["id"])
        if cur is None:
            cur = {"id": eo["id"]}
            objectives.append(cur)
            by_id[eo["id"]] = cur
        for key in ("success_status", "completion_status"):
            if eo.get(key) not in (None, "unknown") or key not in cur:
                cur[key] = eo.get(key, "unknown")
        if eo.get("progress_measure") is not None:
            cur["progress_measure"] = eo["progress_measure"]
        score = dict(cur.get("score") or {})
        for k, v in (eo.get("score") or {}).items():
            if v is not None:
                score[k] = v
        if score:
            cur["score"] = score
    if objectives:
        runtime["objectives"] = objectives
    return runtime
