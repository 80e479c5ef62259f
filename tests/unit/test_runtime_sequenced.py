"""The glue between a registration instance and the sequencing engine: where the tracking model,
shared global objectives and shared data are kept, and what a SCO starts with."""

from __future__ import annotations

from types import SimpleNamespace

from coursehost.domain.runtime import sequenced
from coursehost.domain.sequencing import ActivityTree
from tests.unit.sequencing.helpers import agg, sco

FLOW = {"controlMode": {"flow": True, "choice": True}}
WRITER = sco("w", {"objectives": {"primaryObjective": {"objectiveID": "pw", "mapInfo": [
    {"targetObjectiveID": "g.skill", "writeSatisfiedStatus": True, "writeNormalizedMeasure": True}]}}})
READER = sco("r", {"objectives": {"objective": [{"objectiveID": "skill", "mapInfo": [
    {"targetObjectiveID": "g.skill", "readSatisfiedStatus": True, "readNormalizedMeasure": True}]}]}})


def _tree() -> ActivityTree:
    return ActivityTree.from_course(agg("org", [WRITER, READER, sco("z")], FLOW))


def test_state_round_trip_and_globals_in_the_progress_shape():
    tree, inst = _tree(), SimpleNamespace(state={"runtime": {"keep": 1}})
    ses = sequenced.load(inst, tree)
    assert sequenced.navigate(ses, "start")["activityId"] == "w"
    ses.report("w", {"success_status": "passed", "score": {"scaled": "0.8"}, "completion_status": "completed"})
    sequenced.save(inst, ses)
    assert inst.state["runtime"] == {"keep": 1}  # other keys of the instance state are left alone
    assert inst.state["globalObjectives"] == [{"id": "g.skill", "satisfied": True, "measure": 0.8}]
    assert "globals" not in inst.state["sequencing"]

    again = sequenced.load(inst, tree)
    assert again.current == "w"
    view = {o["id"]: o for o in sequenced.start_values(again, {"id": "r"}, None)["objectives"]}
    assert view["skill"]["success_status"] == "passed" and view["skill"]["score"]["scaled"] == "0.8"


def test_cleared_global_data_is_forgotten_by_the_engine():
    tree, inst = _tree(), SimpleNamespace(state={})
    ses = sequenced.load(inst, tree)
    sequenced.navigate(ses, "start")
    ses.report("w", {"success_status": "passed"})
    sequenced.save(inst, ses)
    inst.state = {k: v for k, v in inst.state.items() if k != "globalObjectives"}  # DeleteRegistrationGlobalData
    view = sequenced.start_values(sequenced.load(inst, tree), {"id": "r"}, None)["objectives"]
    assert view[0]["success_status"] == "unknown"


def test_globals_carried_to_a_new_instance_seed_its_engine():
    tree = _tree()
    inst = SimpleNamespace(state={"globalObjectives": [{"id": "g.skill", "satisfied": False, "measure": 0.2}]})
    view = sequenced.start_values(sequenced.load(inst, tree), {"id": "r"}, None)["objectives"]
    assert view[0]["success_status"] == "failed" and view[0]["score"]["scaled"] == "0.2"


def test_merge_objectives_lays_the_engine_view_over_stored_data():
    stored = [{"id": "a", "success_status": "failed", "description": "kept", "score": {"raw": "3"}}]
    engine = [{"id": "a", "success_status": "passed", "completion_status": "unknown",
               "score": {"scaled": "0.9", "raw": None}, "progress_measure": None},
              {"id": "b", "success_status": "unknown", "completion_status": "unknown", "score": {},
               "progress_measure": None}]
    assert sequenced.merge_objectives(stored, engine) == [
        {"id": "a", "success_status": "passed", "description": "kept", "score": {"raw": "3", "scaled": "0.9"}},
        {"id": "b"}]


def test_shared_data_only_where_the_map_allows_writing():
    activity = {"id": "w", "data": {"data": [{"targetID": "notes", "readSharedData": True, "writeSharedData": True},
                                             {"targetID": "ro", "readSharedData": True, "writeSharedData": False}]}}
    runtime = {"adl_data": [{"id": "notes", "store": "hello"}, {"id": "ro", "store": "nope"}]}
    assert sequenced.write_shared(activity, runtime, {"ro": "fixed"}) == {"ro": "fixed", "notes": "hello"}
    assert sequenced.write_shared(activity, {"adl_data": [{"id": "notes", "store": "hello"}]},
                                  {"notes": "hello"}) is None  # nothing changed


def test_start_without_flow_delivers_the_first_activity_the_outline_offers():
    ses = sequenced.load(SimpleNamespace(state={}), ActivityTree.from_course(agg("org", [sco("a"), sco("b")])))
    d = sequenced.navigate(ses, "start")
    assert d["activityId"] == "a" and any("SB.2.2-1" in line for line in d["log"])  # flow is off by default


def test_start_resumes_a_suspended_session_and_suspends_one_left_open():
    tree, inst = _tree(), SimpleNamespace(state={})
    ses = sequenced.load(inst, tree)
    sequenced.navigate(ses, "start")
    ses.report("w", {"completion_status": "completed"})
    assert sequenced.navigate(ses, "continue")["activityId"] == "r"
    sequenced.save(inst, ses)  # the browser closed with r open
    again = sequenced.load(inst, tree)
    d = sequenced.navigate(again, "start")
    assert d["activityId"] == "r" and again.start_data("r")["entry"] == "resume"


