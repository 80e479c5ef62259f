"""DispatchApi (the data operations): destinations and dispatches, their tags, enabled, learner-id
hashing, registration instancing, registration counts, postback. The zips (dispatch_zip.py) and the
LTI operations (dispatch_lti.py, dispatch_lti13.py) live beside this module.

Routes are declared in an order that matters: /dispatch/destinations/tags before
/dispatch/destinations/{destinationId}, and the same for dispatches."""

from __future__ import annotations

from fastapi import Request, Response

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.course import query_tags
from coursehost.api.v2.operations import operation
from coursehost.api.v2.paging import parse_bool, parse_datetime, parse_list_request, run_list
from coursehost.api.v2.registration import stored_postback
from coursehost.api.v2.schemas.common import TagListSchema
from coursehost.api.v2.schemas.courses import BatchTagsBody, TagsBody
from coursehost.api.v2.schemas.dispatch import (
    CreateDispatchListIn,
    DestinationIn,
    DestinationInfoIdSchema,
    DestinationInfoListSchema,
    DestinationInfoSchema,
    DestinationListIn,
    DispatchIdSchema,
    DispatchListSchema,
    DispatchRegistrationCountSchema,
    DispatchSchema,
    EnabledIn,
    EnabledSchema,
    IntegerResultSchema,
    LaunchAuthOptionsSchema,
    LaunchAuthSchema,
    Lti13PlatformConfigurationSchema,
    UpdateDispatchIn,
)
from coursehost.api.v2.schemas.registrations import PostBackIn
from coursehost.api.v2.tagging import Taggable
from coursehost.domain.applications.auth import Principal
from coursehost.domain.dispatch import destinations as dest_domain
from coursehost.domain.dispatch import dispatches as disp_domain
from coursehost.domain.errors import InvalidInput
from coursehost.domain.paging import ListQuery
from coursehost.domain.tags import clean_tags, tags_for
from coursehost.web import services, unit

DEST_TAGS = dest_domain.TAG_KIND
DISP_TAGS = disp_domain.TAG_KIND
DESTINATION_TAGS = Taggable(DEST_TAGS, "destination", lambda session, app_pk, key: dest_domain.get_destination(
    session, application_pk=app_pk, destination_id=key))
DISPATCH_TAGS = Taggable(DISP_TAGS, "dispatch", lambda session, app_pk, key: disp_domain.get_dispatch(
    session, application_pk=app_pk, dispatch_id=key))
LAUNCH_AUTH_TYPES = ("cookies", "vault")


def _no_content() -> Response:
    return Response(status_code=204)


# --- wire <-> domain -------------------------------------------------------------------------------------

def _destination_data(body: DestinationIn) -> dest_domain.DestinationData:
    auth = None
    if body.launchAuth is not None:
        kind = body.launchAuth.type
        if kind is not None and kind not in LAUNCH_AUTH_TYPES:
            raise InvalidInput(f"launchAuth.type must be one of {', '.join(LAUNCH_AUTH_TYPES)}")
        options = body.launchAuth.options.model_dump(exclude_none=True) if body.launchAuth.options else {}
        auth = {"type": kind, "options": options} if kind else {"options": options}
    lti13 = body.lti13Data.model_dump(exclude_none=True) if body.lti13Data is not None else None
    return dest_domain.DestinationData(name=body.name, email=body.email, notes=body.notes, tags=body.tags,
                                       launch_auth=auth, lti13=lti13)


def _launch_auth(stored: dict | None) -> LaunchAuthSchema | None:
    if not stored:
        return None
    opts = stored.get("options") or {}
    return LaunchAuthSchema(type=stored.get("type"), options=LaunchAuthOptionsSchema(
        ip_address=opts.get("ipAddress"), fingerprint=opts.get("fingerprint"), expiry=opts.get("expiry"),
        sliding_expiry=opts.get("slidingExpiry")) if opts else None)


def _lti13(stored: dict | None) -> Lti13PlatformConfigurationSchema | None:
    if not stored:
        return None
    return Lti13PlatformConfigurationSchema(
        client_id=stored.get("clientId"), platform_issuer_identifier=stored.get("platformIssuerIdentifier"),
        deployment_id=stored.get("deploymentId"), oidc_authorization_endpoint=stored.get("oidcAuthorizationEndpoint"),
        json_web_key_set_url=stored.get("jsonWebKeySetUrl"), access_token_url=stored.get("accessTokenUrl"))


