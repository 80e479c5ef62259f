"""Navigation decisions for the player, made on the server behind one call (`navigate`, the player's
POST /player/runtime/navigate).

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
from coursehost.domain.errors import NotFound
from coursehost.domain.registrations import core
from coursehost.domain.runtime import sequenced

REQUESTS = sequenced.REQUESTS
_TOKEN = re.compile(r"\s*(\(|\)|&|\||~|[^()&|~\s]+)")


def leaves(structure: dict) -> list[dict]:
    """Launchable activities in tree order, as the player needs them. An item's prerequisites
    include those of the blocks around it (an AICC .pre row may name a block)."""
    out: list[dict] = []

    def walk(node: dict, inherited: str | None) -> None:
        children = node.get("children") or []
        data = node.get("data") or {}
        prerequisites = _both(inherited, data.get("prerequisites"))
        if not children:
            if node.get("href"):
                out.append({
                    "id": node["id"], "title": node.get("title") or node["id"], "href": node["href"],
                    "parameters": node.get("parameters"), "type": node.get("activity_type"),
                    "visible": node.get("visible", True), "prerequisites": prerequisites,
                    "hide": list((node.get("presentation") or {}).get("hideLMSUI") or []),
                    "web_launch": data.get("web_launch"),  # AICC Web_Launch (launch_aicc.au_href)
                })
            return
        for child in children:
            walk(child, prerequisites)

    walk(structure, None)
    return out


def _both(first: str | None, second: str | None) -> str | None:
    """Two prerequisite expressions that must both hold (either may be missing)."""
    first, second = (first or "").strip(), (second or "").strip()
    return f"({first}) & ({second})" if first and second else (first or second or None)


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


_DONE = ("passed", "completed", "p", "c")


def statuses(session: Session, instance_pk: int, structure: dict | None = None) -> dict[str, str]:
    """id -> 'satisfied' | 'attempted' | 'not attempted' for the prerequisite rules: each activity;
    each objective an activity reported (by its id, unless an activity has that id); with
    STRUCTURE, each block (element_statuses)."""
    out: dict[str, str] = {}
    objectives: dict[str, str] = {}
    for st in session.scalars(select(ActivityState).where(ActivityState.instance_pk == instance_pk)):
        runtime = st.runtime or {}
        lesson = (runtime.get("core") or {}).get("lesson_status") or ""
        done = st.completion == "COMPLETED" or st.success == "PASSED" or lesson in ("passed", "completed")
        out[st.activity_id] = "satisfied" if done else ("attempted" if st.attempts or st.runtime else "not attempted")
        for objective in runtime.get("objectives") or []:
            if isinstance(objective, dict) and objective.get("id"):
                done = str(objective.get("status") or "").lower() in _DONE
                if done or objectives.get(str(objective["id"])) != "satisfied":
                    objectives[str(objective["id"])] = "satisfied" if done else "attempted"
    for objective_id, value in objectives.items():
        out.setdefault(objective_id, value)
    return element_statuses(structure, out) if structure else out


def element_statuses(structure: dict, status: dict[str, str]) -> dict[str, str]:
    """STATUS with every block of STRUCTURE added (satisfied when all its launchable activities
    are, attempted once one is) and then the AICC completion requirements (.cmp) applied: an
    element whose requirement (AICC script over these statuses) holds takes that row's status."""
    out = dict(status)

    def walk(node: dict) -> list[str]:
        children = node.get("children") or []
        if not children:
            return [out.get(node["id"], "not attempted")] if node.get("href") else []
        found = [value for child in children for value in walk(child)]
        if node.get("id") and node["id"] not in out:
            out[node["id"]] = ("satisfied" if found and all(v == "satisfied" for v in found)
                               else "attempted" if any(v != "not attempted" for v in found) else "not attempted")
        return found

    walk(structure)
    for node in _nodes(structure):
        for row in (node.get("data") or {}).get("completion") or []:
            if isinstance(row, dict) and evaluate(row.get("requirement"), out):
                done = str(row.get("status") or "").strip().lower() in _DONE
                out[node["id"]] = "satisfied" if done else "attempted"
    return out


def _nodes(structure: dict) -> list[dict]:
    out, stack = [], [structure]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node.get("children") or [])
    return out


def prerequisites_met(expr: str | None, status: dict[str, str]) -> bool:
    """Evaluate an aicc_script prerequisite: an id is true when that item is passed or completed.
    Anything we cannot parse counts as met (never lock a learner out over our parser)."""
    if not expr or not expr.strip():
        return True
    value = evaluate(expr, status)
    return True if value is None else value


def evaluate(expr: str | None, status: dict[str, str]) -> bool | None:
    """The value of the aicc_script EXPR over STATUS (an id is true when satisfied); None when
    EXPR is empty or cannot be parsed."""
    if not expr or not expr.strip():
        return None
    parser = _Prerequisite(_TOKEN.findall(expr), status)
    try:
        result = parser.disjunction()
    except (ValueError, IndexError):
        return None
    return result if parser.pos == len(parser.tokens) else None


