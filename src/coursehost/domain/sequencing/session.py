"""SequencingSession: the engine's public face (Overall Sequencing Process OP.1, run-time data
into the tracking model, look-ahead for adl.nav.request_valid and the table of contents)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from coursehost.domain.sequencing.base import SequencingError
from coursehost.domain.sequencing.lookahead import lookahead, lookahead_exact
from coursehost.domain.sequencing.process import ProcessMixin
from coursehost.domain.sequencing.state import TrackingState
from coursehost.domain.sequencing.tree import PRIMARY, ActivityTree, ObjectiveDef, duration_seconds, ident


@dataclass
class NavResult:
    """The outcome of one navigation request."""

    valid: bool
    delivered: str | None = None
    ended: bool = False
    exception: str | None = None
    log: list[str] = field(default_factory=list)


def _num(raw: Any) -> float | None:
    if raw is None or raw == "" or raw == "unknown":
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


_UNSET = (None, "", "unknown")
#: The run-time key listing the elements the SCO itself set in the session (comma-separated paths
#: without "cmi.", e.g. "completion_status,objectives.0.success_status"; runtime-data.js snapshot).
SET_KEY = "set_by_sco"
#: Whether SequencingSession.lookahead uses the one-pass evaluation (else every target exactly).
FAST_LOOKAHEAD = True


def set_elements(runtime: dict) -> set[str] | None:
    """The elements the SCO set in the session RUNTIME reports, None when the snapshot does not say.
    Also accepts "set_by_content": a list of "cmi."-prefixed element names."""
    raw, listed = runtime.get(SET_KEY), runtime.get("set_by_content")
    if not isinstance(raw, str) and not isinstance(listed, (list, tuple, set)):
        return None
    out = {p.strip() for p in raw.split(",") if p.strip()} if isinstance(raw, str) else set()
    out.update(str(p)[4:] if str(p).startswith("cmi.") else str(p) for p in listed or ())
    return out


def _with_primary_entry(runtime: dict, entry: dict, set_by: set[str] | None = None, index: int = -1) -> dict:
    """The SCO's cmi.objectives entry whose id is the primary objective's (RTE 4.2.17, SN 4.2.1.3:
    that entry and the cmi.* status both describe the primary objective): where the cmi.* value
    is unknown/absent the entry's value stands (ADL CO-06: only the objective's completion_status
    is set, and its write map must carry it), unless the SCO set the cmi.* value itself, "unknown"
    included (ADL CO-13a: cmi.completion_status "unknown" wins over the entry's "completed")."""
    out = dict(runtime)
    for name in ("completion_status", "success_status", "progress_measure"):
        if set_by is not None and name in set_by:
            continue
        if out.get(name) in _UNSET and entry.get(name) not in _UNSET:
            out[name] = entry[name]
    score, escore = dict(out.get("score") or {}), entry.get("score") or {}
    for name in ("scaled", "raw", "min", "max"):
        if score.get(name) in _UNSET and escore.get(name) not in _UNSET:
            score[name] = escore[name]
    if score:
        out["score"] = score
    return out


class _Engine(ProcessMixin):
    pass


class SequencingSession:
    """One registration's sequencing: tracking state over an (immutable) ActivityTree."""

    def __init__(self, tree: ActivityTree, state: dict | None = None, *, rng: random.Random | None = None):
        self.tree = tree
        objs = {aid: [o.key for o in n.objectives] for aid, n in tree.nodes.items()}
        self._st = TrackingState(tree.ids, objs, tree.global_ids)
        self._e = _Engine(tree, self._st, rng or random.Random())
        if state:
            self._st.load(state)
        else:
            for aid in tree.ids:
                self._e.select_and_randomize(aid, new_attempt=False)

    # ------------------------------------------------------------------ properties
    @property
    def current(self) -> str | None:
        return self._st.session.current

    @property
    def suspended(self) -> str | None:
        return self._st.session.suspended

    # ------------------------------------------------------------------ OP.1
    def navigate(self, request: str, target: str | None = None) -> NavResult:
        """Overall Sequencing Process (OP.1) for one navigation request."""
        e = self._e
        e.logs = logs = [f"NB.2.1: {request}" + (f" {{target={target}}}" if target else "")]
        try:
            try:
                term, seq = e.navigation_request(request, target)
            except SequencingError as exc:
                logs.append(f"NB.2.1: not valid ({exc.code})")
                return NavResult(False, None, False, exc.code, logs)
            try:
                if term is not None:
                    replaced = e.termination_request(term)
                    if replaced is not None:
                        if replaced != seq:
                            logs.append(f"TB.2.3: sequencing request becomes {replaced}")
                        seq = replaced
                if seq is None:
                    return NavResult(True, None, False, None, logs)
                delivery, end = e.sequencing_request(seq, target)
                if end:
                    e.end_session()
                    return NavResult(True, None, True, None, logs)
                if delivery is None:
                    return NavResult(True, None, False, None, logs)
                e.delivery_request(delivery)
                e.content_delivery(delivery)
                return NavResult(True, delivery, False, None, logs)
            except SequencingError as exc:
                logs.append(f"OP.1: exception {exc.code}")
                return NavResult(True, None, False, exc.code, logs)
        finally:
            e.logs = None

    # ------------------------------------------------------------------ run-time data
    def report(self, activity_id: str, runtime: dict) -> None:
        """Apply a SCO's run-time data (RTE 4.2, SN 4.2.1) to the tracking model, then roll up."""
        e, node = self._e, self.tree.nodes[activity_id]
        a = self._st.acts[activity_id]
        if "exit" in runtime:
            a.suspended = runtime.get("exit") == "suspend"
        if not node.tracked:
            return
        before = e._globals_snapshot()
        secs = duration_seconds(runtime.get("session_time"))
        if secs:
            a.attempt_duration += secs
            a.experienced_duration += secs
        set_by = set_elements(runtime)
        primary_entry, primary_index = self._report_objectives(activity_id, runtime, set_by)
        if primary_entry:
            runtime = _with_primary_entry(runtime, primary_entry, set_by, primary_index)
        self._report_attempt(activity_id, runtime, set_by, primary_index)
        primary = node.objectives[0]
        self._apply_objective(activity_id, primary, runtime, primary=True)
        if set_by is not None:
            self._write_unknown(primary, runtime, {n for n in ("success_status", "completion_status") if n in set_by
                                                   or f"objectives.{primary_index}.{n}" in set_by})
        e.overall_rollup(activity_id, before)

    def _report_objectives(self, activity_id: str, runtime: dict,
                           set_by: set[str] | None) -> tuple[dict, int]:
        """cmi.objectives into the activity's non-primary objectives (RTE 4.2.17, SN 4.2.1.3):
        (the entry whose id is the primary objective's, its index; {} and -1 when none)."""
        defs = self._e.objdefs[activity_id]
        primary_entry: dict = {}
        primary_index = -1
        for index, ob in enumerate(runtime.get("objectives") or []):
            od = defs.get(ident(ob.get("id")) or "")
            if od is not None and not od.primary:
                self._apply_objective(activity_id, od, ob)
                if set_by is not None:
                    self._write_unknown(od, ob, {n for n in ("success_status", "completion_status")
                                                 if f"objectives.{index}.{n}" in set_by})
            elif od is not None:
                primary_entry, primary_index = ob, index
        return primary_entry, primary_index

    def _report_attempt(self, activity_id: str, runtime: dict, set_by: set[str] | None,
                        primary_index: int) -> None:
        """Progress measure and completion status into the activity's attempt progress (SN 4.2.1)."""
        node, a = self.tree.nodes[activity_id], self._st.acts[activity_id]
        pm = _num(runtime.get("progress_measure"))
        if pm is not None:
            a.amount_status, a.amount = True, pm
        cs = runtime.get("completion_status")
        # What the SCO itself set this attempt (even "unknown"): UP.4 must not default it (ADL
        # CM-06, RU-19a).
        # The cmi.objectives entry whose id is the primary objective's is the same objective (RTE
        # 4.2.17), so a status the SCO set there counts as set by the content too (ADL OB-17b).
        if set_by is not None and ("completion_status" in set_by
                                   or f"objectives.{primary_index}.completion_status" in set_by):
            a.content_completion = True
        if set_by is not None and ("success_status" in set_by
                                   or f"objectives.{primary_index}.success_status" in set_by):
            a.content_success = True
        if node.completed_by_measure and a.amount_status:
            a.attempt_progress, a.attempt_completed = True, a.amount >= node.min_progress
        elif cs is not None:
            a.attempt_progress = cs in ("completed", "incomplete", "not attempted")
            a.attempt_completed = cs == "completed"

    def _write_unknown(self, od: ObjectiveDef, data: dict, set_now: set[str]) -> None:
        """A status the SCO set to "unknown" itself clears the global objectives its write maps
        name (SN 3.10.2; ADL OB-17a/b success_status, SX-11b completion_status); one it left
        alone does not."""
        for m in od.maps:
            g = self._st.globals[m.target]
            if ("success_status" in set_now and data.get("success_status") == "unknown"
                    and m.write_satisfied and not od.satisfied_by_measure):
                g.progress = False
            if "completion_status" in set_now and data.get("completion_status") == "unknown" and m.write_completion:
                g.completion_status = False

    def _apply_objective(self, aid: str, od: ObjectiveDef, data: dict, primary: bool = False) -> None:
        o = self._st.objs[aid][od.key]
        score = data.get("score") or {}
        scaled = _num(score.get("scaled"))
        if "scaled" in score:
            o.measure_status, o.measure = scaled is not None, scaled if scaled is not None else 0.0
        for name in ("raw", "min", "max"):
            if name in score:
                setattr(o, name, _num(score[name]))
        if od.satisfied_by_measure:
            if o.measure_status:
                o.progress, o.satisfied = True, o.measure >= od.min_measure
            elif "scaled" in score:
                o.progress = False
        elif "success_status" in data:
            ss = data["success_status"]
            o.progress, o.satisfied = ss in ("passed", "failed"), ss == "passed"
        if not primary:
            cs = data.get("completion_status")
            if cs is not None:
                o.completion_status = cs in ("completed", "incomplete", "not attempted")
                o.completed = cs == "completed"
            pm = _num(data.get("progress_measure"))
            if pm is not None:
                o.progress_status, o.progress_measure = True, pm
        self._e.write_maps(aid, od)

    def start_data(self, activity_id: str) -> dict:
        """What the SCO gets at Initialize (RTE 4.2): entry, objectives with read maps applied,
        completion threshold, scaled passing score, attempt number."""
        node = self.tree.nodes[activity_id]
        a = self._st.acts[activity_id]
        objectives = []
        for od in node.objectives:
            if od.key == PRIMARY:
                continue
            objectives.append(self._objective_view(activity_id, od))
        primary = node.objectives[0]
        return {
            "entry": a.entry if a.attempts else "ab-initio",
            "objectives": objectives,
            "completion_threshold": str(node.min_progress) if node.completed_by_measure else None,
            "scaled_passing_score": str(primary.min_measure) if primary.satisfied_by_measure else None,
            "attempt": a.attempts,
        }

    def _objective_view(self, aid: str, od: ObjectiveDef) -> dict:
        e = self._e
        known, sat = e.satisfied(aid, od.key)
        mk, measure = e.measure(aid, od.key)
        o = self._st.objs[aid][od.key]
        score: dict[str, Any] = {"scaled": str(measure) if mk else None, "raw": o.raw, "min": o.min, "max": o.max}
        completion = ("completed" if o.completed else "incomplete") if o.completion_status else "unknown"
        progress = o.progress_measure if o.progress_status else None
        for m in od.maps:
            g = self._st.globals[m.target]
            for name, flag in (("raw", m.read_raw), ("min", m.read_min), ("max", m.read_max)):
                if flag and getattr(g, name) is not None:
                    score[name] = getattr(g, name)
            if m.read_completion and g.completion_status:
                completion = "completed" if g.completed else "incomplete"
            if m.read_progress and g.progress_status:
                progress = g.progress_measure
        for name in ("raw", "min", "max"):
            if score[name] is not None:
                score[name] = str(score[name])
        return {"id": od.key, "success_status": ("passed" if sat else "failed") if known else "unknown",
                "completion_status": completion, "score": score,
                "progress_measure": None if progress is None else str(progress)}

    # ------------------------------------------------------------------ look-ahead
    def lookahead(self) -> dict:
        """Which navigation requests would succeed now, and the table of contents state; runs the
        real processes under the undo journal, so nothing changes."""
        # The one-pass look-ahead repeats parts of the processes; it is used only while it agrees
        # with them (tests/unit/sequencing/test_lookahead_agreement.py).
        return lookahead(self._e) if FAST_LOOKAHEAD else lookahead_exact(self._e)

    # ------------------------------------------------------------------ views
    def global_objectives(self) -> list[dict]:
        """The registration's shared global objectives."""
        out = []
        for gid, g in self._st.globals.items():
            out.append({"id": gid, "satisfied": g.satisfied if g.progress else None,
                        "measure": g.measure if g.measure_status else None,
                        "completion": g.completed if g.completion_status else None,
                        "progress_measure": g.progress_measure if g.progress_status else None,
                        "raw": g.raw, "min": g.min, "max": g.max})
        return out

    def activity_status(self, activity_id: str) -> dict:
        """The activity's attempts, completion, success, measure, progress and suspension."""
        e, a = self._e, self._st.acts[activity_id]
        known, done = e.completion(activity_id)
        sk, sat = e.satisfied(activity_id)
        mk, measure = e.measure(activity_id)
        pk, progress = e.amount(activity_id)
        return {"attempts": a.attempts,
                "completion": ("completed" if done else "incomplete") if known else "unknown",
                "success": ("passed" if sat else "failed") if sk else "unknown",
                "measure": measure if mk else None, "progress": progress if pk else None,
                "suspended": a.suspended}

    def to_state(self) -> dict:
        """JSON-serialisable state; SequencingSession(tree, state=...) resumes exactly."""
        return self._st.to_dict()
