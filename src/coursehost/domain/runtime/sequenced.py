"""SCORM 2004 courses through the sequencing engine (coursehost.domain.sequencing): the registration
instance's sequencing state, the player's navigation decisions, what a SCO starts with from the
tracking model, and what its commits tell the engine (SCORM 2004 4th Ed. SN 4.2.1, RTE 4.2).

State lives in RegistrationInstance.state: "sequencing" (the engine's tracking model without the
shared objectives), "globalObjectives" (SN 3.10 shared global objectives, in the shape the
progress API reads) and "sharedData" ({id: store}, SCORM 2004 4th Ed. adl.data, CAM 3.4.1.8).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any
from urllib.parse import unquote

from coursehost.db.models.courses import CourseVersion
from coursehost.db.models.registrations import RegistrationInstance
from coursehost.domain.courses.model import Activity
from coursehost.domain.scorm.datamodel import get
from coursehost.domain.scorm.status import COMPLETED, FAILED, INCOMPLETE, PASSED, UNKNOWN, Result
from coursehost.domain.sequencing import ActivityTree, SequencingSession
from coursehost.domain.sequencing.tree import ident
from coursehost.domain.standards import RuntimeFamily, family

STATE_KEY = "sequencing"
GLOBALS_KEY = "globalObjectives"
SHARED_KEY = "sharedData"
#: The requests a SCO (adl.nav.request) or the player's chrome may make (SN 4.4.1, RTE 4.4.1).
REQUESTS = ("start", "resumeAll", "continue", "previous", "choice", "jump", "exit", "exitAll",
            "abandon", "abandonAll", "suspendAll", "retry", "retryAll", "_none_")

_TREES: OrderedDict[tuple[int, str], ActivityTree] = OrderedDict()
_TREES_LOCK = threading.Lock()
_TREES_MAX = 64


def uses_engine(version: CourseVersion) -> bool:
    """Whether VERSION navigates through the sequencing engine: every SCORM 2004 course does."""
    return family(version.learning_standard) is RuntimeFamily.SCORM2004


def tree_for(version: CourseVersion) -> ActivityTree:
    """The (immutable) activity tree of VERSION, built once per process and version."""
    key = (version.pk, version.content_prefix)  # the prefix is unique to the version's files
    with _TREES_LOCK:
        tree = _TREES.get(key)
        if tree is not None:
            _TREES.move_to_end(key)
            return tree
    tree = build_tree(Activity.from_dict(version.structure or {}), version.extra)
    with _TREES_LOCK:
        _TREES[key] = tree
        while len(_TREES) > _TREES_MAX:
            _TREES.popitem(last=False)
    return tree


def build_tree(root: Activity, extra: dict | None) -> ActivityTree:
    """The activity tree of a course whose organization is ROOT, with its course-level EXTRA
    (objectivesGlobalToSystem, sharedDataGlobalToSystem: CAM 3.4.1.4, default true)."""
    extra = extra or {}
    tree = ActivityTree.from_course(root, objectives_global_to_system=extra.get(
        "objectivesGlobalToSystem", True) is not False)
    _SHARED_GLOBAL[tree] = extra.get("sharedDataGlobalToSystem", True) is not False
    return tree


#: Trees whose course says sharedDataGlobalToSystem (false: adl.data lives for one attempt on the course).
_SHARED_GLOBAL: weakref.WeakKeyDictionary[ActivityTree, bool] = weakref.WeakKeyDictionary()


def root_attempts(ses: SequencingSession) -> int:
    """How many attempts the course (the root activity) has had."""
    return int(ses.activity_status(ses.tree.root)["attempts"] or 0)


def scope_shared(ses: SequencingSession, attempts_before: int, shared: dict | None) -> dict | None:
    """The registration's adl.data stores after a navigation request: with
    sharedDataGlobalToSystem="false" they belong to one attempt on the course, so a new attempt on
    the root (it had ATTEMPTS_BEFORE) starts without them (CAM 3.4.1.4; ADL DDM: DDMb's stores are
    gone after exitAll and a new launch, kept across suspendAll and resume)."""
    if shared and not _SHARED_GLOBAL.get(ses.tree, True) and root_attempts(ses) > attempts_before:
        return {}
    return shared


# ---------------------------------------------------------------- loading and saving the tracking model


def _globals_to_engine(wire: Any) -> dict[str, dict]:
    """The progress-API shape of shared objectives -> the engine's global objective fields."""
    if isinstance(wire, dict):
        wire = [{"id": k, **v} for k, v in wire.items() if isinstance(v, dict)]
    out: dict[str, dict] = {}
    for item in wire or []:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        g: dict[str, Any] = {}
        if item.get("satisfied") is not None:
            g["progress"], g["satisfied"] = True, bool(item["satisfied"])
        if isinstance(item.get("measure"), (int, float)):
            g["measure_status"], g["measure"] = True, float(item["measure"])
        if item.get("completed") is not None:
            g["completion_status"], g["completed"] = True, bool(item["completed"])
        if isinstance(item.get("progressMeasure"), (int, float)):
            g["progress_status"], g["progress_measure"] = True, float(item["progressMeasure"])
        for name in ("raw", "min", "max"):
            if item.get(name) is not None:
                g[name] = item[name]
        out[item["id"]] = g
    return out


