"""The activity tree as the sequencer sees it: each activity's sequencing definition model
(SCORM 2004 4th Ed. SN 3.x), with spec defaults applied, plus structure (parent, children, order).

Built once per course from the course model's `Activity` tree (its `sequencing` dict, spec defaults
filled in by `defaults.py`); immutable afterwards. Per-learner state lives in `state.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from coursehost.domain.courses.model import Activity
from coursehost.domain.sequencing.defaults import with_defaults

PRIMARY = "__primary__"  # key of a primary objective the author left without an objectiveID


@dataclass(slots=True)
class Condition:
    condition: str
    negate: bool
    objective: str | None  # referencedObjective (None: the primary objective)
    threshold: float


@dataclass(slots=True)
class Rule:
    """A sequencing rule (SN 3.4) or a rollup rule (SN 3.7); rollup rules use the child set."""

    conditions: list[Condition]
    combination: str  # "all" | "any"
    action: str
    child_set: str = "all"
    minimum_count: int = 0
    minimum_percent: float = 0.0


@dataclass(slots=True)
class MapInfo:
    """One objective map (imsss:mapInfo merged with the adlseq:mapInfo for the same target)."""

    target: str
    read_satisfied: bool = False
    read_measure: bool = False
    write_satisfied: bool = False
    write_measure: bool = False
    read_raw: bool = False
    read_min: bool = False
    read_max: bool = False
    read_completion: bool = False
    read_progress: bool = False
    write_raw: bool = False
    write_min: bool = False
    write_max: bool = False
    write_completion: bool = False
    write_progress: bool = False


@dataclass(slots=True)
class ObjectiveDef:
    key: str  # objectiveID, or PRIMARY for an unnamed primary objective
    primary: bool
    satisfied_by_measure: bool
    min_measure: float
    maps: list[MapInfo] = field(default_factory=list)


@dataclass(slots=True)
class Node:
    """One activity's sequencing definition model and position in the tree."""

    id: str
    title: str
    parent: str | None
    children: list[str]
    depth: int
    order: int  # preorder position
    visible: bool
    leaf: bool
    href: str | None
    # control modes (SN 3.2)
    choice: bool = True
    choice_exit: bool = True
    flow: bool = False
    forward_only: bool = False
    use_cur_obj: bool = True
    use_cur_prog: bool = True
    # sequencing rules (SN 3.4)
    pre_rules: list[Rule] = field(default_factory=list)
    exit_rules: list[Rule] = field(default_factory=list)
    post_rules: list[Rule] = field(default_factory=list)
    # limit conditions (SN 3.5)
    attempt_limit: int | None = None
    attempt_duration_limit: float | None = None  # seconds
    # rollup (SN 3.7, 3.8)
    rollup_rules: list[Rule] = field(default_factory=list)
    rollup_satisfied: bool = True
    rollup_completion: bool = True
    measure_weight: float = 1.0
    required: dict[str, str] = field(default_factory=dict)
    measure_if_active: bool = True
    # objectives (SN 3.9, 3.10)
    objectives: list[ObjectiveDef] = field(default_factory=list)
    # selection & randomization (SN 3.11)
    select_count: int | None = None
    selection_timing: str = "never"
    reorder: bool = False
    randomization_timing: str = "never"
    # delivery controls (SN 3.13) and constrained choice (SN 3.14, adlseq)
    tracked: bool = True
    completion_by_content: bool = False
    objective_by_content: bool = False
    prevent_activation: bool = False
    constrain_choice: bool = False
    # completion threshold (CAM adlcp:completionThreshold)
    completed_by_measure: bool = False
    min_progress: float = 1.0
    progress_weight: float = 1.0

    @property
    def primary(self) -> ObjectiveDef:
        return self.objectives[0]


_DURATION = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def duration_seconds(text: str | None) -> float | None:
    """ISO 8601 duration (timeinterval, RTE 4.1.1.7) in seconds; None when absent or malformed."""
    if not text:
        return None
    m = _DURATION.match(text.strip())
    if not m or text.strip() in ("P", "PT"):
        return None
    y, mo, d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return ((((y * 365.25 + mo * 30.4375 + d) * 24 + h) * 60 + mi) * 60) + s


