"""The HACP endpoint over real HTTP (AICC CMI001 appendix A): an AICC launch link's AU URL carries
AICC_SID and AICC_URL; GetParam / PutParam / PutInteractions / PutObjectives / PutPath / ExitAU
answer per the guidelines and land in the registration's progress; bad input changes nothing."""

from __future__ import annotations

import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.builders.aicc import AU, AU_HEADER, aicc_zip, csv_text
from tests.contract.courses import course_api, upload
from tests.e2e.support import create_registration, import_course, launch_history, launch_link, progress

CORE_PASSED = "[Core]\r\nlesson_location=end\r\nLESSON_STATUS=p\r\nscore=90,100,0\r\ntime=00:01:40\r\n[CORE_LESSON]\r\nk=v\r\n"


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("aicc"),
                         aicc_zip(title="HACP", aus=[AU("A1", "Lesson", "a1.html?x=1", mastery=80,
                                                                   core_vendor="mode=demo")]))


def launch(live_server, course, learner="ada"):
    """Open a fresh registration's launch link -> (registration id, AICC_SID, AICC_URL)."""
    reg = create_registration(live_server, course, learner_id=learner)
    page = httpx.get(launch_link(live_server, reg))
    assert page.status_code == 200, page.text
    config = json.loads(re.search(r'id="player-config">(.*?)</script>', page.text).group(1))
    href = config["items"][0]["href"]
    query = parse_qs(urlsplit(href).query)
    return reg, query["AICC_SID"][0], query["AICC_URL"][0]


def hacp(url, sid, command, data="", **extra) -> dict:
    resp = httpx.post(url, data={"command": command, "version": "4.0", "session_id": sid, "aicc_data": data, **extra})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    error, text, rest = resp.text.split("\r\n", 2)
    return {"error": int(error.removeprefix("error=")), "text": text.removeprefix("error_text="),
            "data": rest.removeprefix("aicc_data=")}


def test_launch_carries_sid_and_hacp_url_on_the_content_origin(live_server, course):
    reg, sid, url = launch(live_server, course)
    page = httpx.get(launch_link(live_server, reg))
    href = json.loads(re.search(r'id="player-config">(.*?)</script>', page.text).group(1))["items"][0]["href"]
    assert href.startswith("a1.html?x=1&AICC_SID=")  # after the File_Name's own query
    assert url == live_server.content_url.rstrip("/") + "/player/hacp"
    assert "." in sid and len(sid) < 255
    assert httpx.post(live_server.base_url + "/player/hacp", data={"command": "GetParam"}).status_code == 404


def test_getparam_putparam_exitau_and_progress(live_server, course):
    reg, sid, url = launch(live_server, course)
    got = hacp(url, sid, "GetParam")
    assert (got["error"], got["text"]) == (0, "Successful")
    assert got["data"].startswith("[Core]\r\nStudent_ID=ada\r\nStudent_Name=Lovelace, Ada\r\nLesson_Location=\r\n"
                                  "Credit=credit\r\nLesson_Status=not attempted\r\nScore=\r\n")
    assert "[Core_Vendor]\r\nmode=demo\r\n" in got["data"]
    assert "Lesson_Mode=normal\r\n[Core_Lesson]" in got["data"] and got["data"].rstrip().endswith("Mastery_Score=80")

    assert hacp(url, sid, "putparam", CORE_PASSED)["error"] == 0
    again = hacp(url, sid, "GetParam")["data"]
    assert "Lesson_Location=end\r\n" in again and "Lesson_Status=passed\r\n" in again
    assert "Score=90,100,0\r\n" in again and "[Core_Lesson]\r\nk=v\r\n" in again
    interactions = ('"course_id","student_id","lesson_id","date","time","interaction_id","objective_id",'
                    '"type_interaction","correct_response","student_response","result","weighting","latency"\r\n'
                    '"C","ada","A1","2026/12/06","10:00:00","q1","o1","C","a","b","W","1","00:00:03"\r\n')
    assert hacp(url, sid, "PutInteractions", interactions)["error"] == 0
    objectives = '"course_id","student_id","lesson_id","j_id","j_score","j_status"\r\n"C","ada","A1","o1","1,2,0","f"\r\n'
    assert hacp(url, sid, "PutObjectives", objectives)["error"] == 0
    assert hacp(url, sid, "PutPath", '"course_id","lesson_id"\r\n')["error"] == 0
    assert hacp(url, sid, "ExitAU")["error"] == 0
    after = hacp(url, sid, "PutParam", "[Core]\r\nLesson_Status=failed\r\n")
    assert after["error"] == 3 and "ExitAU" in after["text"]

    result = progress(live_server, reg)
    assert (result.registration_completion, result.registration_success) == ("COMPLETED", "PASSED")
    assert result.score.scaled == 90 and result.total_seconds_tracked == 100
    au = result.activity_details.children[0]
    assert (au.id, au.activity_completion, au.activity_success) == ("A1", "COMPLETED", "PASSED")
    assert [i.id for i in au.runtime.runtime_interactions] == ["q1"]
    q1 = au.runtime.runtime_interactions[0]
    assert (q1.type, q1.result, q1.learner_response) == ("Choice", "incorrect", "b")
    assert [(o.id, o.runtime_objective_success_status) for o in au.runtime.runtime_objectives] == [("o1", "FAILED")]