def _globals_to_wire(ses: SequencingSession) -> list[dict]:
    out = []
    for g in ses.global_objectives():
        item = {"id": g["id"], "satisfied": g["satisfied"], "measure": g["measure"], "completed": g["completion"],
                "progressMeasure": g["progress_measure"], "raw": g["raw"], "min": g["min"], "max": g["max"]}
        if any(v is not None for k, v in item.items() if k != "id"):
            out.append({k: v for k, v in item.items() if v is not None})
    return out


def load(instance: RegistrationInstance, tree: ActivityTree) -> SequencingSession:
    """The instance's sequencing session. Shared objectives come from GLOBALS_KEY, the one source
    of truth (DeleteRegistrationGlobalData clears it; a new instance carries it over)."""
    state = instance.state or {}
    raw = state.get(STATE_KEY)
    globals_ = _globals_to_engine(state.get(GLOBALS_KEY))
    if isinstance(raw, dict) and raw:
        try:
            return SequencingSession(tree, state={**raw, "globals": globals_})
        except (KeyError, TypeError, ValueError):
            pass  # a state this tree cannot read (a changed course): start over, keep the globals
    ses = SequencingSession(tree)
    if globals_:
        ses._st.load({"globals": globals_})  # seeded after the initial selection and randomization
    return ses


def save(instance: RegistrationInstance, ses: SequencingSession) -> None:
    """Store SES's tracking model and shared global objectives in INSTANCE's state."""
    state = dict(instance.state or {})
    before = ((state.get(STATE_KEY) or {}).get("activities") or {}).get(ses.tree.root) or {}
    if isinstance(before, dict) and state.get(SHARED_KEY):
        shared = scope_shared(ses, int(before.get("attempts") or 0), state.get(SHARED_KEY))
        if not shared:
            state.pop(SHARED_KEY, None)
    raw = ses.to_state()
    raw.pop("globals", None)
    state[STATE_KEY] = raw
    wire = _globals_to_wire(ses)
    if wire:
        state[GLOBALS_KEY] = wire
    else:
        state.pop(GLOBALS_KEY, None)
    instance.state = state  # a new dict, so the JSON column is seen as changed


# ---------------------------------------------------------------- navigation


def navigate(ses: SequencingSession, request: str, target: str | None = None, *,
             start_at: str | None = None) -> dict:
    """One navigation request of the player or a SCO -> {"activityId" (deliver it; None: nothing new),
    "ended", "valid", "exception", "log"}. "start" is the player's launch: a session left open by a
    closed browser is suspended first, then a suspended session resumes (SN 4.4.1 resumeAll), else
    the launch's startSco is chosen, else the course starts (OP.1); with flow navigation off, with
    the first activity the learner may choose."""
    log: list[str] = []
    if request == "start":
        if ses.current is not None:
            result = ses.navigate("suspendAll")
            log += result.log
        if ses.suspended is not None:
            result = ses.navigate("resumeAll")
        elif start_at and start_at in ses.tree.nodes:
            result = ses.navigate("choice", start_at)
            if not result.delivered:
                log += result.log
                result = ses.navigate("start")
        else:
            result = ses.navigate("start")
        first = _first_choice(ses) if not (result.delivered or result.ended) else None
        if first is not None:
            # Flow is off at the root (the default control modes, SN 3.2, of every course without
            # sequencing rules): the learner would face an empty player and an outline; the
            # player chooses the first activity the outline offers for them.
            log += result.log
            result = ses.navigate("choice", first)
    elif request == "_none_":
        return {"activityId": None, "ended": False, "valid": True, "exception": None,
                "log": ["_none_: the SCO made no navigation request"]}
    else:
        result = ses.navigate(request, target)
    log += result.log
    return {"activityId": result.delivered, "ended": bool(result.ended), "valid": bool(result.valid),
            "exception": result.exception, "log": log}


