"""RegistrationApi: registrations, their instances, progress, launch history, configuration, tags.
(BuildRegistrationLaunchLink lives in launch.py, TestRegistrationPostback in postback.py.)"""

from __future__ import annotations

from fastapi import Request, Response

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.course import query_tags
from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.operations import operation
from coursehost.api.v2.paging import parse_bool, parse_datetime, parse_list_request, run_list, statement_result
from coursehost.api.v2.schemas.applications import SettingsPost
from coursehost.api.v2.schemas.common import TagListSchema
from coursehost.api.v2.schemas.courses import BatchTagsBody, TagsBody
from coursehost.api.v2.schemas.registrations import (
    CreateRegistrationIn,
    LaunchHistoryListSchema,
    PostBackIn,
    RegistrationListSchema,
    RegistrationSchema,
)
from coursehost.api.v2.schemas.settings import SettingListSchema
from coursehost.api.v2.schemas.xapi import XapiStatementResult
from coursehost.api.v2.tagging import Taggable
from coursehost.domain.applications.auth import Principal
from coursehost.domain.lrs import reports
from coursehost.domain.postbacks.config import AUTH_TYPES, RESULTS_FORMATS
from coursehost.domain.registrations import core, lifecycle, listing
from coursehost.domain.reporting.progress import registration_progress
from coursehost.domain.runtime.launches import launch_history
from coursehost.domain.settings_registry import delete_setting, read_settings, set_settings
from coursehost.web import services, unit

REGISTRATION_TAGS = Taggable("registration", "registration", lambda session, app_pk, key: core.get_registration(
    session, application_pk=app_pk, registration_id=key))


def _choice(value: str | None, allowed: tuple[str, ...], default: str, name: str) -> str:
    word = (value or "").lower()
    if word in ("", "undefined"):  # PostBackSchema's UNDEFINED: the default
        return default
    if word not in allowed:
        raise ApiError(400, f"Invalid value for postBack.{name}: [{value}]; allowed: {', '.join(allowed)}")
    return word


def _postback(request: Request, body: CreateRegistrationIn) -> dict:
    """The stored postback dict; the password encrypted with the instance key."""
    return stored_postback(request, body.postBack)


def stored_postback(request: Request, pb: PostBackIn | None) -> dict:
    """A wire PostBackSchema as stored (registrations, invitations); the password encrypted."""
    if pb is None or not pb.url:
        return {}
    stored = {"url": pb.url, "authType": _choice(pb.authType, AUTH_TYPES, "form", "authType"),
              "userName": pb.userName or "",
              "resultsFormat": _choice(pb.resultsFormat, RESULTS_FORMATS, "course", "resultsFormat"),
              "legacy": bool(pb.legacy)}
    if pb.password:
        stored["passwordEncrypted"] = services(request).box.encrypt(pb.password)
    return stored


def _enrolment(request: Request, body: CreateRegistrationIn, course_version: int | None) -> lifecycle.Enrolment:
    state = body.initialRegistrationState
    return lifecycle.Enrolment(
        registration_id=body.registrationId, course_id=body.courseId, course_version=course_version,
        learner=body.learner.model_dump(exclude_none=True), xapi_registration_id=body.xapiRegistrationId,
        postback=_postback(request, body), registration_tags=body.registrationTags or [],
        learner_tags=body.learnerTags or [], course_tags=body.courseTags or [],
        settings=body.initialSettings.values() if body.initialSettings else [],
        initial_state=state.model_dump(exclude_none=True, mode="python") if state else None)


@operation("CreateRegistration", status_code=204)
def create_registration(request: Request, body: CreateRegistrationIn, courseVersion: int | None = None,
                        principal: Principal = Auth) -> Response:
    """A learner's registration on a course (its latest version unless courseVersion)."""
    enrolment = _enrolment(request, body, courseVersion)
    with unit(request) as session:
        lifecycle.enrol(session, application_pk=principal.app_pk, enrolment=enrolment)
    return Response(status_code=204)


def _includes(request: Request) -> dict:
    return {"include_child_results": parse_bool(request, "includeChildResults"),
            "include_interactions_and_objectives": parse_bool(request, "includeInteractionsAndObjectives"),
            "include_runtime": parse_bool(request, "includeRuntime")}


@operation("GetRegistrations", response_model=RegistrationListSchema)
def get_registrations(request: Request, response: Response, principal: Principal = Auth) -> RegistrationListSchema:
    """The application's registrations, newest first by default, with paging and filters."""
    params = request.query_params
    extra = {k: v for k, v in (("courseId", params.get("courseId")), ("learnerId", params.get("learnerId")),
                               ("tags", query_tags(request))) if v}
    listing_req = parse_list_request(request, listing.REGISTRATION_LIST, scope="registrations", extra=extra)
    includes = _includes(request)
    with unit(request) as session:
        x = listing_req.query.extra
        stmt = listing.registration_list_query(principal.app_pk, course_id=x.get("courseId"),
                                               learner_id=x.get("learnerId"), tags=x.get("tags"))
        regs, more = run_list(request, response, session, stmt, listing.REGISTRATION_LIST, listing_req,
                              scope="registrations")
        items = [RegistrationSchema.of(registration_progress(session, registration=r, **includes)) for r in regs]
    return RegistrationListSchema(registrations=items, more=more)


