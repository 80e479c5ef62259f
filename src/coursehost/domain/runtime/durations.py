"""SCORM time values: SCORM 1.2 CMITimespan (HHHH:MM:SS.SS) and SCORM 2004 timeinterval (ISO 8601)."""

from __future__ import annotations

import re

_SCORM12 = re.compile(r"^(\d{1,4}):([0-5]?\d):([0-5]?\d(?:\.\d{1,2})?)$")  # RTE 1.2 3.4.2 CMITimespan
_ISO = re.compile(  # RTE 2004 4.1.1.7 timeinterval (second,10,2)
    r"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_UNIT_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def parse_duration(value: str | None) -> float | None:
    """Seconds in VALUE (either form), or None when it is empty or not a duration."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    match = _SCORM12.match(text)
    if match:
        hours, minutes, seconds = match.groups()
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    match = _ISO.match(text)
    if match and text not in ("P", "PT") and not text.endswith("T"):
        return sum(float(part) * unit for part, unit in zip(match.groups(), _UNIT_SECONDS) if part)
    return None


def format_scorm12(seconds: float) -> str:
    """CMITimespan for SECONDS (hours capped at 9999)."""
    centis = int(round(max(0.0, seconds) * 100))
    hours, rest = divmod(centis, 360000)
    minutes, rest = divmod(rest, 6000)
    return f"{min(hours, 9999):04d}:{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}"


def format_iso(seconds: float) -> str:
    """ISO 8601 duration for SECONDS (PT#H#M#S, hundredths kept)."""
    centis = int(round(max(0.0, seconds) * 100))
    hours, rest = divmod(centis, 360000)
    minutes, rest = divmod(rest, 6000)
    secs = f"{rest // 100}" + (f".{rest % 100:02d}".rstrip("0") if rest % 100 else "")
    return f"PT{hours}H{minutes}M{secs}S"
