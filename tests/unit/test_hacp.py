"""The HACP protocol without storage (AICC CMI001 appendix A): requests, PutParam's aicc_data in
its many real-world forms, the CSV bodies, the answers."""

from __future__ import annotations

import pytest

from coursehost.cli.serving import redact
from coursehost.domain.runtime import hacp
from coursehost.domain.runtime.hacp import HacpError


def put(data: str, runtime: dict | None = None) -> dict:
    return hacp.apply_putparam(runtime or {}, data)


def test_request_keys_in_any_case_and_commands_folded():
    req = hacp.parse_request({"COMMAND": "GetParam", "Version": "4.0", "Session_ID": " s1 ", "AICC_Data": "x"})
    assert (req.command, req.version, req.session_id, req.aicc_data) == ("getparam", "4.0", "s1", "x")


@pytest.mark.parametrize("form,code", [
    ({"session_id": "s"}, 1),
    ({"command": "Format C:", "session_id": "s"}, 1),
    ({"command": "GetParam"}, 3),
    ({"command": "GetParam", "session_id": "  "}, 3),
])
def test_bad_requests_have_the_guideline_error_numbers(form, code):
    with pytest.raises(HacpError) as err:
        hacp.parse_request(form)
    assert err.value.code == code and str(err.value)


def test_answer_layout():
    assert hacp.answer() == "error=0\r\nerror_text=Successful\r\naicc_data=\r\n"
    assert hacp.answer(3).startswith("error=3\r\nerror_text=Invalid Session ID\r\n")
    assert hacp.answer(1, "bad thing") == "error=1\r\nerror_text=bad thing\r\naicc_data=\r\n"
    with pytest.raises(HacpError) as err:
        hacp.parse_request({"command": "x\r\nerror=0", "session_id": "s"})
    assert hacp.answer(err.value.code, str(err.value)).count("\r\n") == 3  # nothing smuggled in


def test_getparam_data_blocks():
    text = hacp.getparam_data({"student_id": "ada", "student_name": "Lovelace, Ada", "lesson_location": "p3",
                               "credit": "credit", "lesson_status": "incomplete", "score": "55,100,0",
                               "time": "0000:01:30.00", "lesson_mode": "normal", "core_lesson": "abc",
                               "mastery_score": 80})
    lines = text.split("\r\n")
    assert lines[:9] == ["[Core]", "Student_ID=ada", "Student_Name=Lovelace, Ada", "Lesson_Location=p3",
                         "Credit=credit", "Lesson_Status=incomplete", "Score=55,100,0", "Time=0000:01:30.00",
                         "Lesson_Mode=normal"]
    assert lines[9:11] == ["[Core_Lesson]", "abc"] and lines[-2:] == ["[Student_Data]", "Mastery_Score=80"]
    assert "Lesson_Status=not attempted" in hacp.getparam_data({})


@pytest.mark.parametrize("value,status,exit_", [
    ("passed", "passed", None), ("P", "passed", None), ("c", "completed", None), ("Failed", "failed", None),
    ("i", "incomplete", None), ("b", "browsed", None), ("n", "not attempted", None),
    ("not attempted", "not attempted", None), ("not_attempted", "not attempted", None),
    ("incomplete,suspend", "incomplete", "suspend"), ("i,s", "incomplete", "suspend"),
    ("I, S", "incomplete", "suspend"), ("c,logout", "completed", "logout"), ("f,t", "failed", "time-out"),
    ("p,l", "passed", "logout"), ("incomplete,ab-initio", "incomplete", None),
])
def test_status_letters_words_and_flags(value, status, exit_):
    core = put(f"[Core]\r\nLesson_Status={value}\r\n")["core"]
    assert core["lesson_status"] == status
    assert core.get("exit") == exit_


def test_sections_and_keys_any_case_lf_or_crlf_and_blanks():
    data = "\n[CORE]\nLESSON_LOCATION = page 4 \n  score=  72 \n\n time=00:10:05\n[core_lesson]\nq1=a;q2=b\nline two\n"
    got = put(data)
    assert got["core"]["lesson_location"] == "page 4" and got["core"]["score"] == {"raw": "72", "max": "", "min": ""}
    assert got["core"]["session_time"] == "00:10:05"
    assert got["suspend_data"] == "q1=a;q2=b\nline two"


def test_score_raw_max_min_and_time_forms():
    assert put("[Core]\r\nScore=90,100,0\r\n")["core"]["score"] == {"raw": "90", "max": "100", "min": "0"}
    assert put("[Core]\r\nScore=\r\n")["core"]["score"] == {"raw": "", "max": "", "min": ""}
    assert put("[Core]\r\nTime=1:2:3\r\n")["core"]["session_time"] == "01:02:03"
    assert put("[Core]\r\nTime=0000:00:07.5\r\n")["core"]["session_time"] == "00:00:07.5"