@pytest.mark.parametrize("command,data", [
    ("PutParam", "Lesson_Status=passed"),
    ("PutParam", "[Core]\r\nLesson_Status=finished\r\n"),
    ("PutParam", "[Core]\r\nScore=lots\r\n"),
    ("PutParam", "[Core]\r\nTime=yesterday\r\n"),
    ("PutParam", "[Core]\r\nLesson_Location=" + "x" * 300 + "\r\n"),
    ("PutInteractions", '"course_id","interaction_id"\r\n"C",""\r\n'),
    ("PutObjectives", '"course_id","j_score"\r\n"C","90"\r\n'),
    ("PutObjectives", '"course_id","j_id","j_status"\r\n"C","J1","sideways"\r\n'),
    ("PutPath", '"course_id","student_id","date"\r\n"C","ada","2024/01/01"\r\n'),
    ("Destroy", ""),
])
def test_malformed_bodies_answer_error_1_and_change_nothing(live_server, course, command, data):
    reg, sid, url = launch(live_server, course)
    hacp(url, sid, "PutParam", "[Core]\r\nLesson_Status=incomplete\r\nLesson_Location=p2\r\n")
    got = hacp(url, sid, command, data)
    assert got["error"] == 1 and got["text"] and got["text"] != "Successful"
    now = hacp(url, sid, "GetParam")["data"]
    assert "Lesson_Status=incomplete\r\n" in now and "Lesson_Location=p2\r\n" in now
    result = progress(live_server, reg)
    assert (result.registration_completion, result.registration_success) == ("INCOMPLETE", "UNKNOWN")


def test_session_ids_that_are_not_ours_are_refused(live_server, course):
    reg_a, sid_a, url = launch(live_server, course, learner="ada")
    reg_b, sid_b, _ = launch(live_server, course, learner="bob")
    body, mac = sid_a.split(".")
    for bad in ("", "nonsense", sid_a + "x", f"{body}.{mac[::-1]}", sid_b.split(".")[0] + "." + mac):
        assert hacp(url, bad, "PutParam", CORE_PASSED)["error"] == 3
    # bob's session id changes bob's registration only
    assert hacp(url, sid_b, "PutParam", CORE_PASSED)["error"] == 0
    assert progress(live_server, reg_b).registration_success == "PASSED"
    assert progress(live_server, reg_a).registration_success == "UNKNOWN"
    assert "Student_ID=ada" in hacp(url, sid_a, "GetParam")["data"]


