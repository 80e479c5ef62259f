"""The normalized run-time data model: which family a course speaks, reading values, and the
server-side check of everything a SCO sends (never trust the browser, even our own player)."""

from __future__ import annotations

import json
import math
from typing import Any

from coursehost.domain.errors import InvalidInput
from coursehost.domain.scorm.durations import MAX_SECONDS, parse_iso, parse_scorm12
from coursehost.domain.standards import RuntimeFamily

API_NAMES = {RuntimeFamily.SCORM12: "API", RuntimeFamily.SCORM2004: "API_1484_11"}

# SCORM 1.2 RTE 3.4.4 / SCORM 2004 RTE 4.2.28: the smallest maximum an LMS must accept.
SUSPEND_DATA_LIMITS = {RuntimeFamily.SCORM12: 4096, RuntimeFamily.SCORM2004: 64000}
MAX_LEAF_CHARS = 64000  # no single element of either data model may legitimately be longer
MAX_TOTAL_CHARS = 2_000_000  # the whole data model, serialised
MAX_COLLECTION = 10000  # items of one collection (SPM: 250 interactions, 100 objectives)
MAX_DEPTH = 8  # interactions.N.correct_responses.N.pattern is the deepest real path (4)

VOCAB_12 = {
    "core.lesson_status": ("passed", "completed", "failed", "incomplete", "browsed", "not attempted", ""),
    "core.exit": ("time-out", "suspend", "logout", ""),
    "core.entry": ("ab-initio", "resume", ""),
}
VOCAB_2004 = {
    "completion_status": ("completed", "incomplete", "not attempted", "unknown", ""),
    "success_status": ("passed", "failed", "unknown", ""),
    "exit": ("time-out", "suspend", "logout", "normal", ""),
    "entry": ("ab-initio", "resume", ""),
}
# Element -> (max characters, SCORM reference); the RTE minimum SPMs, generous where content overruns.
LENGTHS_12 = {"core.lesson_location": 255, "comments": 4096}
LENGTHS_2004 = {"location": 1000}
NUMBERS_12 = {"core.score.raw": (None, None), "core.score.min": (None, None), "core.score.max": (None, None)}
NUMBERS_2004 = {
    "score.scaled": (-1.0, 1.0), "score.raw": (None, None), "score.min": (None, None),
    "score.max": (None, None), "progress_measure": (0.0, 1.0),
}


def get(runtime: dict | None, path: str, default: str = "") -> str:
    """The leaf at dotted PATH of a normalized data model (without 'cmi.'), '' when absent."""
    node: Any = runtime or {}
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return default
        if node is None:
            return default
    return node if isinstance(node, str) else default


def number(text: str | None) -> float | None:
    """A finite float from a CMIDecimal / real(10,7) string, else None (empty counts as absent)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def exit_value(runtime: dict | None, fam: RuntimeFamily) -> str:
    """What the SCO set cmi.core.exit / cmi.exit to last."""
    return get(runtime, "core.exit" if fam == RuntimeFamily.SCORM12 else "exit").strip().lower()


def session_time_element(fam: RuntimeFamily) -> str:
    """The session time element of family FAM, without 'cmi.'."""
    return "core.session_time" if fam == RuntimeFamily.SCORM12 else "session_time"


def session_seconds(runtime: dict | None, fam: RuntimeFamily) -> float:
    """Seconds of the SCO's current session (cmi.core.session_time / cmi.session_time), 0 when unset."""
    text = get(runtime, session_time_element(fam)).strip()
    if not text:
        return 0.0
    scorm12 = fam == RuntimeFamily.SCORM12
    seconds = parse_scorm12(text) if scorm12 else parse_iso(text)
    if seconds is None and scorm12:  # some 1.2 content writes ISO durations; keep their time
        seconds = parse_iso(text)
    if seconds is None or seconds > MAX_SECONDS:
        raise InvalidInput(f"cmi.{session_time_element(fam)} [{text[:40]}] is not a valid time span")
    return seconds


# ---------------------------------------------------------------- validation


def validate_runtime(runtime: Any, *, fam: RuntimeFamily, suspend_data_max: int) -> dict:
    """A clean copy of RUNTIME (numbers as strings, None as '') or InvalidInput naming the element."""
    if not isinstance(runtime, dict):
        raise InvalidInput("runtime must be an object")
    clean = _clean(runtime, "cmi", 0)
    if len(json.dumps(clean, separators=(",", ":"))) > MAX_TOTAL_CHARS:
        raise InvalidInput(f"runtime is larger than {MAX_TOTAL_CHARS} characters")
    suspend = get(clean, "suspend_data")
    if len(suspend) > suspend_data_max:
        raise InvalidInput(
            f"cmi.suspend_data is {len(suspend)} characters; at most {suspend_data_max} are accepted")
    vocab, lengths, numbers = ((VOCAB_12, LENGTHS_12, NUMBERS_12) if fam == RuntimeFamily.SCORM12
                               else (VOCAB_2004, LENGTHS_2004, NUMBERS_2004))
    for path, allowed in vocab.items():
        if get(clean, path).strip().lower() not in allowed:
            raise InvalidInput(f"cmi.{path} [{get(clean, path)[:40]}] is not one of {', '.join(a for a in allowed if a)}")
    for path, limit in lengths.items():
        if len(get(clean, path)) > limit:
            raise InvalidInput(f"cmi.{path} is longer than {limit} characters")
    for path, (low, high) in numbers.items():
        text = get(clean, path)
        if not text.strip():
            continue
        value = number(text)
        if value is None or (low is not None and value < low) or (high is not None and value > high):
            raise InvalidInput(f"cmi.{path} [{text[:40]}] is not a valid number"
                               + (f" in {low:g}..{high:g}" if low is not None else ""))
    session_seconds(clean, fam)  # raises on a malformed session time
    return clean


def _clean(node: Any, path: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise InvalidInput(f"{path} is nested too deeply")
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if not isinstance(key, str) or not key or len(key) > 64:
                raise InvalidInput(f"{path} has an element name that is not valid")
            out[key] = _clean(value, f"{path}.{key}", depth + 1)
        return out
    if isinstance(node, list):
        if len(node) > MAX_COLLECTION:
            raise InvalidInput(f"{path} has more than {MAX_COLLECTION} entries")
        items = []
        for index, item in enumerate(node):
            # Collections hold records; a SCORM 1.2 cmi.comments string is not a list, so it never gets here.
            if not isinstance(item, dict):
                raise InvalidInput(f"{path}.{index} must be an object")
            items.append(_clean(item, f"{path}.{index}", depth + 1))
        return items
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, (int, float)):
        if isinstance(node, float) and not math.isfinite(node):
            raise InvalidInput(f"{path} is not a finite number")
        return repr(node) if isinstance(node, float) else str(node)
    if isinstance(node, str):
        if len(node) > MAX_LEAF_CHARS and not path.endswith("suspend_data"):
            raise InvalidInput(f"{path} is longer than {MAX_LEAF_CHARS} characters")
        return node
    raise InvalidInput(f"{path} has a value of an unsupported type")