def _destination_items(session, app_pk: int, dests: list, *, with_count: bool) -> list[DestinationInfoIdSchema]:
    tags = tags_for(session, application_pk=app_pk, kind=DEST_TAGS, keys=[d.destination_id for d in dests])
    counts = dest_domain.dispatch_counts(session, dests) if with_count else {}
    return [DestinationInfoIdSchema(id=d.destination_id, data=DestinationInfoSchema(
        name=d.name, dispatch_count=counts.get(d.pk, 0) if with_count else None, updated=d.updated,
        created=d.created, tags=tags.get(d.destination_id, []), email=d.email, notes=d.notes,
        launch_auth=_launch_auth(d.launch_auth), lti13_data=_lti13(d.lti13))) for d in dests]


def _dispatch_items(session, app_pk: int, rows: list) -> list[DispatchIdSchema]:
    dests, titles = disp_domain.describe(session, rows)
    tags = tags_for(session, application_pk=app_pk, kind=DISP_TAGS, keys=[r.dispatch_id for r in rows])
    out = []
    for r in rows:
        dest = dests[r.destination_pk]
        out.append(DispatchIdSchema(id=r.dispatch_id, data=DispatchSchema(
            destination_id=dest.destination_id, destination_name=dest.name, course_id=r.course_id,
            course_title=titles.get(r.course_pk, r.course_id), updated=r.updated, created=r.created,
            allow_new_registrations=r.allow_new_registrations, enabled=r.enabled, instanced=r.instanced,
            registration_cap=r.registration_cap, registration_count=r.registration_count,
            registration_reset_date=r.registration_reset_date, expiration_date=r.expiration_date,
            tags=tags.get(r.dispatch_id, []), email=r.email, notes=r.notes)))
    return out


def _changes(request: Request, body: UpdateDispatchIn) -> disp_domain.DispatchChanges:
    return disp_domain.DispatchChanges(
        allow_new_registrations=body.allowNewRegistrations, instanced=body.instanced,
        registration_cap=body.registrationCap, registration_count=body.registrationCount,
        expiration_date=body.expirationDate, enabled=body.enabled, email=body.email, notes=body.notes,
        postback=_postback(request, body.postBack)).checked()


def _postback(request: Request, pb: PostBackIn | None) -> dict | None:
    return stored_postback(request, pb) if pb is not None else None


def _optional_bool(request: Request, name: str) -> bool | None:
    return parse_bool(request, name) if request.query_params.get(name) not in (None, "") else None


def _query_filters(request: Request) -> tuple[str | None, list[str]]:
    """courseId and tags from the query string (text PostgreSQL can hold, or a 400 naming them)."""
    params = request.query_params
    dest_domain.check_text(params.get("courseId"), "courseId", dest_domain.MAX_ID)
    dest_domain.check_text(params.get("filter"), "filter", 1000)
    return params.get("courseId") or None, clean_tags(query_tags(request))


def _list_extra(request: Request, *, with_enabled: bool) -> dict:
    extra: dict = {}
    course_id, tags = _query_filters(request)
    if course_id:
        extra["courseId"] = course_id
    if tags:
        extra["tags"] = tags
    if with_enabled:
        enabled = _optional_bool(request, "isEnabled")
        if enabled is not None:
            extra["isEnabled"] = enabled
    return extra


# --- destinations ----------------------------------------------------------------------------------------

@operation("CreateDestinations", status_code=204)
def create_destinations(request: Request, body: DestinationListIn, principal: Principal = Auth) -> Response:
    """Create every listed destination, or none when one is bad or its id is taken (400)."""
    items = [dest_domain.NewDestination(destination_id=d.id, data=_destination_data(d.data))
             for d in body.destinations]
    with unit(request) as session:
        dest_domain.create_destinations(session, application_pk=principal.app_pk, items=items)
    return _no_content()