def test_two_au_course_rolls_up_like_multi_sco_scorm12(live_server, tmp_path):
    course = import_course(live_server, tmp_path, aicc_zip(title="Two AUs", aus=[
        AU("A1", "One", "a1.html"), AU("A2", "Two", "a2.html")]))
    reg = create_registration(live_server, course, learner_id="ada")
    page = httpx.get(launch_link(live_server, reg))
    items = json.loads(re.search(r'id="player-config">(.*?)</script>', page.text).group(1))["items"]
    assert [i["id"] for i in items] == ["A1", "A2"]
    sids = [parse_qs(urlsplit(i["href"]).query)["AICC_SID"][0] for i in items]
    url = parse_qs(urlsplit(items[0]["href"]).query)["AICC_URL"][0]
    assert sids[0] != sids[1]

    assert hacp(url, sids[0], "GetParam")["error"] == 0
    assert hacp(url, sids[0], "PutParam", "[Core]\r\nLesson_Status=c\r\nScore=60\r\nTime=00:00:30\r\n")["error"] == 0
    half = progress(live_server, reg)
    assert (half.registration_completion, half.registration_completion_amount) == ("INCOMPLETE", 0.5)
    assert "Lesson_Status=not attempted" in hacp(url, sids[1], "GetParam")["data"]  # A2 has its own data
    assert hacp(url, sids[1], "PutParam", "[Core]\r\nLesson_Status=completed\r\nScore=80\r\nTime=00:00:45\r\n")["error"] == 0
    done = progress(live_server, reg)
    assert done.registration_completion == "COMPLETED" and done.total_seconds_tracked == 75
    assert done.score.scaled == 70  # the average of the AUs' scores, as for SCOs
    assert [(c.id, c.activity_completion) for c in done.activity_details.children] == [
        ("A1", "COMPLETED"), ("A2", "COMPLETED")]


def test_web_launch_parameters_and_the_au_password(live_server, tmp_path):
    au_rows = [AU_HEADER, ["A1", "", "", "a1.html", "100", "", "", "", "V", "", "lang=fr&level=2", ""],
               ["A2", "", "", "a2.html", "100", "", "", "", "V", "", "", "s3cret"]]
    course = import_course(live_server, tmp_path, aicc_zip(
        title="Options", aus=[AU("A1", "One", "a1.html"), AU("A2", "Two", "a2.html")],
        replace={".au": csv_text(au_rows)}))
    reg = create_registration(live_server, course, learner_id="ada")
    page = httpx.get(launch_link(live_server, reg))
    items = json.loads(re.search(r'id="player-config">(.*?)</script>', page.text).group(1))["items"]
    assert items[0]["href"].startswith("a1.html?lang=fr&level=2&AICC_SID=")
    sid2 = parse_qs(urlsplit(items[1]["href"]).query)["AICC_SID"][0]
    url = parse_qs(urlsplit(items[1]["href"]).query)["AICC_URL"][0]
    for wrong in ({}, {"au_password": "guess"}):
        got = hacp(url, sid2, "PutParam", CORE_PASSED, **wrong)
        assert (got["error"], got["text"]) == (2, "Invalid AU password")
    assert progress(live_server, reg).registration_success == "UNKNOWN"
    assert hacp(url, sid2, "PutParam", CORE_PASSED, au_password="s3cret")["error"] == 0


@pytest.mark.parametrize("status,score,success", [("completed", "60", "FAILED"), ("c", "85", "PASSED"),
                                                  ("incomplete", "95", "UNKNOWN")])
def test_mastery_score_judges_a_completed_au(live_server, course, status, score, success):
    """CMI001 Mastery_Score (80 here), like SCORM 1.2's: a completed AU with a score is passed or failed."""
    reg, sid, url = launch(live_server, course)
    assert hacp(url, sid, "PutParam", f"[Core]\r\nLesson_Status={status}\r\nScore={score}\r\n")["error"] == 0
    assert progress(live_server, reg).registration_success == success


def test_prerequisites_across_aus_follow_hacp_results(live_server, tmp_path):
    """A .pre file (CMI001 prerequisites, AICC script): A2 opens once A1 is completed over HACP."""
    course = import_course(live_server, tmp_path, aicc_zip(
        title="Prerequisites", aus=[AU("A1", "One", "a1.html"), AU("A2", "Two", "a2.html")], pre=[("A2", "A1")]))
    reg = create_registration(live_server, course, learner_id="ada")
    page = httpx.get(launch_link(live_server, reg))
    config = json.loads(re.search(r'id="player-config">(.*?)</script>', page.text).group(1))
    query = parse_qs(urlsplit(config["items"][0]["href"]).query)
    sid, url = query["AICC_SID"][0], query["AICC_URL"][0]

    def choose(target):
        resp = httpx.post(live_server.content_url + "/player/runtime/navigate",
                          json={"request": "choice", "activityId": "A1", "target": target},
                          headers={"x-player-token": config["runtimeToken"]})
        assert resp.status_code == 200, resp.text
        return resp.json()

    first = choose("A2")
    assert first["activityId"] == "A1" and "prerequisites" in first["message"]
    assert [(t["id"], t["available"]) for t in first["toc"]] == [("A1", True), ("A2", False)]
    assert hacp(url, sid, "PutParam", "[Core]\r\nLesson_Status=incomplete\r\n")["error"] == 0
    assert choose("A2")["activityId"] == "A1"
    assert hacp(url, sid, "PutParam", "[Core]\r\nLesson_Status=completed\r\n")["error"] == 0
    assert choose("A2")["activityId"] == "A2"


