"""Statement comparison (xAPI 1.0.3 Data §2.3.1 "Statement Comparison Requirements"; 9274.1.1
4.1.6.1): two statements are the same when they differ only in what the LRS sets or in form."""

from __future__ import annotations

from coursehost.domain.lrs.validation import parse_timestamp

#: Set by the LRS, so not part of the comparison.
IGNORED = ("stored", "authority", "version")


def same_statement(stored: dict, incoming: dict, *, ignore_timestamp: bool = False) -> bool:
    """True when INCOMING is the statement already STORED under its id; IGNORE_TIMESTAMP when the
    LRS defaulted the incoming timestamp (Data §2.4.7)."""
    a, b = _top(stored), _top(incoming)
    if ignore_timestamp:
        a.pop("timestamp", None)
        b.pop("timestamp", None)
    return a == b


def _top(stmt: dict) -> dict:
    out = {k: _canonical(v, k) for k, v in stmt.items() if k not in IGNORED}
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
        if "verb" in value and isinstance(value.get("timestamp"), str):
            out["timestamp"] = _instant(value["timestamp"])
        return out
    if isinstance(value, list):
        return [_canonical(v, key) for v in value]
    return value


def _instant(value: str):
    try:
        return parse_timestamp(value).timestamp()
    except Exception:
        return value
