"""Playing AICC courses over HACP (AICC CMI001 appendix A): the AU's launch URL with AICC_SID and
AICC_URL, and each HACP exchange of an AU session, stored in the same run-time records as SCORM
1.2 through apply_commit (AICC's data model is 1.2's), so progress, rollup, postbacks and the
debug log work unchanged."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Launch
from coursehost.domain.errors import DomainError, InvalidInput
from coursehost.domain.registrations.launch_tokens import RUNTIME_TTL_SECONDS, TokenInvalid, sign, verify
from coursehost.domain.runtime import hacp
from coursehost.domain.runtime.commits import apply_commit
from coursehost.domain.runtime.debuglog import append_log
from coursehost.domain.runtime.launches import (
    NO_CREDIT_OPTION,
    LaunchContext,
    LaunchExited,
    find_state,
    launchable,
    lms_values,
    load_context,
    require_open,
    sco_start_data,
)
from coursehost.domain.runtime.navigation import launch_href
from coursehost.domain.scorm.datamodel import get
from coursehost.domain.standards import Delivery, LearningStandard, RuntimeFamily

SID_PURPOSE = "aicc-session"
HACP_PATH = "/player/hacp"
MAX_LOGGED_CHARS = 4000
EXITED_AUS_OPTION = "aiccExitedAus"  # Launch.options: the AUs whose HACP session ended with ExitAU
TALKED_AUS_OPTION = "aiccTalkedAus"  # Launch.options: the AU sessions that made at least one HACP request
LEFT_AUS_OPTION = "aiccLeftAus"  # Launch.options: the AU sessions the learner left (au_session_left)
UNSET_STATUSES = ("", "not attempted")  # a lesson status no AU set (the LMS's initial value)


def plays(standard: str | LearningStandard) -> bool:
    """Whether STANDARD is AICC, which this module launches (the player's hook)."""
    return LearningStandard.parse(str(standard)).delivery is Delivery.HACP


def make_sid(instance_key: str, *, launch_id: str, activity_id: str, now: float | None = None,
             session: str | None = None) -> str:
    """An opaque signed session id naming one AU session of one launch (never the runtime token):
    each delivery of an AU gets its own SESSION, so ExitAU ends that delivery only."""
    payload = {"l": launch_id, "a": activity_id, "s": session or secrets.token_urlsafe(6),
               "exp": int((time.time() if now is None else now) + RUNTIME_TTL_SECONDS)}
    return sign(instance_key, SID_PURPOSE, payload)


def read_sid(instance_key: str, sid: str) -> tuple[str, str, str]:
    """(launch id, activity id, AU session) of SID, or HacpError 3 (CMI001 A.5: invalid session id)."""
    try:
        payload = verify(instance_key, SID_PURPOSE, sid)
    except TokenInvalid:  # also TokenExpired
        raise hacp.HacpError("Invalid Session ID", hacp.INVALID_SESSION) from None
    launch_id, activity_id, au_session = payload.get("l"), payload.get("a"), payload.get("s", "")
    if not all(isinstance(v, str) for v in (launch_id, activity_id, au_session)):
        raise hacp.HacpError("Invalid Session ID", hacp.INVALID_SESSION)
    return launch_id, activity_id, au_session


def _exited_key(activity_id: str, au_session: str) -> str:
    return f"{activity_id}\n{au_session}" if au_session else activity_id


def au_href(item: dict, *, sid: str, content_url: str) -> str:
    """ITEM's launch href with its Web_Launch parameters, then AICC_SID and AICC_URL appended
    (CMI001 A.2: the AU finds both in its URL's query); an absolute File_Name stays absolute.

    The names are case-insensitive by CMI001, but AUs in the field look them up as the guidelines
    spell them (upper case), e.g. the HACP AU of jcputney/elearning-module-parser's test modules."""
    href = launch_href(item)
    query = urlencode({"AICC_SID": sid, "AICC_URL": content_url.rstrip("/") + HACP_PATH})
    web_launch = str(item.get("web_launch") or "").strip().lstrip("?&")
    if web_launch:
        query = f"{web_launch}&{query}"
    base, hash_sep, fragment = href.partition("#")
    return base + ("&" if "?" in base else "?") + query + (hash_sep + fragment)


# ---------------------------------------------------------------- one HACP exchange


@dataclass
class _Exchange:
    launch: Launch
    activity_id: str
    request: hacp.HacpRequest
    au_session: str = ""
    # The launch's registration side, loaded once: held here, the session's (weak) identity map
    # keeps its rows, so apply_commit's load_context finds them without querying again.
    context: LaunchContext | None = None


def handle(session: Session, *, instance_key: str, form: dict[str, str]) -> str:
    """Answer one HACP request FORM (its text body); a refused request changes no run-time data."""
    try:
        request = hacp.parse_request(form)
        launch_id, activity_id, au_session = read_sid(instance_key, request.session_id)
    except hacp.HacpError as exc:
        return hacp.answer(exc.code, str(exc))
    # Locked first: the next sequence number is read under the lock apply_commit takes (PostgreSQL).
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id).with_for_update()
                             .execution_options(populate_existing=True)).first()
    if launch is None:
        return hacp.answer(hacp.INVALID_SESSION, "Invalid Session ID")
    ex = _Exchange(launch, activity_id, request, au_session)
    _talked(launch, activity_id, au_session)
    try:
        require_open(launch)
        _check_password(session, ex)
        text = _dispatch(session, ex)
    except hacp.HacpError as exc:
        text = hacp.answer(exc.code, str(exc))
    except DomainError as exc:  # ended launch, unknown AU, data the 1.2 model refuses
        code = hacp.INVALID_SESSION if isinstance(exc, LaunchExited) else hacp.INVALID_COMMAND
        text = hacp.answer(code, str(exc) or hacp.ERROR_TEXT[code])
    if not text.startswith("error=0"):
        _log(session, ex, text)
    return text


