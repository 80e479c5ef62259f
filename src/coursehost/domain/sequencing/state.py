"""The tracking model (SCORM 2004 4th Ed. SN 4.2): per-activity state, objective progress,
attempt progress, global (shared) objectives and the sequencing session's own state.

Every write goes through `Tracked.__setattr__`, which records the old value while a journal is
recording: look-ahead runs the real processes and then rolls the journal back, so it has no side
effects without copying the whole state (2,000-activity trees stay fast).
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


class Journal:
    """Undo log shared by every tracked object of one session."""

    __slots__ = ("on", "log")

    def __init__(self) -> None:
        self.on = False
        self.log: list[tuple[Any, str, Any]] = []

    def mark(self) -> int:
        return len(self.log)

    def rollback(self, mark: int = 0) -> None:
        log = self.log
        while len(log) > mark:
            obj, name, old = log.pop()
            object.__setattr__(obj, name, old)


class Tracked:
    __slots__ = ("_j",)
    FIELDS: tuple[str, ...] = ()

    def __init__(self, journal: Journal, **values: Any) -> None:
        object.__setattr__(self, "_j", journal)
        for name in self.FIELDS:
            object.__setattr__(self, name, values.get(name, self.DEFAULTS[name]))  # type: ignore[attr-defined]

    def __setattr__(self, name: str, value: Any) -> None:
        j = self._j
        if j.on:
            j.log.append((self, name, getattr(self, name)))
        object.__setattr__(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS
                if getattr(self, name) != self.DEFAULTS[name]}  # type: ignore[attr-defined]


def _tracked(name: str, defaults: dict[str, Any]) -> type:
    return type(name, (Tracked,), {"__slots__": tuple(defaults), "FIELDS": tuple(defaults),
                                   "DEFAULTS": defaults})


# Objective progress information (SN 4.2.1.1) plus the 4th edition's per-objective score,
# completion and progress (RTE cmi.objectives.n.*, carried by adlseq maps).
ObjectiveState = _tracked("ObjectiveState", {
    "progress": False, "satisfied": False, "measure_status": False, "measure": 0.0,
    "raw": None, "min": None, "max": None,
    "completion_status": False, "completed": False, "progress_status": False, "progress_measure": 0.0,
})

# A global shared objective (SN 3.10): same fields as the local one.
GlobalObjective = ObjectiveState

# Activity state (SN 4.2.1.3/4) and attempt progress information (SN 4.2.1.2).
ActivityState = _tracked("ActivityState", {
    "active": False, "suspended": False, "attempts": 0,
    "attempt_progress": False, "attempt_completed": False,   # attempt completion status
    "amount_status": False, "amount": 0.0,                    # attempt completion amount
    "attempt_duration": 0.0, "experienced_duration": 0.0,     # seconds (absolute, experienced)
    "entry": "ab-initio",                                     # what cmi.entry will say at launch
    "order": None,                                            # available children (SR), None: all
    "content_completion": False,                              # the SCO reported its completion this attempt
    "content_success": False,                                 # the SCO reported its success this attempt
    "stale_obj": False, "stale_prog": False,                  # from before the parent's current attempt
})

# The sequencing session (SN 4.2.1.5 + OP.1 bookkeeping).
SessionState = _tracked("SessionState", {
    "current": None, "suspended": None, "ended": False, "started": False,
})


class TrackingState:
    """All per-registration state: activities, their objectives, globals, the session."""

    def __init__(self, activity_ids: list[str], objectives: dict[str, list[str]],
                 global_ids: list[str]) -> None:
        self.journal = Journal()
        j = self.journal
        self.session = SessionState(j)
        self.acts: dict[str, Any] = {aid: ActivityState(j) for aid in activity_ids}
        self.objs: dict[str, dict[str, Any]] = {
            aid: {key: ObjectiveState(j) for key in keys} for aid, keys in objectives.items()}
        self.globals: dict[str, Any] = {gid: GlobalObjective(j) for gid in global_ids}

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable snapshot (only non-default values)."""
        acts = {aid: d for aid, st in self.acts.items() if (d := st.to_dict())}
        objs = {}
        for aid, per in self.objs.items():
            got = {key: d for key, o in per.items() if (d := o.to_dict())}
            if got:
                objs[aid] = got
        glob = {gid: d for gid, g in self.globals.items() if (d := g.to_dict())}
        return {"version": 1, "session": self.session.to_dict(), "activities": acts,
                "objectives": objs, "globals": glob}

    def load(self, raw: dict[str, Any]) -> None:
        """Restore from a to_dict() snapshot (unknown ids are ignored; the tree may have changed)."""
        for name, value in raw.get("session", {}).items():
            if name in SessionState.FIELDS:
                setattr(self.session, name, value)
        for aid, values in raw.get("activities", {}).items():
            st = self.acts.get(aid)
            if st is not None:
                for name, value in values.items():
                    if name in ActivityState.FIELDS:
                        setattr(st, name, value)
        for aid, per in raw.get("objectives", {}).items():
            for key, values in per.items():
                o = self.objs.get(aid, {}).get(key)
                if o is not None:
                    for name, value in values.items():
                        if name in ObjectiveState.FIELDS:
                            setattr(o, name, value)
        for gid, values in raw.get("globals", {}).items():
            g = self.globals.get(gid)
            if g is None:
                g = self.globals[gid] = GlobalObjective(self.journal)
            for name, value in values.items():
                if name in ObjectiveState.FIELDS:
                    setattr(g, name, value)