@operation("GetRegistrationProgress", response_model=RegistrationSchema)
def get_registration_progress(request: Request, registrationId: str,
                              principal: Principal = Auth) -> RegistrationSchema:
    """The registration's results; child results, interactions and run-time data on request."""
    includes = _includes(request)
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        return RegistrationSchema.of(registration_progress(session, registration=reg, **includes))


@operation("GetRegistration")
def get_registration(request: Request, registrationId: str, principal: Principal = Auth) -> Response:
    """200 when the registration exists, 404 when not; no body."""
    with unit(request) as session:
        found = core.find_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
    return Response(status_code=200 if found else 404)


@operation("DeleteRegistration", status_code=204)
def delete_registration(request: Request, registrationId: str,
                        principal: Principal = Auth) -> Response:
    """Delete the registration with its instances, run-time data, launch history, tags and settings."""
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        lifecycle.delete_registration(session, registration=reg)
    return Response(status_code=204)


@operation("DeleteRegistrationProgress", status_code=204)
def delete_registration_progress(request: Request, registrationId: str,
                                 principal: Principal = Auth) -> Response:
    """Start the registration over, clean, on the course's latest version."""
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        lifecycle.reset_progress(session, registration=reg)
    return Response(status_code=204)


@operation("DeleteRegistrationGlobalData", status_code=204)
def delete_registration_global_data(request: Request, registrationId: str,
                                    principal: Principal = Auth) -> Response:
    """Forget the registration's global objectives and shared data."""
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        lifecycle.clear_global_data(session, registration=reg)
    return Response(status_code=204)


# ------------------------------------------------------------------------------- instances


@operation("GetRegistrationInstances", response_model=RegistrationListSchema)
def get_registration_instances(request: Request, registrationId: str,
                               principal: Principal = Auth) -> RegistrationListSchema:
    """Every instance of the registration, oldest first (a RegistrationListSchema)."""
    since = parse_datetime("since", request.query_params.get("since"))
    until = parse_datetime("until", request.query_params.get("until"))
    includes = _includes(request)
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        instances = listing.list_instances(session, registration=reg, since=since, until=until)
        return RegistrationListSchema(registrations=[
            RegistrationSchema.of(registration_progress(session, registration=reg, instance=i, **includes))
            for i in instances])


@operation("GetRegistrationInstanceProgress", response_model=RegistrationSchema)
def get_registration_instance_progress(request: Request, registrationId: str, instanceId: int,
                                       principal: Principal = Auth) -> RegistrationSchema:
    includes = _includes(request)
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        inst = core.get_instance(session, registration=reg, instance=instanceId)
        return RegistrationSchema.of(registration_progress(session, registration=reg, instance=inst, **includes))


@operation("CreateNewRegistrationInstance", status_code=204)
def create_new_registration_instance(request: Request, registrationId: str,
                                     principal: Principal = Auth) -> Response:
    """A new current instance on the course's latest version."""
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        lifecycle.new_instance(session, registration=reg)
    return Response(status_code=204)


@operation("DeleteRegistrationInstance", status_code=204)
def delete_registration_instance(request: Request, registrationId: str, instanceId: int,
                                 principal: Principal = Auth) -> Response:
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        lifecycle.delete_instance(session, registration=reg, instance=instanceId)
    return Response(status_code=204)


# ------------------------------------------------------------------------------- launch history, statements


def _history(request: Request, principal: Principal, registration_id: str,
             instance: int | None) -> LaunchHistoryListSchema:
    include_log = parse_bool(request, "includeHistoryLog")
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registration_id)
        return LaunchHistoryListSchema.of(launch_history(session, registration=reg, instance=instance,
                                                                   include_log=include_log))


@operation("GetRegistrationLaunchHistory", response_model=LaunchHistoryListSchema)
def get_registration_launch_history(request: Request, registrationId: str,
                                    principal: Principal = Auth) -> LaunchHistoryListSchema:
    """Each launch of the registration, with the player's debug log when includeHistoryLog."""
    return _history(request, principal, registrationId, None)


@operation("GetRegistrationInstanceLaunchHistory", response_model=LaunchHistoryListSchema)
def get_registration_instance_launch_history(request: Request, registrationId: str, instanceId: int,
                                             principal: Principal = Auth) -> LaunchHistoryListSchema:
    return _history(request, principal, registrationId, instanceId)


def _statements(request: Request, principal: Principal, registration_id: str,
                instance: int | None) -> XapiStatementResult:
    with unit(request) as session:
        reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registration_id)
        window = None
        if instance is not None:
            core.get_instance(session, registration=reg, instance=instance)
            window = reports.instance_window(session, registration=reg, instance=instance)
        return statement_result(request, session, app_pk=principal.app_pk,
                                registration_ids=[reg.xapi_registration_id.lower()], window=window)