def test_an_abandoned_attempts_data_is_not_reported():
    tree, inst = _tree(), SimpleNamespace(state={})
    ses = sequenced.load(inst, tree)
    sequenced.navigate(ses, "start")
    sequenced.report(ses, "w", {"success_status": "passed", "adl": {"nav": {"request": "abandon"}}})
    assert ses.activity_status("w")["success"] == "unknown"
    sequenced.report(ses, "w", {"success_status": "passed", "adl": {"nav": {"request": "continue"}}})
    assert ses.activity_status("w")["success"] == "passed"


def test_rte_objectives_keep_the_manifest_spelling_and_judge_satisfied_by_measure():
    measured = {"objectives": {"objective": [
        {"objectiveID": " ob%20j%201 "},
        {"objectiveID": "skill", "satisfiedByMeasure": True, "minNormalizedMeasure": 0.5,
         "mapInfo": [{"targetObjectiveID": "g.skill", "readSatisfiedStatus": True, "readNormalizedMeasure": True}]}]}}
    activity = sco("m", measured)
    tree = ActivityTree.from_course(agg("org", [WRITER, activity], FLOW))
    ses = sequenced.load(SimpleNamespace(state={}), tree)
    sequenced.navigate(ses, "start")
    ses.report("w", {"success_status": "failed", "score": {"scaled": "0.7"}})  # the global: failed, 0.7
    view = {o["id"]: o for o in sequenced.start_values(ses, activity.to_dict(), None)["objectives"]}
    assert set(view) == {"ob j 1", "skill"}  # ADL OB-12a: decoded and trimmed, inner spaces kept
    assert view["skill"]["success_status"] == "passed"  # 0.7 >= 0.5 (ADL OB-14a, RU-13e)
    ses.report("m", {"objectives": [{"id": "ob j 1", "success_status": "passed"}]})
    assert ses.start_data("m")["objectives"][0]["success_status"] == "passed"  # reported back by its id


def test_shared_data_lives_for_one_course_attempt_when_not_global_to_system():
    for global_, kept in ((True, True), (False, False)):
        tree = sequenced.build_tree(agg("org", [sco("a"), sco("b")], FLOW), {"sharedDataGlobalToSystem": global_})
        inst = SimpleNamespace(state={})
        ses = sequenced.load(inst, tree)
        sequenced.navigate(ses, "start")
        sequenced.save(inst, ses)
        inst.state = {**inst.state, "sharedData": {"notes": "x"}}
        ses = sequenced.load(inst, tree)
        sequenced.navigate(ses, "suspendAll")
        sequenced.save(inst, ses)
        ses = sequenced.load(inst, tree)
        assert sequenced.navigate(ses, "start")["activityId"] == "a"  # resumed: the same attempt
        sequenced.save(inst, ses)
        assert inst.state["sharedData"] == {"notes": "x"}
        sequenced.navigate(ses, "exitAll")
        sequenced.save(inst, ses)
        ses = sequenced.load(inst, tree)
        sequenced.navigate(ses, "start")  # a new attempt on the course (ADL DDM: DDMb)
        sequenced.save(inst, ses)
        assert ("sharedData" in inst.state) is kept


def test_a_store_set_to_empty_reads_as_never_set():
    activity = {"id": "w", "data": {"data": [{"targetID": "notes"}]}}
    ses = sequenced.load(SimpleNamespace(state={}), _tree())
    bucket = sequenced.start_values(ses, activity, {"notes": ""})["adlData"][0]
    assert bucket["storeSet"] is False and bucket["writeSharedData"] is True  # CAM 3.4.1.8 default


def test_report_honours_what_the_sco_set():
    co = sco("p", {"objectives": {"primaryObjective": {"objectiveID": "PRIMARY", "mapInfo": [
        {"targetObjectiveID": "g.p", "writeSatisfiedStatus": True}]}, "objective": [{"objectiveID": "o", "mapInfo": [
            {"targetObjectiveID": "g.o", "writeSatisfiedStatus": True}]}]}})
    entry = [{"id": "PRIMARY", "completion_status": "completed"}, {"id": "o", "success_status": "unknown"}]
    for set_by, completion, g_o in ((None, "completed", True), ("completion_status,objectives.1.success_status",
                                                                "unknown", None)):
        ses = sequenced.load(SimpleNamespace(state={}), ActivityTree.from_course(agg("org", [co], FLOW)))
        sequenced.navigate(ses, "start")
        ses.report("p", {"objectives": [{"id": "o", "success_status": "passed"}]})
        runtime = {"completion_status": "unknown", "objectives": entry}
        if set_by is not None:
            runtime["set_by_sco"] = set_by
        ses.report("p", runtime)
        # ADL CO-06 (only the entry set: it stands) vs CO-13a (cmi.completion_status set to unknown)
        assert ses.activity_status("p")["completion"] == completion
        # ADL OB-17a: an objective set to unknown by the SCO clears the global it writes
        assert {g["id"]: g["satisfied"] for g in ses.global_objectives()}["g.o"] is g_o
