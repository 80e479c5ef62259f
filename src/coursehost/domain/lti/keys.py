"""Coursehost's LTI 1.3 RSA keys: the signing key, the published key set, rotation.

    kid, key = signing_key(session, box)     # RS256 signing; made on first use
    jwks(session, box)                       # {"keys": [...]} for /lti/jwks
    rotate(session, box, grace=...)          # a new signing key; the old one published for GRACE more

Private keys are encrypted at rest with the instance key. Two processes making the first key at
once both succeed; the newest signs and both are published, so either signature verifies.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.lti import LtiKey
from coursehost.domain.crypto import SecretBox

DEFAULT_GRACE = timedelta(days=7)


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _new_key(session: Session, box: SecretBox, now: datetime) -> LtiKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    row = LtiKey(kid=secrets.token_urlsafe(12), private_pem=box.encrypt(pem), created=now)
    session.add(row)
    session.flush()
    return row


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _live(session: Session, now: datetime) -> list[LtiKey]:
    return list(session.scalars(select(LtiKey).where(
        or_(LtiKey.retire_after.is_(None), LtiKey.retire_after > now)).order_by(LtiKey.created.desc(), LtiKey.pk.desc())))


def signing_key(session: Session, box: SecretBox) -> tuple[str, rsa.RSAPrivateKey]:
    """(kid, private key) of the current signing key, made if there is none."""
    now = utcnow()
    current = next((k for k in _live(session, now) if k.retire_after is None), None) or _new_key(session, box, now)
    private = serialization.load_pem_private_key(box.decrypt(current.private_pem).encode(), password=None)
    return current.kid, private


def public_pem(session: Session, box: SecretBox) -> str:
    """The current signing key's public half as PEM (Lti13ToolConfigurationSchema.publicKey)."""
    _, private = signing_key(session, box)
    return private.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def jwks(session: Session, box: SecretBox, *, make: bool = True) -> dict:
    """The published key set: every key not past its retirement, newest first. MAKE: make the first
    key if there is none (false: a read-only session; the set may then be empty)."""
    if make:
        signing_key(session, box)  # there is always one to publish
    keys = []
    for row in _live(session, utcnow()):
        public = serialization.load_pem_private_key(box.decrypt(row.private_pem).encode(), password=None).public_key()
        numbers = public.public_numbers()
        keys.append({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": row.kid,
                     "n": _b64(numbers.n), "e": _b64(numbers.e)})
    return {"keys": keys}


def rotate(session: Session, box: SecretBox, *, grace: timedelta = DEFAULT_GRACE) -> str:
    """A new signing key; the keys it replaces stay published for GRACE. Returns the new kid."""
    now = utcnow()
    for row in _live(session, now):
        if row.retire_after is None:
            row.retire_after = now + grace
    return _new_key(session, box, now).kid