def _first_choice(ses: SequencingSession) -> str | None:
    choice = ses.lookahead()["choice"]
    return next((a for a in ses.tree.ids if ses.tree.is_leaf(a) and choice.get(a)), None)


def is_active(ses: SequencingSession, activity_id: str) -> bool:
    """Whether ACTIVITY_ID's attempt is still in progress (SN 4.2.1.3 Activity is Active)."""
    return bool(ses._st.acts[activity_id].active)


def nav_state(ses: SequencingSession) -> dict:
    """The look-ahead in the player's shape: adl.nav.request_valid continue / previous, and the
    choice / jump targets that are valid now (RTE 4.4.3)."""
    la = ses.lookahead()
    return {"continue": bool(la["continue"]), "previous": bool(la["previous"]),
            "choice": sorted(a for a, ok in la["choice"].items() if ok),
            "jump": sorted(a for a, ok in la["jump"].items() if ok), "menu": la["menu"]}


def toc(ses: SequencingSession, nav: dict) -> list[dict]:
    """The outline: every activity below the root, in tree order, with its depth, whether the
    learner may choose it now, whether sequencing hides it, and its status."""
    tree = ses.tree
    out = []
    for aid in tree.ids[1:]:
        node = tree.nodes[aid]
        status = ses.activity_status(aid)
        menu = nav["menu"].get(aid, {})
        word = ("passed" if status["success"] == "passed" else "failed" if status["success"] == "failed"
                else status["completion"] if status["completion"] != "unknown"
                else "attempted" if status["attempts"] else "not attempted")
        out.append({"id": aid, "title": node.title or aid, "depth": node.depth - 1, "leaf": node.leaf,
                    "visible": bool(node.visible) and not menu.get("hidden", False),
                    "available": bool(menu.get("enabled", False)), "status": word})
    return out


# ---------------------------------------------------------------- run-time data in and out


def start_values(ses: SequencingSession, activity: dict, shared: dict | None) -> dict:
    """What the SCO of ACTIVITY starts with from the tracking model: cmi.objectives with the read
    maps applied (SN 3.10.1, 4th Ed. extended maps), and adl.data buckets it may read (CAM 3.4.1.8)."""
    data = ses.start_data(activity["id"])
    objectives = _rte_objectives(ses, activity, data["objectives"])
    out: dict[str, Any] = {"objectives": objectives, "attempt": data["attempt"], "entry": data["entry"]}
    buckets = []
    for m in (activity.get("data") or {}).get("data") or []:
        target = m.get("targetID")
        if not target:
            continue
        value = (shared or {}).get(target)
        # scorm-again enforces readSharedData (RTE 4.3.2: 405 when the SCO may not read it).
        # A store set to "" reads as never set (403) in the next SCO (ADL DDM Act1aV2 / Act2aV3).
        buckets.append({"id": target, "store": "" if value is None else value, "storeSet": value not in (None, ""),
                        "readSharedData": bool(m.get("readSharedData", True)),
                        "writeSharedData": bool(m.get("writeSharedData", True))})
    if buckets:
        out["adlData"] = buckets
    return out


