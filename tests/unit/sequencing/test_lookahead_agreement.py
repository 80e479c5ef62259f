"""The one-pass look-ahead (`lookahead`) against the exact per-target evaluation (`lookahead_exact`,
every choice / jump target run through NB.2.1, SB.2.9 / SB.2.13 and DB.1.1 by the real processes),
target by target, on seeded random trees and random learner histories: constrainChoice,
preventActivation, forwardOnly, choiceExit=false, choice=false, hiddenFromChoice / disabled /
skip / stopForwardTraversal pre-condition rules, exit and post-condition rules, attempt limits,
selection & randomization, suspended activities; with `rich` trees also non-tracked activities,
global objectives read and written through maps (satisfaction, measure, completion),
satisfiedByMeasure / completedByMeasure, measure conditions, rollup rules, useCurrentAttempt*Info
and what the SCO set itself (set_by_sco). And, for a sample of targets, against actually
navigating from a copy of the state."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from coursehost.domain.courses.model import Activity
from coursehost.domain.sequencing import ActivityTree, SequencingSession
from coursehost.domain.sequencing.base import FWD
from coursehost.domain.sequencing.lookahead import _next_after, _static, lookahead, lookahead_exact
from tests.unit.sequencing.helpers import agg, rule, sco

CONDS = ["satisfied", "completed", "attempted", "always", "objectiveStatusKnown", "activityProgressKnown",
         "attemptLimitExceeded", "not satisfied", "not completed", "not attempted"]


def _pre_rules(rng: random.Random, leaf: bool) -> list[dict[str, Any]]:
    out = []
    actions = ["hiddenFromChoice", "disabled", "skip", "stopForwardTraversal"]
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        conds = rng.sample(CONDS, rng.choice([1, 1, 2]))
        out.append(rule(rng.choice(actions), *conds, combination=rng.choice(["all", "any"])))
    return out


def _seq(rng: random.Random, leaf: bool) -> dict[str, Any]:
    seq: dict[str, Any] = {}
    p = rng.random
    if not leaf:
        seq["controlMode"] = {"choice": p() > 0.1, "choiceExit": p() > 0.2, "flow": p() > 0.08,
                              "forwardOnly": p() < 0.2}
        if p() < 0.25:
            seq["constrainedChoiceConsiderations"] = {"constrainChoice": True}
        if p() < 0.15:
            seq["randomizationControls"] = {"reorderChildren": True, "randomizationTiming": "onEachNewAttempt"}
        elif p() < 0.1:
            seq["randomizationControls"] = {"selectCount": 2, "selectionTiming": "once"}
    else:
        if p() < 0.2:
            seq["controlMode"] = {"choiceExit": False}
    if p() < 0.2:
        seq.setdefault("constrainedChoiceConsiderations", {})["preventActivation"] = True
    if p() < 0.3:
        seq["limitConditions"] = {"attemptLimit": rng.choice([1, 2])}
    rules: dict[str, Any] = {"preConditionRule": _pre_rules(rng, leaf)}
    if p() < 0.15:
        rules["postConditionRule"] = [rule(rng.choice(["continue", "previous", "exitParent", "retry"]),
                                           rng.choice(CONDS))]
    if not leaf and p() < 0.1:
        rules["exitConditionRule"] = [rule("exit", rng.choice(["satisfied", "completed"]))]
    seq["sequencingRules"] = rules
    return seq


GLOBALS = ["g1", "g2", "g3"]
RICH_CONDS = CONDS + ["objectiveMeasureKnown", "objectiveMeasureGreaterThan", "objectiveMeasureLessThan"]


def _rollup_rule(rng: random.Random) -> dict[str, Any]:
    action = rng.choice(["satisfied", "notSatisfied", "completed", "incomplete"])
    cond = rng.choice(["satisfied", "completed", "attempted", "objectiveStatusKnown", "activityProgressKnown",
                       "attemptLimitExceeded", "not satisfied", "not completed"])
    neg = cond.startswith("not ")
    rr: dict[str, Any] = {"childActivitySet": rng.choice(["all", "any", "none", "atLeastCount", "atLeastPercent"]),
                          "rollupConditions": {"conditionCombination": "any", "rollupCondition": [
                              {"condition": cond[4:] if neg else cond, "operator": "not" if neg else "noOp"}]},
                          "rollupAction": {"action": action}}
    if rr["childActivitySet"] == "atLeastCount":
        rr["minimumCount"] = rng.choice([1, 2])
    elif rr["childActivitySet"] == "atLeastPercent":
        rr["minimumPercent"] = rng.choice([0.5, 1.0])
    return rr


def _enrich(rng: random.Random, seq: dict[str, Any], leaf: bool) -> dict[str, Any]:
    """Objectives, maps, tracking and rollup (the parts of the engine the look-ahead reads only
    through its rule evaluation and the real termination); the activity's data (completionThreshold)."""
    data: dict[str, Any] = {}
    p = rng.random
    if p() < 0.15:
        seq.setdefault("deliveryControls", {})["tracked"] = False
    if leaf and p() < 0.2:
        seq.setdefault("deliveryControls", {})["completionSetByContent"] = True
    if leaf and p() < 0.2:
        seq.setdefault("deliveryControls", {})["objectiveSetByContent"] = True
    primary: dict[str, Any] = {"objectiveID": f"p{rng.randrange(10 ** 6)}"}
    if p() < 0.25:
        primary["satisfiedByMeasure"] = True
        primary["minNormalizedMeasure"] = rng.choice([0.0, 0.5, 0.8])
    adl_maps = []
    if p() < 0.5:
        target = rng.choice(GLOBALS)
        primary["mapInfo"] = [{"targetObjectiveID": target, "readSatisfiedStatus": p() < 0.6,
                               "readNormalizedMeasure": p() < 0.5, "writeSatisfiedStatus": p() < 0.6,
                               "writeNormalizedMeasure": p() < 0.5}]
        if p() < 0.5:
            adl_maps.append({"targetObjectiveID": target, "readCompletionStatus": p() < 0.5,
                             "writeCompletionStatus": p() < 0.5, "readProgressMeasure": p() < 0.5,
                             "writeProgressMeasure": p() < 0.5})
    objectives: dict[str, Any] = {"primaryObjective": primary}
    if p() < 0.3:
        objectives["objective"] = [{"objectiveID": "local", "mapInfo": [
            {"targetObjectiveID": rng.choice(GLOBALS), "readSatisfiedStatus": True,
             "writeSatisfiedStatus": p() < 0.5}]}]
    seq["objectives"] = objectives
    if adl_maps:
        seq["adlseqObjectives"] = {"objective": [{"objectiveID": primary["objectiveID"], "mapInfo": adl_maps}]}
    if leaf and p() < 0.15:
        data["completionThreshold"] = {"completedByMeasure": True, "minProgressMeasure": rng.choice([0.5, 1.0])}
    if not leaf:
        if p() < 0.3:
            seq["rollupRules"] = {"rollupRule": [_rollup_rule(rng) for _ in range(rng.choice([1, 2]))]}
        if p() < 0.3:
            seq["controlMode"]["useCurrentAttemptObjectiveInfo"] = p() < 0.5
            seq["controlMode"]["useCurrentAttemptProgressInfo"] = p() < 0.5
    # pre-condition rules that read an objective by name or its measure
    for r in seq.get("sequencingRules", {}).get("preConditionRule", []):
        for c in r["ruleConditions"]["ruleCondition"]:
            if p() < 0.3:
                c["condition"] = rng.choice(RICH_CONDS[-3:])
                c["measureThreshold"] = rng.choice([0.0, 0.5])
            if p() < 0.3 and "objective" in objectives:
                c["referencedObjective"] = "local"
    return data


