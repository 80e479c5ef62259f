"""SCORM run-time changes as xAPI statements in the application's LRS (xAPI-for-SCORM, on unless
the application's XapiForScormEnabled is false), so one LRS query shows every standard's results.

The mapping follows ADL's xAPI SCORM Profile where it speaks (verbs, the SCORM category, interactions
as cmi.interaction activities). Statement ids are uuid5 of the registration, launch, activity, change
and sequence number: a commit's statements are written in the commit's own transaction, and a
retried commit (same seq) is not applied twice, so no statement is ever written twice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlalchemy.orm import Session

from coursehost.db.models.registrations import ActivityState, Launch
from coursehost.db.models.tenancy import Application
from coursehost.domain.errors import Conflict, InvalidInput
from coursehost.domain.lrs.statements import Writer, format_timestamp, store_statements
from coursehost.domain.lrs.versions import V1
from coursehost.domain.registrations.core import registration_uuid
from coursehost.domain.registrations.launch_credentials import learner_actor
from coursehost.domain.runtime.launches import NO_CREDIT_OPTION, LaunchContext
from coursehost.domain.scorm.datamodel import exit_value, get, number, session_seconds
from coursehost.domain.scorm.durations import format_iso
from coursehost.domain.scorm.status import COMPLETED, FAILED, PASSED, Result, result_for
from coursehost.domain.standards import RuntimeFamily
from coursehost.domain.values import truthy

#: The application-level setting that turns the statements on or off (settings_registry catalog).
SETTING_ID = "XapiForScormEnabled"
#: Key in Launch.options: the activities whose "initialized" statement this launch has written.
INITIALIZED_OPTION = "xapiInitialized"

_ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {name: {"id": _ADL + name, "display": {"en-US": name}}
         for name in ("initialized", "completed", "passed", "failed", "suspended", "answered")}
SCORM_CATEGORY = {"id": "https://w3id.org/xapi/scorm", "definition": {"type": "http://adlnet.gov/expapi/activities/profile"}}
_NAMESPACE = uuid.UUID("6a3c1f1e-5d0b-5b7e-9f43-2c1d1a9e0b71")  # ours: statement ids of SCORM changes
#: SCORM interaction types that are xAPI interactionType values (xAPI 1.0.3 Data §2.4.4.1.1).
_INTERACTION_TYPES = frozenset({"true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
                                "sequencing", "likert", "numeric", "other"})
_RESULTS = {"correct": True, "wrong": False, "incorrect": False}  # 1.2 "wrong", 2004 "incorrect"


@dataclass(frozen=True)
class Origin:
    """Who did what where: everything a statement needs besides the run-time data."""

    home_page: str  # the service's public URL
    app_id: str
    course_id: str
    course_title: str
    learner_id: str
    learner_name: str
    registration: str  # the registration's UUID (context.registration)
    launch_id: str
    activity_id: str
    activity_title: str
    fam: RuntimeFamily

    @property
    def course_iri(self) -> str:
        """The course's activity id (the grouping activity of every statement)."""
        return f"{self.home_page}/xapi/{quote(self.app_id, safe='')}/courses/{quote(self.course_id, safe='')}"

    @property
    def activity_iri(self) -> str:
        """The SCO's activity id, below the course's."""
        return f"{self.course_iri}/activities/{quote(self.activity_id, safe='')}"

    def interaction_iri(self, interaction_id: str) -> str:
        """An interaction's activity id: the course's plus the interaction id."""
        return f"{self.course_iri}/interactions/{quote(interaction_id, safe='')}"


