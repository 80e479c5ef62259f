"""Rollup rules, measure rollup, shared global objectives, look-ahead agreement."""

import copy

import pytest

from coursehost.domain.sequencing import ActivityTree, SequencingSession
from tests.unit.sequencing.helpers import agg, rule, sco, session, walk

FLOW = {"controlMode": {"flow": True}}


def rollup_rule(action, cond, child_set="all", **extra):
    neg = cond.startswith("not ")
    return {"childActivitySet": child_set, **extra,
            "rollupConditions": {"rollupCondition": [
                {"condition": cond[4:] if neg else cond, "operator": "not" if neg else "noOp"}]},
            "rollupAction": {"action": action}}


def run(module_seq, results):
    """Deliver each child of a module in turn, reporting RESULTS[i]; the module's status after."""
    kids = [sco(f"k{i}") for i in range(len(results))]
    s = session(agg("org", [agg("m", kids, {**FLOW, **module_seq})], FLOW))
    s.navigate("start")
    for i, res in enumerate(results):
        if res is not None:
            s.report(f"k{i}", res)
        s.navigate("continue")
    return s.activity_status("m")


P, F = {"success_status": "passed"}, {"success_status": "failed"}
C, I = {"completion_status": "completed"}, {"completion_status": "incomplete"}  # noqa: E741 (I: incomplete)


def test_default_rollup_all_satisfied_and_any_not_satisfied():
    assert run({}, [P, P, P])["success"] == "passed"
    assert run({}, [P, F, P])["success"] == "failed"
    assert run({}, [C, C])["completion"] == "completed"
    assert run({}, [C, I])["completion"] == "incomplete"


@pytest.mark.parametrize("rules,results,expected", [
    ([rollup_rule("satisfied", "satisfied", "any")], [F, P, F], "passed"),
    ([rollup_rule("satisfied", "satisfied", "atLeastCount", minimumCount=2)], [P, F, P], "passed"),
    ([rollup_rule("satisfied", "satisfied", "atLeastCount", minimumCount=3),
      rollup_rule("notSatisfied", "not satisfied", "any")], [P, F, P], "failed"),
    ([rollup_rule("satisfied", "satisfied", "atLeastPercent", minimumPercent=0.5)], [P, F, F, P], "passed"),
    ([rollup_rule("satisfied", "satisfied", "atLeastPercent", minimumPercent=0.75),
      rollup_rule("notSatisfied", "satisfied", "none")], [F, F, F, F], "failed"),
    ([rollup_rule("satisfied", "completed", "all")], [C, C, C], "passed"),
])
def test_rollup_rules(rules, results, expected):
    assert run({"rollupRules": {"rollupRule": rules}}, results)["success"] == expected


def test_rollup_completed_rule_and_considerations():
    seq = {"rollupRules": {"rollupRule": [rollup_rule("completed", "completed", "atLeastCount", minimumCount=2)]}}
    assert run(seq, [C, I, C])["completion"] == "completed"
    # a child that does not count for satisfaction (rollupObjectiveSatisfied=false)
    kids = [sco("a"), sco("b", {"rollupRules": {"rollupObjectiveSatisfied": False}})]
    s = session(agg("org", [agg("m", kids, FLOW)], FLOW))
    s.navigate("start")
    s.report("a", P)
    s.navigate("continue")
    s.report("b", F)
    s.navigate("continue")
    assert s.activity_status("m")["success"] == "passed"


def test_measure_rollup_with_weights_and_satisfied_by_measure():
    kids = [sco("a", {"rollupRules": {"objectiveMeasureWeight": 0.25}}),
            sco("b", {"rollupRules": {"objectiveMeasureWeight": 0.75}}),
            sco("c", {"rollupRules": {"objectiveMeasureWeight": 0.0}})]
    m = agg("m", kids, {**FLOW, "objectives": {"primaryObjective": {
        "objectiveID": "m", "satisfiedByMeasure": True, "minNormalizedMeasure": 0.5}}})
    s = session(agg("org", [m], FLOW))
    s.navigate("start")
    s.report("a", {"score": {"scaled": "1.0"}})
    s.navigate("continue")
    s.report("b", {"score": {"scaled": "0.2"}})
    s.navigate("continue")
    s.report("c", {"score": {"scaled": "1.0"}})
    st = s.activity_status("m")
    assert st["measure"] == pytest.approx(0.25 * 1.0 + 0.75 * 0.2)  # c weighs nothing
    assert st["success"] == "failed"  # 0.4 < 0.5
    assert s.activity_status("org")["measure"] == pytest.approx(0.4)


def test_scaled_passing_score_decides_success():
    s = session(agg("org", [sco("q", {"objectives": {"primaryObjective": {
        "satisfiedByMeasure": True, "minNormalizedMeasure": 0.7}}})], FLOW))
    s.navigate("start")
    assert s.start_data("q")["scaled_passing_score"] == "0.7"
    s.report("q", {"success_status": "passed", "score": {"scaled": "0.6"}})
    assert s.activity_status("q")["success"] == "failed"