@operation("GetRegistrationStatements", response_model=XapiStatementResult, exclude_none=False)
def get_registration_statements(request: Request, registrationId: str,
                                principal: Principal = Auth) -> XapiStatementResult:
    return _statements(request, principal, registrationId, None)


@operation("GetRegistrationInstanceStatements", response_model=XapiStatementResult, exclude_none=False)
def get_registration_instance_statements(request: Request, registrationId: str, instanceId: int,
                                         principal: Principal = Auth) -> XapiStatementResult:
    return _statements(request, principal, registrationId, instanceId)


# ------------------------------------------------------------------------------- configuration


def _chain(session, principal: Principal, registration_id: str, instance: int | None):
    reg = core.get_registration(session, application_pk=principal.app_pk, registration_id=registration_id)
    inst = core.get_instance(session, registration=reg, instance=instance) if instance is not None else None
    return core.registration_chain(session, registration=reg, instance=inst, instance_level=instance is not None)


def _get_config(request: Request, principal: Principal, registration_id: str,
                instance: int | None) -> SettingListSchema:
    include_metadata = parse_bool(request, "includeMetadata")
    with unit(request) as session:
        chain = _chain(session, principal, registration_id, instance)
        items = read_settings(session, application_pk=principal.app_pk, chain=chain, include_metadata=include_metadata)
    return SettingListSchema.of(items)


def _set_config(request: Request, principal: Principal, registration_id: str, instance: int | None,
                body: SettingsPost) -> Response:
    values = body.values()
    with unit(request) as session:
        chain = _chain(session, principal, registration_id, instance)
        set_settings(session, application_pk=principal.app_pk, scope=chain[0], values=values)
    return Response(status_code=204)


def _delete_config(request: Request, principal: Principal, registration_id: str, instance: int | None,
                   setting_id: str) -> Response:
    with unit(request) as session:
        chain = _chain(session, principal, registration_id, instance)
        delete_setting(session, application_pk=principal.app_pk, scope=chain[0], setting_id=setting_id)
    return Response(status_code=204)


@operation("GetRegistrationConfiguration", response_model=SettingListSchema)
def get_registration_configuration(request: Request, registrationId: str,
                                   principal: Principal = Auth) -> SettingListSchema:
    return _get_config(request, principal, registrationId, None)


@operation("SetRegistrationConfiguration", status_code=204)
def set_registration_configuration(request: Request, registrationId: str, body: SettingsPost,
                                   principal: Principal = Auth) -> Response:
    return _set_config(request, principal, registrationId, None, body)


@operation("DeleteRegistrationConfigurationSetting", status_code=204)
def delete_registration_configuration_setting(
        request: Request, registrationId: str, settingId: str,
        principal: Principal = Auth) -> Response:
    return _delete_config(request, principal, registrationId, None, settingId)


@operation("GetRegistrationInstanceConfiguration", response_model=SettingListSchema)
def get_registration_instance_configuration(request: Request, registrationId: str, instanceId: int,
                                            principal: Principal = Auth) -> SettingListSchema:
    return _get_config(request, principal, registrationId, instanceId)


@operation("SetRegistrationInstanceConfiguration", status_code=204)
def set_registration_instance_configuration(request: Request, registrationId: str, instanceId: int,
                                            body: SettingsPost,
                                            principal: Principal = Auth):
    return _set_config(request, principal, registrationId, instanceId, body)


@operation("DeleteRegistrationInstanceConfigurationSetting", status_code=204)
def delete_registration_instance_configuration_setting(
        request: Request, registrationId: str, instanceId: int, settingId: str,
        principal: Principal = Auth):
    return _delete_config(request, principal, registrationId, instanceId, settingId)


# ------------------------------------------------------------------------------- tags


@operation("GetRegistrationTags", response_model=TagListSchema)
def get_registration_tags(request: Request, registrationId: str, principal: Principal = Auth) -> TagListSchema:
    return REGISTRATION_TAGS.read(request, principal, registrationId)


@operation("PutRegistrationTags", status_code=204)
def put_registration_tags(request: Request, registrationId: str, body: TagsBody, principal: Principal = Auth) -> Response:
    """Replace the registration's tags with these."""
    return REGISTRATION_TAGS.replace(request, principal, registrationId, body)


@operation("DeleteRegistrationTags", status_code=204)
def delete_registration_tags(request: Request, registrationId: str, body: TagsBody, principal: Principal = Auth) -> Response:
    return REGISTRATION_TAGS.remove(request, principal, registrationId, body)


@operation("PutRegistrationTagsBatch", status_code=204)
def put_registration_tags_batch(request: Request, body: BatchTagsBody, principal: Principal = Auth) -> Response:
    """Set the tags of every listed registration; all or nothing (an unknown id is a 404)."""
    return REGISTRATION_TAGS.batch(request, principal, body)