def _rules(raw: list[dict[str, Any]], key: str, cond_key: str) -> list[Rule]:
    out = []
    for r in raw:
        conds = r.get(key, {})
        action = (r.get("ruleAction") or r.get("rollupAction") or {}).get("action")
        if not action:
            continue
        out.append(Rule(
            conditions=[Condition(c.get("condition", "always"), c.get("operator") == "not",
                                  ident(c.get("referencedObjective")), float(c.get("measureThreshold", 0.0)))
                        for c in conds.get(cond_key, [])],
            combination=conds.get("conditionCombination", "all"),
            action=action,
            child_set=r.get("childActivitySet", "all"),
            minimum_count=int(r.get("minimumCount", 0)),
            minimum_percent=float(r.get("minimumPercent", 0.0)),
        ))
    return out


def ident(raw: str | None) -> str | None:
    """An objective identifier as the sequencing model compares it (objectiveID, referencedObjective,
    targetObjectiveID; SN 3.10, CAM 5.1.4.3: xs:anyURI): percent-escapes decoded and white space
    dropped, so "  gObj%20-%20OB%2002%20b " and "gObj%20%20-%20%20OB%2002%20b" name the same global
    objective (ADL test packages OB-02a/b)."""
    if raw is None:
        return None
    return "".join(unquote(raw).split()) or None


def _objectives(seq: dict[str, Any]) -> list[ObjectiveDef]:
    objs = seq["objectives"]
    adl = {ident(o.get("objectiveID")): o.get("mapInfo", []) for o in seq["adlseqObjectives"]["objective"]}
    raw = []
    if "primaryObjective" in objs:
        raw.append((objs["primaryObjective"], True))
    raw += [(o, False) for o in objs["objective"]]
    out: list[ObjectiveDef] = []
    for o, primary in raw:
        oid = ident(o.get("objectiveID"))
        key = oid or (PRIMARY if primary else None)
        if key is None:
            continue
        maps: dict[str, MapInfo] = {}
        for m in o.get("mapInfo", []):
            target = ident(m.get("targetObjectiveID"))
            if not target:
                continue
            maps[target] = MapInfo(
                target, m["readSatisfiedStatus"], m["readNormalizedMeasure"],
                m["writeSatisfiedStatus"], m["writeNormalizedMeasure"])
        for m in adl.get(oid, []) if oid else []:
            target = ident(m.get("targetObjectiveID"))
            if not target:
                continue
            mi = maps.setdefault(target, MapInfo(target))
            mi.read_raw, mi.read_min, mi.read_max = m["readRawScore"], m["readMinScore"], m["readMaxScore"]
            mi.read_completion, mi.read_progress = m["readCompletionStatus"], m["readProgressMeasure"]
            mi.write_raw, mi.write_min, mi.write_max = m["writeRawScore"], m["writeMinScore"], m["writeMaxScore"]
            mi.write_completion, mi.write_progress = m["writeCompletionStatus"], m["writeProgressMeasure"]
        out.append(ObjectiveDef(key, primary, bool(o.get("satisfiedByMeasure")),
                                float(o.get("minNormalizedMeasure", 1.0)), list(maps.values())))
    if not out or not out[0].primary:
        # SN 4.6.1: every activity has a primary objective that contributes to rollup.
        out.insert(0, ObjectiveDef(PRIMARY, True, False, 1.0, []))
    return out


def _node(act: Activity, parent: str | None, depth: int, order: int) -> Node:
    seq = with_defaults(act.sequencing)
    cm, lim, rr = seq["controlMode"], seq["limitConditions"], seq["rollupRules"]
    rc, dc, cc = seq["randomizationControls"], seq["deliveryControls"], seq["constrainedChoiceConsiderations"]
    cons, rules = seq["rollupConsiderations"], seq["sequencingRules"]
    ct = (act.data or {}).get("completionThreshold") or {}
    node = Node(
        id=act.id, title=act.title, parent=parent, children=[c.id for c in act.children],
        depth=depth, order=order, visible=act.visible, leaf=not act.children, href=act.href,
        choice=cm["choice"], choice_exit=cm["choiceExit"], flow=cm["flow"],
        forward_only=cm["forwardOnly"], use_cur_obj=cm["useCurrentAttemptObjectiveInfo"],
        use_cur_prog=cm["useCurrentAttemptProgressInfo"],
        pre_rules=_rules(rules["preConditionRule"], "ruleConditions", "ruleCondition"),
        exit_rules=_rules(rules["exitConditionRule"], "ruleConditions", "ruleCondition"),
        post_rules=_rules(rules["postConditionRule"], "ruleConditions", "ruleCondition"),
        attempt_limit=lim.get("attemptLimit"),
        attempt_duration_limit=duration_seconds(lim.get("attemptAbsoluteDurationLimit")),
        rollup_rules=_rules(rr["rollupRule"], "rollupConditions", "rollupCondition"),
        rollup_satisfied=rr["rollupObjectiveSatisfied"], rollup_completion=rr["rollupProgressCompletion"],
        measure_weight=float(rr["objectiveMeasureWeight"]),
        required={"satisfied": cons["requiredForSatisfied"], "notSatisfied": cons["requiredForNotSatisfied"],
                  "completed": cons["requiredForCompleted"], "incomplete": cons["requiredForIncomplete"]},
        measure_if_active=cons["measureSatisfactionIfActive"],
        objectives=_objectives(seq),
        select_count=rc.get("selectCount"), selection_timing=rc["selectionTiming"],
        reorder=rc["reorderChildren"], randomization_timing=rc["randomizationTiming"],
        tracked=dc["tracked"], completion_by_content=dc["completionSetByContent"],
        objective_by_content=dc["objectiveSetByContent"],
        prevent_activation=cc["preventActivation"], constrain_choice=cc["constrainChoice"],
        completed_by_measure=bool(ct.get("completedByMeasure", False)),
        min_progress=float(ct.get("minProgressMeasure", 1.0)),
        progress_weight=float(ct.get("progressWeight", 1.0)),
    )
    if node.attempt_limit is not None and node.attempt_limit <= 0:
        node.attempt_limit = None  # SN 3.5: attemptLimit 0 means no limit
    return node


