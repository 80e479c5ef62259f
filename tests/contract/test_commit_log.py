"""The debug log rides with the commits at page close (issue 14): a log-only commit (no runtime)
stores its entries and changes no data, and does not make a data commit sent before it stale; a
commit overtaken by a later one (a beacon) keeps its log entries once, never a retry's."""

from __future__ import annotations

import json

import httpx

from tests.contract.player_http import import_one_sco, open_launch
from tests.e2e.support import create_registration, launch_history, progress


def post(live_server, token: str, body: dict) -> httpx.Response:
    """POST BODY to the commit endpoint the way sendBeacon does (text/plain, the token in the URL)."""
    return httpx.post(f"{live_server.content_url}/player/runtime/commit?t={token}", content=json.dumps(body),
                      headers={"content-type": "text/plain;charset=UTF-8"})


def entry(name: str) -> dict:
    return {"type": "runtime", "activityId": "sco1", "method": name, "args": [""], "result": "true", "errorCode": "0"}


def launch_with_token(live_server, tmp_path, course_id: str) -> tuple[str, str]:
    import_one_sco(live_server.client(), tmp_path, course_id)
    reg = create_registration(live_server, course_id)
    return reg, open_launch(live_server.content_url, live_server.client(), reg)


def logged(live_server, reg: str) -> list[str]:
    (launch,) = launch_history(live_server, reg)
    return [e.get("method") for e in launch.log if e.get("type") == "runtime"]


def test_log_only_commit_stores_its_entries_and_leaves_the_data(live_server, tmp_path):
    reg, token = launch_with_token(live_server, tmp_path, "logonly")
    data = {"core": {"lesson_status": "completed", "lesson_location": "p2", "session_time": "00:01:00"}}
    assert post(live_server, token, {"seq": 1, "activityId": "sco1", "runtime": data, "terminated": True,
                                     "log": [entry("LMSFinish")], "fresh": True}).status_code == 200
    refused = {**entry("LMSSetValue"), "args": ["cmi.core.exit", "suspend"], "result": "false", "errorCode": "301"}
    answer = post(live_server, token, {"seq": 3, "activityId": "sco1", "log": [refused]})
    assert answer.status_code == 200 and answer.json() == {"lastSeq": 3, "applied": False}
    assert logged(live_server, reg) == ["LMSFinish", "LMSSetValue"]
    (sco,) = progress(live_server, reg).activity_details.children
    assert (sco.runtime.location, sco.runtime.exit, sco.activity_completion) == ("p2", "", "COMPLETED")
    # a data commit sent before the log-only one (seq 2) and arriving after it is still applied
    later = {"core": {"lesson_status": "completed", "lesson_location": "p3", "session_time": "00:01:00"}}
    assert post(live_server, token, {"seq": 2, "activityId": "sco1", "runtime": later,
                                     "log": [entry("LMSCommit")], "fresh": True}).json()["applied"] is True
    assert progress(live_server, reg).activity_details.children[0].runtime.location == "p3"
    # a body with neither runtime nor log is refused
    assert post(live_server, token, {"seq": 4, "activityId": "sco1"}).status_code == 400


def test_an_overtaken_commit_keeps_its_log_once(live_server, tmp_path):
    reg, token = launch_with_token(live_server, tmp_path, "overtaken")
    newer = {"core": {"lesson_location": "newer"}}
    older = {"core": {"lesson_location": "older"}}
    assert post(live_server, token, {"seq": 2, "activityId": "sco1", "runtime": newer,
                                     "log": [entry("LMSFinish")], "fresh": True}).json()["applied"] is True
    # seq 1 left first and arrives second: its data is superseded, its log entries are kept
    assert post(live_server, token, {"seq": 1, "activityId": "sco1", "runtime": older,
                                     "log": [entry("LMSCommit")], "fresh": True}).json() == {"lastSeq": 2, "applied": False}
    # a retry of seq 1 (not fresh) stores nothing again
    assert post(live_server, token, {"seq": 1, "activityId": "sco1", "runtime": older,
                                     "log": [entry("LMSCommit")], "fresh": False}).json()["applied"] is False
    assert sorted(logged(live_server, reg)) == ["LMSCommit", "LMSFinish"]
    assert progress(live_server, reg).activity_details.children[0].runtime.location == "newer"
