"""Rollup of SCO results to the course (registration instance).

Single-SCO courses take the SCO's results. Multi-SCO SCORM 1.2 / AICC courses follow the
PlayerStatusRollupMode* / PlayerScoreRollupMode* settings (SCORM Cloud's documented modes), unless an
AICC completion requirement (.cmp row) of the course holds: then its status stands (with_requirement).
Multi-SCO SCORM 2004 courses use `rollup_2004_default` until the sequencing engine, which knows
the author's rollup rules, replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from coursehost.domain.courses import aicc_script
from coursehost.domain.scorm.datamodel import number
from coursehost.domain.scorm.status import COMPLETED, FAILED, INCOMPLETE, PASSED, UNKNOWN, Result, clamp_percent
from coursehost.domain.values import truthy


@dataclass(frozen=True)
class Leaf:
    """What rollup needs of one launchable activity's state."""

    result: Result = Result()
    attempted: bool = False  # launched at least once in this instance
    scored_at: datetime | None = None  # when it last reported a score (LAST_SCO_SCORE)


def leaf_ids(structure: dict) -> list[str]:
    """Launchable activities of the tree, in tree order."""
    out: list[str] = []

    def walk(node: dict) -> None:
        children = node.get("children") or []
        if not children:
            if node.get("href"):
                out.append(node["id"])
            return
        for child in children:
            walk(child)

    walk(structure)
    return out


def find_activity(structure: dict, activity_id: str) -> dict | None:
    """The node of the tree with ACTIVITY_ID (depth first), or None."""
    stack = [structure]
    while stack:
        node = stack.pop()
        if node.get("id") == activity_id:
            return node
        stack.extend(reversed(node.get("children") or []))
    return None


# ---------------------------------------------------------------- SCORM 2004 default rollup


def rollup_2004_default(structure: dict, leaves: dict[str, Leaf], *, empty_set_unknown: bool = True) -> Result:
    """The root's results under the SCORM 2004 default rollup (no author rollup rules).

    SN 4.6.5 default rules: an activity is satisfied when all contributing children are satisfied
    and not satisfied when a child is not satisfied; completed when all contributing children are
    completed, and incomplete once any child has been attempted. SN RB.1.1 measure rollup: the
    weighted average of the children's measures, children without a measure counting 0, unknown
    when none has one. Children with deliveryControls tracked=false do not contribute (SN 4.6.4),
    nor those whose rollupObjectiveSatisfied / rollupProgressCompletion is false, and
    objectiveMeasureWeight weighs the measure. PlayerRollupEmptySetToUnknown: an empty
    contributing set gives unknown instead of the vacuous completed / satisfied (SN 4.6)."""
    return _rollup(structure, leaves, empty_set_unknown)[0]


def _rollup(node: dict, leaves: dict[str, Leaf], empty_unknown: bool) -> tuple[Result, bool]:
    """(NODE's rolled-up result, whether any of its activities was attempted), children first."""
    children = node.get("children") or []
    if not children:
        leaf = leaves.get(node.get("id"), Leaf())
        return leaf.result, leaf.attempted
    done = [(child, *_rollup(child, leaves, empty_unknown)) for child in children if _tracked(child)]
    attempted = any(a for _, _, a in done)
    by_completion = [r for c, r, _ in done if _rollup_flag(c, "rollupProgressCompletion")]
    by_success = [r for c, r, _ in done if _rollup_flag(c, "rollupObjectiveSatisfied")]
    completion = _completion(by_completion, attempted, empty_unknown)
    success = _success(by_success, empty_unknown)
    score = _measure([(_weight(child), result) for child, result, _ in done])
    amount = 1.0 if completion == COMPLETED else _amount(by_completion)
    return Result(completion, success, score, amount), attempted


def _completion(results: list[Result], attempted: bool, empty_unknown: bool) -> str:
    """SN 4.6.5 default completion rollup over the contributing children's RESULTS."""
    if not results:
        return UNKNOWN if empty_unknown else COMPLETED
    if all(r.completion == COMPLETED for r in results):
        return COMPLETED
    return INCOMPLETE if attempted else UNKNOWN


def _success(results: list[Result], empty_unknown: bool) -> str:
    """SN 4.6.5 default satisfaction rollup over the contributing children's RESULTS."""
    if not results:
        return UNKNOWN if empty_unknown else PASSED
    if any(r.success == FAILED for r in results):
        return FAILED
    if all(r.success == PASSED for r in results):
        return PASSED
    return UNKNOWN


def _measure(weighted_results: list[tuple[float, Result]]) -> float | None:
    """SN RB.1.1 measure rollup: the weighted average, children without a measure counting 0;
    None when none has one."""
    weighted, counted, known = 0.0, 0.0, False
    for weight, result in weighted_results:
        counted += weight
        if result.score is not None and weight > 0:
            weighted += result.score * weight
            known = True
    return weighted / counted if known and counted > 0 else None


def _amount(results: list[Result]) -> float | None:
    """The average completion amount of RESULTS (missing ones count 0); None when none has one."""
    amounts = [r.completion_amount for r in results]
    return (sum(a or 0.0 for a in amounts) / len(amounts)) if any(a is not None for a in amounts) else None


def _sequencing(node: dict) -> dict:
    seq = node.get("sequencing")
    return seq if isinstance(seq, dict) else {}


def _tracked(node: dict) -> bool:
    return (_sequencing(node).get("deliveryControls") or {}).get("tracked", True) is not False


def _rollup_flag(node: dict, name: str) -> bool:
    return (_sequencing(node).get("rollupRules") or {}).get(name, True) is not False


