"""Statement comparison (xAPI 1.0.3 Data §2.3.1 "Statement Comparison Requirements"; 9274.1.1
4.1.6.1): two statements are the same when they differ only in what the LRS sets or in form."""

from __future__ import annotations

import re

from coursehost.domain.lrs.validation import parse_timestamp

_SECONDS = re.compile(r"(\d+)[.,](\d+)S$")

#: Set by the LRS, so not part of the comparison.
IGNORED = ("stored", "authority", "version")


def same_statement(stored: dict, incoming: dict, *, ignore_timestamp: bool = False,
                   ignore_id: bool = False) -> bool:
    """True when INCOMING is the statement already STORED under its id; IGNORE_TIMESTAMP when the
    LRS defaulted the incoming timestamp (Data §2.4.7), IGNORE_ID when one side has none."""
    a, b = _top(stored), _top(incoming)
    for key, ignore in (("timestamp", ignore_timestamp), ("id", ignore_id)):
        if ignore:
            a.pop(key, None)
            b.pop(key, None)
    return a == b


def _top(stmt: dict) -> dict:
    out = {k: _canonical(v, k) for k, v in stmt.items() if k not in IGNORED}
    if isinstance(out.get("id"), str):
        out["id"] = out["id"].lower()
    if isinstance(stmt.get("timestamp"), str):
        out["timestamp"] = _instant(stmt["timestamp"])
    return out


def _canonical(value, key: str | None = None):
    if isinstance(value, dict):
        out = {k: _canonical(v, k) for k, v in value.items()}
        if key in ("object", "parent", "grouping", "category", "other") and out.get("objectType") == "Activity":
            out.pop("objectType")  # Activity is the default objectType (Data §2.4.4)
        if isinstance(out.get("member"), list):
            out["member"] = sorted(out["member"], key=repr)  # member order does not matter
        if key == "object" and out.get("objectType") == "StatementRef" and isinstance(out.get("id"), str):
            out["id"] = out["id"].lower()
        if key == "result" and isinstance(value.get("duration"), str):
            out["duration"] = _duration(value["duration"])
        if "verb" in value and isinstance(value.get("timestamp"), str):
            out["timestamp"] = _instant(value["timestamp"])
        return out
    if isinstance(value, list):
        return [_canonical(v, key) for v in value]
    return value


def _duration(value: str) -> str:
    """9274.1.1 4.2.7: precision beyond 0.01 s is not part of a duration comparison."""
    def cut(m: re.Match) -> str:
        fraction = m.group(2)[:2].rstrip("0")
        return m.group(1) + ("." + fraction if fraction else "") + "S"

    return _SECONDS.sub(cut, value)


def _instant(value: str):
    try:
        return parse_timestamp(value).timestamp()
    except Exception:
        return value
