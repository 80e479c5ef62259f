"""Scores an LTI 1.3 tool (a content connector's) posts to our AGS lineitem become the
registration's results, with a postback as a SCORM commit would send (LTI AGS 2.0 §3.4).

The rule (docs/ARCHITECTURE.md points here):
- completion: activityProgress Completed or Submitted -> COMPLETED; Started or InProgress ->
  INCOMPLETE (never back from COMPLETED); Initialized leaves it.
- score: scoreGiven / scoreMaximum as a percent (0..100), when both are given.
- success: only once gradingProgress is FullyGraded with a score: PASSED when the score reaches the
  course's masteryScore (metadataForConnector.masteryScore, 0..1) or, without one, whenever graded;
  FAILED below it. A score not yet fully graded changes no success.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.registrations import ActivityState, RegistrationInstance
from coursehost.domain.dispatch.outcomes import enqueue_outcomes
from coursehost.domain.lms.results import enqueue_results
from coursehost.domain.lti.platform import (
    SCOPE_LINEITEM_READ,
    SCOPE_SCORE,
    AccessGrant,
    Lineitem,
    LtiRefused,
    learner_sub,
)
from coursehost.domain.postbacks.enqueue import enqueue_postback
from coursehost.domain.registrations import core
from coursehost.domain.reports import summary as reports
from coursehost.domain.runtime.navigation import leaves
from coursehost.domain.scorm.status import COMPLETED, FAILED, INCOMPLETE, PASSED, UNKNOWN

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")


def _instance(session: Session, grant: AccessGrant, item: Lineitem, scope: str) -> RegistrationInstance:
    if scope not in grant.scopes:
        raise LtiRefused(f"The access token was not granted {scope}", 403)
    if item.connector_pk not in grant.connector_pks:
        raise LtiRefused("This lineitem belongs to another tool", 403)
    instance = session.scalars(select(RegistrationInstance).where(RegistrationInstance.pk == item.instance_pk)
                               .with_for_update()).first()
    if instance is None:
        raise LtiRefused("No such lineitem (its registration was deleted)", 404)
    return instance


def lineitem(session: Session, *, grant: AccessGrant, item: Lineitem, url: str) -> dict:
    """The lineitem as AGS shows it (application/vnd.ims.lis.v2.lineitem+json)."""
    instance = _instance(session, grant, item, SCOPE_LINEITEM_READ) if SCOPE_LINEITEM_READ in grant.scopes \
        else _instance(session, grant, item, SCOPE_SCORE)
    course, version = core.instance_course(session, instance)
    extra = version.extra or {}
    return {"id": url, "scoreMaximum": 100, "label": version.title or course.title,
            "resourceLinkId": extra.get("connectorIdForContent") or course.course_id}


def _number(score: dict, name: str) -> float | None:
    value = score.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise LtiRefused(f"{name} must be a number of at least 0")
    return float(value)


def _check(score: object) -> dict:
    if not isinstance(score, dict):
        raise LtiRefused("The score must be a JSON object")
    for name, allowed in (("activityProgress", ACTIVITY_PROGRESS), ("gradingProgress", GRADING_PROGRESS)):
        if score.get(name) not in allowed:
            raise LtiRefused(f"{name} must be one of {', '.join(allowed)}")
    if not isinstance(score.get("userId"), str):
        raise LtiRefused("userId is required")
    given, maximum = _number(score, "scoreGiven"), _number(score, "scoreMaximum")
    if given is not None and not maximum:
        raise LtiRefused("scoreMaximum (above 0) is required with scoreGiven")
    return score


def post_score(session: Session, *, grant: AccessGrant, item: Lineitem, score: object, instance_key: str) -> None:
    """A tool's score for the learner of the lineitem's registration instance (AGS §3.4)."""
    score = _check(score)
    instance = _instance(session, grant, item, SCOPE_SCORE)
    registration = instance.registration
    if score["userId"] != learner_sub(instance_key, application_pk=registration.application_pk,
                                      learner_id=registration.learner_id):
        raise LtiRefused("userId is not the learner of this lineitem")
    _, version = core.instance_course(session, instance)
    mastery = (version.extra or {}).get("masteryScore")
    given, maximum = _number(score, "scoreGiven"), _number(score, "scoreMaximum")
    percent = max(0.0, min(100.0, given / maximum * 100.0)) if given is not None and maximum else None
    before = (registration.completion, registration.success, registration.score_scaled)
    now = utcnow()
    for obj in (instance, registration, _activity(session, instance, version.structure or {})):
        _apply(obj, score, percent, mastery, now)
    if (registration.completion, registration.success, registration.score_scaled) != before:
        enqueue_postback(session, registration=registration)
        enqueue_results(session, registration=registration)
        enqueue_outcomes(session, registration=registration)
    reports.record(session, registration=registration, active=now)


def _activity(session: Session, instance: RegistrationInstance, structure: dict) -> ActivityState:
    """The course's one activity's state (the tool's resource link), so activity details agree."""
    activity_id = next((leaf["id"] for leaf in leaves(structure)), structure.get("id") or "lti13")
    state = session.scalars(select(ActivityState).where(ActivityState.instance_pk == instance.pk,
                                                        ActivityState.activity_id == activity_id)).first()
    if state is None:
        state = ActivityState(instance_pk=instance.pk, activity_id=activity_id, attempts=1, runtime={},
                              base_seconds=0.0, total_seconds=0.0, completion=UNKNOWN, success=UNKNOWN,
                              attempt_completion=UNKNOWN)
        session.add(state)
    return state


def _apply(obj, score: dict, percent: float | None, mastery: float | None, now) -> None:
    progress = score["activityProgress"]
    if progress in ("Completed", "Submitted"):
        obj.completion = COMPLETED
        obj.completed_date = obj.completed_date or now
    elif progress in ("Started", "InProgress") and obj.completion != COMPLETED:
        obj.completion = INCOMPLETE
    if percent is not None:
        obj.score_scaled = percent
    if score["gradingProgress"] == "FullyGraded" and percent is not None:
        obj.success = PASSED if mastery is None or percent >= float(mastery) * 100.0 else FAILED
    obj.first_access = obj.first_access or now
    obj.last_access = now