def _talked(launch: Launch, activity_id: str, au_session: str) -> None:
    """Note that this AU session made an HACP request (au_session_left goes by it); once per session."""
    key = _exited_key(activity_id, au_session)
    talked = (launch.options or {}).get(TALKED_AUS_OPTION, [])
    if key not in talked:
        launch.options = {**(launch.options or {}), TALKED_AUS_OPTION: [*talked, key]}


def _check_password(session: Session, ex: _Exchange) -> None:
    """CMI001 A.5 error 2: an AU whose .au record has an AU_Password must send it."""
    ex.context = load_context(session, ex.launch)
    activity = launchable(ex.context, ex.activity_id)
    expected = (activity.get("data") or {}).get("au_password")
    if expected and not hmac.compare_digest(ex.request.au_password.encode(), str(expected).encode()):
        raise hacp.HacpError("Invalid AU password", hacp.INVALID_PASSWORD)


def _dispatch(session: Session, ex: _Exchange) -> str:
    command = ex.request.command
    if _exited_key(ex.activity_id, ex.au_session) in (ex.launch.options or {}).get(EXITED_AUS_OPTION, []):
        raise hacp.HacpError("This AU session has ended (ExitAU); launch the course again", hacp.INVALID_SESSION)
    if command == "getparam":
        text = hacp.answer(data=hacp.getparam_data(_getparam_values(session, ex)))
        _log(session, ex, text)
        return text
    runtime = _stored_runtime(session, ex)
    if command == "putparam":
        runtime = hacp.apply_putparam(runtime, ex.request.aicc_data)
    elif command == "putinteractions":
        runtime["interactions"] = list(runtime.get("interactions") or []) + hacp.interactions(ex.request.aicc_data)
    elif command == "putobjectives":
        runtime["objectives"] = hacp.merge_objectives(runtime.get("objectives"), hacp.objectives(ex.request.aicc_data))
    elif command != "exitau":  # PutPath (its CSV checked), PutComments, PutPerformance: accepted, logged
        if command == "putpath":
            hacp.path(ex.request.aicc_data)
        text = hacp.answer()
        _log(session, ex, text)
        return text
    text = hacp.answer()
    apply_commit(session, launch_pk=ex.launch.pk, activity_id=ex.activity_id, seq=(ex.launch.last_seq or 0) + 1,
                 runtime=runtime, log=[_entry(ex, text)], terminated=command == "exitau")
    if command == "exitau":  # CMI001 A.6.7: no command of this AU session is accepted after ExitAU
        options = dict(ex.launch.options or {})
        options[EXITED_AUS_OPTION] = [*options.get(EXITED_AUS_OPTION, []), _exited_key(ex.activity_id, ex.au_session)]
        ex.launch.options = options
    return text