@operation("GetDestinations", response_model=DestinationInfoListSchema)
def get_destinations(request: Request, response: Response, principal: Principal = Auth) -> DestinationInfoListSchema:
    """The application's destinations, newest first by default, paged and filtered as every list."""
    listing = parse_list_request(request, dest_domain.DESTINATION_LIST, scope="destinations",
                                 extra=_list_extra(request, with_enabled=False))
    x = listing.query.extra
    if parse_bool(request, "includeDispatchCount"):
        x["includeDispatchCount"] = True  # carried by `more` to the next pages (and may be repeated with it)
    with_count = bool(x.get("includeDispatchCount"))
    with unit(request) as session:
        stmt = dest_domain.destination_list_query(principal.app_pk, course_id=x.get("courseId"), tags=x.get("tags"))
        rows, more = run_list(request, response, session, stmt, dest_domain.DESTINATION_LIST, listing,
                              scope="destinations")
        return DestinationInfoListSchema(
            destinations=_destination_items(session, principal.app_pk, rows, with_count=with_count), more=more)


@operation("PutDestinationTagsBatch", status_code=204)
def put_destination_tags_batch(request: Request, body: BatchTagsBody, principal: Principal = Auth) -> Response:
    """Set the tags of every listed destination; all or nothing (an unknown id is a 404)."""
    return DESTINATION_TAGS.batch(request, principal, body)


@operation("GetDestination", response_model=DestinationInfoSchema)
def get_destination(request: Request, destinationId: str, principal: Principal = Auth) -> DestinationInfoSchema:
    with_count = parse_bool(request, "includeDispatchCount")
    with unit(request) as session:
        dest = dest_domain.get_destination(session, application_pk=principal.app_pk, destination_id=destinationId)
        return _destination_items(session, principal.app_pk, [dest], with_count=with_count)[0].data


@operation("SetDestination", status_code=204)
def set_destination(request: Request, destinationId: str, body: DestinationIn, principal: Principal = Auth) -> Response:
    """Create the destination (a name is required) or change the fields given."""
    data = _destination_data(body)
    with unit(request) as session:
        dest_domain.set_destination(session, application_pk=principal.app_pk, destination_id=destinationId, data=data)
    return _no_content()


@operation("DeleteDestination", status_code=204)
def delete_destination(request: Request, destinationId: str, principal: Principal = Auth) -> Response:
    """Delete the destination and all its dispatches (their packages stop launching)."""
    with unit(request) as session:
        dest = dest_domain.get_destination(session, application_pk=principal.app_pk, destination_id=destinationId)
        dest_domain.delete_destination(session, destination=dest)
    return _no_content()


@operation("GetDestinationTags", response_model=TagListSchema)
def get_destination_tags(request: Request, destinationId: str, principal: Principal = Auth) -> TagListSchema:
    return DESTINATION_TAGS.read(request, principal, destinationId)


@operation("PutDestinationTags", status_code=204)
def put_destination_tags(request: Request, destinationId: str, body: TagsBody, principal: Principal = Auth) -> Response:
    """Replace the destination's tags with these."""
    return DESTINATION_TAGS.replace(request, principal, destinationId, body)


@operation("DeleteDestinationTags", status_code=204)
def delete_destination_tags(request: Request, destinationId: str, body: TagsBody, principal: Principal = Auth) -> Response:
    return DESTINATION_TAGS.remove(request, principal, destinationId, body)


# --- a destination's dispatches ------------------------------------------------------------------------

@operation("GetDestinationDispatches", response_model=DispatchListSchema)
def get_destination_dispatches(request: Request, response: Response, destinationId: str,
                               principal: Principal = Auth) -> DispatchListSchema:
    scope = f"destinationDispatches:{destinationId}"
    listing = parse_list_request(request, disp_domain.DISPATCH_LIST, scope=scope,
                                 extra=_list_extra(request, with_enabled=True))
    with unit(request) as session:
        dest = dest_domain.get_destination(session, application_pk=principal.app_pk, destination_id=destinationId)
        return _dispatch_page(request, response, session, principal.app_pk, listing, scope, destination_pk=dest.pk)