def test_a_field_aus_full_putparam_with_empty_blocks(live_server, course):
    """What real HACP AUs send: upper-case commands, every block present, empty values and blocks."""
    reg, sid, url = launch(live_server, course)
    assert hacp(url, sid, "GETPARAM")["error"] == 0
    data = ("[Core]\r\nLesson_Location=\r\nLesson_Status=p\r\nScore=\r\nTime=\r\n[Comments]\r\n\r\n"
            "[Objectives_Status]\r\n\r\n[Student_Preferences]\r\nAudio=0\r\nLanguage=\r\nSpeed=100\r\nText=0\r\n"
            "[Core_Lesson]\r\n")
    assert hacp(url, sid, "PUTPARAM", data)["error"] == 0
    assert hacp(url, sid, "EXITAU")["error"] == 0
    result = progress(live_server, reg)
    assert (result.registration_completion, result.registration_success) == ("COMPLETED", "PASSED")


def test_concurrent_putparams_are_each_applied(live_server, course):
    """Each PutParam answered error=0 is stored and logged: none is dropped as a 'retry' of another."""
    reg, sid, url = launch(live_server, course)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda n: hacp(url, sid, "PutParam", f"[Core]\r\nLesson_Location=p{n}\r\n"),
                                range(8)))
    assert all(a["error"] == 0 for a in answers)
    log = [e for h in launch_history(live_server, reg) for e in h.log if e.get("event") == "hacp"]
    assert sorted(e["request"] for e in log) == sorted(f"[Core]\r\nLesson_Location=p{n}\r\n" for n in range(8))


def test_objectives_relationships_of_the_ort_in_getparam(live_server, tmp_path):
    """The .ort relates objectives to an AU: GetParam lists them in [Objectives_Status] until reported."""
    ort = csv_text([["course_element", "member", "member"], ["A1", "obj1", "obj2"], ["A2", "obj3", ""]])
    course = import_course(live_server, tmp_path, aicc_zip(
        title="Objectives", aus=[AU("A1", "One", "a1.html"), AU("A2", "Two", "a2.html")], replace={".ort": ort}))
    reg, sid, url = launch(live_server, course)
    first = hacp(url, sid, "GetParam")["data"]
    assert first.endswith("[Objectives_Status]\r\nJ_ID.1=obj1\r\nJ_Score.1=\r\nJ_Status.1=not attempted\r\n"
                          "J_ID.2=obj2\r\nJ_Score.2=\r\nJ_Status.2=not attempted\r\n")
    put = "[Core]\r\nLesson_Status=i\r\n[Objectives_Status]\r\nJ_ID.1=obj2\r\nJ_Score.1=9\r\nJ_Status.1=p\r\n"
    assert hacp(url, sid, "PutParam", put)["error"] == 0
    after = hacp(url, sid, "GetParam")["data"]
    assert after.endswith("[Objectives_Status]\r\nJ_ID.1=obj2\r\nJ_Score.1=9\r\nJ_Status.1=passed\r\n"
                          "J_ID.2=obj1\r\nJ_Score.2=\r\nJ_Status.2=not attempted\r\n")
    objectives = progress(live_server, reg).activity_details.children[0].runtime.runtime_objectives
    assert [(o.id, o.runtime_objective_success_status) for o in objectives] == [("obj2", "PASSED")]


def player_config(live_server, reg) -> dict:
    page = httpx.get(launch_link(live_server, reg))
    return json.loads(re.search(r'id="player-config">(.*?)</script>', page.text).group(1))


