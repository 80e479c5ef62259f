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


def test_cm02a_skip_when_satisfied(tmp_path):
    s = SequencingSession(ActivityTree.from_course(adl_course("CM-02a", tmp_path)))
    assert s.navigate("start").delivered == "activity_1"
    assert s.navigate("continue").delivered == "activity_2"
    s.report("activity_2", {"success_status": "passed", "completion_status": "completed"})
    assert s.navigate("previous").delivered == "activity_1"
    r = s.navigate("continue")
    assert r.delivered == "activity_3", r.log
    assert any("skip" in line for line in r.log)


def test_sx02_exit_rule_then_post_condition_previous(tmp_path):
    s = SequencingSession(ActivityTree.from_course(adl_course("SX-02", tmp_path)))
    assert s.navigate("start").delivered == "activity_1"
    assert s.navigate("continue").delivered == "activity_3"
    s.report("activity_3", {"progress_measure": "0.6"})
    assert s.activity_status("activity_3")["completion"] == "completed"  # 0.6 >= 0.5
    assert s.navigate("continue").delivered == "activity_4"
    s.report("activity_4", {"completion_status": "completed"})
    assert s.navigate("continue").delivered == "activity_5"
    s.report("activity_5", {"progress_measure": "0.8"})
    # activity_2 rolls up satisfied (all children completed): its exit rule ends it, and its
    # post-condition rule turns the continue into a previous.
    r = s.navigate("continue")
    assert r.delivered == "activity_1", r.log
    assert s.activity_status("activity_2")["success"] == "passed"


def test_sx02_threshold_not_met_stays_incomplete(tmp_path):
    s = SequencingSession(ActivityTree.from_course(adl_course("SX-02", tmp_path)))
    s.navigate("start")
    s.navigate("continue")
    s.report("activity_3", {"progress_measure": "0.4", "completion_status": "completed"})
    assert s.activity_status("activity_3")["completion"] == "incomplete"
    assert s.start_data("activity_3")["completion_threshold"] == "0.5"
