"""PENS publishing of a dispatch (issue 19), Coursehost's own API: authenticated like API v2, scopes
write:dispatch / read:dispatch.

    POST /dispatches/{dispatchId}/pens   {"targetUrl", "systemUserId", "systemPassword"} -> the publication
    GET  /dispatches/{dispatchId}/pens   every publication, newest first, with the target's callbacks
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from coursehost.api.v2.auth import require
from coursehost.domain.applications.auth import Principal
from coursehost.domain.dispatch import pens
from coursehost.web import read_unit, services, unit

READ, WRITE = "read:dispatch", "write:dispatch"


class PensPublishIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True, strict=True, extra="forbid")
    target_url: str = Field(alias="targetUrl", max_length=2000)
    system_user_id: str = Field("", alias="systemUserId", max_length=255)
    system_password: str = Field("", alias="systemPassword", max_length=1000)  # write-only


class _Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class PensEventOut(_Out):
    kind: str  # receipt | alert
    at: str
    error: str
    error_text: str
    pens_data: str


class PensPublicationOut(_Out):
    id: str
    target_url: str
    system_user_id: str
    package_id: str
    package_url_expiry: datetime
    status: str  # queued | sent | failed | received | alert
    error: str | None = None
    events: list[PensEventOut]
    created: datetime
    updated: datetime

    @classmethod
    def of(cls, pub) -> PensPublicationOut:
        return cls(id=pub.publication_id, target_url=pub.target_url, system_user_id=pub.system_user_id,
                   package_id=pub.package_id, package_url_expiry=pub.package_expires, status=pub.status,
                   error=pub.error, created=pub.created, updated=pub.updated,
                   events=[PensEventOut(kind=e["kind"], at=e["at"], error=e["error"], error_text=e["errorText"],
                                        pens_data=e["pensData"]) for e in pub.events or []])


class PensPublicationList(_Out):
    publications: list[PensPublicationOut]


def publish_dispatch(request: Request, dispatchId: str, body: PensPublishIn,  # noqa: N803
                     principal: Principal = require(WRITE)) -> PensPublicationOut:
    """Send the dispatch's package to a PENS target (the collect request goes out from the job queue)."""
    with unit(request) as session:
        pub = pens.publish(session, box=services(request).box, application_pk=principal.app_pk,
                           dispatch_id=dispatchId, target=pens.PensTarget(
                               body.target_url, body.system_user_id, body.system_password))
        return PensPublicationOut.of(pub)


def get_dispatch_publications(request: Request, dispatchId: str,  # noqa: N803
                              principal: Principal = require(READ)) -> PensPublicationList:
    """The dispatch's publications and what each target reported."""
    with read_unit(request) as session:
        pubs = pens.history(session, application_pk=principal.app_pk, dispatch_id=dispatchId)
        return PensPublicationList(publications=[PensPublicationOut.of(p) for p in pubs])


def add_routes(router: APIRouter, *, prefix: str) -> None:
    """Route the PENS operations under PREFIX, in the served OpenAPI document."""
    tags = ["Dispatch PENS (extension)"]
    router.add_api_route(prefix + "/dispatches/{dispatchId}/pens", publish_dispatch, methods=["POST"],
                         operation_id="PublishDispatchPens", tags=tags, response_model=PensPublicationOut,
                         response_model_by_alias=True)
    router.add_api_route(prefix + "/dispatches/{dispatchId}/pens", get_dispatch_publications, methods=["GET"],
                         operation_id="GetDispatchPensPublications", tags=tags, response_model=PensPublicationList,
                         response_model_by_alias=True)