def _dispatch_page(request: Request, response: Response, session, app_pk: int, listing, scope: str,
                   *, destination_pk: int | None = None) -> DispatchListSchema:
    x = listing.query.extra
    stmt = disp_domain.dispatch_list_query(app_pk, destination_pk=destination_pk, course_id=x.get("courseId"),
                                           enabled=x.get("isEnabled"), tags=x.get("tags"))
    rows, more = run_list(request, response, session, stmt, disp_domain.DISPATCH_LIST, listing, scope=scope)
    return DispatchListSchema(dispatches=_dispatch_items(session, app_pk, rows), more=more)


@operation("DeleteDestinationDispatches", status_code=204)
def delete_destination_dispatches(request: Request, destinationId: str, principal: Principal = Auth) -> Response:
    with unit(request) as session:
        dest = dest_domain.get_destination(session, application_pk=principal.app_pk, destination_id=destinationId)
        dest_domain.delete_dispatches_of(session, destination=dest)
    return _no_content()


def _set_on_destination(request: Request, principal: Principal, destination_id: str, **values: bool) -> Response:
    with unit(request) as session:
        dest = dest_domain.get_destination(session, application_pk=principal.app_pk, destination_id=destination_id)
        disp_domain.set_on_destination(session, destination=dest, **values)
    return _no_content()


@operation("SetDestinationDispatchEnabled", status_code=204)
def set_destination_dispatch_enabled(request: Request, destinationId: str, body: EnabledIn,
                                     principal: Principal = Auth) -> Response:
    """Turn every dispatch of the destination on or off (their packages launch or refuse)."""
    return _set_on_destination(request, principal, destinationId, enabled=body.enabled)


@operation("EnableRegistrationInstancing", status_code=204)
def enable_registration_instancing(request: Request, destinationId: str, body: EnabledIn,
                                   principal: Principal = Auth) -> Response:
    return _set_on_destination(request, principal, destinationId, instanced=body.enabled)


@operation("GetDestinationHashUserInfo", response_model=EnabledSchema)
def get_destination_hash_user_info(request: Request, destinationId: str, principal: Principal = Auth) -> EnabledSchema:
    with unit(request) as session:
        dest = dest_domain.get_destination(session, application_pk=principal.app_pk, destination_id=destinationId)
        return EnabledSchema(enabled=dest.hash_user_info)


@operation("UpdateDestinationHashUserInfo", status_code=204)
def update_destination_hash_user_info(request: Request, destinationId: str, body: EnabledIn,
                                      principal: Principal = Auth) -> Response:
    """The destination's setting (dispatches created later start with it) and every dispatch it has."""
    with unit(request) as session:
        dest = dest_domain.get_destination(session, application_pk=principal.app_pk, destination_id=destinationId)
        disp_domain.set_destination_hash(session, destination=dest, on=body.enabled)
    return _no_content()


@operation("GetDestinationDispatchRegistrationCount", response_model=IntegerResultSchema)
def get_destination_dispatch_registration_count(request: Request, destinationId: str,
                                                principal: Principal = Auth) -> IntegerResultSchema:
    """The sum of the registration counters of the destination's dispatches."""
    with unit(request) as session:
        dest = dest_domain.get_destination(session, application_pk=principal.app_pk, destination_id=destinationId)
        return IntegerResultSchema(result=sum(d.registration_count for d in disp_domain.dispatches_of(session, dest)))


@operation("ResetDestinationDispatchRegistrationCount", status_code=204)
def reset_destination_dispatch_registration_count(request: Request, destinationId: str,
                                                  principal: Principal = Auth) -> Response:
    with unit(request) as session:
        dest = dest_domain.get_destination(session, application_pk=principal.app_pk, destination_id=destinationId)
        disp_domain.reset_counts(session, disp_domain.dispatches_of(session, dest))
    return _no_content()


# --- dispatches ------------------------------------------------------------------------------------------

@operation("CreateDispatches", status_code=204)
def create_dispatches(request: Request, body: CreateDispatchListIn, principal: Principal = Auth) -> Response:
    """Create every listed dispatch, or none when one is bad (unknown course or destination, taken id,
    a course already dispatched to that destination): 400 naming it."""
    items = [disp_domain.NewDispatch(
        dispatch_id=d.id, destination_id=d.data.destinationId, course_id=d.data.courseId, tags=d.data.tags,
        options=disp_domain.DispatchChanges(
            allow_new_registrations=d.data.allowNewRegistrations, instanced=d.data.instanced,
            registration_cap=d.data.registrationCap, expiration_date=d.data.expirationDate, enabled=d.data.enabled,
            email=d.data.email, notes=d.data.notes, postback=_postback(request, d.data.postBack)))
        for d in body.dispatches]
    with unit(request) as session:
        disp_domain.create_dispatches(session, application_pk=principal.app_pk, items=items,
                                      box=services(request).box)
    return _no_content()


