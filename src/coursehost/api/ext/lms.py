"""LMS configurations (issue 17): a realm's external LMSs, their health, and the course each
course's results go to. Authenticated like API v2; scopes read:lms and write:lms.

    GET/POST          /lmsConfigurations
    GET/PUT/DELETE    /lmsConfigurations/{configurationId}
    PUT/DELETE        /courses/{courseId}/lmsConfiguration          {"configurationId": ...}
    POST              /lmsConfigurations/{configurationId}/test     one test statement, sent now
    GET               /registrations/{registrationId}/lmsResults    what was sent, waits, or why not
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from coursehost.api.v2.auth import Auth, require
from coursehost.domain.applications.auth import Principal
from coursehost.domain.lms import configurations as lms
from coursehost.domain.lms import delivery as lms_delivery
from coursehost.domain.lms.results import registration_results
from coursehost.domain.lms.types import PropertyInput
from coursehost.domain.registrations import core
from coursehost.web import read_unit, services, unit

READ, WRITE = "read:lms", "write:lms"


class _Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class _In(BaseModel):
    model_config = ConfigDict(populate_by_name=True, strict=True, extra="forbid")


class LmsConfigurationIn(_In):
    name: str | None = Field(None, max_length=1000)
    contact_email: str | None = Field(None, alias="contactEmail", max_length=1000)
    type: str | None = Field(None, max_length=64)
    xapi_url: str | None = Field(None, alias="xapiUrl", max_length=4000)
    xapi_key: str | None = Field(None, alias="xapiKey", max_length=1000)
    xapi_secret: str | None = Field(None, alias="xapiSecret", max_length=2000)  # write-only


class LmsConfigurationOut(_Out):
    id: str
    name: str
    contact_email: str
    type: str
    xapi_url: str | None = None
    xapi_key: str | None = None
    status: str  # OK | CANT_CONNECT | SERVER_ERROR
    last_error: str | None = None
    error_since: datetime | None = None
    pending_results: int
    created: datetime
    updated: datetime


class LmsConfigurationList(_Out):
    configurations: list[LmsConfigurationOut]


class AttachIn(_In):
    configuration_id: str | None = Field(None, alias="configurationId", max_length=255)


class LmsResultOut(_Out):
    configuration_id: str
    verb: str
    status: str  # PENDING | DELIVERED | NOT_SENT
    reason: str | None = None
    statement_id: str
    occurred: datetime
    delivered: datetime | None = None
    last_error: str | None = None


class LmsResultList(_Out):
    results: list[LmsResultOut]


def _out(view: lms.ConfigurationView) -> LmsConfigurationOut:
    return LmsConfigurationOut(
        id=view.id, name=view.name, contact_email=view.contact_email, type=view.type,
        xapi_url=view.properties.get("url"), xapi_key=view.properties.get("key"), status=view.status,
        last_error=view.last_error, error_since=view.error_since, pending_results=view.pending_results,
        created=view.created, updated=view.updated)


def _given(body: LmsConfigurationIn) -> lms.ConfigurationInput:
    return lms.ConfigurationInput(name=body.name, contact_email=body.contact_email, type=body.type,
                                  properties=PropertyInput(url=body.xapi_url, key=body.xapi_key,
                                                           secret=body.xapi_secret))


def get_lms_configurations(request: Request, principal: Principal = Auth) -> LmsConfigurationList:
    """The realm's LMS configurations with their health."""
    with read_unit(request) as session:
        configs = lms.list_configurations(session, realm_id=principal.realm_id)
        return LmsConfigurationList(configurations=[_out(lms.view(session, c)) for c in configs])


def create_lms_configuration(request: Request, body: LmsConfigurationIn, principal: Principal = Auth) -> LmsConfigurationOut:
    """A new LMS configuration of the realm."""
    svc = services(request)
    with unit(request) as session:
        config = lms.create_configuration(session, realm_id=principal.realm_id, given=_given(body), box=svc.box,
                                          allow_private_urls=svc.settings.allow_private_urls)
        return _out(lms.view(session, config))


def get_lms_configuration(request: Request, configurationId: str, principal: Principal = Auth) -> LmsConfigurationOut:
    """One LMS configuration with its health."""
    with read_unit(request) as session:
        config = lms.get_configuration(session, realm_id=principal.realm_id, config_id=configurationId)
        return _out(lms.view(session, config))


