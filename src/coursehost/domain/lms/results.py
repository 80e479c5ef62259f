"""A registration's result changes for its course's LMS: recorded in the caller's transaction
(the one that changed the results), each with the statement that carries it.

A change is the course becoming completed, or passed / failed (again when the score moves). Each
is one row with a snapshot of the results and a statement id derived (uuid5) from the
configuration, the registration and the change's number, so a re-send is the same statement. A
learner id that is not an e-mail address cannot be an xAPI mbox: the row says so and nothing is
sent."""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.lms import LmsConfiguration, LmsResult
from coursehost.db.models.registrations import Registration
from coursehost.domain import outbox
from coursehost.domain.errors import InvalidInput
from coursehost.domain.lms.configurations import JOB_KIND, NOT_SENT, PENDING, attached_configuration, job_key
from coursehost.domain.mail.messages import check_address
from coursehost.domain.scorm.durations import format_iso

#: The results are kept until delivered whatever the job's count says; the count only bounds a
#: job that fails for an unexpected reason (a new change enqueues a fresh job anyway).
MAX_JOB_ATTEMPTS = 100_000
#: Retries: exponential from BASE_DELAY, capped at MAX_DELAY, so once the LMS accepts again a
#: waiting result goes out within MAX_DELAY (far inside the promised 24 hours), sooner when any
#: other delivery to the configuration succeeds (that re-runs the waiting ones at once).
BASE_DELAY = 30.0
MAX_DELAY = 3600.0
NOT_AN_EMAIL = "the learner id is not an e-mail address"
_NAMESPACE = uuid.UUID("3f0d8c52-6b3e-5a8e-9d0c-5c2b1a7e4f19")  # ours: statement ids of LMS results
_ADL = "http://adlnet.gov/expapi/verbs/"
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"


def retry_delay(failures: int, rng: random.Random | None = None) -> float:
    """Seconds before the next try after FAILURES failed sends (1 = the first failed): drawn from
    [d/2, d], d = min(MAX_DELAY, BASE_DELAY * 2**(failures-1)), so many waiting results spread out."""
    r = rng or random
    ceiling = min(MAX_DELAY, BASE_DELAY * (2 ** max(0, min(failures - 1, 30))))
    return r.uniform(ceiling / 2, ceiling)


def statement_id(config_id: str, xapi_registration: str, seq: int, verb: str) -> str:
    """The stable id of the statement of one result change."""
    return str(uuid.uuid5(_NAMESPACE, f"{config_id}/{xapi_registration}/{seq}/{verb}"))


def learner_email(learner_id: str) -> str | None:
    """The learner id as an e-mail address, or None when it is not one."""
    if "@" not in (learner_id or ""):
        return None
    try:
        address = check_address(learner_id, field="learner id")
    except InvalidInput:
        return None
    return address if "." in address.rpartition("@")[2] else None


def _changes(before: tuple, after: tuple) -> list[str]:
    """The verbs of what moved from BEFORE to AFTER (completion, success, score)."""
    verbs = []
    if after[0] == "COMPLETED" and (before[0] != "COMPLETED" or (after[1] not in ("PASSED", "FAILED")
                                                                  and after[2] != before[2])):
        verbs.append("completed")
    if after[1] in ("PASSED", "FAILED") and (after[1] != before[1] or after[2] != before[2]):
        verbs.append(after[1].lower())
    return verbs