def random_tree(seed: int, size: int = 18, rich: bool = False) -> Activity:
    rng = random.Random(seed)
    counter = iter(range(10 ** 6))

    def make(budget: int, depth: int) -> Activity:
        n = next(counter)
        if budget <= 1 or depth >= 4:
            seq = _seq(rng, True)
            return sco(f"s{n}", seq, **(_enrich(rng, seq, True) if rich else {}))
        k = rng.randint(1, min(4, budget - 1))
        rest = budget - 1
        sizes = [1] * k
        for _ in range(rest - k):
            sizes[rng.randrange(k)] += 1
        seq = _seq(rng, False)
        if depth == 0:  # a root that can always start again (no limit, no rules, flow)
            seq.pop("limitConditions", None)
            seq["sequencingRules"] = {}
            seq["controlMode"]["flow"] = True
        if rich:
            _enrich(rng, seq, False)
        return agg(f"a{n}", [make(s, depth + 1) for s in sizes], seq)

    return make(size, 0)


def _report(s: SequencingSession, rng: random.Random, rich: bool = False) -> None:
    cur = s.current
    if cur is None or not s.tree.is_leaf(cur):
        return
    data: dict[str, Any] = {}
    if rng.random() < 0.8:
        data["completion_status"] = rng.choice(["completed", "incomplete"])
    if rng.random() < 0.8:
        data["success_status"] = rng.choice(["passed", "failed", "unknown"])
    if rng.random() < 0.15:
        data["exit"] = "suspend"
    if rich:
        if rng.random() < 0.5:
            data["score"] = {"scaled": rng.choice([-0.5, 0.0, 0.5, 0.9])}
        if rng.random() < 0.3:
            data["progress_measure"] = rng.choice([0.2, 0.5, 1.0])
        if rng.random() < 0.3:
            data["completion_status"] = "unknown"
        if rng.random() < 0.3:
            data["objectives"] = [{"id": "local", "success_status": rng.choice(["passed", "failed", "unknown"])}]
        if rng.random() < 0.7:
            data["set_by_sco"] = ",".join(k for k in ("completion_status", "success_status") if k in data)
    s.report(cur, data)


