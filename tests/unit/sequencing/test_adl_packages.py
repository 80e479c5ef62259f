"""ADL SCORM 2004 4th Ed. test packages, parsed by the real manifest parser, sequenced."""

from coursehost.domain.sequencing import ActivityTree, SequencingSession

from tests.unit.sequencing.helpers import adl_course


def test_cm01_flow_only(tmp_path):
    tree = ActivityTree.from_course(adl_course("CM-01", tmp_path))
    s = SequencingSession(tree)
    r = s.navigate("start")
    assert r.valid and r.delivered == "activity_1"
    assert s.navigate("continue").delivered == "activity_2"
    assert s.navigate("continue").delivered == "activity_3"
    assert s.navigate("previous").delivered == "activity_2"
    # choice is off at the organization
    r = s.navigate("choice", "activity_1")
    assert not r.valid and r.exception == "NB.2.1-10"
    look = s.lookahead()
    assert look["continue"] and look["previous"]
    assert not any(v for k, v in look["choice"].items() if k.startswith("activity"))
    assert s.navigate("continue").delivered == "activity_3"
    r = s.navigate("continue")
    assert r.ended and r.delivered is None