def record_scorm_statements(session: Session, *, ctx: LaunchContext, launch: Launch, state: ActivityState,
                            activity: dict, runtime: dict, settings: dict[str, str], seq: int,
                            public_url: str | None, now: datetime, app: Application | None = None) -> list[str]:
    """Write the statements of one commit (STATE still holds the previous run-time data, RUNTIME the
    new) into the application's LRS in the caller's transaction; their ids. None when the setting is
    off or the caller has no public URL to name the learner's account with. APP: the registration's
    application when the caller has it (read before its transaction; only its pk and app id are used)."""
    if not public_url or not truthy(settings.get(SETTING_ID, "true")):
        return []
    if app is None or app.pk != ctx.registration.application_pk:
        app = session.get(Application, ctx.registration.application_pk)
    origin = _origin(ctx, launch, activity, app.app_id, public_url.rstrip("/"))
    first = activity["id"] not in (launch.options or {}).get(INITIALIZED_OPTION, [])
    no_credit = bool((launch.options or {}).get(NO_CREDIT_OPTION))
    before = result_for(ctx.fam, state.runtime or {}, activity, settings, credit=True)
    after = result_for(ctx.fam, runtime, activity, settings, credit=True)
    stmts = statements_for(origin, before=state.runtime or {}, after=runtime, results=(before, after),
                           first=first, seq=seq, now=now, credit=not no_credit)
    if first:
        launch.options = {**(launch.options or {}),
                          INITIALIZED_OPTION: [*(launch.options or {}).get(INITIALIZED_OPTION, []), activity["id"]]}
    if not stmts:
        return []
    writer = Writer(app.pk, None, {"objectType": "Agent",
                                   "account": {"homePage": f"{origin.home_page}/lrs/{app.app_id}", "name": app.app_id}})
    return _store(session, writer, stmts, now)


def _origin(ctx: LaunchContext, launch: Launch, activity: dict, app_id: str, home_page: str) -> Origin:
    reg, learner = ctx.registration, ctx.registration.learner or {}
    name = " ".join(p for p in (learner.get("firstName"), learner.get("lastName")) if p)
    return Origin(home_page=home_page, app_id=app_id, course_id=reg.course_id,
                  course_title=ctx.version.title or reg.course_id,
                  learner_id=reg.learner_id, learner_name=name, registration=registration_uuid(reg, ctx.instance.instance),
                  launch_id=launch.launch_id, activity_id=activity["id"],
                  activity_title=str(activity.get("title") or activity["id"]), fam=ctx.fam)


def _store(session: Session, writer: Writer, stmts: list[dict], now: datetime) -> list[str]:
    """All of STMTS, or, should one be refused by the LRS's checks, every one that passes: a learner's
    commit is never refused because a SCO wrote a value xAPI cannot carry."""
    try:
        return store_statements(session, writer=writer, body=stmts, version=V1, now=now)
    except (InvalidInput, Conflict):
        stored = []
        for stmt in stmts:
            try:
                stored += store_statements(session, writer=writer, body=stmt, version=V1, now=now)
            except (InvalidInput, Conflict):
                continue
        return stored


def statements_for(origin: Origin, *, before: dict, after: dict, results: tuple[Result, Result], first: bool,
                   seq: int, now: datetime, credit: bool = True) -> list[dict]:
    """The statements for the change from run-time data BEFORE to AFTER (results: the activity's
    results of each), in order: initialized (FIRST commit of the launch for this activity),
    completed, passed / failed, answered per new or changed interaction, suspended; pure."""
    old, new = results
    out: list[dict] = []
    if first:
        out.append(_statement(origin, "initialized", seq, now, origin.activity_iri))
    if credit and new.completion == COMPLETED and old.completion != COMPLETED:
        out.append(_statement(origin, "completed", seq, now, origin.activity_iri, result=_result(origin, after, new)))
    if credit and new.success in (PASSED, FAILED) and new.success != old.success:
        verb = "passed" if new.success == PASSED else "failed"
        out.append(_statement(origin, verb, seq, now, origin.activity_iri, result=_result(origin, after, new)))
    out.extend(_answers(origin, before, after, seq, now))
    if exit_value(after, origin.fam) == "suspend" and (first or exit_value(before, origin.fam) != "suspend"):
        duration = format_iso(session_seconds(after, origin.fam))
        out.append(_statement(origin, "suspended", seq, now, origin.activity_iri, result={"duration": duration}))
    return out


def statement_id(origin: Origin, change: str, seq: int) -> str:
    """The stable id of one change's statement: a retried commit maps to the same id."""
    name = "|".join((origin.registration, origin.launch_id, origin.activity_id, change, str(seq)))
    return str(uuid.uuid5(_NAMESPACE, name))


def _statement(origin: Origin, verb: str, seq: int, now: datetime, object_id: str, *,
               result: dict | None = None, definition: dict | None = None, change: str | None = None,
               parent: str | None = None) -> dict:
    """One statement of ORIGIN's learner; the SCO (or PARENT) as parent, the course as grouping."""
    is_sco = object_id == origin.activity_iri and definition is None
    definition = definition or ({"name": {"und": origin.activity_title},
                                 "type": "http://adlnet.gov/expapi/activities/lesson"} if is_sco else None)
    stmt = {
        "id": statement_id(origin, change or verb, seq),
        "actor": _actor(origin),
        "verb": VERBS[verb],
        "object": {"objectType": "Activity", "id": object_id, **({"definition": definition} if definition else {})},
        "context": {"registration": origin.registration, "contextActivities": {
            "parent": [{"id": parent or origin.course_iri}],
            "grouping": [{"id": origin.course_iri, "definition": {
                "name": {"und": origin.course_title}, "type": "http://adlnet.gov/expapi/activities/course"}}],
            "category": [SCORM_CATEGORY]}},
        "timestamp": format_timestamp(now),
    }
    if result:
        stmt["result"] = result
    return stmt


