"""AICC script: the logic of AICC prerequisites (.pre) and completion requirements (.cmp), also
SCORM 1.2's adlcp:prerequisites type="aicc_script" (CAM 1.2 §2.3.2.5.1).

Public API:
    check(expr) -> str | None                       why EXPR cannot be read (None: it can, or it is empty)
    evaluate(expr, status) -> bool | None           its value over STATUS; None when empty or unreadable
    status_word(value) -> str | None                a status as the script names it (P, passed, ...)
    element_statuses(structure, status) -> dict     STATUS plus every block, .cmp rows applied
    requirement_status(node, status) -> str | None  the status NODE's first holding .cmp row gives it

GRAMMAR (CMI001 logic statements; & binds tighter than |)
    disjunction := conjunction (("|" | OR) conjunction)*
    conjunction := unary (("&" | AND) unary)*
    unary       := ("~" | NOT) unary | primary
    primary     := "(" disjunction ")" | N "*" "{" disjunction ("," disjunction)* "}" | id [("=" | "<>") status]
    status      := passed | completed | failed | incomplete | browsed | not attempted | P | C | F | I | B | N
An id alone holds when that element (AU, block or objective) is passed or completed; ~A holds
when it is incomplete, failed, browsed or not attempted; A=F when it is failed, A<>P when it is
anything but passed; N*{A,B,C} when at least N of the set hold. AND, OR and NOT (any case) are
read as &, | and ~ (ids are matched case-insensitively, as CMI001 ids are). Nothing else is
defined: a "*" before an id, an unknown status word, a dangling operator or unbalanced brackets
make the expression unreadable, which the package parser reports as a warning at import.

STATUS maps ids to status words: the six above, or the prerequisite model's "satisfied"
(passed or completed), "attempted" (incomplete) and "not attempted". Missing ids are not attempted.
"""

from __future__ import annotations

import re

PASSED, COMPLETED, FAILED, INCOMPLETE, BROWSED, NOT_ATTEMPTED = (
    "passed", "completed", "failed", "incomplete", "browsed", "not attempted")
DONE = frozenset({PASSED, COMPLETED, "satisfied"})
_WORDS = {"passed": PASSED, "p": PASSED, "completed": COMPLETED, "c": COMPLETED, "failed": FAILED, "f": FAILED,
          "incomplete": INCOMPLETE, "i": INCOMPLETE, "browsed": BROWSED, "b": BROWSED,
          "not attempted": NOT_ATTEMPTED, "not_attempted": NOT_ATTEMPTED, "notattempted": NOT_ATTEMPTED,
          "n": NOT_ATTEMPTED, "satisfied": "satisfied", "attempted": INCOMPLETE}
_TOKEN = re.compile(r"\s*(<>|[()&|~=,{}*]|[^()&|~=<>,{}*\s]+|\S)")
_OPERATORS = {"&", "|", "~", "(", ")", "=", "<>", ",", "{", "}", "*"}


class ScriptError(ValueError):
    """An AICC script that cannot be read (the message says where)."""


def status_word(value: object) -> str | None:
    """VALUE as one of the script's status words (passed, ..., not attempted, satisfied), or None."""
    return _WORDS.get(" ".join(str(value or "").split()).casefold())


def check(expr: str | None) -> str | None:
    """Why EXPR is not a readable AICC script; None when it is (or is empty)."""
    if not expr or not str(expr).strip():
        return None
    try:
        _Script(str(expr), {}).run()
    except ScriptError as exc:
        return str(exc)
    return None


def evaluate(expr: str | None, status: dict[str, str]) -> bool | None:
    """The value of EXPR over STATUS; None when EXPR is empty or cannot be read."""
    if not expr or not str(expr).strip():
        return None
    try:
        return _Script(str(expr), status).run()
    except ScriptError:
        return None