def _stored_runtime(session: Session, ex: _Exchange) -> dict:
    state = find_state(session, ex.launch.instance_pk, ex.activity_id)
    return dict(state.runtime or {}) if state is not None else {}


def _getparam_values(session: Session, ex: _Exchange) -> dict:
    """What GetParam reports: the stored 1.2 data and the LMS's values. The first GetParam of
    the launch opens the AU's session (like the player's start call for a SCO)."""
    launch, activity_id = ex.launch, ex.activity_id
    state = find_state(session, launch.instance_pk, activity_id)
    if not launch.tracking or state is None or state.session_launch_pk != launch.pk:
        start = sco_start_data(session, launch=launch, activity_id=activity_id)
        runtime, lms = start["runtime"], start["lms"]
    else:
        ctx = load_context(session, launch)
        learner = ctx.registration.learner or {}
        name = ", ".join(str(p).strip() for p in (learner.get("lastName"), learner.get("firstName"))
                         if p and str(p).strip()) or ctx.registration.learner_id
        lms = lms_values(launchable(ctx, activity_id), RuntimeFamily.SCORM12, learner_id=ctx.registration.learner_id,
                         learner_name=name, no_credit=bool((launch.options or {}).get(NO_CREDIT_OPTION)),
                         total=state.total_seconds or 0.0, attempt_total=0.0)
        runtime = state.runtime or {}
    ctx = load_context(session, launch)
    activity = launchable(ctx, activity_id)
    data = activity.get("data") or {}
    mastery = data.get("mastery_score")
    parts = [get(runtime, f"core.score.{p}") for p in ("raw", "max", "min")]
    return {
        "student_id": lms.get("student_id", ""), "student_name": lms.get("student_name", ""),
        "lesson_location": get(runtime, "core.lesson_location"), "credit": lms.get("credit", "credit"),
        "lesson_status": get(runtime, "core.lesson_status"), "score": ",".join(parts).rstrip(","),
        "time": lms.get("total_time", ""), "lesson_mode": lms.get("lesson_mode", "normal"),
        "core_lesson": get(runtime, "suspend_data"), "mastery_score": "" if mastery is None else mastery,
        "core_vendor": data.get("core_vendor") or "",
        "objectives": _au_objectives(runtime.get("objectives"), ctx.version.extra, activity_id),
    }


def _au_objectives(stored, extra: dict | None, activity_id: str) -> list[dict]:
    """The AU's objectives for GetParam's [Objectives_Status]: those it stored, then those the .ort
    relates to it (CMI001 2.4 objectives relationships) that it has not reported yet."""
    relations = ((extra or {}).get("aicc") or {}).get("objectives_relationships") or {}
    related = next((ids for element, ids in relations.items() if element.casefold() == activity_id.casefold()), [])
    out = [o for o in (stored or []) if isinstance(o, dict)]
    known = {o.get("id") for o in out}
    return out + [{"id": j, "status": "not attempted"} for j in related if j not in known]


def _entry(ex: _Exchange, answer: str) -> dict:
    """The debug log's record of one exchange (never the session id)."""
    return {"event": "hacp", "activityId": ex.activity_id, "command": ex.request.command,
            "request": ex.request.aicc_data[:MAX_LOGGED_CHARS], "answer": answer[:MAX_LOGGED_CHARS]}


def _log(session: Session, ex: _Exchange, answer: str) -> None:
    append_log(session, ex.launch, [_entry(ex, answer)])


# ---------------------------------------------------------------- the player's side of an AU session


