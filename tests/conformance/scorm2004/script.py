"""Decoding ADL's SCORM 2004 4th Edition LMS test-suite step scripts (TestCases/<ID>.properties).

A script is a Java properties file. Header keys: title, start (the activity the tester launches,
"." = the course's normal start), purpose, RTDInit, seqInfo, TT (how SCOs terminate: autoTT = the
SCO calls Terminate itself, manualTT = the tester ends it, usually through the LMS UI;
uInteractionTT / uiTT = LMS user-interface checks), end, UserInterAct.

Visits: keys Act<N>[a|b]V<m>.* in delivery order (file order). Each visit has
  .commands.<k>   API calls the SCO makes, '->' separated:
      I->arg->ret->err            Initialize(arg)
      C->arg->ret->err            Commit(arg)
      GLE->->ret->err             GetLastError()
      GES->code->ret->err         GetErrorString(code)  (ret "less255" = shorter than 255,
      GeDi->code->ret->err        GetDiagnostic(code)    "emptyCS" = empty string)
      GET->element->value->err    GetValue(element)
      SET->element!value->ret->err  SetValue(element, value)
      COI->id1,id2,...            cmi.objectives holds exactly these ids (any order)
    after its commands the SCO calls Terminate("") (never written in the script).
  .UIQ / .UIA     questions to the tester about the LMS UI while the visit runs, '~' separated,
                  answered Y/N: continue.enabled, continue.disabled, previous.enabled,
                  previous.disabled, toc.enabled, toc.enabled.selectable@<title>, toc.visible@<title>
  .CUI            what the tester does after the visit: Exit, Continue, Previous, Choice~<title>,
                  Relaunch..., AutoTest (the LMS moves on by itself), ...

Elements and values are abbreviated; the tables are below. '~' stands for '.', '&id&' for the index
of the cmi.objectives entry with that id (or of cmi.interactions / adl.data for '&tarID..&').
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# Element tokens (one path segment each), SCORM 2004 RTE 4.2 names.
ELEMENTS = {
    "c": "cmi", "a": "adl", "n": "nav", "r": "request", "rv": "request_valid", "DA": "data",
    "CHIL": "_children", "CNT": "_count", "V": "_version",
    "CDT": "credit", "CFLMS": "comments_from_lms", "CFLRNR": "comments_from_learner",
    "COM": "comment", "LOC": "location", "TS": "timestamp",
    "CS": "completion_status", "CT": "completion_threshold", "E": "entry", "X": "exit",
    "INTR": "interactions", "CR": "correct_responses", "P": "pattern", "D": "description",
    "ID": "id", "id": "id", "LAT": "latency", "LR": "learner_response", "OB": "objectives",
    "R": "result", "TY": "type", "W": "weighting", "LD": "launch_data", "LI": "learner_id",
    "LN": "learner_name", "LP": "learner_preference", "AC": "audio_captioning",
    "AL": "audio_level", "DS": "delivery_speed", "LANG": "language", "M": "mode",
    "MAXTA": "max_time_allowed", "PM": "progress_measure", "SD": "suspend_data",
    "SPS": "scaled_passing_score", "SS": "success_status", "S": "score", "MN": "min", "MX": "max",
    "RW": "raw", "SCA": "scaled", "ST": "session_time", "TLA": "time_limit_action",
    "TT": "total_time", "STR": "store", "tar": "target",
}

# Whole-value tokens.
VALUES = {
    "pass": "passed", "fail": "failed", "unk": "unknown", "comp": "completed",
    "incomp": "incomplete", "notatt": "not attempted",
    "M.n": "normal", "M.b": "browse", "M.r": "review",
    "X.s": "suspend", "X.t": "time-out", "X.l": "logout",
    "E.a": "ab-initio", "E.r": "resume", "CDT.c": "credit", "CDT.n": "no-credit",
    "R.c": "correct", "R.i": "incorrect", "R.u": "unanticipated", "R.n": "neutral",
    "N.c": "continue", "N.p": "previous", "N.e": "exit", "N.ea": "exitAll", "N.a": "abandon",
    "N.aa": "abandonAll", "N.sa": "suspendAll", "N.j": "jump", "N.n": "_none_",
    "TY.tf": "true-false", "TY.c": "choice", "TY.f": "fill-in", "TY.lf": "long-fill-in",
    "TY.l": "likert", "TY.m": "matching", "TY.p": "performance", "TY.s": "sequencing",
    "TY.n": "numeric", "TY.o": "other",
    "t": "true", "f": "false",
}

# Navigation-request values: tar~<id>~TY.c / tar~<id>~N.j
_TARGETED = re.compile(r"^tar~(?P<target>[^~]+)~(?P<kind>TY\.c|N\.j)$")
# Expected-value markers meaning "anything of this kind".
ANY_SHORT = "less255"
EMPTY = "emptyCS"
ANY_VALUE = {"Returned a valid value or error code"}


def element(token: str) -> str:
    """'c~OB~&obj1&~S~SCA' -> 'cmi.objectives.&obj1&.score.scaled'; rv~N.c / rv~TY.c~tar~x too."""
    if not token:
        return ""
    parts = token.split("~")
    out: list[str] = []
    i = 0
    while i < len(parts):
        p = parts[i]
        if p == "rv":
            out.append("request_valid")
            rest = parts[i + 1:]
            if rest and rest[0] in ("TY.c", "N.j"):
                kind = "choice" if rest[0] == "TY.c" else "jump"
                target = rest[2] if len(rest) > 2 and rest[1] == "tar" else ""
                out.append(f"{kind}.{{target={target}}}")
            elif rest:
                out.append(VALUES.get(rest[0], rest[0]))
            break
        if p.isdigit() or (p.startswith("&") and p.endswith("&")):
            out.append(p)
        else:
            out.append(ELEMENTS.get(p, p))
        i += 1
    return ".".join(out)


def value(token: str, elem: str = "") -> str:
    """Expand a value token; the element decides for adl.nav.request ({target=..}choice)."""
    m = _TARGETED.match(token)
    if m:
        kind = "choice" if m["kind"] == "TY.c" else "jump"
        return f"{{target={m['target']}}}{kind}"
    if elem == "adl.nav.request" and token == "X":
        return "exit"
    if token in VALUES and token not in ("t", "f"):
        return VALUES[token]
    return token


@dataclass
class Command:
    op: str                     # I, C, GLE, GES, GeDi, GET, SET, COI, T
    element: str = ""           # expanded element (GET/SET), argument otherwise
    value: str = ""             # SET value / GET expected value (expanded)
    ret: str = ""               # expected return ("true"/"false"/error code/less255/emptyCS)
    error: str = "0"            # expected error code after the call
    raw: str = ""
    ids: list[str] = field(default_factory=list)  # COI

    def describe(self) -> str:
        if self.op == "GET":
            return f"GET {self.element}"
        if self.op == "SET":
            return f"SET {self.element}={self.value[:60]!r}"
        if self.op == "COI":
            return f"COI {','.join(self.ids)}"
        return f"{self.op}({self.element!r})"


@dataclass
class Visit:
    key: str                    # "Act2V1", "Act1aV3"
    act: str                    # "2", "1a"
    number: int
    commands: list[Command] = field(default_factory=list)
    uiq: list[str] = field(default_factory=list)
    uia: list[str] = field(default_factory=list)
    cui: str | None = None


@dataclass
class Script:
    id: str
    header: dict[str, str]
    visits: list[Visit]

    @property
    def tt(self) -> set[str]:
        return set((self.header.get("TT") or "").split("~"))


def load_properties(path: Path) -> list[tuple[str, str]]:
    """Java .properties (ISO-8859-1, '\\' line continuation, \\uXXXX escapes), keys in file order."""
    logical: list[str] = []
    buf: str | None = None
    for raw in path.read_text(encoding="latin-1").split("\n"):
        line = raw.rstrip("\r")
        if buf is None:
            s = line.lstrip(" \t\f")
            if not s or s[0] in "#!":
                continue
            line = s
        else:
            line = buf + line.lstrip(" \t\f")
        n = len(line) - len(line.rstrip("\\"))
        if n % 2 == 1:
            buf = line[:-1]
            continue
        buf = None
        logical.append(line)
    out = []
    for line in logical:
        j, key = 0, []
        while j < len(line):
            c = line[j]
            if c == "\\":
                key.append(line[j:j + 2])
                j += 2
                continue
            if c in "=: \t\f":
                break
            key.append(c)
            j += 1
        while j < len(line) and line[j] in " \t\f":
            j += 1
        if j < len(line) and line[j] in "=:":
            j += 1
        while j < len(line) and line[j] in " \t\f":
            j += 1
        out.append((_unescape("".join(key)), _unescape(line[j:])))
    return out


def _unescape(s: str) -> str:
    def rep(m: re.Match) -> str:
        t = m.group(1)
        if t[0] == "u" and len(t) == 5:
            return chr(int(t[1:], 16))
        return {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(t, t)
    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", rep, s)


_VISIT = re.compile(r"^Act(?P<act>\d+[a-z]?)V(?P<n>\d+)\.(?P<rest>.+)$")


def parse_command(raw: str) -> Command:
    parts = raw.split("->")
    op = parts[0]
    if op.startswith(("c~", "a~")) and "!" in op and len(parts) >= 3:
        # DMI Act3V2.commands.47 lacks its "GET->" (element!type hint->value->error, the form of
        # the GET lines around it): the value the SCO reads back
        return parse_command("GET->" + raw)
    if op == "COI":
        return Command("COI", raw=raw, ids=[i for i in (parts[1] if len(parts) > 1 else "").split(",") if i])
    if op == "SET":
        target = parts[1] if len(parts) > 1 else ""
        # the value may itself contain '->'
        ret, err = (parts[-2], parts[-1]) if len(parts) >= 4 else ("", "0")
        body = "->".join(parts[1:-2]) if len(parts) >= 4 else target
        if len(parts) == 5 and parts[2] == "0":
            # DDM Act1aV1.commands.3: a stray "->0" before ->t->0 (the value read back lacks it)
            body = parts[1]
        elem, _, val = body.partition("!")
        e = element(elem)
        return Command("SET", e, value(val, e), VALUES.get(ret, ret), err, raw)
    if op == "GET":
        ret_err = parts[-1] if len(parts) >= 4 else "0"
        expected = "->".join(parts[2:-1]) if len(parts) >= 4 else ""
        elem, _, hint = (parts[1] if len(parts) > 1 else "").partition("!")  # !TY.x: type hint
        e = element(elem)
        return Command("GET", e, value(expected, e), VALUES.get(hint, hint), ret_err, raw)
    if op in ("I", "C", "T", "GLE", "GES", "GeDi"):
        arg = parts[1] if len(parts) > 1 else ""
        ret = parts[2] if len(parts) > 2 else ""
        err = parts[3] if len(parts) > 3 else "0"
        return Command(op, arg, "", VALUES.get(ret, ret) if ret in ("t", "f") else ret, err, raw)
    return Command("?", raw=raw)


def parse(path: Path) -> Script:
    header: dict[str, str] = {}
    visits: dict[str, Visit] = {}
    order: list[Visit] = []
    cmds: dict[int, dict[int, list[Command]]] = {}
    for key, val in load_properties(path):
        m = _VISIT.match(key)
        if not m:
            header[key] = val
            continue
        vkey = f"Act{m['act']}V{m['n']}"
        v = visits.get(vkey)
        if v is not None and order[-1] is not v and m["rest"] == "commands.0":
            v = None  # the key again after other visits: a later visit the author numbered alike (CM-09aa)
        if v is None:
            v = visits[vkey] = Visit(vkey, m["act"], int(m["n"]))
            order.append(v)
        rest = m["rest"]
        if rest.startswith("commands."):
            idx = int(rest.split(".", 1)[1])
            # a repeated index keeps both commands in file order (CO-10 Act1V1.commands.13: the
            # navigation request and cmi.exit; the test SCO runs every line it is given)
            cmds.setdefault(id(v), {}).setdefault(idx, []).append(parse_command(val))
        elif rest == "UIQ":
            v.uiq = val.split("~")
        elif rest == "UIA":
            v.uia = val.split("~")
        elif rest == "CUI":
            v.cui = val
    for v in order:
        by_idx = cmds.get(id(v), {})
        for idx in range(max(by_idx) + 1 if by_idx else 0):
            v.commands.extend(by_idx.get(idx) or [Command("?", raw="")])
    return Script(header.get("title") or path.stem, header, order)
