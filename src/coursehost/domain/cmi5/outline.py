"""A multi-AU cmi5 course in the player (cmi5 Quartz §5, §13.1.4): the course structure as an
outline with each AU's state (not attempted, attempted, completed, passed, failed, satisfied by its
moveOn, waived) and each block's and the course's (satisfied once every AU in it is), and the AU
the learner picks started as an AU session of its own.

The launch a launch link opened is the player's (no cmi5 session, never abandoned); each AU the
learner starts from it is a new launch carrying the player launch's options, its startSco the AU,
and "outline" naming the player launch (so its returnURL comes back to the outline)."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.lrs import XapiStatement
from coursehost.db.models.registrations import ActivityState, Launch, RegistrationInstance
from coursehost.domain.cmi5 import launch as cmi5_launch
from coursehost.domain.cmi5 import vocabulary as v
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.registrations import core
from coursehost.domain.runtime.launches import start_launch
from coursehost.domain.scorm.status import COMPLETED, FAILED, PASSED

OUTLINE_OPTION = "outline"  # on an AU launch started from the outline: the player launch's id
MODE_OPTION = cmi5_launch.MODE_OPTION


def plays_outline(structure: dict, options: dict) -> bool:
    """Whether a launch of a course with STRUCTURE and launch OPTIONS opens the outline: more than
    one AU, and the launch link did not name one (startSco launches straight into it)."""
    return len(cmi5_launch.all_aus_of(structure)) > 1 and not options.get("startSco")


def _move_on(au: dict) -> str:
    return (au.get("data") or {}).get("moveOn") or "NotApplicable"


def _met(state: ActivityState | None, move_on: str) -> bool:
    if move_on == "NotApplicable":
        return True
    if state is None:
        return False
    done, passed = state.completion == COMPLETED, state.success == PASSED
    return {"Completed": done, "Passed": passed, "CompletedAndPassed": done and passed,
            "CompletedOrPassed": done or passed}.get(move_on, False)


def _waived(session: Session, app_pk: int, registration: str) -> set[str]:
    """The ids of the AUs the LMS waived in REGISTRATION (§9.3.7): the waived statements' objects
    and the publisher ids in their grouping."""
    out: set[str] = set()
    for body in session.scalars(select(XapiStatement.body).where(
            XapiStatement.application_pk == app_pk, XapiStatement.registration == registration,
            XapiStatement.verb_id == v.WAIVED, XapiStatement.voided.is_(False))):
        stmt = json.loads(body)
        out.add((stmt.get("object") or {}).get("id"))
        grouping = ((stmt.get("context") or {}).get("contextActivities") or {}).get("grouping") or []
        out.update(g.get("id") for g in grouping if isinstance(g, dict))
    return out


def _au_states(state: ActivityState | None, *, met: bool, waived: bool) -> list[str]:
    if waived:
        return ["waived", "satisfied"]
    out = []
    if state is not None and state.completion == COMPLETED:
        out.append("completed")
    if state is not None and state.success in (PASSED, FAILED):
        out.append("passed" if state.success == PASSED else "failed")
    if not out:
        out.append("attempted" if state is not None and (state.attempts or 0) > 0 else "not attempted")
    if met:
        out.append("satisfied")
    return out


def _node(node: dict, states: dict[str, ActivityState], waived: set[str]) -> dict:
    children = node.get("children") or []
    if not children:
        state = states.get(node["id"])
        is_waived = node["id"] in waived
        met = is_waived or _met(state, _move_on(node))
        return {"id": node["id"], "title": node.get("title") or node["id"], "kind": "au", "satisfied": met,
                "moveOn": _move_on(node), "states": _au_states(state, met=met, waived=is_waived)}
    kids = [_node(child, states, waived) for child in children]
    return {"id": node["id"], "title": node.get("title") or node["id"], "kind": "block",
            "satisfied": all(k["satisfied"] for k in kids), "children": kids}


def _player_launch(session: Session, launch_id: str) -> Launch:
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id)).first()
    if launch is None or (launch.options or {}).get(cmi5_launch.OPTION):
        raise NotFound("This course outline no longer exists")
    return launch


def course_outline(session: Session, *, launch_id: str) -> dict:
    """The outline of player launch LAUNCH_ID's course: {title, ended, course: {..., children}}."""
    launch = _player_launch(session, launch_id)
    instance = session.get(RegistrationInstance, launch.instance_pk)
    registration = instance.registration
    course, version = core.instance_course(session, instance)
    structure = version.structure or {}
    states = {s.activity_id: s for s in session.scalars(select(ActivityState).where(
        ActivityState.instance_pk == instance.pk))}
    waived = _waived(session, registration.application_pk, cmi5_launch.registration_uuid(registration))
    root = _node(structure, states, waived)
    root["kind"] = "course"
    return {"title": version.title or course.title, "ended": launch.exit_time is not None, "course": root}


LAUNCH_MODES = ("Normal", "Review")  # what the outline offers (Browse: no product use yet)


def start_au(session: Session, *, launch_id: str, au_id: str, mode: str, user_agent: str | None) -> tuple[str, int]:
    """A new launch of AU AU_ID in launch MODE from player launch LAUNCH_ID's outline -> (its launch
    id, the course version pk), then begun as an AU session by the caller. NotFound for an ended
    outline, InvalidInput for an AU the course does not have or a mode it does not offer."""
    if mode not in LAUNCH_MODES:
        raise InvalidInput(f"launch mode must be one of {', '.join(LAUNCH_MODES)}: [{mode}]")
    player = _player_launch(session, launch_id)
    if player.exit_time is not None:
        raise NotFound("This course outline has been closed; launch the course again")
    instance = session.get(RegistrationInstance, player.instance_pk)
    _, version = core.instance_course(session, instance)
    if au_id not in {au["id"] for au in cmi5_launch.all_aus(version)}:
        raise InvalidInput(f"[{au_id}] is not an AU of this course")
    options = {k: val for k, val in (player.options or {}).items() if k != OUTLINE_OPTION}
    row = start_launch(session, registration=instance.registration, instance=instance, tracking=player.tracking,
                       options={**options, "startSco": au_id, OUTLINE_OPTION: launch_id, MODE_OPTION: mode},
                       user_agent=user_agent)
    return row.launch_id, version.pk


def outline_of(session: Session, *, launch_id: str) -> str | None:
    """The player launch whose outline AU launch LAUNCH_ID was started from, or None."""
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id)).first()
    return (launch.options or {}).get(OUTLINE_OPTION) if launch is not None else None