def au_session_href(session: Session, *, instance_key: str, launch_id: str, activity_id: str,
                    content_url: str) -> dict:
    """A new HACP session for one delivery of AU ACTIVITY_ID in launch LAUNCH_ID ->
    {"href": its launch URL (AICC_SID, AICC_URL), "session": the session's name}."""
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id)).first()
    if launch is None:
        raise LaunchExited("This launch no longer exists")
    require_open(launch)
    ctx = load_context(session, launch)
    if not plays(ctx.version.learning_standard):
        raise InvalidInput("This launch does not play an AICC course")
    item = launchable(ctx, activity_id)
    au_session = secrets.token_urlsafe(6)
    sid = make_sid(instance_key, launch_id=launch_id, activity_id=activity_id, session=au_session)
    return {"href": au_href({**item, "web_launch": (item.get("data") or {}).get("web_launch")}, sid=sid,
                            content_url=content_url), "session": au_session}


def au_session_status(session: Session, *, launch_id: str, activity_id: str, au_session: str) -> dict:
    """Whether the AU session AU_SESSION of ACTIVITY_ID has ended with ExitAU, with the AU's
    lesson status and exit (what the player's exit actions go by)."""
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id)).first()
    if launch is None:
        raise LaunchExited("This launch no longer exists")
    exited = _exited_key(activity_id, au_session) in (launch.options or {}).get(EXITED_AUS_OPTION, [])
    state = find_state(session, launch.instance_pk, activity_id)
    core = ((state.runtime or {}).get("core") or {}) if state is not None else {}
    return {"exited": exited, "lessonStatus": core.get("lesson_status") or "", "exit": core.get("exit") or ""}


def au_session_left(session: Session, *, launch_id: str, activity_id: str, au_session: str) -> dict:
    """The learner left AU session AU_SESSION of ACTIVITY_ID (the player moved to another AU, exited,
    or its page closed). An AU that never made a single HACP request in that session and whose lesson
    status is still unset is completed by the LMS, as SCORM 1.2 RTE 3.4.4 (cmi.core.lesson_status,
    "Additional Behavior Requirements", the data model AICC's is) wants when a SCO exits without
    setting a status: "upon LMSFinish() or the user navigating away, the LMS should set
    cmi.core.lesson_status to completed"; with no score there is nothing to compare with a mastery
    score. -> {"completed": whether it did}."""
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id).with_for_update()
                             .execution_options(populate_existing=True)).first()
    if launch is None:
        raise LaunchExited("This launch no longer exists")
    require_open(launch)
    key = _exited_key(activity_id, au_session)
    options = dict(launch.options or {})
    if not au_session or key in options.get(TALKED_AUS_OPTION, []) or key in options.get(LEFT_AUS_OPTION, []):
        return {"completed": False}
    ctx = load_context(session, launch)
    launchable(ctx, activity_id)  # NotFound / InvalidInput for an AU that is not this course's
    launch.options = {**options, LEFT_AUS_OPTION: [*options.get(LEFT_AUS_OPTION, []), key]}
    if not launch.tracking:
        return {"completed": False}
    state = find_state(session, launch.instance_pk, activity_id)
    if state is None or state.session_launch_pk != launch.pk:
        runtime = sco_start_data(session, launch=launch, activity_id=activity_id)["runtime"]
    else:
        runtime = dict(state.runtime or {})
    if str(get(runtime, "core.lesson_status") or "").strip().lower() not in UNSET_STATUSES:
        return {"completed": False}
    runtime["core"] = {**(runtime.get("core") or {}), "lesson_status": "completed"}
    entry = {"event": "hacp", "activityId": activity_id, "command": "(none)", "request": "",
             "answer": "The AU was left without any HACP request: the LMS set lesson_status completed "
                       "(SCORM 1.2 RTE 3.4.4)"}
    apply_commit(session, launch_pk=launch.pk, activity_id=activity_id, seq=(launch.last_seq or 0) + 1,
                 runtime=runtime, log=[entry], terminated=True)
    return {"completed": True}
