"""Who is calling an application's LRS: an activity-provider credential (XapiApi), the
application's own API credentials (root), or an OAuth token issued to the application."""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass

from coursehost.db.session import unit_of_work
from coursehost.domain.applications.auth import authenticate_basic_cached, authenticate_token_cached
from coursehost.domain.errors import DomainError
from coursehost.domain.lrs.credentials import lrs_credential_cached
from coursehost.domain.lrs.oauth_nonces import DatabaseNonces
from coursehost.domain.registrations import launch_credentials
from coursehost.domain.registrations.launch_credentials import LaunchScope
from coursehost.domain.runtime import launch_xapi
from coursehost.lrs_http import cmi5, oauth1
from coursehost.lrs_http.documents import parse_agent_param
from coursehost.lrs_http.request import LrsPrincipal, XapiRequest
from coursehost.lrs_http.response import error_result
from coursehost.lrs_http.statements import statements_body


@dataclass(frozen=True)
class SignedRequest:
    """The request as it went over the wire, for an OAuth 1.0a signature (before the alternate
    request syntax is unwrapped): method, URL without query, query and form parameters."""

    method: str
    url: str
    params: list[tuple[str, str]]


def authority_for(base_url: str, app_id: str, account_name: str, name: str | None) -> dict:
    """The authority stamped on statements a caller writes (xAPI 1.0.3 §2.4.9): an Agent with an
    account on this LRS."""
    agent = {"objectType": "Agent", "account": {"homePage": f"{base_url}/lrs/{app_id}", "name": account_name}}
    if name:
        agent["name"] = name
    return agent


