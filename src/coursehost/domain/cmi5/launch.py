"""A cmi5 AU launch (cmi5 Quartz §8, §10, §11): the launch URL's parameters, LMS.LaunchData in
the State resource, the learner preferences agent profile, the LMS's "launched" statement, and the
one-time fetch of the AU's auth token.

The session's secrets live in the Launch row's options under "cmi5" (fetch key, auth secret,
whether fetch has been used): the launch is the AU session (§9.6.3.1 session id = launch id)."""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import CourseVersion
from coursehost.db.models.registrations import Launch, Registration, RegistrationInstance
from coursehost.db.models.tenancy import Application
from coursehost.domain.cmi5 import journal
from coursehost.domain.cmi5 import vocabulary as v
from coursehost.domain.errors import NotFound
from coursehost.domain.lrs import documents as docs
from coursehost.domain.lrs.statements import Writer, store_statements
from coursehost.domain.lrs.validation_values import agent_key
from coursehost.domain.lrs.versions import V1
from coursehost.domain.registrations import core

OPTION = "cmi5"
AUTH_PREFIX = "cmi5."  # the user part of an AU's Basic auth token: "cmi5.<launch id>"
LAUNCH_DATA = "LMS.LaunchData"
PREFERENCES = "cmi5LearnerPreferences"


@dataclass(frozen=True)
class Cmi5Session:
    """One AU session as the LRS sees it: who may write what (§8.2.2: the token is for this AU only)."""

    launch_id: str
    app_pk: int
    registration_pk: int
    registration: str  # the UUID of the registration (§8.1.4)
    activity_id: str
    course_id: str
    actor: dict
    move_on: str
    mastery_score: float | None
    launch_mode: str


def registration_uuid(registration: Registration) -> str:
    """cmi5 §8.1.4 wants a UUID; ours are caller-chosen strings, so one is derived, stable per registration."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:coursehost:registration:{registration.pk}"))


def actor_for(registration: Registration, *, base_url: str) -> dict:
    """The learner as an xAPI Agent with an account on this service (§8.1.3: account IFI)."""
    learner = registration.learner or {}
    name = " ".join(str(p) for p in (learner.get("firstName"), learner.get("lastName")) if p) or registration.learner_id
    return {"objectType": "Agent", "name": name,
            "account": {"homePage": base_url, "name": registration.learner_id}}


def all_aus(version: CourseVersion) -> list[dict]:
    """The course's AUs in course-structure order."""
    return all_aus_of(version.structure)


def all_aus_of(structure: dict) -> list[dict]:
    """The AUs of a course STRUCTURE (the root Activity as a dict) in order."""
    out: list[dict] = []

    def walk(node: dict) -> None:
        if node.get("href") and not node.get("children"):
            out.append(node)
        for child in node.get("children") or []:
            walk(child)
    walk(structure)
    return out


def _au(version: CourseVersion, au_id: str | None = None) -> dict:
    """The AU AU_ID of the course (the launch link's startSco), else its first AU."""
    aus = all_aus(version)
    if not aus:
        raise NotFound("This cmi5 course has no AU")
    return next((au for au in aus if au["id"] == au_id), aus[0])


def _au_url(au: dict, content_base: str) -> str:
    href = au["href"]
    return href if "://" in href else content_base + href


def _context_template(session_id: str, au: dict) -> dict:
    """§10.2.1 contextTemplate: the session id extension and the AU's publisher id in grouping."""
    return {"contextActivities": {"grouping": [{"id": au["id"]}]},
            "extensions": {v.EXT_SESSION: session_id}}


def _launch_data(session_id: str, au: dict, *, return_url: str) -> dict:
    data = au.get("data") or {}
    out = {"contextTemplate": _context_template(session_id, au), "launchMode": "Normal",
           "launchMethod": data.get("launchMethod") or "AnyWindow", "moveOn": data.get("moveOn") or "NotApplicable",
           "returnURL": return_url}
    if data.get("masteryScore") is not None:
        out["masteryScore"] = data["masteryScore"]
    if data.get("launchParameters"):
        out["launchParameters"] = data["launchParameters"]
    if data.get("entitlementKey"):
        out["entitlementKey"] = {"courseStructure": data["entitlementKey"]}
    return out


