"""LTI 1.3 as a tool (Coursehost launched by a platform, an LMS): the id_token check, the platforms'
key sets, and the OAuth 2 client assertion we sign for Assignment and Grade Services.

    claims = verify_id_token(token, platform=cfg, key_sets=cache, nonce=expected)   # or LtiRefused
    assertion = client_assertion(kid, key, client_id=..., token_url=...)

Normative text: LTI Core 1.3 §5.1 (message claims), IMS Security Framework 1.0 §5.1.3 (the tool's
id_token validation), §4.1.1 (client credentials with a JWT assertion), LTI AGS 2.0 §3.4 (scores).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from coursehost.domain.errors import DomainError
from coursehost.outbound.client import OutboundClient, Timeouts
from coursehost.outbound.errors import OutboundError
from coursehost.outbound.guard import AddressPolicy

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: clock skew allowed between the platform and us when checking exp / iat
LEEWAY_SECONDS = 60
#: an id_token older than this is refused even when its exp is later (Security Framework §5.1.3 step 8)
MAX_TOKEN_AGE_SECONDS = 3600
MAX_JWKS_BYTES = 256 * 1024


class LtiRefused(DomainError):
    """A launch we refuse; the message names the problem for the person who sees the page."""

    status = 401


class LtiForbidden(LtiRefused):
    """A well-signed launch we still refuse (unknown deployment, wrong dispatch)."""

    status = 403


@dataclass(frozen=True)
class PlatformConfig:
    """Lti13PlatformConfigurationSchema of a destination (what the LMS told its administrator)."""

    client_id: str
    issuer: str
    deployment_id: str
    auth_endpoint: str
    jwks_url: str
    token_url: str

    @classmethod
    def of(cls, stored: dict | None) -> PlatformConfig:
        s = stored or {}
        return cls(client_id=str(s.get("clientId") or ""), issuer=str(s.get("platformIssuerIdentifier") or ""),
                   deployment_id=str(s.get("deploymentId") or ""),
                   auth_endpoint=str(s.get("oidcAuthorizationEndpoint") or ""),
                   jwks_url=str(s.get("jsonWebKeySetUrl") or ""), token_url=str(s.get("accessTokenUrl") or ""))


def outbound(allow_private_urls: bool) -> OutboundClient:
    """The guarded client every LTI request leaves through (short timeouts: a learner is waiting)."""
    return OutboundClient(timeouts=Timeouts(connect=5.0, read=10.0), max_bytes=MAX_JWKS_BYTES,
                          policy=AddressPolicy(allow_private=allow_private_urls))


class KeySetCache:
    """Platforms' public keys by JWKS URL, in this process's memory (a cache that may be dropped):
    at most MAX_URLS sets, each kept TTL seconds; a token signed with a kid we do not hold refetches
    the set (a platform rotated its key), at most once per REFETCH_SECONDS per URL."""

    MAX_URLS = 128
    TTL = 600.0
    REFETCH_SECONDS = 10.0

    def __init__(self, fetch: Callable[[str], dict], clock: Callable[[], float] = time.monotonic):
        self._fetch = fetch
        self._clock = clock
        self._sets: OrderedDict[str, tuple[float, dict]] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, url: str, kid: str | None) -> jwt.PyJWK:
        """The key KID of the set at URL (the set's only key when the token names none)."""
        now = self._clock()
        with self._lock:
            cached = self._sets.get(url)
        fresh = cached is not None and now - cached[0] < self.TTL
        if fresh:
            found = _pick(cached[1], kid)
            if found is not None or now - cached[0] < self.REFETCH_SECONDS:
                if found is None:
                    raise LtiRefused("The launch was signed with a key the platform does not publish.")
                return found
        keys = self._fetch(url)
        with self._lock:
            self._sets[url] = (now, keys)
            self._sets.move_to_end(url)
            while len(self._sets) > self.MAX_URLS:
                self._sets.popitem(last=False)
        found = _pick(keys, kid)
        if found is None:
            raise LtiRefused("The launch was signed with a key the platform does not publish.")
        return found


def _pick(keys: dict, kid: str | None) -> jwt.PyJWK | None:
    candidates = [k for k in keys.get("keys", []) if isinstance(k, dict) and k.get("kty") == "RSA"]
    if kid is not None:
        candidates = [k for k in candidates if k.get("kid") == kid]
    elif len(candidates) != 1:
        return None
    for k in candidates:
        try:
            return jwt.PyJWK(k, algorithm="RS256")
        except jwt.PyJWTError:
            continue
    return None


def fetch_key_set(url: str, *, allow_private_urls: bool) -> dict:
    """The JWKS at URL through the guarded client; LtiRefused when it cannot be had."""
    try:
        with outbound(allow_private_urls) as client:
            resp = client.request("GET", url, headers={"Accept": "application/json"})
            body = resp.json() if resp.status_code == 200 else None
    except (OutboundError, ValueError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
        raise LtiRefused("The platform's key set could not be fetched, so the launch cannot be checked.")
    return body


def _decode(token: str, *, key: jwt.PyJWK, platform: PlatformConfig) -> dict:
    try:
        return jwt.decode(token, key.key, algorithms=["RS256"], audience=platform.client_id, issuer=platform.issuer,
                          leeway=LEEWAY_SECONDS, options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]})
    except jwt.ExpiredSignatureError:
        raise LtiRefused("The launch has expired (its id_token's exp is past); launch again from the LMS.") from None
    except jwt.InvalidAudienceError:
        raise LtiRefused("The launch is addressed to another tool (wrong audience).") from None
    except jwt.InvalidIssuerError:
        raise LtiRefused("The launch comes from another platform than the one configured (wrong issuer).") from None
    except jwt.MissingRequiredClaimError as exc:
        raise LtiRefused(f"The launch lacks the {exc.claim} claim.") from None
    except jwt.InvalidSignatureError:
        raise LtiRefused("The launch's signature is not valid.") from None
    except jwt.PyJWTError:
        raise LtiRefused("The launch's id_token could not be verified.") from None


