"""Who is calling an application's LRS: an activity-provider credential (XapiApi), the
application's own API credentials (root), or an OAuth token issued to the application."""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass

from coursehost.domain.applications.auth import authenticate_basic_cached, authenticate_token_cached
from coursehost.domain.lrs.credentials import lrs_credential_cached
from coursehost.lrs_http import cmi5, oauth1
from coursehost.lrs_http.request import LrsPrincipal


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
                         consumer_secret=services.box.decrypt(cred.secret_encrypted)):
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