def _rte_objectives(ses: SequencingSession, activity: dict, views: list[dict]) -> list[dict]:
    """The engine's objective views as the SCO sees them in cmi.objectives:
    - the id as the manifest spells it, percent-escapes decoded and trimmed (CAM 5.1.4.3 objectiveID
      is an xs:anyURI: " ob%20j%201 " is cmi.objectives.n.id "ob j 1", ADL OB-12a), where the engine
      keys it without any white space;
    - with satisfiedByMeasure, success_status from the (read) score.scaled against the activity's own
      minNormalizedMeasure (RTE 4.2.17, SN 3.10.1: ADL OB-14a, OB-17a/b, RU-13e)."""
    node = ses.tree.nodes[activity["id"]]
    defs = {od.key: od for od in node.objectives}
    objs = (activity.get("sequencing") or {}).get("objectives") or {}
    raw = [objs.get("primaryObjective") or {}] + list(objs.get("objective") or [])
    spelled = {}
    for o in raw:
        oid = o.get("objectiveID") if isinstance(o, dict) else None
        if oid and ident(oid):
            spelled.setdefault(ident(oid), unquote(oid).strip())
    out = []
    for view in views:
        view = dict(view)
        od = defs.get(view["id"])
        if od is not None and od.satisfied_by_measure:
            scaled = (view.get("score") or {}).get("scaled")
            view["success_status"] = "unknown" if scaled is None else (
                "passed" if float(scaled) >= od.min_measure else "failed")
        view["id"] = spelled.get(view["id"], view["id"])
        out.append(view)
    return out


def merge_objectives(stored: list | None, from_engine: list[dict]) -> list[dict]:
    """The SCO's stored cmi.objectives with the engine's view (read maps) laid over them, engine
    objectives the SCO has not seen appended (RTE 4.2.17: the LMS initializes objective ids)."""
    out = [dict(o) for o in (stored or []) if isinstance(o, dict)]
    index = {o.get("id"): o for o in out}
    for view in from_engine:
        have = index.get(view["id"])
        clean = {k: v for k, v in view.items() if v not in (None, "unknown") or k == "id"}
        score = {k: v for k, v in (view.get("score") or {}).items() if v is not None}
        clean.pop("score", None)
        if have is None:
            item = {"id": view["id"], **{k: v for k, v in clean.items() if k != "id"}}
            if score:
                item["score"] = score
            out.append(item)
            index[view["id"]] = item
        else:
            have.update({k: v for k, v in clean.items() if k != "id"})
            if score:
                have["score"] = {**(have.get("score") or {}), **score}
    return out


def report(ses: SequencingSession, activity_id: str, runtime: dict) -> None:
    """A commit of ACTIVITY_ID's data model into the tracking model (SN 4.2.1; rolled up). A SCO
    that abandons its attempt (adl.nav.request abandon / abandonAll, SN 4.4.1) leaves the tracking
    model as it was (ADL SX-04a/b: its passed status must not make the skip rule apply)."""
    if get(runtime, "adl.nav.request") in ("abandon", "abandonAll"):
        return
    if activity_id in ses.tree.nodes:
        ses.report(activity_id, runtime)


def write_shared(activity: dict, runtime: dict, shared: dict | None) -> dict | None:
    """adl.data stores the SCO may write, taken into the registration's shared data (None: no change)."""
    maps = {m.get("targetID"): m for m in (activity.get("data") or {}).get("data") or []}
    items = get_list(runtime, "adl_data")
    if not maps or not items:
        return None
    out = dict(shared or {})
    changed = False
    for item in items:
        m = maps.get(item.get("id"))
        if m is None or not m.get("writeSharedData", True) or "store" not in item:
            continue
        if out.get(item["id"]) != item["store"]:
            out[item["id"]] = item["store"]
            changed = True
    return out if changed else None


def get_list(runtime: dict | None, key: str) -> list[dict]:
    """The records of collection KEY of a normalized data model (non-records dropped)."""
    value = (runtime or {}).get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def root_result(ses: SequencingSession) -> Result:
    """The course's rolled-up result: the root activity's status after the author's rollup rules."""
    st = ses.activity_status(ses.tree.root)
    completion = {"completed": COMPLETED, "incomplete": INCOMPLETE}.get(st["completion"], UNKNOWN)
    if completion == UNKNOWN and (st["attempts"] or any(
            ses.activity_status(a)["completion"] != "unknown" for a in ses.tree.ids[1:])):
        completion = INCOMPLETE  # begun but not rolled up to completed: in progress, as results say
    success = {"passed": PASSED, "failed": FAILED}.get(st["success"], UNKNOWN)
    measure = st["measure"]
    score = round(measure * 100, 4) if isinstance(measure, (int, float)) else None
    amount = 1.0 if completion == COMPLETED else st["progress"]
    return Result(completion, success, score, amount)
