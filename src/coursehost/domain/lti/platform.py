"""Coursehost as an LTI 1.3 platform: launching a content connector's tool, and the tokens its
Assignment and Grade Services calls carry.

    login_initiation_url(...)   the tool's OIDC login URL for one launch (LTI 1.3 core §4.1;
                                Security Framework 1.0 §5.1.1, third-party initiated login)
    authorize(...)              our answer to the tool's authentication request: an RS256 id_token
                                and where to form_post it (Security Framework §5.1.1.3-5.1.1.5)
    issue_access_token(...)     client_credentials with a JWT client assertion, checked against the
                                tool's JWKS (Security Framework §4.1)
    read_access_token / lineitem_url / read_lineitem   the opaque values our AGS endpoints take

Tokens and lineitem keys are HMACs with keys derived from the instance key (launch_tokens.sign):
nothing is stored for them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.connectors import ContentConnector
from coursehost.db.models.registrations import Launch, Registration, RegistrationInstance
from coursehost.domain.courses import connectors
from coursehost.domain.crypto import SecretBox, derive_key
from coursehost.domain.errors import DomainError, NotFound
from coursehost.domain.lti import keys
from coursehost.domain.registrations import core
from coursehost.domain.registrations.launch_tokens import TokenExpired, TokenInvalid, sign, verify
from coursehost.outbound import AddressPolicy, OutboundClient, OutboundError, Timeouts

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_LINEITEM_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
AGS_SCOPES = (SCOPE_SCORE, SCOPE_LINEITEM_READ)
LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
LOGIN_TTL = 10 * 60  # the tool's authentication request must come within this of the launch
ID_TOKEN_TTL = 5 * 60
ACCESS_TOKEN_TTL = 60 * 60
LINEITEM_TTL = 10 * 365 * 24 * 3600  # a lineitem URL lives as long as its registration
_JWKS_MAX_BYTES = 256 * 1024
_ISSUED = "lti13IdTokenIssued"  # in Launch.options once the launch's id_token was issued
_LOGIN, _ACCESS, _LINEITEM = "lti13-platform-login", "lti13-platform-access", "lti13-platform-lineitem"


class LtiRefused(DomainError):
    """A request of the tool we refuse; STATUS is the HTTP status, str() says why in words."""

    def __init__(self, text: str, status: int = 400):
        super().__init__(text)
        self.status = status


@dataclass(frozen=True)
class FormPost:
    """The id_token and state to form_post to the tool's redirect_uri (response_mode=form_post)."""

    redirect_uri: str
    id_token: str
    state: str | None


@dataclass(frozen=True)
class LaunchTarget:
    """What one launch of an LTI13 course points at."""

    launch: Launch
    instance: RegistrationInstance
    registration: Registration
    connector: ContentConnector
    tool: connectors.Lti13Tool
    version_extra: dict
    course_id: str
    title: str


def launch_target(session: Session, *, launch_id: str, lock: bool = False) -> LaunchTarget:
    """The connector a launch of an LTI13 course launches; LtiRefused when it is gone or disabled.
    LOCK: the launch row is held until the transaction ends (authorize marks it)."""
    stmt = select(Launch).where(Launch.launch_id == launch_id)
    launch = session.scalars(stmt.with_for_update().execution_options(populate_existing=True) if lock else stmt).first()
    if launch is None:
        raise LtiRefused("This launch no longer exists; launch the course again", 404)
    instance = session.get(RegistrationInstance, launch.instance_pk)
    course, version = core.instance_course(session, instance)
    extra = dict(version.extra or {})
    try:
        row = connectors.get_connector(session, application_pk=course.application_pk,
                                       connector_id=str(extra.get("connectorId")))
    except NotFound:
        raise LtiRefused("The content connector of this course was deleted; it cannot launch", 404) from None
    if not row.enabled:
        raise LtiRefused("The content connector of this course is disabled", 403)
    return LaunchTarget(launch, instance, instance.registration, row, connectors.tool_of(row), extra,
                        course.course_id, version.title or course.title)


def login_initiation_url(session: Session, *, launch_id: str, instance_key: str, issuer: str) -> str:
    """Where the learner's browser goes first: the tool's OIDC login URL with iss, login_hint,
    target_link_uri, lti_message_hint (our signed launch id), client_id and lti_deployment_id."""
    target = launch_target(session, launch_id=launch_id)
    hint = sign(instance_key, _LOGIN, {"launch": launch_id, "exp": int(time.time()) + LOGIN_TTL})
    query = urlencode({"iss": issuer, "login_hint": launch_id, "target_link_uri": target.tool.launch_url,
                       "lti_message_hint": hint, "client_id": target.tool.client_id,
                       "lti_deployment_id": target.tool.deployment_id})
    return target.tool.login_url + ("&" if "?" in target.tool.login_url else "?") + query