def _actor(origin: Origin) -> dict:
    # The learner as every launch names them (an mbox for an e-mail learner id, else an account).
    return learner_actor(origin.learner_id, {"firstName": origin.learner_name}, origin.home_page)


def _result(origin: Origin, runtime: dict, res: Result) -> dict:
    """result of a completed / passed / failed statement: score, success and completion as known."""
    out: dict = {}
    score = _score(origin, runtime, res)
    if score:
        out["score"] = score
    if res.success in (PASSED, FAILED):
        out["success"] = res.success == PASSED
    if res.completion == COMPLETED:
        out["completion"] = True
    return out


def _score(origin: Origin, runtime: dict, res: Result) -> dict:
    """result.score: scaled from the activity's result (percent -> -1..1), raw/min/max as the SCO set
    them when they are consistent (xAPI 1.0.3 Data §2.4.5.1: min <= raw <= max)."""
    base = "core.score" if origin.fam == RuntimeFamily.SCORM12 else "score"
    raw, low, high = (number(get(runtime, f"{base}.{k}")) for k in ("raw", "min", "max"))
    out: dict = {}
    if res.score is not None:
        out["scaled"] = max(-1.0, min(1.0, round(res.score / 100.0, 6)))
    if low is not None and high is not None and low > high:
        low = high = None
    if raw is not None and (low is None or raw >= low) and (high is None or raw <= high):
        out["raw"] = raw
    if low is not None and (raw is None or "raw" in out):
        out["min"] = low
    if high is not None and (raw is None or "raw" in out):
        out["max"] = high
    return out


def _answers(origin: Origin, before: dict, after: dict, seq: int, now: datetime) -> list[dict]:
    """An "answered" statement per interaction record that is new or changed since BEFORE (records
    are compared by index: SCORM 1.2 journals interactions, 2004 may update one in place)."""
    old, new = (_records(data.get("interactions")) for data in (before, after))
    out = []
    for index, item in enumerate(new):
        if not isinstance(item, dict) or not item.get("id"):
            continue
        if index < len(old) and old[index] == item:
            continue
        out.append(_answer(origin, index, item, seq, now))
    return out


def _xapi_response(response: str, kind: str) -> str:
    """A SCORM 1.2 response in xAPI's form (Data §2.4.4.1.1.1 / SCORM 2004 RTE 4.2.9): list items
    "a,b" -> "a[,]b" (choice, sequencing, matching), matching pairs "1.a" -> "1[.]a"; 1.2's braces dropped."""
    if kind not in ("choice", "sequencing", "matching"):
        return response
    items = [item.strip() for item in response.strip().removeprefix("{").removesuffix("}").split(",")]
    if kind == "matching":
        items = [item.replace(".", "[.]", 1) for item in items]
    return "[,]".join(items)


def _records(value: object) -> list:
    return value if isinstance(value, list) else []


def _answer(origin: Origin, index: int, item: dict, seq: int, now: datetime) -> dict:
    kind = str(item.get("type") or "").strip()
    definition: dict = {"type": "http://adlnet.gov/expapi/activities/cmi.interaction"}
    if kind in _INTERACTION_TYPES:
        definition["interactionType"] = kind
    description = item.get("description")
    if description:
        definition["description"] = {"und": str(description)}
    response = item.get("student_response" if origin.fam == RuntimeFamily.SCORM12 else "learner_response")
    result: dict = {}
    if isinstance(response, str) and response:
        result["response"] = _xapi_response(response, kind) if origin.fam == RuntimeFamily.SCORM12 else response
    success = _RESULTS.get(str(item.get("result") or "").strip().lower())
    if success is not None:
        result["success"] = success
    return _statement(origin, "answered", seq, now, origin.interaction_iri(str(item["id"])), result=result or None,
                      definition=definition, change=f"answered|{index}", parent=origin.activity_iri)
