"""Navigation decisions for the player, made on the server behind one call (`navigate`, the player's
POST /player/runtime/navigate).

SCORM 2004 courses go through the sequencing engine (`sequenced_decision`). SCORM 1.2 and AICC:
flow and choice over the launchable activities in tree order, honouring item prerequisites
(CAM 1.2 §2.3.2.5.1 adlcp:prerequisites and AICC .pre files: domain/courses/aicc_script.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import CourseVersion
from coursehost.db.models.registrations import ActivityState, Launch, RegistrationInstance
from coursehost.domain.courses import aicc_script
from coursehost.domain.courses.aicc_script import element_statuses
from coursehost.domain.errors import NotFound
from coursehost.domain.registrations import core
from coursehost.domain.runtime import sequenced

REQUESTS = sequenced.REQUESTS


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


def _both(first: str | None, second: str | dict | None) -> str | None:
    """Two prerequisite expressions that must both hold (either may be missing). SECOND may be a
    SCORM 1.2 manifest's {"value", "type"} (parsers/scorm_adlcp.py)."""
    if isinstance(second, dict):
        second = second.get("value") if (second.get("type") or "aicc_script") == "aicc_script" else None
    first, second = (first or "").strip(), str(second or "").strip()
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


def statuses(session: Session, instance_pk: int, structure: dict | None = None) -> dict[str, str]:
    """id -> status word (aicc_script: passed, completed, failed, incomplete, browsed, not
    attempted) for the prerequisite rules: each activity; each objective an activity reported (by
    its id, unless an activity has that id); with STRUCTURE, each block and the completion
    requirements (aicc_script.element_statuses)."""
    states = session.scalars(select(ActivityState).where(ActivityState.instance_pk == instance_pk))
    return statuses_of(list(states), structure)


def statuses_of(states: list[ActivityState], structure: dict | None = None) -> dict[str, str]:
    """`statuses` over STATES, the activity states of one registration instance."""
    out: dict[str, str] = {}
    objectives: dict[str, str] = {}
    for st in states:
        runtime = st.runtime or {}
        out[st.activity_id] = _activity_status(st, runtime)
        for objective in runtime.get("objectives") or []:
            if isinstance(objective, dict) and objective.get("id"):
                word = aicc_script.status_word(objective.get("status")) or aicc_script.NOT_ATTEMPTED
                if word in aicc_script.DONE or objectives.get(str(objective["id"])) not in aicc_script.DONE:
                    objectives[str(objective["id"])] = word
    for objective_id, value in objectives.items():
        out.setdefault(objective_id, value)
    return element_statuses(structure, out) if structure else out


def _activity_status(st: ActivityState, runtime: dict) -> str:
    """One activity's status word: its success, else its completion, else the lesson_status it
    reported (incomplete, browsed), else incomplete once launched."""
    if st.success == "PASSED":
        return aicc_script.PASSED
    if st.success == "FAILED":
        return aicc_script.FAILED
    if st.completion == "COMPLETED":
        return aicc_script.COMPLETED
    lesson = aicc_script.status_word((runtime.get("core") or {}).get("lesson_status"))
    if lesson in (aicc_script.PASSED, aicc_script.COMPLETED, aicc_script.FAILED, aicc_script.BROWSED):
        return lesson
    if lesson == aicc_script.INCOMPLETE or st.completion == "INCOMPLETE" or st.attempts or st.runtime:
        return aicc_script.INCOMPLETE
    return aicc_script.NOT_ATTEMPTED


def _satisfied(value: str | None) -> bool:
    return value in aicc_script.DONE


def prerequisites_met(expr: str | None, status: dict[str, str]) -> bool:
    """Evaluate an aicc_script prerequisite (aicc_script.evaluate): an id is true when that item
    is passed or completed. Anything we cannot read counts as met (never lock a learner out over
    our parser); the package parser reports such an expression at import."""
    value = aicc_script.evaluate(expr, status)
    return True if value is None else value


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
        if ok[i] and not _satisfied(status.get(i)):
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
             "status": _outline_status(status.get(i["id"])),
             "available": prerequisites_met(i.get("prerequisites"), status)} for i in items]


def _outline_status(value: str | None) -> str:
    """What the player's outline shows: satisfied, attempted or not attempted."""
    if _satisfied(value):
        return "satisfied"
    return "attempted" if value and value != aicc_script.NOT_ATTEMPTED else "not attempted"


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