@operation("GetDispatches", response_model=DispatchListSchema)
def get_dispatches(request: Request, response: Response, principal: Principal = Auth) -> DispatchListSchema:
    """The application's dispatches, newest first by default, paged and filtered as every list."""
    listing = parse_list_request(request, disp_domain.DISPATCH_LIST, scope="dispatches",
                                 extra=_list_extra(request, with_enabled=True))
    with unit(request) as session:
        return _dispatch_page(request, response, session, principal.app_pk, listing, "dispatches")


def _filter_query(request: Request) -> tuple[ListQuery, str | None, list[str]]:
    params = request.query_params
    query = ListQuery(
        since=parse_datetime("since", params.get("since")), until=parse_datetime("until", params.get("until")),
        datetime_filter=params.get("datetimeFilter") or None, filter=params.get("filter") or None,
        filter_by=params.get("filterBy") or None).validated(disp_domain.DISPATCH_LIST)
    return query, *_query_filters(request)


@operation("UpdateDispatches", status_code=204)
def update_dispatches(request: Request, body: UpdateDispatchIn, principal: Principal = Auth) -> Response:
    """Apply the fields given to every dispatch the filters select (one filter at least);
    X-Total-Count says how many."""
    changes = _changes(request, body)
    query, course_id, tags = _filter_query(request)
    with unit(request) as session:
        rows = disp_domain.select_by_filter(session, application_pk=principal.app_pk, query=query,
                                            course_id=course_id, tags=tags)
        for row in rows:
            disp_domain.apply_changes(row, changes)
    return Response(status_code=204, headers={"X-Total-Count": str(len(rows))})


@operation("DeleteDispatches", status_code=204)
def delete_dispatches(request: Request, principal: Principal = Auth) -> Response:
    """Delete every dispatch the filters select (one filter at least); X-Total-Count says how many."""
    query, course_id, tags = _filter_query(request)
    with unit(request) as session:
        rows = disp_domain.select_by_filter(session, application_pk=principal.app_pk, query=query,
                                            course_id=course_id, tags=tags)
        dest_domain.delete_dispatch_ids(session, application_pk=principal.app_pk,
                                        dispatch_ids=[r.dispatch_id for r in rows])
    return Response(status_code=204, headers={"X-Total-Count": str(len(rows))})


@operation("PutDispatchTagsBatch", status_code=204)
def put_dispatch_tags_batch(request: Request, body: BatchTagsBody, principal: Principal = Auth) -> Response:
    """Set the tags of every listed dispatch; all or nothing (an unknown id is a 404)."""
    return DISPATCH_TAGS.batch(request, principal, body)


@operation("GetDispatch", response_model=DispatchSchema)
def get_dispatch(request: Request, dispatchId: str, principal: Principal = Auth) -> DispatchSchema:
    with unit(request) as session:
        row = disp_domain.get_dispatch(session, application_pk=principal.app_pk, dispatch_id=dispatchId)
        return _dispatch_items(session, principal.app_pk, [row])[0].data


@operation("UpdateDispatch", status_code=204)
def update_dispatch(request: Request, dispatchId: str, body: UpdateDispatchIn, principal: Principal = Auth) -> Response:
    """Change the fields given; the others are kept."""
    changes = _changes(request, body)
    with unit(request) as session:
        row = disp_domain.get_dispatch(session, application_pk=principal.app_pk, dispatch_id=dispatchId)
        disp_domain.apply_changes(row, changes)
    return _no_content()


@operation("DeleteDispatch", status_code=204)
def delete_dispatch(request: Request, dispatchId: str, principal: Principal = Auth) -> Response:
    with unit(request) as session:
        disp_domain.get_dispatch(session, application_pk=principal.app_pk, dispatch_id=dispatchId)
        dest_domain.delete_dispatch_ids(session, application_pk=principal.app_pk, dispatch_ids=[dispatchId])
    return _no_content()