def update_lms_configuration(request: Request, configurationId: str, body: LmsConfigurationIn,
                             principal: Principal = Auth) -> LmsConfigurationOut:
    """Change the fields given (the secret only when given)."""
    svc = services(request)
    with unit(request) as session:
        config = lms.update_configuration(session, realm_id=principal.realm_id, config_id=configurationId,
                                          given=_given(body), box=svc.box,
                                          allow_private_urls=svc.settings.allow_private_urls)
        return _out(lms.view(session, config))


def delete_lms_configuration(request: Request, configurationId: str, principal: Principal = Auth) -> Response:
    """Delete the configuration: its courses are detached, its waiting results dropped."""
    with unit(request) as session:
        lms.delete_configuration(session, realm_id=principal.realm_id, config_id=configurationId)
    return Response(status_code=204)


def attach_course_lms_configuration(request: Request, courseId: str, body: AttachIn,
                                    principal: Principal = Auth) -> Response:
    """Send the course's registrations' results to the configuration from now on."""
    with unit(request) as session:
        lms.attach_configuration(session, application_pk=principal.app_pk, course_id=courseId,
                                 config_id=body.configuration_id)
    return Response(status_code=204)


def detach_course_lms_configuration(request: Request, courseId: str, principal: Principal = Auth) -> Response:
    """Stop sending the course's results."""
    with unit(request) as session:
        lms.detach_configuration(session, application_pk=principal.app_pk, course_id=courseId)
    return Response(status_code=204)


class TestStatementOut(_Out):
    statement_id: str


def test_lms_configuration(request: Request, configurationId: str, principal: Principal = Auth) -> TestStatementOut:
    """Send one test statement to the configuration now (400 saying why, when it is not taken)."""
    svc = services(request)
    with read_unit(request) as session:
        statement_id = lms_delivery.send_test_statement(
            session, realm_id=principal.realm_id, config_id=configurationId, box=svc.box,
            home_page=svc.settings.public_url or svc.settings.base_url or "",
            allow_private_urls=svc.settings.allow_private_urls)
    return TestStatementOut(statement_id=statement_id)


test_lms_configuration.__test__ = False  # not a pytest test, whatever the name says


def get_registration_lms_results(request: Request, registrationId: str, principal: Principal = Auth) -> LmsResultList:
    """The registration's result changes for LMSs: delivered, waiting, or why they were not sent."""
    with read_unit(request) as session:
        registration = core.get_registration(session, application_pk=principal.app_pk, registration_id=registrationId)
        rows = registration_results(session, registration_pk=registration.pk)
        return LmsResultList(results=[LmsResultOut(
            configuration_id=c.config_id, verb=r.verb, status=r.status, reason=r.reason, statement_id=r.statement_id,
            occurred=r.occurred, delivered=r.delivered, last_error=r.last_error) for r, c in rows])


_ROUTES = [
    ("/lmsConfigurations", "GET", get_lms_configurations, "GetLmsConfigurations", READ, LmsConfigurationList, 200),
    ("/lmsConfigurations", "POST", create_lms_configuration, "CreateLmsConfiguration", WRITE, LmsConfigurationOut, 200),
    ("/lmsConfigurations/{configurationId}", "GET", get_lms_configuration, "GetLmsConfiguration", READ,
     LmsConfigurationOut, 200),
    ("/lmsConfigurations/{configurationId}", "PUT", update_lms_configuration, "UpdateLmsConfiguration", WRITE,
     LmsConfigurationOut, 200),
    ("/lmsConfigurations/{configurationId}", "DELETE", delete_lms_configuration, "DeleteLmsConfiguration", WRITE,
     None, 204),
    ("/lmsConfigurations/{configurationId}/test", "POST", test_lms_configuration, "TestLmsConfiguration", WRITE,
     TestStatementOut, 200),
    ("/courses/{courseId}/lmsConfiguration", "PUT", attach_course_lms_configuration, "SetCourseLmsConfiguration",
     WRITE, None, 204),
    ("/courses/{courseId}/lmsConfiguration", "DELETE", detach_course_lms_configuration,
     "DeleteCourseLmsConfiguration", WRITE, None, 204),
    ("/registrations/{registrationId}/lmsResults", "GET", get_registration_lms_results, "GetRegistrationLmsResults",
     READ, LmsResultList, 200),
]


def add_routes(router: APIRouter, *, prefix: str) -> None:
    """Route every LMS operation under PREFIX, in the served OpenAPI document."""
    for path, method, handler, op_id, scope, model, status in _ROUTES:
        router.add_api_route(prefix + path, handler, methods=[method], operation_id=op_id, tags=["LMS (extension)"],
                             response_model=model, status_code=status, dependencies=[require(scope)],
                             response_model_by_alias=True)