class _Prerequisite:
    """Recursive descent over aicc_script tokens (CAM 1.2 §2.3.2.5.1):
    disjunction := conjunction ("|" conjunction)*, conjunction := primary ("&" primary)*,
    primary := "~" primary | "(" disjunction ")" | item id. Every operand is evaluated (no short
    circuit) so that the whole expression is read and checked."""

    def __init__(self, tokens: list[str], status: dict[str, str]):
        self.tokens, self.status, self.pos = tokens, status, 0

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _primary(self) -> bool:
        tok = self._take()
        if tok == "~":
            return not self._primary()
        if tok == "(":
            val = self.disjunction()
            if self._take() != ")":
                raise ValueError
            return val
        if tok in (")", "&", "|"):
            raise ValueError
        value = self.status.get(tok)
        if value is None:  # AICC ids are case-insensitive (CMI001)
            value = next((v for k, v in self.status.items() if k.casefold() == tok.casefold()), None)
        return value == "satisfied"

    def _conjunction(self) -> bool:
        val = self._primary()
        while self._peek() == "&":
            self._take()
            val = self._primary() and val
        return val

    def disjunction(self) -> bool:
        """The value of the expression from the current token on."""
        val = self._conjunction()
        while self._peek() == "|":
            self._take()
            val = self._conjunction() or val
        return val


@dataclass
class Decision:
    activity_id: str | None  # what to deliver next; None = end the session
    message: str  # for the debug log (and the learner when nothing can be delivered)


def decide(items: list[dict], status: dict[str, str], *, request: str, current: str | None,
           target: str | None = None, start_at: str | None = None) -> Decision:
    """The item REQUEST leads to among ITEMS (tree order), honouring their prerequisites."""
    ids = [i["id"] for i in items]
    ok = {i["id"]: prerequisites_met(i.get("prerequisites"), status) for i in items}
    if request == "start":
        return _start(ids, ok, status, start_at)
    if request in ("continue", "previous"):
        return _flow(ids, ok, request, current)
    if request == "choice":
        return _choice(ok, current, target)
    return Decision(None, f"{request}: end of session")


def _start(ids: list[str], ok: dict[str, bool], status: dict[str, str], start_at: str | None) -> Decision:
    if start_at in ok and ok[start_at]:
        return Decision(start_at, f"start: deliver [{start_at}]")
    for i in ids:  # the first not yet satisfied item that may be taken, else the first
        if ok[i] and status.get(i) != "satisfied":
            return Decision(i, f"start: first unfinished item [{i}]")
    return Decision(ids[0] if ids else None, "start: every item is finished; deliver the first")


def _flow(ids: list[str], ok: dict[str, bool], request: str, current: str | None) -> Decision:
    """continue / previous: the next available item in that direction."""
    step = 1 if request == "continue" else -1
    j = (ids.index(current) if current in ids else -1) + step
    while 0 <= j < len(ids):
        if ok[ids[j]]:
            return Decision(ids[j], f"{request}: from [{current}] to [{ids[j]}]")
        j += step
    if request == "previous":
        return Decision(current, "previous: no earlier item is available")
    return Decision(None, f"continue: [{current}] was the last available item; exit")


def _choice(ok: dict[str, bool], current: str | None, target: str | None) -> Decision:
    if target not in ok:
        return Decision(current, f"choice: [{target}] is not an item of this course")
    if not ok[target]:
        return Decision(current, f"choice: the prerequisites of [{target}] are not met")
    return Decision(target, f"choice: deliver [{target}]")


def toc(items: list[dict], status: dict[str, str]) -> list[dict]:
    """The outline of ITEMS: each with its status and whether its prerequisites let it be taken."""
    return [{"id": i["id"], "title": i["title"], "visible": i["visible"] is not False,
             "status": status.get(i["id"], "not attempted"),
             "available": prerequisites_met(i.get("prerequisites"), status)} for i in items]


def flow_decision(session: Session, instance: RegistrationInstance, version: CourseVersion, launch: Launch, *,
                  request: str, current: str | None, target: str | None) -> dict:
    """SCORM 1.2 / AICC: a navigation request over the launchable items -> {activityId, message, toc}."""
    items = leaves(version.structure)
    status = statuses(session, instance.pk, version.structure)
    start_at = (launch.options or {}).get("startSco") or instance.registration.suspended_activity_id
    decision = decide(items, status, request=request, current=current, target=target, start_at=start_at)
    return {"activityId": decision.activity_id, "message": decision.message, "toc": toc(items, status)}


def _instance_version(session: Session, launch: Launch) -> tuple[RegistrationInstance, CourseVersion]:
    instance = session.get(RegistrationInstance, launch.instance_pk)
    if instance is None:
        raise NotFound("This launch's registration no longer exists")
    _, version = core.instance_course(session, instance)
    return instance, version


def navigate(session: Session, *, launch: Launch, request: str, current: str | None, target: str | None,
             lookahead: bool = True) -> dict:
    """One navigation request of LAUNCH's player: through the sequencing engine (SCORM 2004) or over
    the items in tree order -> what to deliver next, the message and the outline."""
    instance, version = _instance_version(session, launch)
    if sequenced.uses_engine(version):
        return sequenced_decision(instance, version, launch, request=request, target=target, lookahead=lookahead)
    return flow_decision(session, instance, version, launch, request=request, current=current, target=target)


def exit_sequencing(session: Session, *, launch: Launch) -> list[str]:
    """The learner leaves LAUNCH's player: end or suspend its sequencing session (SCORM 2004 only)."""
    instance, version = _instance_version(session, launch)
    if not sequenced.uses_engine(version):
        return []
    return sequenced_exit(instance, version, launch)


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
