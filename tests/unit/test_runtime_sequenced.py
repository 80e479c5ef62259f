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