def _weight(node: dict) -> float:
    value = (_sequencing(node).get("rollupRules") or {}).get("objectiveMeasureWeight", 1.0)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 1.0


# ---------------------------------------------------------------- multi-SCO SCORM 1.2 / AICC

_NEVER = datetime.min.replace(tzinfo=UTC)
SETTING_IDS = (
    "PlayerStatusRollupModeValue", "PlayerStatusRollupModeThresholdScore", "PlayerScoreRollupModeValue",
    "PlayerScoreRollupModeNumberOfScoringObjects", "PlayerApplyRollupStatusToSuccess",
    "PlayerRollupEmptySetToUnknown", "PlayerFirstScoIsPretest",
)


def rollup_scorm12(structure: dict, leaves: dict[str, Leaf], settings: dict[str, Any]) -> Result:
    """The course's results from its SCOs under the PlayerStatusRollupMode* / PlayerScoreRollupMode*,
    PlayerApplyRollupStatusToSuccess and PlayerFirstScoIsPretest settings."""
    ids = leaf_ids(structure)
    units = [leaves.get(i, Leaf()) for i in ids]
    course = rollup_2004_default(structure, leaves,
                                 empty_set_unknown=truthy(settings.get("PlayerRollupEmptySetToUnknown", "true")))
    score = _score_12(settings.get("PlayerScoreRollupModeValue") or "SCORE_PROVIDED_BY_COURSE",
                      units, course.score, settings)
    mode = settings.get("PlayerStatusRollupModeValue") or "STATUS_PROVIDED_BY_COURSE"
    attempted = any(u.attempted or u.result.completion != UNKNOWN for u in units)
    amount = (sum(1 for u in units if u.result.completion == COMPLETED) / len(units)) if units else None
    if mode == "STATUS_PROVIDED_BY_COURSE":
        completion, success = course.completion, course.success
    else:
        complete = _complete_12(mode, units, score, settings)
        completion = COMPLETED if complete else (INCOMPLETE if attempted else UNKNOWN)
        success = course.success
        if truthy(settings.get("PlayerApplyRollupStatusToSuccess")):
            finished = bool(units) and all(u.result.completion == COMPLETED for u in units)
            success = PASSED if complete else (FAILED if finished else UNKNOWN)
    if truthy(settings.get("PlayerFirstScoIsPretest")) and units and units[0].result.success == PASSED:
        completion, success, amount = COMPLETED, PASSED, 1.0  # passing the pre-test completes the course
    return Result(completion, success, score, amount)


def with_requirement(result: Result, word: str | None) -> Result:
    """RESULT with the status an AICC completion requirement (.cmp row) gave the course, when one
    held (WORD, aicc_script): passed / failed decide completion and success, completed /
    incomplete / browsed / not attempted the completion only; the score stays."""
    if not word or word not in aicc_script.WIRE:
        return result
    completion, success = aicc_script.WIRE[word]
    amount = 1.0 if completion == COMPLETED else result.completion_amount
    return Result(completion, success or result.success, result.score, amount)


def _complete_12(mode: str, units: list[Leaf], score: float | None, settings: dict[str, Any]) -> bool:
    all_complete = bool(units) and all(u.result.completion == COMPLETED for u in units)
    threshold = number(str(settings.get("PlayerStatusRollupModeThresholdScore") or "80"))
    meets = score is not None and threshold is not None and score >= threshold
    if mode == "COMPLETE_WHEN_ALL_UNITS_COMPLETE":
        return all_complete
    if mode == "COMPLETE_WHEN_ALL_UNITS_COMPLETE_AND_NOT_FAILED":
        return all_complete and not any(u.result.success == FAILED for u in units)
    if mode == "COMPLETE_WHEN_THRESHOLD_SCORE_IS_MET":
        return meets
    if mode == "COMPLETE_WHEN_ALL_UNITS_COMPLETE_AND_THRESHOLD_SCORE_IS_MET":
        return all_complete and meets
    if mode == "COMPLETE_WHEN_ALL_UNITS_ARE_PASSED":
        return bool(units) and all(u.result.success == PASSED for u in units)
    return all_complete  # an unknown mode: the plainest rule


def _score_12(mode: str, units: list[Leaf], course_score: float | None, settings: dict[str, Any]) -> float | None:
    scores = [u.result.score for u in units]
    known = [s for s in scores if s is not None]
    if mode == "SCORE_PROVIDED_BY_COURSE":
        return course_score
    if not known:
        return None
    if mode == "AVERAGE_SCORE_OF_ALL_UNITS":
        return sum(known) / len(units)
    if mode == "AVERAGE_SCORE_OF_ALL_UNITS_WITH_SCORES":
        return sum(known) / len(known)
    if mode == "FIXED_AVERAGE":
        divisor = number(str(settings.get("PlayerScoreRollupModeNumberOfScoringObjects") or "1")) or 1.0
        return clamp_percent(sum(known) / max(1.0, divisor))
    if mode == "AVERAGE_SCORE_OF_ALL_UNITS_WITH_NONZERO_SCORES":
        nonzero = [s for s in known if s > 0]
        return sum(nonzero) / len(nonzero) if nonzero else None
    if mode == "LAST_SCO_SCORE":
        scored = [u for u in units if u.result.score is not None]
        # max() keeps the first of equals, so among SCOs without a time the last in tree order wins
        latest = max(reversed(scored), key=lambda u: u.scored_at or _NEVER)
        return latest.result.score
    return course_score