def _put(session: Session, app_pk: int, key: docs.DocumentKey, value: dict) -> None:
    docs.put_document(session, app_pk=app_pk, key=key, content=json.dumps(value).encode(),
                      content_type="application/json", pre=docs.Preconditions())


def lms_writer(app_pk: int, base_url: str) -> Writer:
    """The LMS as the authority of its own statements."""
    return Writer(app_pk, None, {"objectType": "Agent", "account": {"homePage": base_url, "name": "lms"}})


def _launched(sess: Cmi5Session, au: dict, launch_url: str) -> dict:
    data = au.get("data") or {}
    ext = {v.EXT_SESSION: sess.launch_id, v.EXT_LAUNCHMODE: sess.launch_mode, v.EXT_LAUNCHURL: launch_url,
           v.EXT_MOVEON: sess.move_on}
    if data.get("launchParameters"):
        ext[v.EXT_LAUNCHPARAMS] = data["launchParameters"]
    return lms_statement(sess, v.LAUNCHED, ext=ext)


def lms_statement(sess: Cmi5Session, verb: str, *, ext: dict | None = None, obj: str | None = None,
                  category: tuple[str, ...] = (v.CMI5_CATEGORY,), result: dict | None = None,
                  obj_type: str | None = None) -> dict:
    """A statement the LMS makes about this session (§9.4-§9.5: launched, satisfied, ...)."""
    stmt = {"id": str(uuid.uuid4()), "actor": sess.actor,
            "verb": {"id": verb, "display": {"en-US": v.DISPLAY.get(verb, verb.rsplit("/", 1)[-1])}},
            "object": {"objectType": "Activity", "id": obj or sess.activity_id,
                       **({"definition": {"type": obj_type}} if obj_type else {})},
            "context": {"registration": sess.registration,
                        "contextActivities": {"grouping": [{"id": sess.course_id}],
                                              "category": [{"id": c} for c in category]},
                        "extensions": {v.EXT_SESSION: sess.launch_id, **(ext or {})}}}
    if result:
        stmt["result"] = result
    return stmt


def begin_session(session: Session, *, launch_id: str, base_url: str, content_base: str, fetch_url: str,
                  return_url: str) -> str:
    """Prepare launch LAUNCH_ID of a cmi5 course and return the AU's launch URL (§8.1): LaunchData
    and learner preferences written, "launched" stated, fetch key and auth secret minted."""
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id)).one()
    instance = session.get(RegistrationInstance, launch.instance_pk)
    registration = instance.registration
    _, version = core.instance_course(session, instance)
    au = _au(version, (launch.options or {}).get("startSco"))
    _abandon_earlier(session, launch, base_url=base_url)
    fetch_key = secrets.token_urlsafe(32)
    launch.options = {**(launch.options or {}), OPTION: {
        "fetch": fetch_key, "secret": secrets.token_urlsafe(32), "fetched": False, "au": au["id"],
        "course": version.structure.get("id") or au["id"],
        "actor": actor_for(registration, base_url=base_url)}}
    sess = session_of(session, launch)
    key = docs.DocumentKey(docs.STATE, LAUNCH_DATA, activity_id=au["id"], agent_key=agent_key(sess.actor),
                           registration=sess.registration)
    _put(session, registration.application_pk, key, _launch_data(launch_id, au, return_url=return_url))
    prefs = docs.DocumentKey(docs.AGENT_PROFILE, PREFERENCES, agent_key=agent_key(sess.actor))
    if docs.get_document(session, app_pk=registration.application_pk, key=prefs) is None:
        _put(session, registration.application_pk, prefs, {"languagePreference": "", "audioPreference": "on"})
    url = _au_url(au, content_base)
    app = session.get(Application, registration.application_pk)
    query = urlencode({"endpoint": f"{base_url}/lrs/{app.app_id}/",
                       "fetch": f"{fetch_url}?k={fetch_key}&l={launch_id}",
                       "actor": json.dumps(sess.actor), "registration": sess.registration,
                       "activityId": au["id"]})
    url = url + ("&" if "?" in url else "?") + query
    store_statements(session, writer=lms_writer(registration.application_pk, base_url),
                     body=_launched(sess, au, url), version=V1)
    journal.log(session, launch_id=launch_id, entries=[journal.entry(
        "launch", activity_id=au["id"], args=[sess.registration, sess.launch_mode], result="LMS.LaunchData written")])
    return url


