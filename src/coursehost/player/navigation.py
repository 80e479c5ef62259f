"""Navigation decisions for the player, made on the server behind one call (POST /player/runtime/navigate).

For now: flow and choice over the launchable activities in tree order, honouring SCORM 1.2 item
prerequisites (CAM 1.2 §2.3.2.5.1 adlcp:prerequisites, aicc_script: ids with & | ~ and parentheses).
The SCORM 2004 sequencing engine replaces `decide` for sequenced courses later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import ActivityState

REQUESTS = ("start", "continue", "previous", "choice", "exit", "exitAll", "suspendAll", "abandon", "abandonAll")
_TOKEN = re.compile(r"\s*(\(|\)|&|\||~|[^()&|~\s]+)")


def leaves(structure: dict) -> list[dict]:
    """Launchable activities in tree order, as the player needs them."""
    out: list[dict] = []

    def walk(node: dict) -> None:
        children = node.get("children") or []
        if not children:
            if node.get("href"):
                data = node.get("data") or {}
                out.append({
                    "id": node["id"], "title": node.get("title") or node["id"], "href": node["href"],
                    "parameters": node.get("parameters"), "type": node.get("activity_type"),
                    "visible": node.get("visible", True), "prerequisites": data.get("prerequisites"),
                })
            return
        for child in children:
            walk(child)

    walk(structure)
    return out


def launch_href(leaf: dict) -> str:
    """href with the item's parameters appended (SCORM CAM: '?' or '#' rules)."""
    href, params = leaf["href"], (leaf.get("parameters") or "").strip()
    if not params:
        return href
    if params[0] in "?#":
        if params[0] == "?" and "?" in href:
            return href + "&" + params[1:]
        return href + params
    return href + ("&" if "?" in href else "?") + params


def statuses(session: Session, instance_pk: int) -> dict[str, str]:
    """activity id -> 'satisfied' | 'attempted' | 'not attempted' for the prerequisite rules."""
    out = {}
    for st in session.scalars(select(ActivityState).where(ActivityState.instance_pk == instance_pk)):
        lesson = ((st.runtime or {}).get("core") or {}).get("lesson_status") or ""
        done = st.completion == "COMPLETED" or st.success == "PASSED" or lesson in ("passed", "completed")
        out[st.activity_id] = "satisfied" if done else ("attempted" if st.attempts or st.runtime else "not attempted")
    return out


def prerequisites_met(expr: str | None, status: dict[str, str]) -> bool:
    """Evaluate an aicc_script prerequisite: an id is true when that item is passed or completed.
    Anything we cannot parse counts as met (never lock a learner out over our parser)."""
    if not expr or not expr.strip():
        return True
    tokens = _TOKEN.findall(expr)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def primary() -> bool:
        tok = take()
        if tok == "~":
            return not primary()
        if tok == "(":
            val = disj()
            if take() != ")":
                raise ValueError
            return val
        if tok in (")", "&", "|", None):
            raise ValueError
        return status.get(tok) == "satisfied"

    def conj() -> bool:
        val = primary()
        while peek() == "&":
            take()
            val = primary() and val
        return val

    def disj() -> bool:
        val = conj()
        while peek() == "|":
            take()
            val = conj() or val
        return val

    try:
        result = disj()
        return result if pos == len(tokens) else True
    except (ValueError, IndexError):
        return True


@dataclass
class Decision:
    activity_id: str | None  # what to deliver next; None = end the session
    message: str  # for the debug log (and the learner when nothing can be delivered)


def decide(items: list[dict], status: dict[str, str], *, request: str, current: str | None,
           target: str | None = None, start_at: str | None = None) -> Decision:
    ids = [i["id"] for i in items]
    ok = {i["id"]: prerequisites_met(i.get("prerequisites"), status) for i in items}
    if request == "start":
        for candidate in (start_at,):
            if candidate in ok and ok[candidate]:
                return Decision(candidate, f"start: deliver [{candidate}]")
        for i in ids:  # the first not yet satisfied item that may be taken, else the first
            if ok[i] and status.get(i) != "satisfied":
                return Decision(i, f"start: first unfinished item [{i}]")
        return Decision(ids[0] if ids else None, "start: every item is finished; deliver the first")
    if request in ("continue", "previous"):
        pos = ids.index(current) if current in ids else -1
        step = 1 if request == "continue" else -1
        j = pos + step
        while 0 <= j < len(ids):
            if ok[ids[j]]:
                return Decision(ids[j], f"{request}: from [{current}] to [{ids[j]}]")
            j += step
        if request == "previous":
            return Decision(current, "previous: no earlier item is available")
        return Decision(None, f"continue: [{current}] was the last available item; exit")
    if request == "choice":
        if target not in ok:
            return Decision(current, f"choice: [{target}] is not an item of this course")
        if not ok[target]:
            return Decision(current, f"choice: the prerequisites of [{target}] are not met")
        return Decision(target, f"choice: deliver [{target}]")
    return Decision(None, f"{request}: end of session")


def toc(items: list[dict], status: dict[str, str]) -> list[dict]:
    return [{"id": i["id"], "title": i["title"], "visible": i["visible"] is not False,
             "status": status.get(i["id"], "not attempted"),
             "available": prerequisites_met(i.get("prerequisites"), status)} for i in items]