@operation("DeleteDispatchPostbackInfo", status_code=204)
def delete_dispatch_postback_info(request: Request, dispatchId: str, principal: Principal = Auth) -> Response:
    """Registrations made through the dispatch from now on get no postback of their own."""
    with unit(request) as session:
        row = disp_domain.get_dispatch(session, application_pk=principal.app_pk, dispatch_id=dispatchId)
        disp_domain.apply_changes(row, disp_domain.DispatchChanges(postback={}))
    return _no_content()


def _flag(request: Request, principal: Principal, dispatch_id: str, attr: str) -> EnabledSchema:
    with unit(request) as session:
        row = disp_domain.get_dispatch(session, application_pk=principal.app_pk, dispatch_id=dispatch_id)
        return EnabledSchema(enabled=bool(getattr(row, attr)))


def _set_flag(request: Request, principal: Principal, dispatch_id: str, attr: str, value: bool) -> Response:
    with unit(request) as session:
        row = disp_domain.get_dispatch(session, application_pk=principal.app_pk, dispatch_id=dispatch_id)
        setattr(row, attr, value)
        disp_domain.apply_changes(row, disp_domain.DispatchChanges())  # dates the change
    return _no_content()


@operation("GetDispatchEnabled", response_model=EnabledSchema)
def get_dispatch_enabled(request: Request, dispatchId: str, principal: Principal = Auth) -> EnabledSchema:
    return _flag(request, principal, dispatchId, "enabled")


@operation("SetDispatchEnabled", status_code=204)
def set_dispatch_enabled(request: Request, dispatchId: str, body: EnabledIn, principal: Principal = Auth) -> Response:
    return _set_flag(request, principal, dispatchId, "enabled", body.enabled)


@operation("GetDispatchHashUserInfo", response_model=EnabledSchema)
def get_dispatch_hash_user_info(request: Request, dispatchId: str, principal: Principal = Auth) -> EnabledSchema:
    return _flag(request, principal, dispatchId, "hash_user_info")


@operation("UpdateDispatchHashUserInfo", status_code=204)
def update_dispatch_hash_user_info(request: Request, dispatchId: str, body: EnabledIn,
                                   principal: Principal = Auth) -> Response:
    """Learner ids of first launches from now on are stored hashed (or in the clear)."""
    return _set_flag(request, principal, dispatchId, "hash_user_info", body.enabled)


@operation("GetDispatchRegistrationCount", response_model=DispatchRegistrationCountSchema)
def get_dispatch_registration_count(request: Request, dispatchId: str,
                                    principal: Principal = Auth) -> DispatchRegistrationCountSchema:
    with unit(request) as session:
        row = disp_domain.get_dispatch(session, application_pk=principal.app_pk, dispatch_id=dispatchId)
        return DispatchRegistrationCountSchema(registration_count=row.registration_count,
                                               last_reset_date=row.registration_reset_date)


@operation("ResetDispatchRegistrationCount", status_code=204)
def reset_dispatch_registration_count(request: Request, dispatchId: str, principal: Principal = Auth) -> Response:
    """The counter (and so the cap) starts again; the registrations stay."""
    with unit(request) as session:
        row = disp_domain.get_dispatch(session, application_pk=principal.app_pk, dispatch_id=dispatchId)
        disp_domain.reset_counts(session, [row])
    return _no_content()


@operation("GetDispatchTags", response_model=TagListSchema)
def get_dispatch_tags(request: Request, dispatchId: str, principal: Principal = Auth) -> TagListSchema:
    return DISPATCH_TAGS.read(request, principal, dispatchId)


@operation("PutDispatchTags", status_code=204)
def put_dispatch_tags(request: Request, dispatchId: str, body: TagsBody, principal: Principal = Auth) -> Response:
    """Replace the dispatch's tags with these."""
    return DISPATCH_TAGS.replace(request, principal, dispatchId, body)


@operation("DeleteDispatchTags", status_code=204)
def delete_dispatch_tags(request: Request, dispatchId: str, body: TagsBody, principal: Principal = Auth) -> Response:
    return DISPATCH_TAGS.remove(request, principal, dispatchId, body)
