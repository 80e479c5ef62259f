"""OAuth 1.0a signatures (RFC 5849), two-legged (no token, so an empty token secret), HMAC-SHA1 or
HMAC-SHA256: what LTI 1.1 launches are signed with (LTI 1.1 §4), what Basic Outcomes requests are
signed with (with the OAuth Request Body Hash extension), and what the LRS's OAUTH credentials use.
Pure functions: where nonces are remembered is the caller's business."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlsplit

#: A signed request older or newer than this (seconds) is refused: RFC 5849 §3.3 lets the server
#: bound the timestamps it accepts, so the nonces it must remember are bounded too.
TIMESTAMP_WINDOW = 600
HASHES = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}


def encode(text: str) -> str:
    """Percent-encoding of RFC 5849 §3.6 (unreserved characters kept)."""
    return quote(text, safe="~-._")


def base_string(method: str, url: str, params: list[tuple[str, str]]) -> str:
    """The signature base string (RFC 5849 §3.4.1): method, base string URI, normalized parameters."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    uri = f"{scheme}://{netloc}{parts.path or '/'}"
    pairs = sorted((encode(k), encode(v)) for k, v in params if k not in ("oauth_signature", "realm"))
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), encode(uri), encode(normalized)))


def signature(method: str, url: str, params: list[tuple[str, str]], *, consumer_secret: str,
              signature_method: str = "HMAC-SHA1") -> str:
    """The oauth_signature of a request (§3.4.2) by the holder of CONSUMER_SECRET."""
    key = f"{encode(consumer_secret)}&".encode()
    base = base_string(method, url, params)
    return base64.b64encode(hmac.new(key, base.encode(), HASHES[signature_method]).digest()).decode()


@dataclass(frozen=True)
class Checked:
    """Why a signed request was refused (PROBLEM, in words), or None when its signature holds."""

    problem: str | None
    timestamp: int = 0
    nonce: str = ""


def check(*, method: str, url: str, oauth: dict[str, str], other_params: list[tuple[str, str]],
          consumer_secret: str, now: float | None = None) -> Checked:
    """Is OAUTH a valid, fresh signature of this request by the holder of CONSUMER_SECRET? The nonce is
    NOT checked here (the caller remembers nonces). OTHER_PARAMS are the query parameters and, for a
    form-encoded body, its fields (§3.4.1.3)."""
    method_name = oauth.get("oauth_signature_method", "")
    sig, timestamp, nonce = oauth.get("oauth_signature"), oauth.get("oauth_timestamp") or "", oauth.get("oauth_nonce")
    if method_name not in HASHES:
        return Checked("The signature method must be HMAC-SHA1 or HMAC-SHA256.")
    if not sig or not nonce or not timestamp.isdigit():
        return Checked("The request is not signed: oauth_signature, oauth_nonce or oauth_timestamp is missing.")
    if oauth.get("oauth_version", "1.0") != "1.0":
        return Checked("oauth_version must be 1.0.")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TIMESTAMP_WINDOW:
        return Checked("The request's timestamp is too old or in the future (check the clocks); "
                       "a signed launch must be used within minutes.")
    expected = signature(method, url, [*other_params, *oauth.items()], consumer_secret=consumer_secret,
                         signature_method=method_name)
    if not hmac.compare_digest(expected, sig):
        return Checked("The signature does not match: the consumer key and shared secret do not agree, "
                       "or the launch URL differs.")
    return Checked(None, int(timestamp), nonce)


def body_hash(body: bytes) -> str:
    """oauth_body_hash of the OAuth Request Body Hash extension: base64 of the body's SHA-1."""
    return base64.b64encode(hashlib.sha1(body).digest()).decode()


def authorization_header(method: str, url: str, *, consumer_key: str, consumer_secret: str,
                         body: bytes | None = None, now: float | None = None) -> str:
    """`Authorization: OAuth ...` for a request whose body is not form-encoded (a POX Basic Outcomes
    message): its oauth_body_hash is signed instead of the body (LTI 1.1 §6, Request Body Hash)."""
    oauth = {
        "oauth_consumer_key": consumer_key, "oauth_nonce": secrets.token_hex(16),
        "oauth_signature_method": "HMAC-SHA1", "oauth_timestamp": str(int(time.time() if now is None else now)),
        "oauth_version": "1.0",
    }
    if body is not None:
        oauth["oauth_body_hash"] = body_hash(body)
    params = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    oauth["oauth_signature"] = signature(method, url, [*params, *oauth.items()], consumer_secret=consumer_secret)
    return "OAuth " + ", ".join(f'{encode(k)}="{encode(v)}"' for k, v in oauth.items())
