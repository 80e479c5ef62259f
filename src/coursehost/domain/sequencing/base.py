"""Engine base: tracking-state access with objective maps (SN 4.2.1.1, 3.10), rule condition
evaluation (UP.2, UP.2.1), limit conditions (UP.1) and the check activity process (UP.5).
"""

from __future__ import annotations

import random
from typing import Any

from coursehost.domain.sequencing.state import TrackingState
from coursehost.domain.sequencing.tree import ActivityTree, Condition, MapInfo, Node, ObjectiveDef, Rule

FWD, BACK = "forward", "backward"


class SequencingError(Exception):
    """A process raised a sequencing exception (code as in SN Appendix C, e.g. 'SB.2.9-3')."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def combine(results: list[bool | None], how: str) -> bool | None:
    """Three-valued all/any combination (UP.2.1 step 3, RB.1.4.1 step 3)."""
    if how == "any":
        if True in results:
            return True
        return None if None in results else False
    if False in results:
        return False
    return None if None in results else True


class EngineBase:
    def __init__(self, tree: ActivityTree, state: TrackingState, rng: random.Random):
        self.tree = tree
        self.nodes: dict[str, Node] = tree.nodes
        self.st = state
        self.rng = rng
        self.in_rollup = False  # evaluating children for a parent's rollup (stale data ignored)
        self.dry = False  # look-ahead: the sequencing processes must not change anything
        self.memo: dict[tuple[str, str], Any] | None = None
        self.logs: list[str] | None = None
        self.objdefs: dict[str, dict[str, ObjectiveDef]] = {
            aid: {o.key: o for o in n.objectives} for aid, n in tree.nodes.items()}

    # ------------------------------------------------------------------ helpers
    def log(self, msg: str) -> None:
        if self.logs is not None:
            self.logs.append(msg)

    def kids(self, aid: str) -> list[str]:
        """Available children (SR.1/SR.2 result), in order."""
        order = self.st.acts[aid].order
        return self.nodes[aid].children if order is None else order

    def available(self, aid: str) -> bool:
        parent = self.nodes[aid].parent
        return parent is None or aid in self.kids(parent)

    def title(self, aid: str) -> str:
        return f"'{aid}'"

    # ------------------------------------------------------------------ objectives (SN 3.10 maps)
    def objdef(self, aid: str, key: str | None) -> ObjectiveDef:
        defs = self.objdefs[aid]
        if key is not None and key in defs:
            return defs[key]
        return self.nodes[aid].objectives[0]

    def local(self, aid: str, od: ObjectiveDef) -> Any:
        return self.st.objs[aid][od.key]

    def satisfied(self, aid: str, key: str | None = None) -> tuple[bool, bool]:
        """(progress status, satisfied status), read maps applied, as the ADL RI reads an
        objective's status: a satisfiedByMeasure objective is judged by its measure alone (read
        maps applied; RB.1.2a; ADL OB-01c, OB-05b, OB-16d); an objective with a readSatisfiedStatus
        map has the shared status, unknown while the global is unknown (ADL CM-13); else the local
        one, which a parent's rollup ignores when it predates the parent's current attempt
        (useCurrentAttemptObjectiveInfo)."""
        od = self.objdef(aid, key)
        if od.satisfied_by_measure:
            # only the measure decides: none known, no status (ADL OB-05b)
            known, value = self.measure(aid, od.key)
            if known and (not self.st.acts[aid].active or self.nodes[aid].measure_if_active):
                return True, value >= od.min_measure
            return False, False
        reads = [self.st.globals[m.target] for m in od.maps if m.read_satisfied]
        for g in reads:
            if g.progress:
                return True, g.satisfied
        if reads:
            return False, False
        if self.in_rollup and self.st.acts[aid].stale_obj:
            return False, False
        o = self.st.objs[aid][od.key]
        return o.progress, o.satisfied

    def measure(self, aid: str, key: str | None = None) -> tuple[bool, float]:
        """(measure status, normalized measure), read maps applied."""
        od = self.objdef(aid, key)
        for m in od.maps:
            if m.read_measure:
                g = self.st.globals[m.target]
                if g.measure_status:
                    return True, g.measure
        if self.in_rollup and self.st.acts[aid].stale_obj:
            return False, 0.0
        o = self.st.objs[aid][od.key]
        return o.measure_status, o.measure

    def completion(self, aid: str) -> tuple[bool, bool]:
        """(attempt progress status, attempt completion status); 4th ed. completion read maps.
        completedByMeasure with a known completion amount (progress measure read maps applied)
        decides by the amount (RB.1.3a; ADL CO-02a)."""
        node = self.nodes[aid]
        if node.completed_by_measure:
            known, value = self.amount(aid)
            if known:
                return True, value >= node.min_progress
        for m in self.nodes[aid].objectives[0].maps:
            if m.read_completion:
                g = self.st.globals[m.target]
                if g.completion_status:
                    return True, g.completed
        a = self.st.acts[aid]
        if self.in_rollup and a.stale_prog:
            return False, False
        return a.attempt_progress, a.attempt_completed

    def objective_completion(self, aid: str, key: str) -> tuple[bool, bool]:
        """(completion status known, completed) of the objective KEY: its readCompletionStatus
        global when known, else the objective's own (the attempt's for the primary)."""
        od = self.objdef(aid, key)
        for m in od.maps:
            if m.read_completion:
                g = self.st.globals[m.target]
                if g.completion_status:
                    return True, g.completed
        if od.primary:
            a = self.st.acts[aid]
            return a.attempt_progress, a.attempt_completed
        o = self.st.objs[aid][od.key]
        return o.completion_status, o.completed

    def amount(self, aid: str) -> tuple[bool, float]:
        """(attempt completion amount status, amount); 4th ed. progress measure read maps."""
        for m in self.nodes[aid].objectives[0].maps:
            if m.read_progress:
                g = self.st.globals[m.target]
                if g.progress_status:
                    return True, g.progress_measure
        a = self.st.acts[aid]
        if self.in_rollup and a.stale_prog:
            return False, 0.0
        return a.amount_status, a.amount

    def write_maps(self, aid: str, od: ObjectiveDef) -> None:
        """Copy what the objective knows to the globals its write maps name (SN 3.10.2)."""
        if not od.maps or not self.nodes[aid].tracked:
            return
        o = self.st.objs[aid][od.key]
        a = self.st.acts[aid]
        for m in od.maps:
            self._write(m, o, a if od.primary else None)

    def _write(self, m: MapInfo, o: Any, a: Any) -> None:
        g = self.st.globals[m.target]
        if m.write_satisfied and o.progress:
            g.progress, g.satisfied = True, o.satisfied
        if m.write_measure and o.measure_status:
            g.measure_status, g.measure = True, o.measure
        elif m.write_measure and g.measure_status:
            g.measure_status = False  # the objective's measure is unknown now: so is the shared one
        if m.write_raw and o.raw is not None:
            g.raw = o.raw
        if m.write_min and o.min is not None:
            g.min = o.min
        if m.write_max and o.max is not None:
            g.max = o.max
        done, completed = (a.attempt_progress, a.attempt_completed) if a is not None else (
            o.completion_status, o.completed)
        if m.write_completion and done:
            g.completion_status, g.completed = True, completed
        amount_ok, amount = (a.amount_status, a.amount) if a is not None else (o.progress_status, o.progress_measure)
        if m.write_progress and amount_ok:
            g.progress_status, g.progress_measure = True, amount

    # ------------------------------------------------------------------ conditions
    def condition(self, aid: str, c: Condition) -> bool | None:
        """One sequencing / rollup rule condition, before its operator (UP.2.1, RB.1.4.1)."""
        name = c.condition
        if name == "always":
            return True
        if not self.nodes[aid].tracked and name in _STATUS_CONDITIONS:
            # a non-tracked activity has no tracking status, read maps notwithstanding (ADL OB-06)
            return False if name.endswith("Known") else None
        how = _CONDITIONS.get(name)
        if how is None:
            if not name.startswith("objectiveMeasure"):
                return None
            how = EngineBase._measure_condition
        return how(self, aid, c)

    def _satisfied_condition(self, aid: str, c: Condition) -> bool | None:
        """satisfied, objectiveStatusKnown (UP.2.1): the objective's satisfaction, read maps applied."""
        known, sat = self.satisfied(aid, c.objective)
        return known if c.condition == "objectiveStatusKnown" else (sat if known else None)

    def _measure_condition(self, aid: str, c: Condition) -> bool | None:
        """objectiveMeasureKnown / GreaterThan / LessThan (UP.2.1), read maps applied."""
        known, value = self.measure(aid, c.objective)
        name = c.condition
        if name == "objectiveMeasureKnown":
            return known
        if not known:
            return None
        return value > c.threshold if name == "objectiveMeasureGreaterThan" else value < c.threshold

    def _completion_condition(self, aid: str, c: Condition) -> bool | None:
        """completed, activityProgressKnown (UP.2.1)."""
        name = c.condition
        if c.objective is not None:
            # 4th ed.: a condition that names its referencedObjective tests that objective's
            # completion status (read maps applied, SN 3.10.2), attempted or not (ADL CO-06);
            # without one it tests the activity's attempt (UP.2.1, ADL CO-04c).
            known, done = self.objective_completion(aid, c.objective)
            if name == "completed":
                return done if known else None
            return known
        if name == "completed":
            known, done = self.completion(aid)
            return done if known else None
        return self.st.acts[aid].attempts > 0 and self.completion(aid)[0]

    def _attempted_condition(self, aid: str, c: Condition) -> bool | None:
        """attempted (UP.2.1)."""
        return self.st.acts[aid].attempts > 0

    def _attempt_limit_condition(self, aid: str, c: Condition) -> bool | None:
        """attemptLimitExceeded (UP.2.1)."""
        a = self.st.acts[aid]
        limit = self.nodes[aid].attempt_limit
        return limit is not None and a.attempts > 0 and a.attempts >= limit

    def _untracked_limit_condition(self, aid: str, c: Condition) -> bool | None:
        """timeLimitExceeded, outsideAvailableTimeRange."""
        return False  # SN 3.4.2: optional; this LMS tracks no such limits

    def rule_true(self, aid: str, rule: Rule) -> bool:
        """Sequencing Rule Check Subprocess (UP.2.1): True only when the conditions evaluate True."""
        results = []
        for c in rule.conditions:
            r = self.condition(aid, c)
            if c.negate and r is not None:
                r = not r
            results.append(r)
        return combine(results, rule.combination) is True

    def rules_check(self, aid: str, kind: str, actions: frozenset[str]) -> str | None:
        """Sequencing Rules Check Process (UP.2): the action of the first rule of KIND ('pre',
        'exit', 'post') with an action in ACTIONS whose conditions hold, else None."""
        memo = self.memo
        if memo is not None:
            key = (aid, kind, actions)
            if key in memo:
                return memo[key]
        node = self.nodes[aid]
        rules = node.pre_rules if kind == "pre" else node.exit_rules if kind == "exit" else node.post_rules
        found = None
        for rule in rules:
            if rule.action in actions and self.rule_true(aid, rule):
                found = rule.action
                break
        if memo is not None:
            memo[key] = found
        return found

    # ------------------------------------------------------------------ UP.1 / UP.5
    def limit_exceeded(self, aid: str) -> bool:
        """Limit Conditions Check Process (UP.1)."""
        node, a = self.nodes[aid], self.st.acts[aid]
        if not node.tracked or a.active or a.suspended:
            return False
        if node.attempt_limit is not None and a.attempts > 0 and a.attempts >= node.attempt_limit:
            return True
        lim = node.attempt_duration_limit
        if lim is not None and a.attempts > 0 and a.attempt_progress and a.attempt_duration >= lim:
            return True
        return False

    def check_activity(self, aid: str) -> bool:
        """Check Activity Process (UP.5): True when the activity is disabled or past its limits."""
        memo = self.memo
        if memo is not None:
            key = (aid, "UP.5")
            got = memo.get(key)
            if got is None:
                got = memo[key] = self._check_activity(aid)
            return got
        return self._check_activity(aid)

    def _check_activity(self, aid: str) -> bool:
        if self.rules_check(aid, "pre", DISABLED) is not None:
            self.log(f"UP.5: {aid!r} is disabled by a pre-condition rule")
            return True
        if self.limit_exceeded(aid):
            self.log(f"UP.1: {aid!r} has reached its limit conditions")
            return True
        return False


