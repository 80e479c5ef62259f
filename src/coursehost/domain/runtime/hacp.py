"""The AICC HACP protocol without storage (AICC CMI001 "CMI Guidelines for Interoperability" v4,
appendix A, the HTTP-based AICC/CMI Protocol): reading a request, the INI-style aicc_data of
PutParam into SCORM 1.2's normalized run-time form (AICC's data model is 1.2's), the CSV bodies
of PutInteractions / PutObjectives, and the text of every answer."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from coursehost.domain.errors import InvalidInput

COMMANDS = ("getparam", "putparam", "putinteractions", "putobjectives", "putpath", "putcomments",
            "putperformance", "exitau")

# CMI001 A.5: the error numbers of an HACP answer.
OK, INVALID_COMMAND, INVALID_PASSWORD, INVALID_SESSION = 0, 1, 2, 3
ERROR_TEXT = {OK: "Successful", INVALID_COMMAND: "Invalid Command", INVALID_PASSWORD: "Invalid AU password",
              INVALID_SESSION: "Invalid Session ID"}

# CMI001 2.1.4 Lesson_Status: the full words and their first letters (SCORM Cloud accepts both).
STATUSES = {"p": "passed", "c": "completed", "f": "failed", "i": "incomplete", "b": "browsed",
            "n": "not attempted"}
EXITS = {"t": "time-out", "s": "suspend", "l": "logout", "": ""}
_TIME = re.compile(r"^\s*(\d{1,4}):([0-5]?\d):([0-5]?\d(?:\.\d{1,2})?)\s*$")
MAX_DATA_CHARS = 1_000_000


class HacpError(InvalidInput):
    """A request HACP answers with error=CODE and this text; nothing was changed."""

    def __init__(self, text: str, code: int = INVALID_COMMAND):
        super().__init__(text)
        self.code = code


@dataclass(frozen=True)
class HacpRequest:
    command: str  # lower case, one of COMMANDS
    version: str
    session_id: str
    au_password: str
    aicc_data: str


def parse_request(form: dict[str, str]) -> HacpRequest:
    """The HACP request in FORM (its keys in any case, CMI001 A.3) or HacpError."""
    fields = {str(k).strip().lower(): str(v) for k, v in form.items()}
    command = fields.get("command", "").strip().lower()
    if command not in COMMANDS:
        raise HacpError(f"Invalid command [{command[:40]}]" if command else "The command is missing")
    session_id = fields.get("session_id", "").strip()
    if not session_id:
        raise HacpError("The session_id is missing", INVALID_SESSION)
    data = fields.get("aicc_data", "")
    if len(data) > MAX_DATA_CHARS:
        raise HacpError("aicc_data is too large")
    return HacpRequest(command=command, version=fields.get("version", "").strip(), session_id=session_id,
                       au_password=fields.get("au_password", ""), aicc_data=data)


def answer(code: int = OK, text: str | None = None, data: str = "") -> str:
    """The answer body (CMI001 A.4): error=, error_text=, aicc_data=, CRLF line ends."""
    # error_text is one line: an echoed value must not add lines (a second "error=") to the answer.
    line = " ".join((text or ERROR_TEXT.get(code, "Error")).split())
    return f"error={code}\r\nerror_text={line}\r\naicc_data={data}\r\n"


# ---------------------------------------------------------------- aicc_data (INI)


def parse_ini(text: str) -> dict[str, dict | str]:
    """INI-style aicc_data -> {section (lower case): {key (lower case): value}}; free-form
    sections ([Core_Lesson], [Comments]) keep their text under the key "" as written."""
    sections: dict[str, dict] = {}
    current: dict | None = None
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if line.startswith("[") and line.endswith("]") and len(line) > 2:
            current = sections.setdefault(line[1:-1].strip().lower(), {"": []})
            continue
        if current is None:
            if line and not line.startswith(";"):
                raise HacpError("aicc_data must begin with a [section] header")
            continue
        current[""].append(raw)
        key, sep, value = line.partition("=")
        if sep and key.strip() and not line.startswith(";"):
            current[key.strip().lower()] = value.strip()
    for body in sections.values():
        body[""] = "\n".join(body[""]).strip("\n")
    return sections


def status_and_exit(value: str) -> tuple[str, str | None]:
    """Lesson_Status "incomplete,suspend" / "i,s" / "P" -> (1.2 lesson_status, exit or None)."""
    status_text, _, exit_text = value.partition(",")
    word = status_text.strip().lower()
    word = " ".join(word.replace("_", " ").split())
    if word in STATUSES.values() or not word:
        status = word
    elif word in STATUSES:
        status = STATUSES[word]
    else:
        raise HacpError(f"Lesson_Status [{value[:40]}] is not a status")
    flag = exit_text.strip().lower()
    if flag and flag[:1] not in EXITS and flag not in ("ab-initio", "a", "resume", "r"):
        raise HacpError(f"Lesson_Status flag [{flag[:40]}] is not an exit value")
    return status, (EXITS.get(flag[:1]) if flag[:1] in EXITS and flag else None)


def score(value: str) -> dict[str, str]:
    """Score "raw[,max[,min]]" -> {"raw", "max", "min"} (CMI001 2.1.5); empty means no score."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) > 3:
        raise HacpError(f"Score [{value[:40]}] has more than three parts")
    for part in parts:
        if part:
            try:
                float(part)
            except ValueError:
                raise HacpError(f"Score [{value[:40]}] is not a number") from None
    raw, mx, mn = (parts + ["", "", ""])[:3]
    return {"raw": raw, "max": mx, "min": mn}


