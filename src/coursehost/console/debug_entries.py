"""How the debug-log viewer shows a launch's log entries (domain/runtime/debuglog.py; the player's
static/player/debuglog.js writes most of them): each entry's kind, the call with its arguments, its
result and error code in words, sequencing audit lines, and timings; filtering by kind and text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from coursehost.domain.standards import RuntimeFamily, family

KINDS = {  # filter value -> label, in the order the filter offers them
    "call": "Run-time API calls",
    "error": "Errors",
    "sequencing": "Sequencing and navigation",
    "event": "Player events",
}
ROW_LABELS = {"call": "API call", "sequencing": "Sequencing", "event": "Player event"}  # one entry's kind
PAGE_SIZE = 500

# SCORM 1.2 RTE 3.3.4 (error codes); the AICC CMI model shares them.
SCORM12_ERRORS = {
    "0": "No error", "101": "General exception", "201": "Invalid argument error",
    "202": "Element cannot have children", "203": "Element not an array - cannot have count",
    "301": "Not initialized", "401": "Not implemented error", "402": "Invalid set value, element is a keyword",
    "403": "Element is read only", "404": "Element is write only", "405": "Incorrect data type",
}
# SCORM 2004 RTE 3.1.7 (API implementation error codes).
SCORM2004_ERRORS = {
    "0": "No error", "101": "General exception", "102": "General initialization failure",
    "103": "Already initialized", "104": "Content instance terminated", "111": "General termination failure",
    "112": "Termination before initialization", "113": "Termination after termination",
    "122": "Retrieve data before initialization", "123": "Retrieve data after termination",
    "132": "Store data before initialization", "133": "Store data after termination",
    "142": "Commit before initialization", "143": "Commit after termination", "201": "General argument error",
    "301": "General get failure", "351": "General set failure", "391": "General commit failure",
    "401": "Undefined data model element", "402": "Unimplemented data model element",
    "403": "Data model element value not initialized", "404": "Data model element is read only",
    "405": "Data model element is write only", "406": "Data model element type mismatch",
    "407": "Data model element value out of range", "408": "Data model dependency not established",
}
_SHOWN = {"type", "event", "method", "args", "result", "errorCode", "timestamp", "activityId", "log", "command",
          "request", "answer"}
_FAILURE_WORDS = ("failed", "refused", "error", "too-large", "truncated", "without-finish")


@dataclass
class LogRow:
    """One log entry as the viewer shows it."""

    number: int  # 1-based position in the whole log
    kind: str  # a KINDS key
    time: datetime | None
    since_start: float | None  # seconds since the log's first timed entry
    gap: float | None  # seconds since the previous timed entry
    activity: str
    name: str  # the method, the command or the event
    args: list[str] = field(default_factory=list)
    result: str | None = None
    error_code: str | None = None
    error_text: str | None = None
    is_error: bool = False
    lines: list[str] = field(default_factory=list)  # sequencing audit lines
    details: list[tuple[str, str]] = field(default_factory=list)  # the entry's other fields
    search_text: str = ""


@dataclass
class LogSummary:
    entries: int
    calls: int
    errors: int
    first: datetime | None
    last: datetime | None

    @property
    def span(self) -> float | None:
        return (self.last - self.first).total_seconds() if self.first and self.last else None


def _time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _kind_and_name(entry: dict) -> tuple[str, str]:
    kind = entry.get("type")
    if kind == "runtime" or kind == "cmi5":
        return "call", str(entry.get("method") or "")
    if entry.get("event") == "hacp":  # an AICC HACP exchange (domain/runtime/launch_aicc.py)
        return "call", f"HACP {entry.get('command') or ''}".strip()
    if kind == "control":
        return "sequencing", str(entry.get("event") or "")
    return "event", str(entry.get("event") or entry.get("method") or kind or "entry")


def _error(entry: dict, kind: str, name: str, codes: dict[str, str]) -> tuple[str | None, str | None, bool]:
    """(error code, its meaning, whether the entry reports a failure)."""
    code = entry.get("errorCode")
    if code is not None:  # a SCORM API call: the error code the SCO read back (GetLastError)
        code = str(code)
        return code, codes.get(code), code not in ("0", "")
    if entry.get("event") == "hacp":  # the answer's first line is error=CODE (CMI001 A.4), 0 for success
        answer = str(entry.get("answer") or "")
        code = answer.split("\r\n", 1)[0].removeprefix("error=") if answer.startswith("error=") else None
        return code, None, code not in (None, "0")
    if entry.get("type") == "cmi5":  # the LRS refused or failed a write: the entry carries its message
        return None, None, bool(entry.get("message"))
    if kind == "sequencing" and entry.get("exception"):  # a sequencing exception (SB.2.x, NB.2.1-x ...)
        return str(entry["exception"]), None, True
    return None, None, any(word in name for word in _FAILURE_WORDS)


def log_rows(entries: list[dict], standard: str | None) -> list[LogRow]:
    """Every entry of a launch's log as a LogRow, in order, with the timings between them."""
    codes = SCORM2004_ERRORS if family(standard) is RuntimeFamily.SCORM2004 else SCORM12_ERRORS
    rows, first, previous = [], None, None
    for number, entry in enumerate(entries, start=1):
        entry = entry if isinstance(entry, dict) else {"event": "entry", "value": entry}
        kind, name = _kind_and_name(entry)
        when = _time(entry.get("timestamp"))
        since = gap = None
        if when is not None:
            first = first or when
            since = (when - first).total_seconds()
            gap = (when - previous).total_seconds() if previous else None
            previous = when
        code, meaning, failed = _error(entry, kind, name, codes)
        args = [_text(a) for a in entry.get("args") or []] if isinstance(entry.get("args"), list) else []
        if entry.get("event") == "hacp":
            args = [str(entry.get("request") or "")] if entry.get("request") else []
        result = entry.get("result", entry.get("answer"))
        lines = [_text(line) for line in entry.get("log") or []] if isinstance(entry.get("log"), list) else []
        details = [(k, _text(v)) for k, v in entry.items() if k not in _SHOWN and v not in (None, "", [], {})]
        rows.append(LogRow(
            number=number, kind=kind, time=when, since_start=since,
            gap=gap, activity=str(entry.get("activityId") or ""), name=name, args=args,
            result=None if result is None else _text(result), error_code=code, error_text=meaning, is_error=failed,
            lines=lines, details=details, search_text=json.dumps(entry, ensure_ascii=False).lower()))
    return rows


def summary(rows: list[LogRow]) -> LogSummary:
    times = [r.time for r in rows if r.time is not None]
    return LogSummary(entries=len(rows), calls=sum(1 for r in rows if r.kind == "call"),
                      errors=sum(1 for r in rows if r.is_error),
                      first=min(times) if times else None, last=max(times) if times else None)


def matches(row: LogRow, kind: str | None, text: str | None) -> bool:
    """Whether ROW passes the viewer's filters: KIND (a KINDS key: "error" is any entry reporting a
    failure, the others the entry's own kind) and TEXT (anywhere in the entry, in any case)."""
    if kind == "error" and not row.is_error:
        return False
    if kind in ("call", "sequencing", "event") and row.kind != kind:
        return False
    return not text or text.strip().lower() in row.search_text