class _Script:
    """Recursive descent over the tokens; every operand is evaluated (no short circuit) so the
    whole expression is read and checked."""

    def __init__(self, expr: str, status: dict[str, str]):
        self.tokens = [t for t in _TOKEN.findall(expr) if t]
        self.pos = 0
        self.folded = {str(k).casefold(): v for k, v in status.items()}

    def run(self) -> bool:
        value = self.disjunction()
        if self.pos != len(self.tokens):
            raise ScriptError(f"unexpected '{self.tokens[self.pos]}'")
        return value

    def _peek(self, ahead: int = 0) -> str | None:
        at = self.pos + ahead
        return self.tokens[at] if at < len(self.tokens) else None

    def _take(self) -> str:
        tok = self._peek()
        if tok is None:
            raise ScriptError("the expression ends too early")
        self.pos += 1
        return tok

    def _expect(self, want: str) -> None:
        tok = self._peek()
        if tok != want:
            raise ScriptError(f"'{want}' expected" + (f" before '{tok}'" if tok else " at the end"))
        self.pos += 1

    def _is(self, word: str) -> bool:
        tok = self._peek()
        return tok is not None and tok.casefold() == word

    def disjunction(self) -> bool:
        value = self._conjunction()
        while self._peek() == "|" or self._is("or"):
            self.pos += 1
            value = self._conjunction() or value
        return value

    def _conjunction(self) -> bool:
        value = self._unary()
        while self._peek() == "&" or self._is("and"):
            self.pos += 1
            value = self._unary() and value
        return value

    def _unary(self) -> bool:
        if self._peek() == "~" or (self._is("not") and _starts_operand(self._peek(1))):
            self.pos += 1
            return not self._unary()
        return self._primary()

    def _primary(self) -> bool:
        tok = self._take()
        if tok == "(":
            value = self.disjunction()
            self._expect(")")
            return value
        if tok.isdigit() and self._peek() == "*":
            return self._set(int(tok))
        if tok in _OPERATORS or tok.casefold() in ("and", "or"):
            raise ScriptError(f"an element id expected, not '{tok}'")
        current = status_word(self.folded.get(tok.casefold())) or NOT_ATTEMPTED
        if self._peek() in ("=", "<>"):
            negate = self._take() == "<>"
            return _matches(current, self._status()) != negate
        return current in DONE

    def _set(self, least: int) -> bool:
        self._expect("*")
        self._expect("{")
        held = [self.disjunction()]
        while self._peek() == ",":
            self.pos += 1
            held.append(self.disjunction())
        self._expect("}")
        return sum(held) >= least

    def _status(self) -> str:
        tok = self._take()
        if tok.casefold() == "not" and self._is("attempted"):
            tok += " " + self._take()
        word = status_word(tok)
        if word is None or word == "satisfied":
            raise ScriptError(f"'{tok}' is not a status (passed, completed, failed, incomplete, browsed, "
                              "not attempted or their first letters)")
        return word


def _starts_operand(tok: str | None) -> bool:
    return tok is not None and (tok in ("(", "~") or (tok not in _OPERATORS and tok.casefold() not in ("and", "or")))


def _matches(current: str, word: str) -> bool:
    """Whether an element with status CURRENT has status WORD ("satisfied" is passed or completed)."""
    return current == word or (current == "satisfied" and word in (PASSED, COMPLETED))


# ---------------------------------------------------------------------------------- elements


def requirement_status(node: dict, status: dict[str, str]) -> str | None:
    """The status word of NODE's first completion requirement (.cmp row, data["completion"])
    whose requirement holds over STATUS; None when it has none or none holds."""
    for row in (node.get("data") or {}).get("completion") or []:
        if not isinstance(row, dict):
            continue
        word = status_word(row.get("status"))
        if word and evaluate(row.get("requirement"), status):
            return word
    return None


def element_statuses(structure: dict, status: dict[str, str]) -> dict[str, str]:
    """STATUS (id -> status word) with every block of STRUCTURE added and the completion
    requirements (.cmp) applied, children before their block: a block is passed when all its
    AUs are, completed when all are passed or completed, incomplete once one was attempted, else
    not attempted; an element whose .cmp row holds takes that row's status."""
    out = dict(status)

    def walk(node: dict) -> list[str]:
        children = node.get("children") or []
        if not children:
            found = [status_word(out.get(node["id"])) or NOT_ATTEMPTED] if node.get("href") else []
        else:
            found = [value for child in children for value in walk(child)]
            if node.get("id") and node["id"] not in out:
                out[node["id"]] = _block(found)
        decided = requirement_status(node, out) if node.get("id") else None
        if decided:
            out[node["id"]] = decided
        return found

    walk(structure)
    return out


def _block(found: list[str]) -> str:
    if found and all(v == PASSED for v in found):
        return PASSED
    if found and all(v in DONE for v in found):
        return COMPLETED
    return INCOMPLETE if any(v != NOT_ATTEMPTED for v in found) else NOT_ATTEMPTED


#: RegistrationInstance.state key of the elements a completion requirement decided ({id: status word}).
STATE_KEY = "aiccCompletion"

#: A status word as the API's completion / success words (None: the word says nothing of it).
WIRE: dict[str, tuple[str, str | None]] = {
    PASSED: ("COMPLETED", "PASSED"), FAILED: ("COMPLETED", "FAILED"), COMPLETED: ("COMPLETED", None),
    "satisfied": ("COMPLETED", None), INCOMPLETE: ("INCOMPLETE", None), BROWSED: ("INCOMPLETE", None),
    NOT_ATTEMPTED: ("UNKNOWN", None),
}


def has_requirements(structure: dict) -> bool:
    """Whether any element of STRUCTURE has completion requirements (.cmp rows)."""
    stack = [structure]
    while stack:
        node = stack.pop()
        if (node.get("data") or {}).get("completion"):
            return True
        stack.extend(node.get("children") or [])
    return False


def decided(structure: dict, status: dict[str, str]) -> dict[str, str]:
    """{id: status word} of the elements of STRUCTURE whose completion requirement holds over
    STATUS (element_statuses: blocks and earlier .cmp decisions included)."""
    out: dict[str, str] = {}
    stack = [structure]
    while stack:
        node = stack.pop()
        word = requirement_status(node, status) if node.get("id") else None
        if word:
            out[node["id"]] = word
        stack.extend(node.get("children") or [])
    return out