def _step(s: SequencingSession, rng: random.Random) -> None:
    ids = s.tree.ids
    if s.current is None and rng.random() < 0.8:
        if rng.random() < 0.5:
            s.navigate("resumeAll" if s.suspended is not None else "start")
        else:
            s.navigate("choice", rng.choice([a for a in ids if s.tree.is_leaf(a)]))
        return
    req = rng.choices(["continue", "previous", "choice", "jump", "exit", "suspendAll", "resumeAll",
                       "start", "abandon", "exitAll", "retry"],
                      weights=[30, 8, 30, 4, 4, 3, 3, 1, 2, 1, 2])[0]
    target = rng.choice(ids) if req in ("choice", "jump") else None
    s.navigate(req, target)


def _compare(s: SequencingSession, where: str) -> dict:
    before = s.to_state()
    exact = lookahead_exact(s._e)
    assert s.to_state() == before, where
    fast = lookahead(s._e)
    assert s.to_state() == before, where
    assert fast["continue"] == exact["continue"], where
    assert fast["previous"] == exact["previous"], where
    for aid in s.tree.ids:
        assert fast["choice"][aid] == exact["choice"][aid], f"{where}: choice {aid}"
        assert fast["jump"][aid] == exact["jump"][aid], f"{where}: jump {aid}"
        assert fast["menu"][aid] == exact["menu"][aid], f"{where}: menu {aid}"
    assert fast == exact, where
    return fast


@pytest.mark.parametrize("seed", range(60))
def test_fast_lookahead_equals_exact_on_random_trees(seed):
    rng = random.Random(1000 + seed)
    tree = ActivityTree.from_course(random_tree(seed, size=rng.choice([6, 12, 18, 30])))
    s = SequencingSession(tree, rng=random.Random(seed))
    _compare(s, f"seed {seed} before start")
    for n in range(40):
        if rng.random() < 0.7:
            _report(s, rng)
        _step(s, rng)
        if rng.random() < 0.1:  # through the serialised state as the service does
            s = SequencingSession(tree, state=copy.deepcopy(s.to_state()), rng=random.Random(n))
        _compare(s, f"seed {seed} step {n} current {s.current} suspended {s.suspended}")


@pytest.mark.parametrize("seed", range(60))
def test_fast_lookahead_equals_exact_with_objectives_and_rollup(seed):
    """The same comparison on `rich` trees: global objectives, measures, tracking and rollup rules
    decide the rule conditions the pass evaluates."""
    rng = random.Random(3000 + seed)
    tree = ActivityTree.from_course(random_tree(200 + seed, size=rng.choice([6, 12, 18, 30]), rich=True))
    s = SequencingSession(tree, rng=random.Random(seed))
    _compare(s, f"rich seed {seed} before start")
    for n in range(40):
        if rng.random() < 0.7:
            _report(s, rng, rich=True)
        _step(s, rng)
        if rng.random() < 0.1:
            s = SequencingSession(tree, state=copy.deepcopy(s.to_state()), rng=random.Random(n))
        _compare(s, f"rich seed {seed} step {n} current {s.current} suspended {s.suspended}")