def test_each_delivery_of_an_au_has_its_own_hacp_session(live_server, course):
    """The player asks for a new HACP session each time it delivers the AU: ExitAU ends that one
    only, and the player reads that it ended (then it moves on)."""
    reg = create_registration(live_server, course, learner_id="ada")
    config = player_config(live_server, reg)
    headers = {"X-Player-Token": config["runtimeToken"]}
    base = live_server.content_url.rstrip("/") + "/player/runtime/aicc"
    first, second = (httpx.post(f"{base}/session?activityId=A1", headers=headers, json={}).json() for _ in range(2))
    assert first["session"] != second["session"] and first["href"].startswith("a1.html?x=1&AICC_SID=")
    sids = [parse_qs(urlsplit(o["href"]).query)["AICC_SID"][0] for o in (first, second)]
    url = parse_qs(urlsplit(first["href"]).query)["AICC_URL"][0]
    assert hacp(url, sids[0], "PutParam", "[Core]\r\nLesson_Status=i,s\r\n")["error"] == 0
    assert hacp(url, sids[0], "ExitAU")["error"] == 0
    status = httpx.get(f"{base}/status", params={"activityId": "A1", "session": first["session"]}, headers=headers)
    assert status.json() == {"exited": True, "lessonStatus": "incomplete", "exit": "suspend"}
    assert httpx.get(f"{base}/status", params={"activityId": "A1", "session": second["session"]},
                     headers=headers).json()["exited"] is False
    assert hacp(url, sids[0], "GetParam")["error"] == 3
    assert "Lesson_Status=incomplete" in hacp(url, sids[1], "GetParam")["data"]
    assert httpx.post(f"{base}/session?activityId=A1", headers={"X-Player-Token": "forged"}, json={}).status_code == 403
    assert httpx.post(f"{base}/session?activityId=nope", headers=headers, json={}).status_code == 404


def test_completion_requirements_decide_block_and_course_results(live_server, tmp_path):
    """CMI001 .cmp rows: B1 is passed once one of its AUs is (a set, 1*{A1,A2}), and the course is
    passed once B1 is, although A2 and A3 were never opened; before that the multi-AU rollup stands."""
    course = import_course(live_server, tmp_path, aicc_zip(
        title="Requirements", aus=[AU("A1", "One", "a1.html"), AU("A2", "Two", "a2.html"), AU("A3", "Three", "a3.html")],
        blocks={"B1": ("Part One", ["A1", "A2"])},
        cmp=[("B1", "passed", "1*{A1, A2}", ""), ("root", "P", "B1 and not A3=F", "")]))
    reg = create_registration(live_server, course, learner_id="ada")
    items = player_config(live_server, reg)["items"]
    query = parse_qs(urlsplit(items[0]["href"]).query)
    sid, url = query["AICC_SID"][0], query["AICC_URL"][0]

    assert hacp(url, sid, "PutParam", "[Core]\r\nLesson_Status=incomplete\r\n")["error"] == 0
    before = progress(live_server, reg)
    assert (before.registration_completion, before.registration_success) == ("INCOMPLETE", "UNKNOWN")
    assert hacp(url, sid, "PutParam", "[Core]\r\nLesson_Status=completed\r\nScore=70\r\n")["error"] == 0
    after = progress(live_server, reg)
    assert (after.registration_completion, after.registration_success) == ("COMPLETED", "PASSED")
    assert after.completed_date is not None
    assert after.score.scaled == 17.5  # the score is the rollup's still: .cmp rows decide statuses only
    block, a3 = after.activity_details.children
    assert (block.id, block.activity_completion, block.activity_success) == ("B1", "COMPLETED", "PASSED")
    assert [(c.id, c.activity_completion) for c in block.children] == [("A1", "COMPLETED"), ("A2", "UNKNOWN")]
    assert (a3.id, a3.activity_completion, a3.attempts) == ("A3", "UNKNOWN", 0)


def test_unreadable_prerequisites_and_requirements_are_import_warnings(live_server, tmp_path):
    """An expression the AICC script cannot read is reported in the import job's result and left
    out (A2 is open), instead of silently counting as met."""
    status = upload(course_api(live_server), tmp_path, aicc_zip(
        title="Unreadable", aus=[AU("A1", "One", "a1.html"), AU("A2", "Two", "a2.html")],
        pre=[("A2", "A1 AND *A9")], cmp=[("root", "completed", "A1 &", "")]),
        course_id=f"course-unreadable-{uuid.uuid4().hex[:8]}")
    assert status.status == "COMPLETE", status.message
    warnings = status.import_result.parser_warnings
    assert any("prerequisite 'A1 AND *A9' of 'A2' cannot be read" in w for w in warnings), warnings
    assert any("completion requirement 'A1 &' of 'root' cannot be read" in w for w in warnings), warnings