def session_time(value: str) -> str:
    """Time "hh:mm:ss[.ss]" (CMI001 CMITimespan) -> 1.2 session_time, or HacpError."""
    match = _TIME.match(value)
    if not match:
        raise HacpError(f"Time [{value[:40]}] is not hh:mm:ss")
    h, m, s = match.groups()
    return f"{int(h):02d}:{int(m):02d}:{s if '.' in s else f'{int(s):02d}'}"


def apply_putparam(runtime: dict, aicc_data: str) -> dict:
    """RUNTIME (normalized 1.2) with PutParam's aicc_data applied -> a new runtime; HacpError
    when the data is malformed (then RUNTIME is unchanged)."""
    sections = parse_ini(aicc_data)
    core = sections.get("core")
    if not isinstance(core, dict):
        raise HacpError("aicc_data has no [Core] section")
    out = dict(runtime or {})
    new_core = dict(out.get("core") or {})
    if "lesson_location" in core:
        new_core["lesson_location"] = core["lesson_location"]
    if "lesson_status" in core:
        status, exit_value = status_and_exit(core["lesson_status"])
        new_core["lesson_status"] = status
        if exit_value is not None:
            new_core["exit"] = exit_value
    if "score" in core:
        new_core["score"] = score(core["score"])
    if core.get("time", "").strip():
        new_core["session_time"] = session_time(core["time"])
    out["core"] = new_core
    if "core_lesson" in sections:
        out["suspend_data"] = sections["core_lesson"][""]
    if "objectives_status" in sections:
        out["objectives"] = merge_objectives(out.get("objectives"), _objectives_status(sections["objectives_status"]))
    if "comments" in sections:
        out["comments"] = sections["comments"][""]
    return out


def _objectives_status(block: dict) -> list[dict]:
    """[Objectives_Status] J_ID.n / J_Score.n / J_Status.n (CMI001 2.4) -> 1.2 objectives, by n."""
    rows: dict[int, dict] = {}
    for key, value in block.items():
        name, _, n = key.partition(".")
        if not n.strip().isdigit() or name.strip() not in ("j_id", "j_score", "j_status"):
            continue
        row = rows.setdefault(int(n), {})
        if name.strip() == "j_id":
            row["id"] = value
        elif name.strip() == "j_score" and value:
            row["score"] = score(value)
        elif value:
            row["status"] = status_and_exit(value)[0]
    out = []
    for n in sorted(rows):
        if not rows[n].get("id"):
            raise HacpError(f"[Objectives_Status] J_ID.{n} is missing")
        out.append(rows[n])
    return out


def merge_objectives(old, new: list[dict]) -> list[dict]:
    """Objectives by id: a new item updates the stored one of its id, or is added."""
    out = [o for o in (old or []) if isinstance(o, dict)]
    for item in new:
        at = next((i for i, o in enumerate(out) if o.get("id") == item["id"]), None)
        if at is None:
            out.append(item)
        else:
            out[at] = {**out[at], **item}
    return out


def _objectives_lines(items: list) -> list[str]:
    lines = []
    for n, item in enumerate((o for o in items or [] if isinstance(o, dict) and o.get("id")), start=1):
        sc = item.get("score") if isinstance(item.get("score"), dict) else {}
        score_text = ",".join(str(sc.get(k) or "") for k in ("raw", "max", "min")).rstrip(",")
        lines += [f"J_ID.{n}={item['id']}", f"J_Score.{n}={score_text}", f"J_Status.{n}={item.get('status') or ''}"]
    return lines


# ---------------------------------------------------------------- GetParam


