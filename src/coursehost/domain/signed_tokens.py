"""Signed tokens of the whole instance (launch links, run-time tokens, report links, PENS package
links, ...): a payload with its expiry, signed for one purpose with a key derived from the instance key.

Format: base64url(JSON payload) "." base64url(HMAC-SHA256(payload)). Any change to either part
makes the token invalid; the expiry is inside the signed payload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from coursehost.domain.crypto import derive_key


class TokenInvalid(ValueError):
    """The token was not made by this instance or was altered."""


class TokenExpired(ValueError):
    """The token is genuine but its time is over."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(instance_key: str, purpose: str, payload: dict) -> str:
    """PAYLOAD signed for PURPOSE with a key derived from the instance key."""
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(derive_key(instance_key, purpose), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(instance_key: str, purpose: str, token: str | None, *, now: float | None = None) -> dict:
    """The payload of TOKEN; TokenInvalid if forged or altered, TokenExpired if past its "exp"."""
    if not token or token.count(".") != 1 or len(token) > 16_000:
        raise TokenInvalid("malformed token")
    body, mac = token.split(".")
    expected = hmac.new(derive_key(instance_key, purpose), body.encode(), hashlib.sha256).digest()
    # Compared as text in the one canonical encoding: base64 ignores the low bits of the last
    # character, so comparing decoded bytes would accept a few altered spellings of the signature.
    if not hmac.compare_digest(_b64(expected).encode(), mac.encode("utf-8", "replace")):
        raise TokenInvalid("bad signature")
    try:
        payload = json.loads(_unb64(body))
    except (ValueError, TypeError):
        raise TokenInvalid("malformed payload") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), (int, float)):
        raise TokenInvalid("malformed payload")
    if (now if now is not None else time.time()) > payload["exp"]:
        raise TokenExpired("token expired")
    return payload
