"""DispatchApi, LTI 1.1: GetLtiDispatch, the launch URL, consumer key and shared secret an LMS's
administrator enters to add the dispatch as an LTI 1.1 tool (the launch itself: lti_http/lti11.py)."""

from __future__ import annotations

from fastapi import Request

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.operations import operation
from coursehost.api.v2.schemas.dispatch_lti import DispatchLtiInfoSchema
from coursehost.domain.applications.auth import Principal
from coursehost.domain.dispatch import lti11
from coursehost.web import read_unit, services


@operation("GetLtiDispatch", response_model=DispatchLtiInfoSchema)
def get_lti_dispatch(request: Request, dispatchId: str, principal: Principal = Auth) -> DispatchLtiInfoSchema:  # noqa: N803
    """The dispatch's LTI 1.1 credentials (the secret decrypted for this answer only)."""
    svc = services(request)
    with read_unit(request) as session:
        found = lti11.credentials(session, box=svc.box, public_url=svc.settings.public_url,
                                  application_pk=principal.app_pk, dispatch_id=dispatchId)
    return DispatchLtiInfoSchema(url=found.url, consumer_key=found.consumer_key, shared_secret=found.shared_secret)
