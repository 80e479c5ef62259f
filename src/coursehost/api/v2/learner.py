"""LearnerApi: a learner's tags, names and e-mail, and deleting everything known about a learner.
Learners are not stored on their own: they are the learner data on registrations (and their tags)."""

from __future__ import annotations

from fastapi import Request, Response

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.operations import operation
from coursehost.api.v2.schemas.common import TagListSchema
from coursehost.api.v2.schemas.courses import BatchTagsBody, TagsBody
from coursehost.api.v2.schemas.registrations import LearnerInfoIn
from coursehost.api.v2.tagging import Taggable
from coursehost.domain.applications.auth import Principal
from coursehost.domain.registrations import core, lifecycle
from coursehost.web import unit


def _learner_id(learner_id: str) -> str:
    return core.check_registration_id(learner_id, "learnerId")


LEARNER_TAGS = Taggable("learner", "learner", None, check_id=_learner_id)


@operation("GetLearnerTags", response_model=TagListSchema)
def get_learner_tags(request: Request, learnerId: str, principal: Principal = Auth) -> TagListSchema:
    return LEARNER_TAGS.read(request, principal, learnerId)


@operation("PutLearnerTags", status_code=204)
def put_learner_tags(request: Request, learnerId: str, body: TagsBody, principal: Principal = Auth) -> Response:
    """Replace the learner's tags with these."""
    return LEARNER_TAGS.replace(request, principal, learnerId, body)


@operation("DeleteLearnerTags", status_code=204)
def delete_learner_tags(request: Request, learnerId: str, body: TagsBody, principal: Principal = Auth) -> Response:
    return LEARNER_TAGS.remove(request, principal, learnerId, body)


@operation("PutLearnerTagsBatch", status_code=204)
def put_learner_tags_batch(request: Request, body: BatchTagsBody, principal: Principal = Auth) -> Response:
    """Set the tags of every listed learner; all or nothing (an unknown id is a 404)."""
    return LEARNER_TAGS.batch(request, principal, body)


@operation("UpdateLearnerInfo", status_code=204)
def update_learner_info(request: Request, learnerId: str, body: LearnerInfoIn,
                        principal: Principal = Auth) -> Response:
    """New names / e-mail on every registration of the learner."""
    if body.id is not None and body.id != learnerId:
        raise ApiError(400, "learnerInfo.id must be the learnerId of the path (a learner id cannot be changed)")
    info = body.model_dump(exclude_none=True, exclude={"id"})
    with unit(request) as session:
        lifecycle.update_learner_info(session, application_pk=principal.app_pk, learner_id=learnerId, info=info)
    return Response(status_code=204)


@operation("DeleteAllLearnerData", status_code=204)
def delete_all_learner_data(request: Request, learnerId: str,
                            principal: Principal = Auth) -> Response:
    """GDPR erasure: the learner's registrations with all their data, and the learner's tags."""
    if not (request.query_params.get("userEmail") or "").strip():
        raise ApiError(400, "userEmail is required: the e-mail of the person asking for the deletion")
    with unit(request) as session:
        lifecycle.delete_learner_data(session, application_pk=principal.app_pk, learner_id=learnerId)
    return Response(status_code=204)