def getparam_data(values: dict[str, str]) -> str:
    """The aicc_data of GetParam (CMI001 A.6.1) from VALUES: student_id, student_name,
    lesson_location, credit, lesson_status, score, time, lesson_mode, core_lesson, core_vendor,
    mastery_score, objectives (1.2 items)."""
    v = {k: ("" if val is None else str(val)) for k, val in values.items() if k != "objectives"}
    lines = [
        "[Core]", f"Student_ID={v.get('student_id', '')}", f"Student_Name={v.get('student_name', '')}",
        f"Lesson_Location={v.get('lesson_location', '')}", f"Credit={v.get('credit', 'credit')}",
        f"Lesson_Status={v.get('lesson_status', '') or 'not attempted'}", f"Score={v.get('score', '')}",
        f"Time={v.get('time', '') or '00:00:00'}", f"Lesson_Mode={v.get('lesson_mode', 'normal')}",
        "[Core_Lesson]", v.get("core_lesson", ""), "[Core_Vendor]", v.get("core_vendor", ""),
        "[Student_Data]", f"Mastery_Score={v.get('mastery_score', '')}",
    ]
    if values.get("objectives"):
        lines += ["[Objectives_Status]", *_objectives_lines(values["objectives"])]
    return "\r\n".join(lines)


# ---------------------------------------------------------------- PutInteractions / PutObjectives (CSV)


def _csv_rows(text: str, what: str) -> list[dict[str, str]]:
    """A CSV body with a header row -> rows keyed by lower-case column name."""
    rows = [r for r in csv.reader(io.StringIO(text.strip())) if any(c.strip() for c in r)]
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    if not header or not all(header):
        raise HacpError(f"{what} must begin with a header row")
    return [dict(zip(header, (c.strip() for c in row), strict=False)) for row in rows[1:]]


_RESULTS = {"c": "correct", "w": "wrong", "u": "unanticipated", "n": "neutral"}
# CMI001 A.6.4 type_interaction letters -> SCORM 1.2 cmi.interactions.n.type
_TYPES = {"t": "true-false", "c": "choice", "f": "fill-in", "m": "matching", "p": "performance",
          "s": "sequencing", "l": "likert", "n": "numeric"}


def _letter(value: str, names: dict[str, str]) -> str:
    """A one-letter code as its 1.2 word; anything else lower-cased as written."""
    low = value.strip().lower()
    return names.get(low, low) if len(low) == 1 else low


def interactions(text: str) -> list[dict]:
    """PutInteractions' CSV (CMI001 A.6.4) -> 1.2 cmi.interactions items."""
    out = []
    for row in _csv_rows(text, "PutInteractions data"):
        ident = row.get("interaction_id", "")
        if not ident:
            raise HacpError("an interaction has no interaction_id")
        result = row.get("result", "")
        item = {"id": ident, "time": row.get("time", ""), "type": _letter(row.get("type_interaction", ""), _TYPES),
                "weighting": row.get("weighting", ""), "student_response": row.get("student_response", ""),
                "result": _letter(result, _RESULTS),
                "latency": row.get("latency", "")}
        if row.get("correct_response"):
            item["correct_responses"] = [{"pattern": row["correct_response"]}]
        if row.get("objective_id"):
            item["objectives"] = [{"id": row["objective_id"]}]
        out.append({k: v for k, v in item.items() if v not in ("", None)})
    return out


def objectives(text: str) -> list[dict]:
    """PutObjectives' CSV (CMI001 A.6.5) -> 1.2 cmi.objectives items."""
    out = []
    for row in _csv_rows(text, "PutObjectives data"):
        ident = row.get("j_id", "") or row.get("objective_id", "")
        if not ident:
            raise HacpError("an objective has no j_id")
        item: dict = {"id": ident}
        if row.get("j_score"):
            item["score"] = score(row["j_score"])
        if row.get("j_status"):
            item["status"] = status_and_exit(row["j_status"])[0]
        out.append(item)
    return out


def path(text: str) -> list[dict]:
    """PutPath's CSV (CMI001 A.6.6: one row per element the learner went through, a header row
    naming the columns, among them lesson_id / element_location) -> its rows."""
    rows = _csv_rows(text, "PutPath data")
    header = next(csv.reader(io.StringIO(text.strip())), []) if text.strip() else []
    if header and not {"course_id", "student_id", "lesson_id", "element_location"} & {h.strip().lower() for h in header}:
        raise HacpError("PutPath data must begin with its header row (course_id, student_id, lesson_id, ...)")
    for row in rows:
        if not any(row.get(k) for k in ("lesson_id", "element_location", "au_id", "system_id")):
            raise HacpError("a PutPath row names no lesson_id or element_location")
    return rows
