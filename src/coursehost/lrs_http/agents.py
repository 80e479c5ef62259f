"""The agents resource (xAPI 1.0.3 Communication §2.4; IEEE 9274.1.1 4.1.6.3) and the activities
resource (§2.5; 4.1.6.4): GET only (HEAD by the dispatcher)."""

from __future__ import annotations

from coursehost.domain.errors import Forbidden, InvalidInput
from coursehost.domain.lrs.activities import get_activity
from coursehost.domain.lrs.agents import get_person
from coursehost.lrs_http.documents import parse_agent_param
from coursehost.lrs_http.request import XapiRequest
from coursehost.lrs_http.response import XapiResponse, resource


def _only(request: XapiRequest, name: str) -> str:
    """The one parameter NAME, required; any other is 400 (1.0.3 Communication §3.2)."""
    unknown = sorted(set(request.params) - {name})
    if unknown:
        raise InvalidInput(f"Unrecognized parameter(s) for {request.resource}: {', '.join(unknown)}")
    if not request.principal.can_read:
        raise Forbidden(f"This credential may not read {request.resource}")
    return request.require(name)


@resource("agents", "GET")
def get_agents(request, services) -> XapiResponse:
    """The Person object for the `agent` parameter."""
    agent = parse_agent_param(_only(request, "agent"), version=request.version)
    with services.read_session_factory() as session:
        person = get_person(session, app_pk=request.principal.app_pk, agent=agent)
    return XapiResponse.json(person)


@resource("activities", "GET")
def get_activities(request, services) -> XapiResponse:
    """The canonical Activity object for the `activityId` parameter."""
    activity_id = _only(request, "activityId")
    if not activity_id.strip():
        raise InvalidInput("The activityId parameter must not be empty")
    with services.read_session_factory() as session:
        activity = get_activity(session, app_pk=request.principal.app_pk, activity_id=activity_id)
    return XapiResponse.json(activity)
