"""Signed tokens of a launch: launch links (short-lived, carry the launch request) and per-launch
run-time tokens (authenticate the player's commits; never console cookies).

Signed with domain/signed_tokens.py (whose TokenInvalid, TokenExpired, sign and verify are
re-exported here for the modules that import them from this one).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from coursehost.domain.signed_tokens import TokenExpired, TokenInvalid, sign, verify

__all__ = ["TokenExpired", "TokenInvalid", "sign", "verify", "LaunchRequest", "make_launch_token",
           "read_launch_token", "make_runtime_token", "read_runtime_token"]

LAUNCH_PURPOSE = "launch-link"
RUNTIME_PURPOSE = "player-runtime"
RUNTIME_TTL_SECONDS = 12 * 3600


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
