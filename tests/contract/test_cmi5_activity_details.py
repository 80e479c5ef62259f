"""cmi5 registration progress per AU and block (issue 14: "activity details per AU and block"),
through the official client's GetRegistrationProgress with includeChildResults: each AU's own
completion, success and score, and each block COMPLETED exactly when the LMS stated it satisfied
(cmi5 Quartz §10: a block is satisfied once every AU in it has met its moveOn)."""

from __future__ import annotations

import pytest

from tests.builders.cmi5 import AU, Block, cmi5_zip
from tests.contract.helpers import new_child_app
from tests.contract.test_cmi5_launch import Launched, satisfied_objects
from tests.e2e.support import create_registration, import_course, progress

COURSE = "https://example.com/cmi5/details"
B1, B2 = COURSE + "/block/1", COURSE + "/block/2"
QUIZ, READING = COURSE + "/au/quiz", COURSE + "/au/reading"  # block 1: moveOn Passed, Completed
EXAM, NOTES = COURSE + "/au/exam", COURSE + "/au/notes"  # block 2: moveOn CompletedOrPassed, NotApplicable


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    app_id, creds = new_child_app(live_server)
    data = cmi5_zip([
        Block(B1, "Block one", [AU(QUIZ, "Quiz", "q/index.html", attrs={"moveOn": "Passed", "masteryScore": "0.5"}),
                                AU(READING, "Reading", "r/index.html", attrs={"moveOn": "Completed"})]),
        Block(B2, "Block two", [AU(EXAM, "Exam", "e/index.html", attrs={"moveOn": "CompletedOrPassed"}),
                                AU(NOTES, "Notes", "n/index.html", attrs={"moveOn": "NotApplicable"})]),
    ], course_id=COURSE)
    return app_id, creds, import_course(live_server, tmp_path_factory.mktemp("cmi5d"), data, creds)


def _play(live_server, course, reg: str, au: str, *verdicts: tuple[str, dict | None]) -> None:
    launched = Launched(live_server, course, registration_id=reg, start_sco=au)
    statements = [launched.statement("initialized", au=au)]
    flags = {"passed": {"success": True}, "failed": {"success": False}, "completed": {"completion": True}}
    statements += [launched.statement(verb, au=au, result={**flags[verb], **(result or {})}) for verb, result in verdicts]
    statements.append(launched.statement("terminated", au=au))
    for stmt in statements:
        answer = launched.post(stmt)
        assert answer.status_code == 200, answer.text


def _details(live_server, reg: str, creds) -> tuple:
    result = progress(live_server, reg, creds)
    course = result.activity_details
    blocks = {b.id: b for b in course.children}
    aus = {a.id: a for b in course.children for a in b.children}
    return result, blocks, aus


def _state(activity) -> tuple:
    return (activity.activity_completion, activity.activity_success,
            None if activity.score.scaled is None else round(activity.score.scaled, 2))


def test_each_au_and_block_agree_with_moveon_satisfaction(live_server, course):
    app_id, creds, course_id = course
    reg = create_registration(live_server, course_id, creds)

    # The quiz passed (its moveOn) without a completed: block one still waits for the reading.
    _play(live_server, course, reg, QUIZ, ("passed", {"score": {"scaled": 0.8}}))
    _, blocks, aus = _details(live_server, reg, creds)
    assert _state(aus[QUIZ]) == ("UNKNOWN", "PASSED", 80.0)  # its own completion: it never said completed
    assert aus[QUIZ].attempts == 1 and aus[READING].attempts == 0
    assert blocks[B1].activity_completion == "INCOMPLETE" and blocks[B2].activity_completion == "UNKNOWN"
    registration = Launched(live_server, course, registration_id=reg, start_sco=QUIZ).params["registration"]
    assert satisfied_objects(live_server, app_id, creds, registration) == set()

    # The reading completed: block one is satisfied, by its AUs' moveOn, not by both AUs "completed".
    _play(live_server, course, reg, READING, ("completed", None))
    result, blocks, aus = _details(live_server, reg, creds)
    assert _state(aus[READING])[0] == "COMPLETED"
    assert _state(blocks[B1]) == ("COMPLETED", "PASSED", 80.0)
    assert blocks[B2].activity_completion == "UNKNOWN" and result.registration_completion == "INCOMPLETE"
    assert satisfied_objects(live_server, app_id, creds, registration) == {B1}

    # The exam failed but completed (CompletedOrPassed); the notes (NotApplicable) were never opened.
    _play(live_server, course, reg, EXAM, ("completed", None), ("failed", {"score": {"scaled": 0.2}}))
    result, blocks, aus = _details(live_server, reg, creds)
    assert _state(aus[EXAM]) == ("COMPLETED", "FAILED", 20.0)
    assert aus[NOTES].attempts == 0 and aus[NOTES].activity_completion == "COMPLETED"  # satisfied from the start
    assert _state(blocks[B2]) == ("COMPLETED", "FAILED", 20.0)
    assert satisfied_objects(live_server, app_id, creds, registration) == {B1, B2, COURSE}
    assert (result.registration_completion, result.registration_success) == ("COMPLETED", "FAILED")
    assert _state(result.activity_details)[:2] == ("COMPLETED", "FAILED")