def test_rich_random_trees_cover_the_engine_features():
    """The rich generator does produce the features it is meant to exercise."""
    seen: set[str] = set()
    for seed in range(60):
        rng = random.Random(3000 + seed)
        tree = ActivityTree.from_course(random_tree(200 + seed, size=rng.choice([6, 12, 18, 30]), rich=True))
        for n in tree.nodes.values():
            if not n.tracked:
                seen.add("untracked")
            if n.rollup_rules:
                seen.add("rollupRules")
            if n.completed_by_measure:
                seen.add("completedByMeasure")
            for od in n.objectives:
                if od.satisfied_by_measure:
                    seen.add("satisfiedByMeasure")
                for m in od.maps:
                    if m.read_satisfied:
                        seen.add("read")
                    if m.write_satisfied:
                        seen.add("write")
                    if m.read_completion:
                        seen.add("readCompletion")
            for r in n.pre_rules:
                for c in r.conditions:
                    if c.condition.startswith("objectiveMeasure"):
                        seen.add("measureCondition")
                    if c.objective is not None:
                        seen.add("referencedObjective")
    assert seen >= {"untracked", "rollupRules", "completedByMeasure", "satisfiedByMeasure", "read", "write",
                    "readCompletion", "measureCondition", "referencedObjective"}


@pytest.mark.parametrize("seed", range(12))
def test_fast_lookahead_agrees_with_navigating(seed):
    rng = random.Random(5000 + seed)
    tree = ActivityTree.from_course(random_tree(100 + seed, size=14))
    s = SequencingSession(tree, rng=random.Random(seed))
    for n in range(15):
        if rng.random() < 0.7:
            _report(s, rng)
        _step(s, rng)
        state = s.to_state()
        look = lookahead(s._e)

        def would(req: str, target: str | None = None) -> bool:
            # called in this iteration only, so the loop's current state is the one meant
            probe = SequencingSession(tree, state=copy.deepcopy(state), rng=random.Random(0))  # noqa: B023
            r = probe.navigate(req, target)
            return r.valid and r.exception is None and (r.delivered is not None or r.ended)

        where = f"seed {seed} step {n} current {s.current}"
        assert look["continue"] == would("continue"), where
        assert look["previous"] == would("previous"), where
        for aid in rng.sample(tree.ids, min(6, len(tree.ids))):
            assert look["choice"][aid] == would("choice", aid), f"{where}: choice {aid}"
            if tree.is_leaf(aid):
                assert look["jump"][aid] == would("jump", aid), f"{where}: jump {aid}"


def test_random_trees_cover_the_interesting_cases():
    """The generator does produce what the agreement test is meant to exercise."""
    seen: set[str] = set()
    for seed in range(60):
        rng = random.Random(1000 + seed)
        tree = ActivityTree.from_course(random_tree(seed, size=rng.choice([6, 12, 18, 30])))
        for n in tree.nodes.values():
            seen.update(r.action for r in n.pre_rules)
            if n.constrain_choice:
                seen.add("constrainChoice")
            if n.prevent_activation:
                seen.add("preventActivation")
            if n.forward_only:
                seen.add("forwardOnly")
            if not n.choice_exit:
                seen.add("choiceExit=false")
            if n.attempt_limit:
                seen.add("attemptLimit")
            if n.reorder or n.select_count:
                seen.add("randomization")
    assert seen >= {"hiddenFromChoice", "disabled", "skip", "stopForwardTraversal", "constrainChoice",
                    "preventActivation", "forwardOnly", "choiceExit=false", "attemptLimit", "randomization"}


@pytest.mark.parametrize("seed", range(25))
def test_next_after_is_the_engines_flow_tree_traversal(seed):
    """The pass's own SB.2.1 step (forward, without children) against the engine's, everywhere."""
    rng = random.Random(7000 + seed)
    tree = ActivityTree.from_course(random_tree(300 + seed, size=rng.choice([8, 16, 30])))
    s = SequencingSession(tree, rng=random.Random(seed))
    st = _static(tree)
    for n in range(12):
        if rng.random() < 0.7:
            _report(s, rng)
        _step(s, rng)
        e = s._e
        memo: dict[int, int] = {}
        for aid in rng.sample(tree.ids, len(tree.ids)):  # any order: the memo must not matter
            e.dry = True
            try:
                nxt, _d, _end = e.flow_tree_traversal(aid, FWD, False, None)
            finally:
                e.dry = False
            want = -1 if nxt is None else st.index[nxt]
            assert _next_after(e, st, memo, st.index[aid]) == want, (seed, n, aid)
