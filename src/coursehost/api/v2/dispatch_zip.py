"""DispatchApi's two package downloads: GetDispatchZip (one dispatch) and GetDestinationDispatchZip
(every dispatch of a destination, one SCO each): shell packages another LMS imports
(domain/dispatch/package.py)."""

from __future__ import annotations

import json

from fastapi import Request, Response

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.course import query_tags
from coursehost.api.v2.operations import operation
from coursehost.domain.applications.auth import Principal
from coursehost.domain.dispatch import dispatches, package
from coursehost.web import read_unit, services


def _zip_response(data: bytes, name: str) -> Response:
    filename = json.dumps("".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:120] + ".zip")
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@operation("GetDispatchZip")
def get_dispatch_zip(request: Request, dispatchId: str, type: str | None = None, cssUrl: str | None = None,
                     principal: Principal = Auth) -> Response:
    """The shell package of one dispatch (type SCORM_12 by default, SCORM_2004_3RD, AICC)."""
    svc = services(request)
    kind = package.check_kind(type)
    with read_unit(request) as session:
        dispatch = dispatches.get_dispatch(session, application_pk=principal.app_pk, dispatch_id=dispatchId)
        data = package.dispatch_zip(session, box=svc.box, content_url=svc.settings.content_url or "",
                                    dispatches=[dispatch], kind=kind, css_url=cssUrl)
    return _zip_response(data, f"dispatch-{dispatchId}-{kind}")


@operation("GetDestinationDispatchZip")
def get_destination_dispatch_zip(request: Request, destinationId: str, type: str | None = None,
                                 cssUrl: str | None = None, principal: Principal = Auth) -> Response:
    """One shell package holding every dispatch of the destination (those with any of `tags`)."""
    svc = services(request)
    kind = package.check_kind(type)
    tags = query_tags(request)
    with read_unit(request) as session:
        dispatches = package.destination_dispatches(session, application_pk=principal.app_pk,
                                                    destination_id=destinationId, tags=tags)
        data = package.dispatch_zip(session, box=svc.box, content_url=svc.settings.content_url or "",
                                    dispatches=dispatches, kind=kind, css_url=cssUrl,
                                    title=f"Courses for {destinationId}")
    return _zip_response(data, f"destination-{destinationId}-{kind}")