def _launch_of_hint(instance_key: str, params: dict) -> str:
    try:
        payload = verify(instance_key, _LOGIN, params.get("lti_message_hint"))
    except TokenExpired:
        raise LtiRefused("lti_message_hint has expired; launch the course again") from None
    except TokenInvalid:
        raise LtiRefused("lti_message_hint is not one we issued") from None
    if params.get("login_hint") != payload.get("launch"):
        raise LtiRefused("login_hint does not match lti_message_hint")
    return str(payload["launch"])


def _check_auth_request(params: dict, tool: connectors.Lti13Tool) -> None:
    """Security Framework §5.1.1.1: the request's fixed values, the client and its redirect_uri."""
    if "openid" not in str(params.get("scope") or "").split():
        raise LtiRefused("scope must include openid")
    if params.get("response_type") != "id_token":
        raise LtiRefused("response_type must be id_token")
    if params.get("response_mode") != "form_post":
        raise LtiRefused("response_mode must be form_post")
    if params.get("client_id") != tool.client_id:
        raise LtiRefused("client_id is not this tool's")
    if params.get("redirect_uri") != tool.launch_url:
        raise LtiRefused("redirect_uri is not the launch URL registered for this tool")
    if not params.get("nonce"):
        raise LtiRefused("nonce is required")


def learner_sub(instance_key: str, *, application_pk: int, learner_id: str) -> str:
    """A stable, opaque id for one learner of one application (the id_token's sub; core §5.3.6):
    the same at every launch, revealing nothing of the learner id."""
    mac = hmac.new(derive_key(instance_key, "lti13-platform-sub"), f"{application_pk}:{learner_id}".encode(),
                   hashlib.sha256)
    return mac.hexdigest()[:32]


def authorize(session: Session, box: SecretBox, *, params: dict, instance_key: str, issuer: str) -> FormPost:
    """The id_token of a resource link launch (LTI 1.3 core §5.3-5.4) for the tool's authentication
    request PARAMS; LtiRefused with the reason otherwise."""
    launch_id = _launch_of_hint(instance_key, params)
    target = launch_target(session, launch_id=launch_id, lock=True)
    _check_auth_request(params, target.tool)
    if target.launch.exit_time is not None:
        raise LtiRefused("This launch has ended; launch the course again")
    # One id_token per launch: a hint seen by someone else (a log, a shared screen) opens nothing
    # once the learner's own browser has used it. The mark lives in the launch's options.
    if (target.launch.options or {}).get(_ISSUED):
        raise LtiRefused("This launch has already been opened in the tool; launch the course again")
    target.launch.options = {**(target.launch.options or {}), _ISSUED: True}
    claims = _claims(target, params=params, instance_key=instance_key, issuer=issuer)
    kid, private = keys.signing_key(session, box)
    token = jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid})
    return FormPost(redirect_uri=target.tool.launch_url, id_token=token, state=params.get("state"))


