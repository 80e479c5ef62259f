"""Rollup (SCORM 2004 4th Ed. SN 4.6, Appendix C RB.1.x)."""

from __future__ import annotations

from coursehost.domain.sequencing.base import SKIP, EngineBase, combine
from coursehost.domain.sequencing.tree import Condition, Rule

# SN 4.6.5 default rollup rules, each applied when the author gave none with that action.
_DEFAULTS = {
    "satisfied": Rule([Condition("satisfied", False, None, 0.0)], "any", "satisfied"),
    "notSatisfied": Rule([Condition("objectiveStatusKnown", False, None, 0.0)], "any", "notSatisfied"),
    "completed": Rule([Condition("completed", False, None, 0.0)], "any", "completed"),
    "incomplete": Rule([Condition("activityProgressKnown", False, None, 0.0)], "any", "incomplete"),
}

# SN 4.6.5: the defaults stand in for the satisfaction pair (satisfied / notSatisfied) and the
# completion pair only when the author defined no rule of that pair (the ADL RI; ADL RU-12a).
_PAIR = {"satisfied": ("satisfied", "notSatisfied"), "notSatisfied": ("satisfied", "notSatisfied"),
         "completed": ("completed", "incomplete"), "incomplete": ("completed", "incomplete")}


class RollupMixin(EngineBase):
    _in_global_rollup = False

    def overall_rollup(self, aid: str, before: dict[str, tuple] | None = None) -> None:
        """Overall Rollup Process (RB.1.5): from AID up to the root; then, as the ADL reference
        implementation does (ADL RU-16), the activities that read a global objective this rollup
        changed (SN 3.10) are rolled up too, so their ancestors see the shared status. BEFORE: the
        globals as they were before the caller started writing (run-time data), if not now."""
        if self._in_global_rollup or not self.st.globals:
            self._rollup_path(aid)
            return
        if before is None:
            before = self._globals_snapshot()
        self._rollup_path(aid)
        self._in_global_rollup = True
        try:
            for _ in range(8):  # a global written by one reader's rollup may feed another
                after = self._globals_snapshot()
                changed = {g for g, v in after.items() if before.get(g) != v}
                if not changed:
                    break
                before = after
                for reader in self._global_readers(changed):
                    parent = self.nodes[reader].parent
                    if parent is not None:  # the reader's own local data is unchanged
                        self._rollup_path(parent)
        finally:
            self._in_global_rollup = False

    def _globals_snapshot(self) -> dict[str, tuple]:
        return {gid: tuple(getattr(g, f) for f in g.FIELDS) for gid, g in self.st.globals.items()}

    def _global_readers(self, changed: set[str]) -> list[str]:
        """Activities (in tree order) with an objective that reads one of the CHANGED globals."""
        readers = self.__dict__.get("_readers")
        if readers is None:
            readers = {}
            for aid in self.tree.ids:
                for od in self.nodes[aid].objectives:
                    for m in od.maps:
                        if m.read_satisfied or m.read_measure or m.read_completion or m.read_progress:
                            readers.setdefault(m.target, []).append(aid)
            self.__dict__["_readers"] = readers
        found = {aid for g in changed for aid in readers.get(g, ())}
        return [aid for aid in self.tree.ids if aid in found]

    def _rollup_path(self, aid: str) -> None:
        for a in self.tree.path_to_root(aid):
            node = self.nodes[a]
            if not node.tracked:
                continue  # a non-tracked activity keeps no tracking status to roll up (SN 4.6, ADL RU-10)
            if not node.leaf:
                self.in_rollup = True
                try:
                    self.measure_rollup(a)
                    self.completion_measure_rollup(a)
                finally:
                    self.in_rollup = False
            self.objective_rollup(a)
            self.progress_rollup(a)
            od = node.objectives[0]
            if od.maps:
                self.write_maps(a, od)

    def _tracked_kids(self, aid: str) -> list[str]:
        return [c for c in self.kids(aid) if self.nodes[c].tracked]

    def measure_rollup(self, aid: str) -> None:
        """Measure Rollup Process (RB.1.1a): weighted average of the children's primary measures."""
        total = counted = 0.0
        valid = False
        for c in self._tracked_kids(aid):
            w = self.nodes[c].measure_weight
            counted += w
            known, value = self.measure(c)
            if known:
                total += value * w
                valid = True
        o = self.st.objs[aid][self.nodes[aid].objectives[0].key]
        if valid and counted > 0:
            o.measure_status, o.measure = True, total / counted
        elif o.measure_status:
            o.measure_status = False

    def completion_measure_rollup(self, aid: str) -> None:
        """Completion Measure Rollup Process (RB.1.1b): weighted average of progress measures."""
        total = counted = 0.0
        valid = False
        for c in self._tracked_kids(aid):
            w = self.nodes[c].progress_weight
            counted += w
            known, value = self.amount(c)
            if known:
                total += value * w
                valid = True
        a = self.st.acts[aid]
        if valid and counted > 0:
            a.amount_status, a.amount = True, total / counted
        elif a.amount_status:
            a.amount_status = False

    def objective_rollup(self, aid: str) -> None:
        """Objective Rollup Process (RB.1.2): by measure (RB.1.2a) when satisfiedByMeasure, else by
        rules (RB.1.2b), the SN 4.6.5 defaults standing in for absent ones (RB.1.2c)."""
        node = self.nodes[aid]
        od = node.objectives[0]
        o = self.st.objs[aid][od.key]
        if od.satisfied_by_measure:
            known, value = self.measure(aid)
            if not known:
                o.progress = False
            elif not self.st.acts[aid].active or node.measure_if_active:
                o.progress, o.satisfied = True, value >= od.min_measure
            else:
                o.progress = False
            return
        if node.leaf:
            return
        if self.rollup_rule_check(aid, "notSatisfied"):
            o.progress, o.satisfied = True, False
            self.log(f"RB.1.2: {aid!r} rolls up not satisfied")
        if self.rollup_rule_check(aid, "satisfied"):
            o.progress, o.satisfied = True, True
            self.log(f"RB.1.2: {aid!r} rolls up satisfied")

    def progress_rollup(self, aid: str) -> None:
        """Activity Progress Rollup Process (RB.1.3): by measure (RB.1.3a) when completedByMeasure,
        else by rules (RB.1.3b)."""
        node, a = self.nodes[aid], self.st.acts[aid]
        if node.completed_by_measure:
            known, value = self.amount(aid)
            if known:
                a.attempt_progress, a.attempt_completed = True, value >= node.min_progress
            elif not node.leaf:
                a.attempt_progress = False
            return
        if node.leaf:
            return
        if self.rollup_rule_check(aid, "incomplete"):
            a.attempt_progress, a.attempt_completed = True, False
        if self.rollup_rule_check(aid, "completed"):
            a.attempt_progress, a.attempt_completed = True, True

    def rollup_rule_check(self, aid: str, action: str) -> bool:
        """Rollup Rule Check Subprocess (RB.1.4)."""
        defined = self.nodes[aid].rollup_rules
        rules = [r for r in defined if r.action == action]
        if not rules and not any(r.action in _PAIR[action] for r in defined):
            rules = [_DEFAULTS[action]]
        kids = self._tracked_kids(aid)
        self.in_rollup = True
        try:
            return self._rollup_rules_hit(aid, rules, kids, action)
        finally:
            self.in_rollup = False

    def _rollup_rules_hit(self, aid: str, rules: list, kids: list[str], action: str) -> bool:
        for rule in rules:
            bag: list[bool | None] = []
            for c in kids:
                if self.check_child_for_rollup(c, action):
                    results = []
                    for cond in rule.conditions:
                        r = self.condition(c, cond)
                        if cond.negate and r is not None:
                            r = not r
                        results.append(r)
                    bag.append(combine(results, rule.combination))  # RB.1.4.1
            if not bag and rule.child_set not in ("all", "none"):
                continue  # RB.1.4 step 3: an empty contributing bag holds "only True" / "no True"
            n_true = bag.count(True)
            cs = rule.child_set
            if cs == "all":
                hit = n_true == len(bag)
            elif cs == "any":
                hit = n_true > 0
            elif cs == "none":
                hit = bag.count(False) == len(bag)
            elif cs == "atLeastCount":
                hit = n_true >= rule.minimum_count
            elif cs == "atLeastPercent":
                hit = bool(bag) and n_true / len(bag) >= rule.minimum_percent - 1e-9
            else:
                hit = False
            if hit:
                return True
        return False

    def check_child_for_rollup(self, aid: str, action: str) -> bool:
        """Check Child for Rollup Subprocess (RB.1.4.2)."""
        node, a = self.nodes[aid], self.st.acts[aid]
        if action in ("satisfied", "notSatisfied"):
            if not node.rollup_satisfied:
                return False
        elif not node.rollup_completion:
            return False
        req = node.required[action]
        if req == "ifNotSuspended":
            return not (a.attempts == 0 or (a.attempts > 0 and a.suspended))
        if req == "ifAttempted":
            return a.attempts > 0
        if req == "ifNotSkipped":
            return self.rules_check(aid, "pre", SKIP) is None
        return True
