"""ActivityTree built from the course model's activities."""

from coursehost.domain.courses.model import AGGREGATION, SCO, Activity
from coursehost.domain.sequencing import ActivityTree
from coursehost.domain.sequencing.defaults import SEQUENCING_DEFAULTS, with_defaults


def test_tree_order_and_defaults():
    root = Activity("org", "Org", AGGREGATION, children=[
        Activity("a", "A", SCO, href="a.html"),
        Activity("b", "B", AGGREGATION, children=[Activity("b1", "B1", SCO, href="b1.html")]),
    ], sequencing={"controlMode": {"choice": False, "flow": True}})
    tree = ActivityTree.from_course(root)
    assert tree.ids == ["org", "a", "b", "b1"]
    assert tree.title("b1") == "B1" and tree.is_leaf("b1") and not tree.is_leaf("b")
    assert tree.nodes["org"].flow and not tree.nodes["org"].choice
    assert tree.nodes["a"].choice and not tree.nodes["a"].flow
    assert tree.common_ancestor("a", "b1") == "org"


def test_with_defaults_fills_spec_defaults():
    """The engine fills the spec defaults into what the author wrote (the parser stores only that)."""
    full = with_defaults({"controlMode": {"flow": True}, "sequencingRules": {"preConditionRule": [
        {"ruleConditions": {"ruleCondition": [{"condition": "satisfied"}]}, "ruleAction": {"action": "skip"}}]},
        "objectives": {"primaryObjective": {"objectiveID": "p", "minNormalizedMeasure": 0.6,
                                            "mapInfo": [{"targetObjectiveID": "g"}]}},
        "adlseqObjectives": {"objective": [{"objectiveID": "p", "mapInfo": [{"targetObjectiveID": "g"}]}]},
        "rollupRules": {"rollupRule": [{"rollupConditions": {"rollupCondition": [{"condition": "completed"}]},
                                        "rollupAction": {"action": "completed"}}]}})
    assert full["controlMode"] == {**SEQUENCING_DEFAULTS["controlMode"], "flow": True}
    rule = full["sequencingRules"]["preConditionRule"][0]
    assert rule["ruleConditions"]["conditionCombination"] == "all"
    assert rule["ruleConditions"]["ruleCondition"][0]["operator"] == "noOp"
    assert full["sequencingRules"]["exitConditionRule"] == []
    assert full["deliveryControls"]["tracked"] is True
    assert full["rollupRules"]["rollupObjectiveSatisfied"] is True
    rollup = full["rollupRules"]["rollupRule"][0]
    assert rollup["childActivitySet"] == "all" and rollup["rollupConditions"]["conditionCombination"] == "any"
    primary = full["objectives"]["primaryObjective"]
    assert primary["minNormalizedMeasure"] == 0.6 and primary["satisfiedByMeasure"] is False
    assert primary["mapInfo"][0]["readSatisfiedStatus"] is True
    assert full["adlseqObjectives"]["objective"][0]["mapInfo"][0]["writeCompletionStatus"] is False
    assert with_defaults(None)["objectives"] == {"objective": []}