def _claims(target: LaunchTarget, *, params: dict, instance_key: str, issuer: str) -> dict:
    now = int(time.time())
    registration, tool = target.registration, target.tool
    link_id = target.version_extra.get("connectorIdForContent") or target.course_id
    claims = {
        "iss": issuer, "aud": tool.client_id, "azp": tool.client_id, "iat": now, "exp": now + ID_TOKEN_TTL,
        "nonce": params["nonce"],
        "sub": learner_sub(instance_key, application_pk=registration.application_pk,
                           learner_id=registration.learner_id),
        LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
        LTI + "deployment_id": tool.deployment_id, LTI + "target_link_uri": tool.launch_url,
        LTI + "resource_link": {"id": link_id, "title": target.title},
        LTI + "roles": [LEARNER_ROLE],
        LTI + "context": {"id": target.course_id, "title": target.title,
                          "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
        LTI + "launch_presentation": {"document_target": "window"},
        LTI + "tool_platform": {"guid": issuer, "name": "Coursehost", "product_family_code": "coursehost"},
        AGS_CLAIM: {"scope": list(AGS_SCOPES),
                    "lineitem": lineitem_url(instance_key, issuer=issuer, instance_pk=target.instance.pk,
                                             connector_pk=target.connector.pk)},
    }
    learner = registration.learner or {}
    if tool.share_identity:  # core §5.3.6.1: optional user identity claims (connector configuration)
        given, family = learner.get("firstName"), learner.get("lastName")
        claims.update({k: v for k, v in (("given_name", given), ("family_name", family),
                                         ("name", " ".join(x for x in (given, family) if x) or None),
                                         ("email", learner.get("email"))) if v})
    return claims


# ------------------------------------------------------------------------ AGS tokens and lineitems


def lineitem_url(instance_key: str, *, issuer: str, instance_pk: int, connector_pk: int) -> str:
    """The lineitem of one registration instance's launches of one connector's tool."""
    key = sign(instance_key, _LINEITEM, {"i": instance_pk, "c": connector_pk, "exp": int(time.time()) + LINEITEM_TTL})
    return f"{issuer.rstrip('/')}/lti/platform/lineitems/{key}"


@dataclass(frozen=True)
class Lineitem:
    instance_pk: int
    connector_pk: int


def read_lineitem(instance_key: str, key: str) -> Lineitem:
    """The lineitem KEY names; LtiRefused 404 when we did not issue it."""
    try:
        payload = verify(instance_key, _LINEITEM, key)
    except (TokenInvalid, TokenExpired):
        raise LtiRefused("No such lineitem", 404) from None
    return Lineitem(instance_pk=int(payload["i"]), connector_pk=int(payload["c"]))


@dataclass(frozen=True)
class AccessGrant:
    connector_pks: tuple[int, ...]
    scopes: tuple[str, ...]


def read_access_token(instance_key: str, authorization: str | None) -> AccessGrant:
    """The grant of an "Authorization: Bearer" header; LtiRefused 401 when missing, forged or expired."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise LtiRefused("A Bearer access token from our token endpoint is required", 401)
    try:
        payload = verify(instance_key, _ACCESS, token.strip())
    except TokenExpired:
        raise LtiRefused("The access token has expired", 401) from None
    except TokenInvalid:
        raise LtiRefused("The access token is not valid", 401) from None
    return AccessGrant(connector_pks=tuple(int(c) for c in payload.get("c") or ()), scopes=tuple(payload.get("scope") or ()))


def issue_access_token(session: Session, *, form: dict, token_url: str, instance_key: str,
                       allow_private_urls: bool, client: OutboundClient | None = None) -> dict:
    """An access token for a tool proving itself with a JWT signed by its key (client_credentials,
    RFC 7523 client assertion; Security Framework §4.1); the scopes granted are the AGS ones asked."""
    if form.get("grant_type") != "client_credentials":
        raise LtiRefused("grant_type must be client_credentials")
    if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
        raise LtiRefused("client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    assertion = str(form.get("client_assertion") or "")
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
        header = jwt.get_unverified_header(assertion)
    except jwt.InvalidTokenError:
        raise LtiRefused("client_assertion is not a JWT") from None
    client_id = unverified.get("iss")
    if not isinstance(client_id, str) or unverified.get("sub") != client_id:
        raise LtiRefused("client_assertion: iss and sub must both be the tool's client id")
    candidates = connectors.connectors_of_client(session, client_id)
    if not candidates:
        raise LtiRefused("client_assertion: no enabled connector has this client id", 401)
    rows = _verified_connectors(candidates, assertion, header, token_url=token_url,
                                allow_private_urls=allow_private_urls, client=client)
    asked = str(form.get("scope") or "").split()
    granted = [s for s in asked if s in AGS_SCOPES]
    if not granted:
        raise LtiRefused(f"scope: none of the scopes asked is offered (offered: {' '.join(AGS_SCOPES)})")
    token = sign(instance_key, _ACCESS, {"c": sorted(r.pk for r in rows), "scope": granted, "exp": int(time.time()) + ACCESS_TOKEN_TTL,
                                         "n": uuid.uuid4().hex[:8]})
    return {"access_token": token, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_TTL, "scope": " ".join(granted)}


def _verified_connectors(candidates: list[ContentConnector], assertion: str, header: dict, *, token_url: str,
                         allow_private_urls: bool, client: OutboundClient | None) -> list[ContentConnector]:
    """The candidates whose tool's key signed ASSERTION (for us: aud is our token URL, unexpired):
    one tool registered as several connectors (one per application, say) is granted them all."""
    verified = []
    for row in candidates:
        key = _tool_key(connectors.tool_of(row).jwks_url, header.get("kid"), allow_private_urls, client)
        if key is None:
            continue
        try:
            jwt.decode(assertion, key, algorithms=["RS256"], audience=token_url,
                       options={"require": ["exp", "iat", "iss", "sub", "aud"]})
        except jwt.InvalidAudienceError:
            raise LtiRefused("client_assertion: aud must be our token endpoint", 401) from None
        except jwt.ExpiredSignatureError:
            raise LtiRefused("client_assertion has expired", 401) from None
        except jwt.InvalidTokenError:
            continue
        verified.append(row)
    if not verified:
        raise LtiRefused("client_assertion: the signature does not verify with the tool's published keys", 401)
    return verified


def _tool_key(jwks_url: str, kid: str | None, allow_private_urls: bool, client: OutboundClient | None):
    """The tool's public key KID from its JWKS URL, fetched through the guarded client (None if absent)."""
    own = client is None
    client = client or OutboundClient(timeouts=Timeouts(connect=5.0, read=10.0, write=10.0, pool=5.0),
                                      max_bytes=_JWKS_MAX_BYTES, policy=AddressPolicy(allow_private=allow_private_urls))
    try:
        response = client.request("GET", jwks_url)
        if response.status_code != 200:
            raise LtiRefused(f"The tool's key set answered HTTP {response.status_code}", 401)
        keyset = jwt.PyJWKSet.from_json(json.dumps(response.json()))
    except OutboundError as exc:
        raise LtiRefused(f"The tool's key set could not be fetched ({exc})", 401) from None
    except (ValueError, jwt.PyJWKSetError):
        raise LtiRefused("The tool's key set is not a JWKS", 401) from None
    finally:
        if own:
            client.close()
    for jwk in keyset.keys:
        if kid is None or jwk.key_id == kid:
            return jwk.key
    return None