def test_putparam_keeps_what_it_does_not_name():
    before = {"core": {"lesson_status": "incomplete", "lesson_location": "p1"}, "suspend_data": "x",
              "interactions": [{"id": "q1"}]}
    got = put("[Core]\r\nScore=5\r\n", before)
    assert got["core"]["lesson_location"] == "p1" and got["suspend_data"] == "x" and got["interactions"] == [{"id": "q1"}]
    assert before["core"] == {"lesson_status": "incomplete", "lesson_location": "p1"}  # not mutated


@pytest.mark.parametrize("data", [
    "Lesson_Status=passed",  # no section
    "[Core_Lesson]\r\nabc",  # no [Core]
    "[Core]\r\nLesson_Status=awesome",
    "[Core]\r\nLesson_Status=passed,explode",
    "[Core]\r\nScore=ninety",
    "[Core]\r\nScore=1,2,3,4",
    "[Core]\r\nTime=5 minutes",
    "[Core]\r\nTime=00:61:00",
])
def test_malformed_aicc_data_is_refused_with_error_1(data):
    with pytest.raises(HacpError) as err:
        put(data)
    assert err.value.code == 1 and str(err.value)


def test_interactions_csv():
    text = ('"course_id","student_id","lesson_id","date","time","interaction_id","objective_id",'
            '"type_interaction","correct_response","student_response","result","weighting","latency"\r\n'
            '"C1","ada","A1","2026/12/06","10:00:00","q1","obj1","C","a","a","C","1","00:00:05"\r\n'
            '"C1","ada","A1","2026/12/06","10:00:09","q2","","F","x","y","wrong","1",""\r\n')
    got = hacp.interactions(text)
    assert got[0] == {"id": "q1", "time": "10:00:00", "type": "choice", "weighting": "1", "student_response": "a",
                      "result": "correct", "latency": "00:00:05", "correct_responses": [{"pattern": "a"}],
                      "objectives": [{"id": "obj1"}]}
    assert got[1]["result"] == "wrong" and got[1]["type"] == "fill-in" and "objectives" not in got[1]
    with pytest.raises(HacpError):
        hacp.interactions('"course_id","interaction_id"\r\n"C1",""\r\n')


def test_objectives_csv():
    text = '"course_id","student_id","lesson_id","j_id","j_score","j_status"\r\n"C1","ada","A1","o1","8,10,0","P"\r\n'
    assert hacp.objectives(text) == [{"id": "o1", "score": {"raw": "8", "max": "10", "min": "0"}, "status": "passed"}]
    with pytest.raises(HacpError):
        hacp.objectives('"j_id","j_status"\r\n"o1","sideways"\r\n')


def test_objectives_status_block_in_putparam_and_getparam():
    before = {"objectives": [{"id": "o1", "status": "incomplete"}, {"id": "o9", "status": "passed"}]}
    got = put("[Core]\r\nLesson_Status=i\r\n[Objectives_Status]\r\nJ_ID.1=o1\r\nJ_Score.1=7,10,0\r\nJ_Status.1=P\r\n"
              "j_id.2=o2\r\nj_status.2=failed\r\n", before)
    assert got["objectives"] == [{"id": "o1", "status": "passed", "score": {"raw": "7", "max": "10", "min": "0"}},
                                 {"id": "o9", "status": "passed"}, {"id": "o2", "status": "failed"}]
    text = hacp.getparam_data({"objectives": got["objectives"]})
    assert text.endswith("[Objectives_Status]\r\nJ_ID.1=o1\r\nJ_Score.1=7,10,0\r\nJ_Status.1=passed\r\n"
                         "J_ID.2=o9\r\nJ_Score.2=\r\nJ_Status.2=passed\r\nJ_ID.3=o2\r\nJ_Score.3=\r\nJ_Status.3=failed")
    with pytest.raises(HacpError):
        put("[Core]\r\n[Objectives_Status]\r\nJ_Status.1=passed\r\n")


def test_core_vendor_block():
    assert "[Core_Vendor]\r\nmode=demo\r\n[Student_Data]" in hacp.getparam_data({"core_vendor": "mode=demo"})


def test_access_log_redacts_the_aicc_session_id():
    """The AU's URL carries AICC_SID (a credential for HACP): the access log shows it redacted."""
    from_log = redact("/content/1-abc/a1.html?x=1&AICC_SID=eyJh.sig&AICC_URL=http%3A%2F%2Fc%2Fplayer%2Fhacp")
    assert from_log == "/content/1-abc/a1.html?x=1&AICC_SID=REDACTED&AICC_URL=http%3A%2F%2Fc%2Fplayer%2Fhacp"
    assert redact("/a.html?aicc_sid=s1") == "/a.html?aicc_sid=REDACTED"
