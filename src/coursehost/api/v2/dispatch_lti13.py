"""DispatchApi's LTI 1.3 operations: a dispatch's target link URI, the tool configuration an LMS
administrator enters for a destination, and GetLti13DispatchLaunch, the launch's last step (the
id_token in the query; the official client sends no credentials for it, the token proves the caller)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.operations import operation
from coursehost.api.v2.schemas.dispatch_lti13 import DispatchLti13InfoSchema, Lti13ToolConfigurationSchema
from coursehost.domain.applications.auth import Principal
from coursehost.domain.dispatch import lti13
from coursehost.domain.errors import DomainError
from coursehost.domain.lti.tool import KeySetCache, fetch_key_set
from coursehost.domain.registrations import launch_links
from coursehost.web import http_status, services, unit

MAX_JWT = 16_384


def _public_url(request: Request) -> str:
    s = services(request).settings
    return (s.public_url or s.base_url or "").rstrip("/")


@operation("GetLti13Dispatch", response_model=DispatchLti13InfoSchema)
def get_lti13_dispatch(request: Request, dispatchId: str, principal: Principal = Auth) -> DispatchLti13InfoSchema:
    """The target link URI to register in the destination's LMS for this dispatch."""
    with unit(request) as session:
        uri = lti13.target_link_uri(session, application_pk=principal.app_pk, dispatch_id=dispatchId,
                                    public_url=_public_url(request))
    return DispatchLti13InfoSchema(target_link_uri=uri)


@operation("GetLti13ToolConfigurationSchema", response_model=Lti13ToolConfigurationSchema)
def get_lti13_tool_configuration_schema(request: Request, destinationId: str,
                                        principal: Principal = Auth) -> Lti13ToolConfigurationSchema:
    """Our public key, login initiation URL, redirect URI and key set URL, for the destination's LMS."""
    with unit(request) as session:  # a write the first time: our first key is made
        cfg = lti13.tool_configuration(session, application_pk=principal.app_pk, destination_id=destinationId,
                                       public_url=_public_url(request), box=services(request).box)
    return Lti13ToolConfigurationSchema(**{k: cfg[k] for k in ("publicKey", "oidcLoginInitiationsUrl", "redirectUri",
                                                               "jsonWebKeySetUrl")})


def _key_sets(request: Request) -> KeySetCache:
    """One cache of platforms' key sets per application object (dropped with it)."""
    state = request.app.state
    cache = getattr(state, "lti13_key_sets", None)
    if cache is None:
        allow = services(request).settings.allow_private_urls
        cache = state.lti13_key_sets = KeySetCache(lambda url: fetch_key_set(url, allow_private_urls=allow))
    return cache


@operation("GetLti13DispatchLaunch", public=True)
def get_lti13_dispatch_launch(request: Request, dispatchId: str, externalConfig: str = "", jwt: str = "") -> Response:
    """The launch's last step: the id_token (its nonce one of our logins for this dispatch, unused) is
    checked like a form_post launch, then the learner is redirected (303) into the course.
    externalConfig is accepted and not used (SCORM Cloud's per-launch settings)."""
    if not jwt or len(jwt) > MAX_JWT:
        raise ApiError(400, "jwt: an LTI 1.3 id_token is required")
    svc = services(request)
    env = lti13.LaunchEnv(instance_key=svc.instance_key, box=svc.box, key_sets=_key_sets(request))
    try:
        with unit(request) as session:
            reg, back = lti13.launch_by_id(session, dispatch_id=dispatchId, jwt_text=jwt, env=env)
            url = launch_links.registration_launch_link(
                session, instance_key=svc.instance_key, content_url=svc.settings.content_url, registration=reg,
                request=launch_links.LinkRequest(redirect_on_exit_url=back))
    except DomainError as exc:
        raise ApiError(http_status(exc), str(exc)) from None
    return RedirectResponse(url, status_code=303)
