"""cmi5 results of a course or block from its AUs' (cmi5 Quartz §10, §13.1.4): one rule for the
registration's results (domain/cmi5/results.py) and each block's in the activity details
(progress.py), so a block shows COMPLETED exactly when the LMS states it satisfied."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from coursehost.domain.scorm.status import COMPLETED, FAILED, PASSED, UNKNOWN


class AuResult(Protocol):  # pragma: no cover - structural type (an ActivityState)
    attempts: int | None
    completion: str
    success: str
    score_scaled: float | None
    total_seconds: float | None


def move_on_of(au: dict) -> str:
    """The AU's moveOn (cmi5.xml; NotApplicable when absent, §13.1.4)."""
    return (au.get("data") or {}).get("moveOn") or "NotApplicable"


def moveon_met(state: AuResult, move_on: str) -> bool:
    """§10: whether the AU's moveOn criteria are met."""
    done, passed = state.completion == COMPLETED, state.success == PASSED
    return {"Completed": done, "Passed": passed, "CompletedAndPassed": done and passed,
            "CompletedOrPassed": done or passed, "NotApplicable": True}.get(move_on, False)


def au_done(au: dict, states: Mapping[str, AuResult]) -> bool:
    """Whether AU counts as done for its block and course: completed, or its moveOn met (NotApplicable
    from the start, §9.6.1.1)."""
    state, move_on = states.get(au["id"]), move_on_of(au)
    return move_on == "NotApplicable" or (state is not None and (
        state.completion == COMPLETED or moveon_met(state, move_on)))


def au_satisfied(au: dict, states: Mapping[str, AuResult]) -> bool:
    """Whether AU's moveOn is met (§10), the test of a block's and the course's satisfied statements."""
    state, move_on = states.get(au["id"]), move_on_of(au)
    return move_on == "NotApplicable" or (state is not None and moveon_met(state, move_on))


def summarize(aus: list[dict], states: Mapping[str, AuResult], *, satisfied_only: bool = False) -> tuple:
    """(completion, success, score, seconds) of a course or block of AUS. Complete once every AU is
    completed or has met its moveOn (§13.1.4: moveOn says when an AU is done enough, so a
    moveOn="Passed" quiz needs no completed; NotApplicable needs nothing), or with SATISFIED_ONLY
    once every AU has met its moveOn (a block: complete exactly when the LMS states it satisfied,
    §9.3.9); passed once every AU that reported success passed, failed if one failed; the score is
    the mean of the AUs' scores."""
    mine = [states[a["id"]] for a in aus if a["id"] in states]
    done = au_satisfied if satisfied_only else au_done
    completion = COMPLETED if aus and all(done(a, states) for a in aus) else (
        "INCOMPLETE" if any(s.attempts for s in mine) else UNKNOWN)
    successes = {s.success for s in mine} - {UNKNOWN}
    success = FAILED if FAILED in successes else (PASSED if successes == {PASSED} else UNKNOWN)
    scores = [s.score_scaled for s in mine if s.score_scaled is not None]
    score = sum(scores) / len(scores) if scores else None
    return completion, success, score, sum(s.total_seconds or 0.0 for s in mine)
