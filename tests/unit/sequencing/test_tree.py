"""ActivityTree built from imported activities."""

from coursehost.domain.courses.model import AGGREGATION, SCO, Activity
from coursehost.domain.sequencing import ActivityTree


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