def authenticate(services, *, app_id: str, authorization: str | None, base_url: str,
                 signed: SignedRequest | None = None, client: str | None = None) -> LrsPrincipal | None:
    """The principal AUTHORIZATION stands for on APP_ID's LRS, or None (401); TooManyFailures (429)
    while the key or the CLIENT address is locked out by failed attempts, which are counted here."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    scheme = scheme.lower()
    key = _throttle_key(app_id, scheme, authorization, value)
    services.throttle.check(key=key, address=client)
    principal = _authenticate(services, app_id, scheme, authorization, value, base_url, signed)
    if principal is None and scheme in ("oauth", "basic", "bearer"):
        services.throttle.failed(key=key, address=client)
    return principal


def _throttle_key(app_id: str, scheme: str, authorization: str, value: str) -> str | None:
    """What failures are counted against besides the address: the application's own key (shared
    with the API) or the xAPI credential on this LRS; None for a token."""
    if scheme == "oauth":
        name = (oauth1.parse_authorization(authorization) or {}).get("oauth_consumer_key", "")
    elif scheme == "basic":
        pair = _basic_pair(value)
        name = pair[0] if pair else ""
    else:
        return None
    if not name:
        return None
    return app_id if name == app_id else f"xapi:{app_id}:{name}"


def _basic_pair(value: str) -> tuple[str, str] | None:
    try:
        key, sep, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (key, secret) if sep else None


def _authenticate(services, app_id: str, scheme: str, authorization: str, value: str, base_url: str,
                  signed: SignedRequest | None) -> LrsPrincipal | None:
    if scheme == "oauth":
        oauth = oauth1.parse_authorization(authorization)
        return None if oauth is None or signed is None else _by_oauth(services, app_id, oauth, signed, base_url)
    if scheme == "basic":
        pair = _basic_pair(value)
        if pair is None:
            return None
        key, secret = pair
        if key == launch_credentials.LAUNCH_USER:
            return _by_launch_credential(services, app_id, secret, base_url)
        if key.startswith(cmi5.PREFIX):  # an AU's auth token from its cmi5 fetch URL
            return cmi5.principal(services, app_id=app_id, user=key, secret=secret, base_url=base_url)
        return _by_xapi_credential(services, app_id, key, secret, base_url) or _by_app_secret(
            services, app_id, key, secret, base_url)
    if scheme == "bearer":
        principal = authenticate_token_cached(services.session_factory, instance_key=services.instance_key,
                                              token=value.strip())
        if principal is None or principal.app_id != app_id:
            return None
        return LrsPrincipal(principal.app_pk, app_id, None, "ROOT",
                            authority_for(base_url, app_id, app_id, None))
    return None


def _by_app_secret(services, app_id: str, key: str, secret: str, base_url: str) -> LrsPrincipal | None:
    if key != app_id:
        return None
    principal = authenticate_basic_cached(services.session_factory, box=services.box, app_id=app_id, secret=secret)
    if principal is None:
        return None
    return LrsPrincipal(principal.app_pk, app_id, None, "ROOT", authority_for(base_url, app_id, app_id, None))


def _by_oauth(services, app_id: str, oauth: dict, signed: SignedRequest, base_url: str) -> LrsPrincipal | None:
    key = oauth.get("oauth_consumer_key", "")
    cred = lrs_credential_cached(services.session_factory, app_id=app_id, credential_id=key)
    if cred is None or cred.auth != "OAUTH":
        return None
    if not oauth1.verify(method=signed.method, url=signed.url, oauth=oauth, other_params=signed.params,
                         consumer_secret=services.box.decrypt(cred.secret_encrypted),
                         nonces=DatabaseNonces(services.session_factory, app_id=app_id,
                                                window=oauth1.TIMESTAMP_WINDOW)):
        return None
    return LrsPrincipal(cred.app_pk, app_id, key, cred.permissions_level,
                        authority_for(base_url, app_id, key, cred.name))


def _by_xapi_credential(services, app_id: str, key: str, secret: str, base_url: str) -> LrsPrincipal | None:
    cred = lrs_credential_cached(services.session_factory, app_id=app_id, credential_id=key)
    if cred is None or cred.auth == "OAUTH":  # an OAUTH credential signs its requests, never sends its secret
        return None
    if not hmac.compare_digest(services.box.decrypt(cred.secret_encrypted).encode(), secret.encode()):
        return None
    return LrsPrincipal(cred.app_pk, app_id, key, cred.permissions_level,
                        authority_for(base_url, app_id, key, cred.name))


@dataclass(frozen=True)
class LaunchPrincipal(LrsPrincipal):
    """A launch's credential (launch_credentials): one registration's statements and state only."""

    scope: LaunchScope | None = None


def _by_launch_credential(services, app_id: str, secret: str, base_url: str) -> LrsPrincipal | None:
    with unit_of_work(services.session_factory) as session:
        scope = launch_credentials.launch_scope(session, instance_key=services.instance_key, app_id=app_id,
                                                secret=secret, home_page=base_url)
    if scope is None:
        return None
    return LaunchPrincipal(scope.app_pk, app_id, scope.credential_id, "DEFAULT",
                           authority_for(base_url, app_id, scope.credential_id, None), scope=scope)


def scoped(handler, principal: LrsPrincipal | None):
    """HANDLER as PRINCIPAL may run it: a launch credential's request must stay within its
    registration and learner (403 else); each exchange goes into the launch's debug log."""
    if not isinstance(principal, LaunchPrincipal) or principal.scope is None:
        return handler
    scope = principal.scope

    def run(request: XapiRequest, services):
        verbs: list[str] = []
        try:
            raw_agent = request.params.get("agent")
            agent = parse_agent_param(raw_agent, version=request.version) if raw_agent is not None else None
            launch_credentials.check_params(scope, request.resource, request.method, request.params, agent)
            if _writes_statements(request):
                body = statements_body(request)[0]
                verbs = launch_credentials.verbs_of(body)
                launch_credentials.check_statements(scope, body)
            answer = handler(request, services)
        except DomainError as exc:
            _exchanged(services, scope, request, error_result(exc).status, verbs, str(exc))
            raise
        _exchanged(services, scope, request, answer.status, verbs, None)
        return answer
    return run


def _writes_statements(request: XapiRequest) -> bool:
    return request.resource == "statements" and request.method in ("POST", "PUT")


def _exchanged(services, scope: LaunchScope, request: XapiRequest, status: int, verbs: list[str],
               message: str | None) -> None:
    entry = {"type": "xapi", "method": request.method, "resource": request.resource, "status": status}
    if verbs:
        entry["verbs"] = verbs
    if message:
        entry["message"] = message
    stored = _writes_statements(request) and status < 300 and scope.tracking
    with unit_of_work(services.session_factory) as session:
        launch_xapi.exchange_done(session, launch_id=scope.launch_id, instance_pk=scope.instance_pk, entry=entry,
                                  statements_stored=stored)