class ActivityTree:
    """The sequencing definition of a course's activity tree (immutable, shareable)."""

    def __init__(self, nodes: dict[str, Node], ids: list[str], objectives_global_to_system: bool):
        self.nodes = nodes
        self.ids = ids
        self.root = ids[0]
        self.objectives_global_to_system = objectives_global_to_system
        self.global_ids: list[str] = []
        self._last_a: str | None = None
        self._last_set: set[str] = set()
        self._paths: dict[str, list[str]] = {}
        for aid in ids:  # preorder: the parent's path is known first
            parent = nodes[aid].parent
            self._paths[aid] = [aid] + (self._paths[parent] if parent is not None else [])
        seen: set[str] = set()
        for aid in ids:
            for obj in nodes[aid].objectives:
                for m in obj.maps:
                    if m.target not in seen:
                        seen.add(m.target)
                        self.global_ids.append(m.target)

    @classmethod
    def from_course(cls, root: Activity, *, objectives_global_to_system: bool = True) -> ActivityTree:
        """The tree for ROOT (the organization), definitions with spec defaults applied."""
        nodes: dict[str, Node] = {}
        ids: list[str] = []
        stack: list[tuple[Activity, str | None, int]] = [(root, None, 0)]
        while stack:
            act, parent, depth = stack.pop()
            if act.id in nodes:
                raise ValueError(f"duplicate activity id {act.id!r}")
            nodes[act.id] = _node(act, parent, depth, len(ids))
            ids.append(act.id)
            stack.extend((c, act.id, depth + 1) for c in reversed(act.children))
        return cls(nodes, ids, objectives_global_to_system)

    def title(self, activity_id: str) -> str:
        """The activity's title."""
        return self.nodes[activity_id].title

    def is_leaf(self, activity_id: str) -> bool:
        """True for a leaf (launchable) activity."""
        return self.nodes[activity_id].leaf

    def parent(self, activity_id: str) -> str | None:
        return self.nodes[activity_id].parent

    def path_to_root(self, activity_id: str) -> list[str]:
        """ACTIVITY_ID and its ancestors, the activity first, the root last (shared: do not modify)."""
        return self._paths[activity_id]

    def common_ancestor(self, a: str, b: str) -> str:
        """The deepest activity that is A or an ancestor of A and also B or an ancestor of B."""
        if a == self._last_a:
            anc = self._last_set
        else:
            anc = self._last_set = set(self._paths[a])
            self._last_a = a
        for x in self._paths[b]:
            if x in anc:
                return x
        na, nb = self.nodes[a], self.nodes[b]
        while na.depth > nb.depth:
            na = self.nodes[na.parent]  # type: ignore[index]
        while nb.depth > na.depth:
            nb = self.nodes[nb.parent]  # type: ignore[index]
        while na.id != nb.id:
            na, nb = self.nodes[na.parent], self.nodes[nb.parent]  # type: ignore[index]
        return na.id

    def is_descendant(self, a: str, ancestor: str) -> bool:
        """True when A lies strictly below ANCESTOR."""
        na, depth = self.nodes[a], self.nodes[ancestor].depth
        while na.depth > depth:
            na = self.nodes[na.parent]  # type: ignore[index]
            if na.id == ancestor:
                return True
        return False
