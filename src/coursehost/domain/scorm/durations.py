"""SCORM time values: SCORM 1.2 CMITimespan (HHHH:MM:SS.SS) and SCORM 2004 timeinterval (ISO 8601)."""

from __future__ import annotations

import math
import re

# SCORM 1.2 RTE 3.4.2.1 CMITimespan: hours 2..4 digits, minutes, seconds, optional 1..2 decimals.
# Real content also sends one-digit hours and more decimals, so both are accepted.
_SCORM12 = re.compile(r"^(\d{1,4}):([0-5]?\d):([0-5]?\d)(\.\d{1,6})?$")
# SCORM 2004 RTE 4.1.1.7 timeinterval (second,10,2): P[yY][mM][dD][T[hH][mM][s[.s]S]]; weeks are not
# part of the SCORM profile of ISO 8601 but cost nothing to accept.
_NUM = r"(\d+(?:[.,]\d+)?)"
_ISO = re.compile(
    rf"^P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?$"
)
# Years and months have no fixed length; SCORM engines use 365 and 30 days (RTE 4.1.1.7 leaves it open).
_UNIT_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)
#: Longer than anyone sits in a course; a larger value is a broken clock, not a learner.
MAX_SECONDS = 10 * 365 * 86400.0


def parse_scorm12(value: str | None) -> float | None:
    """Seconds in a CMITimespan, or None when VALUE is not one."""
    if not isinstance(value, str):
        return None
    match = _SCORM12.match(value.strip())
    if not match:
        return None
    hours, minutes, seconds, frac = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + (float(frac) if frac else 0.0)


def parse_iso(value: str | None) -> float | None:
    """Seconds in an ISO 8601 duration, or None when VALUE is not one ("P" and "PT" alone are not)."""
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    match = _ISO.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        return None
    total = sum(float(part.replace(",", ".")) * unit for part, unit in zip(match.groups(), _UNIT_SECONDS) if part)
    return total if math.isfinite(total) else None


def parse_duration(value: str | None) -> float | None:
    """Seconds in VALUE (either form), or None when it is empty or not a duration."""
    if not value or not isinstance(value, str):
        return None
    result = parse_scorm12(value)
    return result if result is not None else parse_iso(value)


def format_scorm12(seconds: float) -> str:
    """CMITimespan for SECONDS (hours capped at 9999, the most four digits hold)."""
    centis = int(round(max(0.0, seconds) * 100))
    hours, rest = divmod(centis, 360000)
    if hours > 9999:
        return "9999:59:59.99"
    minutes, rest = divmod(rest, 6000)
    return f"{hours:04d}:{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}"


def format_iso(seconds: float) -> str:
    """ISO 8601 duration for SECONDS (PT#H#M#S, hundredths kept: RTE 4.1.1.7 precision 0.01 s)."""
    centis = int(round(max(0.0, seconds) * 100))
    hours, rest = divmod(centis, 360000)
    minutes, rest = divmod(rest, 6000)
    secs = f"{rest // 100}" + (f".{rest % 100:02d}".rstrip("0") if rest % 100 else "")
    return f"PT{hours}H{minutes}M{secs}S"
