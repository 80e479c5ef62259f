"""The document resources: activities/state, activities/profile and agents/profile (xAPI 1.0.3
Communication §2.2-§2.3, §2.6-§2.7, §3.1; IEEE 9274.1.1 4.1.4, 4.1.6.2, 4.1.6.5, 4.1.6.6)."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import format_datetime

from coursehost.db.session import unit_of_work
from coursehost.domain.errors import Forbidden, InvalidInput, NotFound
from coursehost.domain.lrs import documents as docs
from coursehost.domain.lrs.validation import agent_key, is_uuid, parse_timestamp, validate_agent
from coursehost.domain.lrs.versions import V1, V2
from coursehost.lrs_http.request import XapiRequest
from coursehost.lrs_http.response import XapiResponse, resource
from coursehost.web import json_input
from coursehost.web.json_input import JsonSyntaxError


@dataclass(frozen=True)
class Spec:
    """What one document resource takes: its id parameter and which context parameters."""

    kind: str
    id_param: str
    activity: bool
    agent: bool
    registration: bool = False

    def allowed(self, method: str) -> set[str]:
        """Parameters this resource recognizes for METHOD (1.0.3 Communication §3.2: others are 400)."""
        names = {self.id_param}
        names |= {"activityId"} if self.activity else set()
        names |= {"agent"} if self.agent else set()
        names |= {"registration"} if self.registration else set()
        return names | ({"since"} if method == "GET" else set())


STATE = Spec(docs.STATE, "stateId", activity=True, agent=True, registration=True)
ACTIVITY_PROFILE = Spec(docs.ACTIVITY_PROFILE, "profileId", activity=True, agent=False)
AGENT_PROFILE = Spec(docs.AGENT_PROFILE, "profileId", activity=False, agent=True)


def parse_agent_param(raw: str, *, version: str) -> dict:
    """The `agent` parameter as a valid Agent (or identified Group); 400 when it is not."""
    try:
        agent = json_input.loads(raw, what="agent parameter")
    except JsonSyntaxError:
        raise InvalidInput("The agent parameter is not valid JSON") from None
    validate_agent(agent, version=version, path="agent")
    return agent


def _key(request: XapiRequest, spec: Spec, *, need_id: bool) -> docs.DocumentKey:
    unknown = sorted(set(request.params) - spec.allowed(request.method))
    if unknown:
        raise InvalidInput(f"Unrecognized parameter(s) for {request.method} {request.resource}: {', '.join(unknown)}")
    activity_id = request.require("activityId") if spec.activity else ""
    if spec.activity and not activity_id.strip():
        raise InvalidInput("The activityId parameter must not be empty")
    key = agent_key(parse_agent_param(request.require("agent"), version=request.version)) if spec.agent else ""
    registration = request.param("registration") or "" if spec.registration else ""
    if "registration" in request.params and not is_uuid(registration):
        raise InvalidInput("The registration parameter must be a UUID")
    document_id = request.require(spec.id_param) if need_id else request.param(spec.id_param) or ""
    # A given id names one document (1.0.3 Communication §2.6, §2.7: profileId, a required String;
    # 9274.1.1 4.1.6.5-4.1.6.6). An empty one named none, so a profile DELETE deleted the whole set
    # (a State-only form, §2.3 table 3) and a GET listed the ids instead of answering a document.
    if spec.id_param in request.params and not document_id:
        raise InvalidInput(f"The {spec.id_param} parameter must not be empty")
    return docs.DocumentKey(spec.kind, document_id, activity_id, key or "", registration.lower())


def preconditions_for(request: XapiRequest, spec: Spec, services) -> docs.Preconditions:
    """The request's If-Match / If-None-Match and what a PUT without either gets."""
    # The profiles in 1.0.3: 409 existing, 400 new (Communication §3.1 and ADL's suite); every
    # document resource in 2.0: 409 for an existing one (9274.1.1 4.1.4), except that State follows
    # settings.lrs_strict_state_concurrency (Articulate Storyline PUTs state without either header).
    existing = new = None
    if request.version == V1 and spec.kind != docs.STATE:
        existing, new = 409, 400
    elif request.version == V2 and (spec.kind != docs.STATE or services.settings.lrs_strict_state_concurrency):
        existing = 409
    return docs.Preconditions(request.header("if-match"), request.header("if-none-match"), existing, new)


def _http_date(value) -> str:
    return format_datetime(value, usegmt=True)


def _get(request: XapiRequest, services, spec: Spec) -> XapiResponse:
    _require(request.principal.can_read, "read")
    key = _key(request, spec, need_id=False)
    since = request.param("since")
    with services.read_session_factory() as session:
        if key.document_id:
            doc = docs.get_document(session, app_pk=request.principal.app_pk, key=key)
            if doc is None:
                raise NotFound(f"No document with {spec.id_param} {key.document_id!r}")
            return XapiResponse(200, doc.content, doc.content_type,
                                {"ETag": doc.etag, "Last-Modified": _http_date(doc.updated)})
        # A "+" of an unencoded offset arrives as a space.
        after = parse_timestamp(since.replace(" ", "+"), "since") if since is not None else None
        ids, latest = docs.list_document_ids(session, app_pk=request.principal.app_pk, scope=key, since=after)
    return XapiResponse.json(ids, headers={"Last-Modified": _http_date(latest)} if latest else None)


def _write(request: XapiRequest, services, spec: Spec) -> XapiResponse:
    _require(request.principal.can_write, "write")
    key = _key(request, spec, need_id=True)
    pre = preconditions_for(request, spec, services)
    write = docs.put_document if request.method == "PUT" else docs.merge_document
    if write is docs.merge_document or request.content_type == "application/json":
        json_input.check(request.body, what="document")  # merging reads it; a JSON document is merged later
    with unit_of_work(services.session_factory) as session:
        write(session, app_pk=request.principal.app_pk, key=key, content=request.body,
              content_type=request.header("content-type"), pre=pre)
    return XapiResponse.empty()


def _delete(request: XapiRequest, services, spec: Spec) -> XapiResponse:
    _require(request.principal.can_write, "write")
    # Only the State resource deletes a set (1.0.3 Communication §2.3 table 3); profiles need the id.
    key = _key(request, spec, need_id=spec.kind != docs.STATE)
    with unit_of_work(services.session_factory) as session:
        if key.document_id:
            docs.delete_document(session, app_pk=request.principal.app_pk, key=key,
                                 pre=preconditions_for(request, spec, services))
        else:
            docs.delete_documents(session, app_pk=request.principal.app_pk, scope=key)
    return XapiResponse.empty()


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise Forbidden(f"This credential may not {what} documents")


def _register(path: str, spec: Spec) -> None:
    """GET (one document, or the ids), PUT / POST (store, merge) and DELETE on PATH for SPEC."""
    resource(path, "GET")(lambda request, services: _get(request, services, spec))
    resource(path, "PUT", "POST")(lambda request, services: _write(request, services, spec))
    resource(path, "DELETE")(lambda request, services: _delete(request, services, spec))


_register("activities/state", STATE)
_register("activities/profile", ACTIVITY_PROFILE)
_register("agents/profile", AGENT_PROFILE)
