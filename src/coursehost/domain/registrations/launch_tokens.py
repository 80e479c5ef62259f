"""Signed tokens of a launch: launch links (short-lived, carry the launch request) and per-launch
run-time tokens (authenticate the player's commits; never console cookies).

Format: base64url(JSON payload) "." base64url(HMAC-SHA256(payload)). Any change to either part
makes the token invalid; the expiry is inside the signed payload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from coursehost.domain.crypto import derive_key

LAUNCH_PURPOSE = "launch-link"
RUNTIME_PURPOSE = "player-runtime"
RUNTIME_TTL_SECONDS = 12 * 3600


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


@dataclass(frozen=True)
class LaunchRequest:
    """What a launch link carries."""

    registration_pk: int
    application_pk: int
    instance: int | None
    options: dict
    tracking: bool
    expires: float


def make_launch_token(instance_key: str, *, registration_pk: int, application_pk: int, instance: int | None,
                      options: dict, tracking: bool, expiry_seconds: int, now: float | None = None) -> str:
    """A launch link's token: the launch request, valid for EXPIRY_SECONDS."""
    now = time.time() if now is None else now
    payload = {"r": registration_pk, "a": application_pk, "i": instance, "o": options,
               "t": bool(tracking), "exp": int(now + expiry_seconds)}
    return sign(instance_key, LAUNCH_PURPOSE, payload)


def read_launch_token(instance_key: str, token: str | None, *, now: float | None = None) -> LaunchRequest:
    """The launch request TOKEN carries; TokenInvalid or TokenExpired as `verify`."""
    p = verify(instance_key, LAUNCH_PURPOSE, token, now=now)
    try:
        return LaunchRequest(int(p["r"]), int(p["a"]), p.get("i"), dict(p.get("o") or {}),
                             bool(p.get("t", True)), float(p["exp"]))
    except (KeyError, TypeError, ValueError):
        raise TokenInvalid("malformed payload") from None


def make_runtime_token(instance_key: str, *, launch_id: str, now: float | None = None) -> str:
    """The per-launch token that authenticates the player's run-time calls for LAUNCH_ID."""
    now = time.time() if now is None else now
    return sign(instance_key, RUNTIME_PURPOSE, {"l": launch_id, "exp": int(now + RUNTIME_TTL_SECONDS)})


def read_runtime_token(instance_key: str, token: str | None, *, now: float | None = None) -> str:
    """The launch id the run-time token was issued for."""
    p = verify(instance_key, RUNTIME_PURPOSE, token, now=now)
    if not isinstance(p.get("l"), str):
        raise TokenInvalid("malformed payload")
    return p["l"]