def verify_id_token(token: str, *, platform: PlatformConfig, key_sets: KeySetCache, nonce: str | None,
                    now: float | None = None) -> dict:
    """The claims of an LtiResourceLinkRequest id_token after every check the Security Framework asks
    of a tool (§5.1.3): RS256 signature by the platform's published key, iss, aud (azp when several),
    exp and iat, nonce (NONCE: the one we sent; None when the caller checks it), deployment, message
    type and version."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise LtiRefused("The launch carries no readable id_token.") from None
    if header.get("alg") != "RS256":
        raise LtiRefused("The launch's id_token is not signed with RS256.")
    if not platform.jwks_url:
        raise LtiForbidden("This destination has no platform key set URL configured.")
    claims = _decode(token, key=key_sets.key(platform.jwks_url, header.get("kid")), platform=platform)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != platform.client_id:
        raise LtiRefused("The launch names another tool as its authorized party (azp).")
    if not isinstance(claims["iat"], int | float) or claims["iat"] < (now or time.time()) - MAX_TOKEN_AGE_SECONDS:
        raise LtiRefused("The launch was issued too long ago; launch again from the LMS.")
    if nonce is not None and claims["nonce"] != nonce:
        raise LtiRefused("The launch's nonce is not the one this login sent.")
    if claims.get(CLAIM + "deployment_id") != platform.deployment_id or not platform.deployment_id:
        raise LtiForbidden("The launch comes from a deployment this destination does not know.")
    if claims.get(CLAIM + "message_type") != "LtiResourceLinkRequest":
        raise LtiRefused("Only resource link launches (LtiResourceLinkRequest) are accepted.")
    if claims.get(CLAIM + "version") != "1.3.0":
        raise LtiRefused("The launch is not LTI version 1.3.0.")
    link = claims.get(CLAIM + "resource_link")
    if not isinstance(link, dict) or not str(link.get("id") or ""):
        raise LtiRefused("The launch lacks its resource link id.")
    return claims


def client_assertion(kid: str, key: rsa.RSAPrivateKey, *, client_id: str, token_url: str,
                     now: float | None = None) -> str:
    """The JWT that proves us to the platform's token endpoint (Security Framework §4.1.1):
    iss = sub = our client id, aud = the token URL, short-lived, a fresh jti."""
    issued = int(now or time.time())
    return jwt.encode({"iss": client_id, "sub": client_id, "aud": token_url, "iat": issued, "exp": issued + 300,
                       "jti": uuid.uuid4().hex}, key, algorithm="RS256", headers={"kid": kid})