_STATUS_CONDITIONS = frozenset({"satisfied", "objectiveStatusKnown", "objectiveMeasureKnown",
                                "objectiveMeasureGreaterThan", "objectiveMeasureLessThan", "completed",
                                "activityProgressKnown"})
DISABLED = frozenset({"disabled"})
SKIP = frozenset({"skip"})
HIDDEN = frozenset({"hiddenFromChoice"})
STOP_FWD = frozenset({"stopForwardTraversal"})
EXIT_ACTIONS = frozenset({"exit"})
POST_ACTIONS = frozenset({"exitParent", "exitAll", "retry", "retryAll", "continue", "previous"})
# UP.2.1: how each rule condition is evaluated (any other objectiveMeasure* name as a measure one)
_CONDITIONS = {
    "satisfied": EngineBase._satisfied_condition,
    "objectiveStatusKnown": EngineBase._satisfied_condition,
    "objectiveMeasureKnown": EngineBase._measure_condition,
    "objectiveMeasureGreaterThan": EngineBase._measure_condition,
    "objectiveMeasureLessThan": EngineBase._measure_condition,
    "completed": EngineBase._completion_condition,
    "activityProgressKnown": EngineBase._completion_condition,
    "attempted": EngineBase._attempted_condition,
    "attemptLimitExceeded": EngineBase._attempt_limit_condition,
    "timeLimitExceeded": EngineBase._untracked_limit_condition,
    "outsideAvailableTimeRange": EngineBase._untracked_limit_condition,
}