def enqueue_results(session: Session, *, registration: Registration, now: datetime | None = None) -> list[LmsResult]:
    """Record REGISTRATION's result changes for its course's LMS (if one is attached) and queue
    their delivery, in the caller's transaction; the rows recorded."""
    config = attached_configuration(session, course_pk=registration.course_pk)
    if config is None:
        return []
    last = session.scalars(select(LmsResult).where(
        LmsResult.configuration_pk == config.pk, LmsResult.registration_pk == registration.pk)
        .order_by(LmsResult.seq.desc()).limit(1)).first()
    before = (last.completion, last.success, last.score_scaled) if last else ("UNKNOWN", "UNKNOWN", None)
    after = (registration.completion, registration.success, registration.score_scaled)
    verbs = _changes(before, after)
    if not verbs:
        return []
    now = now or utcnow()
    email = learner_email(registration.learner_id)
    seq = last.seq if last else 0
    rows = []
    for verb in verbs:
        seq += 1
        row = LmsResult(
            configuration_pk=config.pk, registration_pk=registration.pk, seq=seq, verb=verb,
            completion=registration.completion, success=registration.success,
            score_scaled=registration.score_scaled, total_seconds=registration.total_seconds or 0.0,
            occurred=now, statement_id=statement_id(config.config_id, registration.xapi_registration_id, seq, verb),
            status=PENDING if email else NOT_SENT, reason=None if email else NOT_AN_EMAIL, attempts=0)
        session.add(row)
        rows.append(row)
    session.flush()
    if email:
        enqueue_delivery(session, configuration_pk=config.pk, registration_pk=registration.pk)
    return rows


def enqueue_delivery(session: Session, *, configuration_pk: int, registration_pk: int,
                     delay_seconds: float = 0.0) -> None:
    """Queue the delivery of the registration's waiting results (replacing a queued one)."""
    outbox.enqueue(session, kind=JOB_KIND, max_attempts=MAX_JOB_ATTEMPTS,
                   dedupe_key=job_key(configuration_pk, registration_pk), delay_seconds=delay_seconds,
                   payload={"configuration_pk": configuration_pk, "registration_pk": registration_pk})


def course_iri(home_page: str, app_id: str, course_id: str) -> str:
    """The course's activity id, the one the run-time's own statements use (runtime/scorm_statements)."""
    return f"{home_page.rstrip('/')}/xapi/{quote(app_id, safe='')}/courses/{quote(course_id, safe='')}"


def build_statement(result: LmsResult, *, registration: Registration, email: str, app_id: str,
                    course_title: str, home_page: str) -> dict:
    """The xAPI statement of RESULT: the same every time it is built (xAPI 1.0.3 Data §2.4)."""
    learner = registration.learner or {}
    name = " ".join(str(p) for p in (learner.get("firstName"), learner.get("lastName")) if p)
    actor = {"objectType": "Agent", "mbox": f"mailto:{email}"}
    if name:
        actor["name"] = name
    outcome: dict = {"completion": result.completion == "COMPLETED",
                     "duration": format_iso(result.total_seconds or 0.0)}
    if result.success in ("PASSED", "FAILED"):
        outcome["success"] = result.success == "PASSED"
    if result.score_scaled is not None:
        percent = max(0.0, min(100.0, float(result.score_scaled)))
        outcome["score"] = {"scaled": round(percent / 100.0, 4), "raw": percent, "min": 0, "max": 100}
    return {
        "id": result.statement_id,
        "actor": actor,
        "verb": {"id": _ADL + result.verb, "display": {"en-US": result.verb}},
        "object": {"objectType": "Activity", "id": course_iri(home_page, app_id, registration.course_id),
                   "definition": {"name": {"en-US": course_title or registration.course_id}, "type": COURSE_TYPE}},
        "result": outcome,
        "context": {"registration": str(uuid.UUID(registration.xapi_registration_id)), "platform": "Coursehost"},
        "timestamp": result.occurred.isoformat(),
    }


def registration_results(session: Session, *, registration_pk: int) -> list:
    """The registration's result changes for LMSs, oldest first, with their configurations."""
    return list(session.execute(
        select(LmsResult, LmsConfiguration).join(LmsConfiguration, LmsConfiguration.pk == LmsResult.configuration_pk)
        .where(LmsResult.registration_pk == registration_pk).order_by(LmsResult.pk)).all())


def not_sent_results(session: Session, *, configuration_pk: int, limit: int = 100) -> list:
    """The configuration's result changes that were not sent (newest first, at most LIMIT), each
    with its registration: (LmsResult, Registration) rows; the reason is on the result."""
    return list(session.execute(
        select(LmsResult, Registration).join(Registration, Registration.pk == LmsResult.registration_pk)
        .where(LmsResult.configuration_pk == configuration_pk, LmsResult.status == NOT_SENT)
        .order_by(LmsResult.pk.desc()).limit(limit)).all())
