"""One SCO's results from its data model: completion, success, score (percent), progress.

Wire words as the summary columns use them: COMPLETED / INCOMPLETE / UNKNOWN, PASSED / FAILED /
UNKNOWN; scores are percentages 0..100.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coursehost.domain.scorm.datamodel import get, number
from coursehost.domain.standards import RuntimeFamily
from coursehost.domain.values import truthy

COMPLETED, INCOMPLETE, UNKNOWN = "COMPLETED", "INCOMPLETE", "UNKNOWN"
PASSED, FAILED = "PASSED", "FAILED"
#: Every completion / success word of the summary columns (and of the API's results).
COMPLETIONS = (UNKNOWN, COMPLETED, INCOMPLETE)
SUCCESSES = (UNKNOWN, PASSED, FAILED)


@dataclass(frozen=True)
class Result:
    """Results of one activity (or of a rollup)."""

    completion: str = UNKNOWN
    success: str = UNKNOWN
    score: float | None = None  # percent 0..100
    completion_amount: float | None = None  # 0..1


def clamp_percent(value: float | None) -> float | None:
    """VALUE limited to 0..100 (None stays None)."""
    if value is None:
        return None
    return max(0.0, min(100.0, value))


# ---------------------------------------------------------------- SCORM 1.2


_LESSON_STATUS = {  # SCORM 1.2 RTE 3.4.4 cmi.core.lesson_status
    "passed": (COMPLETED, PASSED), "failed": (COMPLETED, FAILED), "completed": (COMPLETED, UNKNOWN),
    "incomplete": (INCOMPLETE, UNKNOWN), "browsed": (INCOMPLETE, UNKNOWN), "not attempted": (UNKNOWN, UNKNOWN),
}


def scorm12_score(runtime: dict) -> float | None:
    """cmi.core.score.raw as a percent: normalised by min/max when both are given (max > min),
    otherwise taken as a percentage itself, which is how SCORM 1.2 content reports it."""
    raw = number(get(runtime, "core.score.raw"))
    if raw is None:
        return None
    low, high = number(get(runtime, "core.score.min")), number(get(runtime, "core.score.max"))
    if low is not None and high is not None and high > low:
        return clamp_percent((raw - low) / (high - low) * 100.0)
    return clamp_percent(raw)


def scorm12_result(runtime: dict, activity: dict, *, credit: bool, score_overrides_status: bool) -> Result:
    """Results of a SCORM 1.2 SCO.

    SCORM 1.2 RTE 3.4.4 (cmi.student_data.mastery_score, cmi.core.lesson_status): when the SCO runs
    for credit, has a mastery score and reports score.raw, the LMS sets passed or failed by comparing
    the raw score with the mastery score. That applies to a SCO that reports "completed" (or no
    status at all) and so leaves the judgement to the LMS; a SCO's own passed / failed /
    incomplete / browsed stands unless PlayerScoreOverridesStatus is true."""
    status = get(runtime, "core.lesson_status").strip().lower()
    completion, success = _LESSON_STATUS.get(status, (UNKNOWN, UNKNOWN))
    raw = number(get(runtime, "core.score.raw"))
    data = activity.get("data") or {}
    # AICC CMI001 Mastery_Score (the .au file; parsers/aicc.py) follows the same rule as 1.2's.
    mastery = number(str(data.get("masteryscore") or data.get("mastery_score") or ""))
    if credit and mastery is not None and raw is not None:
        if score_overrides_status or status in ("completed", "not attempted", ""):
            completion, success = COMPLETED, (PASSED if raw >= mastery else FAILED)
    amount = 1.0 if completion == COMPLETED else (0.0 if completion == INCOMPLETE else None)
    return Result(completion, success, scorm12_score(runtime), amount)


# ---------------------------------------------------------------- SCORM 2004


def completion_threshold(activity: dict) -> float | None:
    """adlcp:completionThreshold minProgressMeasure when completedByMeasure is true (CAM 4th Ed. 3.4.1.x)."""
    threshold = (activity.get("data") or {}).get("completionThreshold") or {}
    if not isinstance(threshold, dict) or not threshold.get("completedByMeasure"):
        return None
    value = threshold.get("minProgressMeasure", 1.0)
    return float(value) if isinstance(value, (int, float)) else number(str(value))


def scorm2004_score(runtime: dict, *, scale_raw: bool) -> float | None:
    """score.scaled * 100; without a scaled score, raw normalised by min/max when PlayerScaleRawScore."""
    scaled = number(get(runtime, "score.scaled"))
    if scaled is not None:
        return clamp_percent(scaled * 100.0)
    if scale_raw:
        raw = number(get(runtime, "score.raw"))
        low, high = number(get(runtime, "score.min")), number(get(runtime, "score.max"))
        if raw is not None and high is not None and high > (low or 0.0):
            low = low or 0.0
            return clamp_percent((raw - low) / (high - low) * 100.0)
    return None


def scorm2004_result(runtime: dict, activity: dict, *, scale_raw: bool) -> Result:
    """Results of a SCORM 2004 SCO, with the LMS's own evaluation of the status elements:
    RTE 4.2.4.1 - with a completion threshold and a progress measure, completion_status is
    completed when progress_measure >= threshold, else incomplete; RTE 4.2.22.1 - with a scaled
    passing score and score.scaled, success_status is passed when scaled >= passing score, else failed."""
    status = get(runtime, "completion_status").strip().lower()
    completion = {"completed": COMPLETED, "incomplete": INCOMPLETE}.get(status, UNKNOWN)
    if status == "not attempted" and _touched(runtime):
        completion = INCOMPLETE
    progress = number(get(runtime, "progress_measure"))
    threshold = completion_threshold(activity)
    if threshold is not None and progress is not None:
        completion = COMPLETED if progress >= threshold else INCOMPLETE
    success = {"passed": PASSED, "failed": FAILED}.get(get(runtime, "success_status").strip().lower(), UNKNOWN)
    scaled = number(get(runtime, "score.scaled"))
    passing = activity.get("scaled_passing_score")
    if isinstance(passing, (int, float)) and scaled is not None:
        success = PASSED if scaled >= passing else FAILED
    if progress is not None:
        amount: float | None = max(0.0, min(1.0, progress))
    else:
        amount = 1.0 if completion == COMPLETED else (0.0 if completion == INCOMPLETE else None)
    return Result(completion, success, scorm2004_score(runtime, scale_raw=scale_raw), amount)


def _touched(runtime: dict) -> bool:
    """Whether the SCO recorded anything beyond its status (then 'not attempted' means started)."""
    return any(get(runtime, p) for p in ("location", "suspend_data", "progress_measure", "score.raw", "score.scaled"))


def result_for(fam: RuntimeFamily, runtime: dict, activity: dict, settings: dict[str, Any], *, credit: bool) -> Result:
    """Results of one SCO of family FAM under the effective SETTINGS."""
    if fam == RuntimeFamily.SCORM12:
        return scorm12_result(runtime, activity, credit=credit,
                              score_overrides_status=truthy(settings.get("PlayerScoreOverridesStatus")))
    return scorm2004_result(runtime, activity, scale_raw=truthy(settings.get("PlayerScaleRawScore")))