def _abandon_earlier(session: Session, launch: Launch, *, base_url: str) -> None:
    """§9.5.6.3 (abandoned): an earlier session of this registration that never sent terminated has
    ended abnormally; the LMS says so, detected here at the next launch, and closes it."""
    earlier = session.scalars(select(Launch).where(
        Launch.instance_pk == launch.instance_pk, Launch.pk != launch.pk, Launch.exit_time.is_(None))).all()
    stale = [row for row in earlier if (row.options or {}).get(OPTION)]
    if not stale:
        return
    statements = []
    for row in stale:
        old = session_of(session, row)
        statements.append(lms_statement(old, v.ABANDONED))
        row.exit_time = launch.launch_time
        row.options = {**row.options, OPTION: {**row.options[OPTION], "abandoned": True}}
    store_statements(session, writer=lms_writer(old.app_pk, base_url), body=statements, version=V1)
    session.flush()


def session_of(session: Session, launch: Launch) -> Cmi5Session:
    """The cmi5 session launch LAUNCH is (NotFound for a launch that is not a cmi5 one)."""
    data = (launch.options or {}).get(OPTION)
    if not data:
        raise NotFound("This launch is not a cmi5 session")
    instance = session.get(RegistrationInstance, launch.instance_pk)
    registration = instance.registration
    version = core.instance_version(session, instance)
    au = _au(version, data["au"])
    au_data = au.get("data") or {}
    return Cmi5Session(launch.launch_id, registration.application_pk, registration.pk,
                       registration_uuid(registration), data["au"], data["course"], data["actor"],
                       au_data.get("moveOn") or "NotApplicable", au_data.get("masteryScore"), "Normal")


class FetchRefused(Exception):
    """§8.2.3: a fetch URL answers once; what the AU gets after (error-code, error-text)."""

    def __init__(self, code: str, text: str):
        super().__init__(text)
        self.code = code


def fetch_token(session: Session, *, launch_id: str, key: str) -> str:
    """The auth token for the AU of LAUNCH_ID (§8.2.2), once: FetchRefused on a second call or a wrong key."""
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id).with_for_update()
                             .execution_options(populate_existing=True)).first()
    data = ((launch.options or {}).get(OPTION) if launch else None) or {}
    if not data or not hmac.compare_digest(str(data.get("fetch", "")).encode(), key.encode()):
        raise FetchRefused("3", "This fetch URL is not valid")
    if data.get("fetched"):
        raise FetchRefused("1", "The auth token has already been retrieved")
    if launch.exit_time is not None:
        raise FetchRefused("2", "This session has ended")
    launch.options = {**launch.options, OPTION: {**data, "fetched": True}}
    journal.log(session, launch_id=launch_id, entries=[journal.entry(
        "POST fetch", activity_id=data.get("au", ""), args=[], result="200")])
    session.flush()
    return base64.b64encode(f"{AUTH_PREFIX}{launch_id}:{data['secret']}".encode()).decode()


def authenticate(session: Session, *, app_pk: int, user: str, secret: str) -> Cmi5Session | None:
    """The AU session an auth token (Basic USER:SECRET) stands for on application APP_PK's LRS, or None."""
    launch_id = user[len(AUTH_PREFIX):]
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id)).first()
    data = ((launch.options or {}).get(OPTION) if launch else None) or {}
    if not data.get("fetched") or data.get("abandoned") or not hmac.compare_digest(str(data.get("secret", "")).encode(), secret.encode()):
        return None
    sess = session_of(session, launch)
    return sess if sess.app_pk == app_pk else None


def application_pk(session: Session, *, app_id: str) -> int | None:
    """The pk of application APP_ID (the LRS path's), or None."""
    return session.scalars(select(Application.pk).where(Application.app_id == app_id)).first()


def launch_options(session: Session, *, launch_id: str) -> dict | None:
    """The launch options (redirectOnExitUrl, ...) of cmi5 launch LAUNCH_ID, or None."""
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id)).first()
    if launch is None or not (launch.options or {}).get(OPTION):
        return None
    return {k: val for k, val in launch.options.items() if k != OPTION}
