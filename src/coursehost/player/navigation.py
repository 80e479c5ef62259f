"""Navigation decisions for the player, made on the server behind one call (POST /player/runtime/navigate).

SCORM 2004 courses go through the sequencing engine (`sequenced_decision`). SCORM 1.2 and AICC:
flow and choice over the launchable activities in tree order, honouring item prerequisites
(CAM 1.2 §2.3.2.5.1 adlcp:prerequisites, aicc_script: ids with & | ~ and parentheses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import CourseVersion
from coursehost.db.models.registrations import ActivityState, Launch, RegistrationInstance
from coursehost.domain.runtime import sequenced

REQUESTS = sequenced.REQUESTS
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
                    "hide": list((node.get("presentation") or {}).get("hideLMSUI") or []),
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


# ---------------------------------------------------------------- SCORM 2004: the sequencing engine

#: Launch.options key holding the sequencing state of a launch that records nothing (tracking=false).
UNTRACKED_STATE = "untrackedSequencing"


class _UntrackedHolder:
    """The `state` of an untracked launch: its own copy, starting from the instance's."""

    def __init__(self, launch: Launch, instance: RegistrationInstance):
        self.launch, self.instance = launch, instance

    @property
    def state(self) -> dict:
        own = (self.launch.options or {}).get(UNTRACKED_STATE)
        return own if isinstance(own, dict) else dict(self.instance.state or {})

    @state.setter
    def state(self, value: dict) -> None:
        self.launch.options = {**(self.launch.options or {}), UNTRACKED_STATE: value}


def _holder(launch: Launch, instance: RegistrationInstance):
    return instance if launch.tracking else _UntrackedHolder(launch, instance)


def sequenced_decision(instance: RegistrationInstance, version: CourseVersion, launch: Launch, *,
                       request: str, target: str | None, lookahead: bool = True) -> dict:
    """A navigation request through the engine -> {activityId, ended, valid, message, toc, nav, log}."""
    tree = sequenced.tree_for(version)
    holder = _holder(launch, instance)
    ses = sequenced.load(holder, tree)
    start_at = (launch.options or {}).get("startSco")
    d = sequenced.navigate(ses, request, target, start_at=start_at)
    sequenced.save(holder, ses)
    # PlayerLookaheadSequencerMode=DISABLED: everything looks available; the sequencer still
    # refuses what it must when asked.
    nav = sequenced.nav_state(ses) if lookahead else {
        "continue": True, "previous": True, "choice": list(tree.ids), "jump": list(tree.ids),
        "menu": {a: {"enabled": True, "hidden": not tree.nodes[a].visible} for a in tree.ids}}
    if d["activityId"]:
        message = f"{request}: deliver [{d['activityId']}]"
    elif d["ended"]:
        message = f"{request}: the sequencing session has ended"
    elif request == "_none_":
        message = "The activity has ended. Choose what to do next from the outline or the buttons."
    else:
        message = _refusal(request, target, d["exception"])
    return {"activityId": d["activityId"], "current": ses.current, "ended": d["ended"], "valid": d["valid"],
            "exception": d["exception"], "message": message, "toc": sequenced.toc(ses, nav),
            "nav": {k: v for k, v in nav.items() if k != "menu"}, "log": d["log"]}


def _refusal(request: str, target: str | None, code: str | None) -> str:
    """What the learner reads when a request cannot be honoured (SN Appendix C exception codes)."""
    what = {"continue": "There is nothing to continue to from here.",
            "previous": "There is no earlier activity to go back to from here.",
            "choice": f"That activity ({target}) cannot be chosen right now.",
            "jump": f"That activity ({target}) cannot be opened right now."}.get(
        request, f"The request {request} cannot be honoured right now.")
    return what + (f" [{code}]" if code else "")


def sequenced_exit(instance: RegistrationInstance, version: CourseVersion, launch: Launch) -> list[str]:
    """The learner leaves the player: suspend all when the SCO suspended itself (cmi.exit), or while
    an activity is open and the course is not complete, so the next launch resumes where they were;
    else exit all (SN 4.4.1)."""
    tree = sequenced.tree_for(version)
    holder = _holder(launch, instance)
    ses = sequenced.load(holder, tree)
    cur = ses.current
    if cur is None:
        return []
    done = ses.activity_status(tree.root)["completion"] == "completed"
    keep = ses.activity_status(cur)["suspended"] or (sequenced.is_active(ses, cur) and not done)
    d = sequenced.navigate(ses, "suspendAll" if keep else "exitAll")
    sequenced.save(holder, ses)
    return d["log"]
