"""OAuth 1.0a request signatures (RFC 5849), two-legged: how an activity-provider credential of
auth type OAUTH signs its LRS requests (xAPI 1.0.3 Communication §4.0 lists OAuth 1.0 as an
authentication mechanism). The consumer key is the credential id, the consumer secret its secret;
no request / access tokens are issued, so the token secret is empty."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from urllib.parse import quote, unquote, urlsplit

#: A signed request older or newer than this (seconds) is refused: RFC 5849 §3.3 lets the server
#: bound the timestamps it accepts, so the nonces it must remember are bounded too.
TIMESTAMP_WINDOW = 600
_HASHES = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}


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


def _encode(text: str) -> str:
    return quote(text, safe="~-._")


def base_string(method: str, url: str, params: list[tuple[str, str]]) -> str:
    """The signature base string (RFC 5849 §3.4.1): method, base string URI, normalized parameters."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    uri = f"{scheme}://{netloc}{parts.path or '/'}"
    pairs = sorted((_encode(k), _encode(v)) for k, v in params if k not in ("oauth_signature", "realm"))
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), _encode(uri), _encode(normalized)))


class NonceCache:
    """Nonces seen within the timestamp window, so a captured request cannot be replayed (§3.3)."""

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


NONCES = NonceCache()


def verify(*, method: str, url: str, oauth: dict[str, str], other_params: list[tuple[str, str]],
           consumer_secret: str, now: float | None = None, nonces: NonceCache = NONCES) -> bool:
    """Is OAUTH (from the header) a valid signature of this request by the holder of CONSUMER_SECRET?
    OTHER_PARAMS are the query parameters and, for a form-encoded body, its fields (§3.4.1.3)."""
    digest = _HASHES.get(oauth.get("oauth_signature_method", ""))
    signature, timestamp, nonce = oauth.get("oauth_signature"), oauth.get("oauth_timestamp"), oauth.get("oauth_nonce")
    if digest is None or not signature or not nonce or not (timestamp or "").isdigit():
        return False
    if oauth.get("oauth_version", "1.0") != "1.0":
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TIMESTAMP_WINDOW:
        return False
    base = base_string(method, url, [*other_params, *oauth.items()])
    key = f"{_encode(consumer_secret)}&".encode()  # two-legged: no token, so an empty token secret
    expected = base64.b64encode(hmac.new(key, base.encode(), digest).digest()).decode()
    if not hmac.compare_digest(expected, signature):
        return False
    return nonces.first_use(oauth.get("oauth_consumer_key", ""), timestamp, nonce, now)
