"""OAuth 1.0a request signatures (RFC 5849), two-legged: how an activity-provider credential of
auth type OAUTH signs its LRS requests (xAPI 1.0.3 Communication §4.0 lists OAuth 1.0 as an
authentication mechanism). The consumer key is the credential id, the consumer secret its secret;
no request / access tokens are issued, so the token secret is empty."""

from __future__ import annotations

import hmac
import threading
import time
from typing import Protocol
from urllib.parse import unquote

# The base string and the signature are shared with LTI 1.1 (domain/lti/oauth1.py).
from coursehost.domain.lti import oauth1 as shared
from coursehost.domain.lti.oauth1 import TIMESTAMP_WINDOW, base_string

__all__ = ["TIMESTAMP_WINDOW", "NonceCache", "NonceStore", "base_string", "parse_authorization", "verify"]


def parse_authorization(value: str) -> dict[str, str] | None:
    """The oauth_* parameters of an `Authorization: OAuth ...` header (RFC 5849 §3.5.1), or None."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "oauth":
        return None
    params: dict[str, str] = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, raw = item.partition("=")
        if not sep or len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
            return None
        params[unquote(name.strip())] = unquote(raw[1:-1])
    return params


class NonceStore(Protocol):
    """Where the nonces seen are remembered (the LRS: domain/lrs/oauth_nonces.py, in the database)."""

    def first_use(self, key: str, timestamp: str, nonce: str, now: float) -> bool: ...


class NonceCache:
    """Nonces seen within the timestamp window, in this process's memory (tests; one process only)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def first_use(self, key: str, timestamp: str, nonce: str, now: float) -> bool:
        with self._lock:
            if len(self._seen) > 100_000:
                self._seen = {k: t for k, t in self._seen.items() if t > now - TIMESTAMP_WINDOW}
            entry = (key, timestamp, nonce)
            if entry in self._seen:
                return False
            self._seen[entry] = now
            return True


def verify(*, method: str, url: str, oauth: dict[str, str], other_params: list[tuple[str, str]],
           consumer_secret: str, nonces: NonceStore, now: float | None = None) -> bool:
    """Is OAUTH (from the header) a valid signature of this request by the holder of CONSUMER_SECRET?
    OTHER_PARAMS are the query parameters and, for a form-encoded body, its fields (§3.4.1.3)."""
    digest = shared.HASHES.get(oauth.get("oauth_signature_method", ""))
    signature, timestamp, nonce = oauth.get("oauth_signature"), oauth.get("oauth_timestamp"), oauth.get("oauth_nonce")
    if digest is None or not signature or not nonce or not (timestamp or "").isdigit():
        return False
    if oauth.get("oauth_version", "1.0") != "1.0":
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TIMESTAMP_WINDOW:
        return False
    expected = shared.signature(method, url, [*other_params, *oauth.items()], consumer_secret=consumer_secret,
                         signature_method=oauth["oauth_signature_method"])
    if not hmac.compare_digest(expected, signature):
        return False
    return nonces.first_use(oauth.get("oauth_consumer_key", ""), timestamp, nonce, now)