def test_completion_measure_rollup_with_progress_weights():
    a = sco("a")
    a.data = {"completionThreshold": {"completedByMeasure": True, "minProgressMeasure": 0.5, "progressWeight": 1.0}}
    b = sco("b")
    b.data = {"completionThreshold": {"completedByMeasure": True, "minProgressMeasure": 0.5, "progressWeight": 3.0}}
    m = agg("m", [a, b], FLOW)
    m.data = {"completionThreshold": {"completedByMeasure": True, "minProgressMeasure": 0.6, "progressWeight": 1.0}}
    s = session(agg("org", [m], FLOW))
    s.navigate("start")
    s.report("a", {"progress_measure": "1.0"})
    s.navigate("continue")
    s.report("b", {"progress_measure": "0.4"})
    st = s.activity_status("m")
    assert st["progress"] == pytest.approx((1.0 + 3 * 0.4) / 4)
    assert st["completion"] == "incomplete"  # 0.55 < 0.6


def test_global_objectives_shared_read_and_write():
    writer = sco("w", {"objectives": {"primaryObjective": {"objectiveID": "pw"}, "objective": [
        {"objectiveID": "skill", "mapInfo": [{"targetObjectiveID": "g.skill", "writeSatisfiedStatus": True,
                                              "writeNormalizedMeasure": True}]}]},
        "adlseqObjectives": {"objective": [{"objectiveID": "skill", "mapInfo": [
            {"targetObjectiveID": "g.skill", "writeRawScore": True, "writeCompletionStatus": True}]}]}})
    reader = sco("r", {"objectives": {"objective": [
        {"objectiveID": "skill2", "mapInfo": [{"targetObjectiveID": "g.skill"}]}]},
        "sequencingRules": {"preConditionRule": [
            rule("skip", "satisfied", objective="skill2")]}})
    s = session(agg("org", [writer, reader, sco("z")], FLOW))
    s.navigate("start")
    s.report("w", {"objectives": [{"id": "skill", "success_status": "passed", "completion_status": "completed",
                                   "score": {"scaled": "0.9", "raw": "90"}}]})
    g = {o["id"]: o for o in s.global_objectives()}["g.skill"]
    assert g["satisfied"] is True and g["measure"] == pytest.approx(0.9) and g["raw"] == 90.0
    assert g["completion"] is True
    data = s.start_data("r")
    obj = {o["id"]: o for o in data["objectives"]}["skill2"]
    assert obj["success_status"] == "passed" and obj["score"]["scaled"] == "0.9"
    assert obj["score"]["raw"] is None  # skill2's imsss map has no adlseq read of raw
    assert s.navigate("continue").delivered == "z"  # r skipped: its mapped objective is satisfied
    state = s.to_state()
    s2 = SequencingSession(s.tree, state=copy.deepcopy(state))
    assert s2.global_objectives() == s.global_objectives()


def _tree():
    m1 = agg("m1", [sco("a"), sco("b", {"limitConditions": {"attemptLimit": 1}})],
             {**FLOW, "constrainedChoiceConsiderations": {"constrainChoice": True}})
    m2 = agg("m2", [sco("c", {"sequencingRules": {"preConditionRule": [rule("skip", "always")]}}), sco("d")], FLOW)
    m3 = agg("m3", [sco("e")], {**FLOW, "constrainedChoiceConsiderations": {"preventActivation": True}})
    quiz = sco("quiz", {"sequencingRules": {"postConditionRule": [rule("previous", "not satisfied")]}})
    return ActivityTree.from_course(agg("org", [m1, m2, m3, quiz], FLOW))


@pytest.mark.parametrize("path", [[], ["start"], ["start", "continue"], ["start", "continue", "continue"],
                                  ["start", "choice:quiz"], ["start", "continue", "continue", "continue"]])
def test_lookahead_agrees_with_navigate_and_has_no_side_effects(path):
    tree = _tree()
    s = SequencingSession(tree)
    walk(s, *path)
    if s.current == "quiz":
        s.report("quiz", {"success_status": "failed"})
    before = s.to_state()
    look = s.lookahead()
    assert s.to_state() == before
    assert s.lookahead() == look

    def would(req, target=None):
        probe = SequencingSession(tree, state=copy.deepcopy(before))
        r = probe.navigate(req, target)
        return r.valid and r.exception is None and (r.delivered is not None or r.ended)

    assert look["continue"] == would("continue")
    assert look["previous"] == would("previous")
    for aid in tree.ids:
        assert look["choice"][aid] == would("choice", aid), aid
        if tree.is_leaf(aid):
            assert look["jump"][aid] == would("jump", aid), aid
