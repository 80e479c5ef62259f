"""What the LMS does to a registration's AUs from outside an AU session (cmi5 Quartz §9.3.6,
§9.3.7): abandon a session that will not terminate, and waive an AU. SCORM Cloud's API has no
operation for either; Coursehost's own endpoints call these (api/v2/cmi5.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import ActivityState, Launch, Registration, RegistrationInstance
from coursehost.domain.cmi5 import journal, results
from coursehost.domain.cmi5 import vocabulary as v
from coursehost.domain.cmi5.launch import (
    OPTION,
    Cmi5Session,
    actor_for,
    all_aus,
    end_session,
    generated_id,
    lms_statement,
    lms_writer,
    registration_uuid,
)
from coursehost.domain.errors import Conflict, InvalidInput, NotFound
from coursehost.domain.lrs.statements import store_statements
from coursehost.domain.lrs.versions import V1
from coursehost.domain.registrations import core
from coursehost.domain.scorm.status import COMPLETED, PASSED

EXT_REASON = "https://w3id.org/xapi/cmi5/result/extensions/reason"
REASONS = ("Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative")  # §9.5.5.2


def abandon_session(session: Session, *, application_pk: int, session_id: str, base_url: str) -> None:
    """End AU session SESSION_ID (a launch id) of application APPLICATION_PK as abandoned (§9.3.6):
    the "abandoned" statement, and its auth token no longer opens the LRS. NotFound for a session
    that is not this application's cmi5 session, Conflict for one that has already ended."""
    launch = session.scalars(select(Launch).where(Launch.launch_id == session_id).with_for_update()).first()
    instance = session.get(RegistrationInstance, launch.instance_pk) if launch is not None else None
    if instance is None or not (launch.options or {}).get(OPTION) or \
            instance.registration.application_pk != application_pk:
        raise NotFound(f"cmi5 session [{session_id}] not found")
    if launch.exit_time is not None:
        raise Conflict(f"cmi5 session [{session_id}] has already ended")
    end_session(session, launch, base_url=base_url, now=datetime.now(UTC))
    journal.log(session, launch_id=session_id, entries=[journal.entry(
        "abandon", activity_id=launch.options[OPTION].get("au", ""), args=[], result="abandoned by the LMS")])


def waive_au(session: Session, *, registration: Registration, au_id: str, reason: str, base_url: str) -> str:
    """Waive AU AU_ID of REGISTRATION for REASON (§9.3.7, §9.5.5.2): the "waived" statement in a
    session of its own, the AU satisfied from then on, and the satisfied statements of the blocks
    and the course it completes (same session id). Returns that session id. InvalidInput for an
    unknown AU or reason, Conflict for an AU already satisfied."""
    if reason not in REASONS:
        raise InvalidInput(f"reason must be one of {', '.join(REASONS)}: [{reason}]")
    instance = core.get_instance(session, registration=registration)
    course, version = core.instance_course(session, instance)
    au = next((a for a in all_aus(version) if a["id"] == au_id), None)
    if au is None:
        raise InvalidInput(f"[{au_id}] is not an AU of this registration's course")
    data = au.get("data") or {}
    move_on = data.get("moveOn") or "NotApplicable"
    states = {s.activity_id: s for s in session.scalars(select(ActivityState).where(
        ActivityState.instance_pk == instance.pk))}
    if au_id in states and results.moveon_met(states[au_id], move_on) or move_on == "NotApplicable":
        raise Conflict(f"AU [{au_id}] is already satisfied; only an AU that is not may be waived (cmi5 9.3.7)")
    session_id = str(uuid.uuid4())
    sess = Cmi5Session(session_id, registration.application_pk, registration.pk, registration_uuid(registration),
                       generated_id(registration.application_pk, course.course_id, "au", au_id),
                       version.structure.get("id") or au_id, actor_for(registration, base_url=base_url),
                       move_on, data.get("masteryScore"), "Normal", au_id, course.course_id)
    store_statements(session, writer=lms_writer(sess.app_pk, base_url), version=V1, body=lms_statement(
        sess, v.WAIVED, category=(v.CMI5_CATEGORY, v.MOVEON_CATEGORY),
        result={"success": True, "completion": True, "extensions": {EXT_REASON: reason}}))
    now = datetime.now(UTC)
    state = results.activity_state(session, instance.pk, au_id)
    state.completion, state.attempt_completion, state.success = COMPLETED, COMPLETED, PASSED
    state.completed_date, state.last_access = state.completed_date or now, now
    session.flush()
    states[au_id] = state
    results.state_satisfied(session, sess, base_url=base_url, states=states, structure=version.structure)
    results.summarize(session, instance, registration, all_aus(version), states, now)
    session.flush()
    return session_id
