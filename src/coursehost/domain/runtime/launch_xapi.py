"""Launching xAPI (Tin Can) content per the Tin Can launch convention (Rustici's "Launch
Mechanisms", Basic auth): the tincan.xml launch URL gets endpoint, auth, actor, registration and
activity_id as query parameters, the LRS being the application's own on the service origin."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.courses import Course, CourseVersion
from coursehost.db.models.registrations import Launch, Registration, RegistrationInstance
from coursehost.db.models.tenancy import Application
from coursehost.domain.dispatch.outcomes import enqueue_outcomes
from coursehost.domain.lms.results import enqueue_results
from coursehost.domain.postbacks.enqueue import enqueue_postback
from coursehost.domain.registrations.core import registration_uuid
from coursehost.domain.registrations.launch_credentials import issue, learner_actor
from coursehost.domain.reporting.xapi_results import record_results
from coursehost.domain.reports import summary as reports
from coursehost.domain.runtime.debuglog import append_log
from coursehost.domain.standards import LearningStandard


def plays(standard: str) -> bool:
    """True for the standards this module launches."""
    return LearningStandard.parse(standard) is LearningStandard.XAPI  # cmi5 (also Delivery.LRS) launches in domain/cmi5


def launch_params(session: Session, *, registration: Registration, instance: RegistrationInstance, course: Course,
                  version: CourseVersion) -> dict | None:
    """What the launch URL carries besides endpoint and auth (None for other standards); kept as
    plain values so the player can build the URL where it knows the service origin."""
    if not plays(version.learning_standard):
        return None
    structure = version.structure or {}
    app = session.get(Application, registration.application_pk)
    return {"appId": app.app_id, "registration": registration_uuid(registration, instance.instance),
            "activity_id": structure.get("id") or course.activity_id or "",
            "learner_id": registration.learner_id, "learner": dict(registration.learner or {})}


def launch_query(params: dict, *, launch_id: str, instance_key: str, service_url: str) -> str:
    """The Tin Can launch query string for launch LAUNCH_ID (SERVICE_URL: the LRS's origin)."""
    base = service_url.rstrip("/")
    actor = learner_actor(params["learner_id"], params["learner"], base)
    return urlencode({
        "endpoint": f"{base}/lrs/{params['appId']}/",
        "auth": issue(instance_key, launch_id=launch_id),
        "actor": json.dumps(actor, separators=(",", ":")),
        "registration": params["registration"],
        "activity_id": params["activity_id"],
    })


def launch_href(href: str, query: str) -> str:
    """HREF (package-relative or absolute) with the launch QUERY appended before any fragment."""
    path, hash_mark, fragment = href.partition("#")
    return path + ("&" if "?" in path else "?") + query + hash_mark + fragment


def exchange_done(session: Session, *, launch_id: str, instance_pk: int, entry: dict,
                  statements_stored: bool) -> None:
    """One LRS exchange of a launch's content: ENTRY into the launch's debug log (as the player logs
    SCORM calls); when statements were stored, the registration's results from them and a postback
    when they moved (as a SCORM commit does)."""
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id).with_for_update()
                             .execution_options(populate_existing=True)).first()
    if launch is None:
        return
    append_log(session, launch, [{**entry, "timestamp": utcnow().isoformat()}])
    if statements_stored and record_results(session, instance_pk=instance_pk):
        instance = session.get(RegistrationInstance, instance_pk)
        enqueue_postback(session, registration=instance.registration)
        enqueue_results(session, registration=instance.registration)
        enqueue_outcomes(session, registration=instance.registration)
        reports.record(session, registration=instance.registration, active=utcnow())
