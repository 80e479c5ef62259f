"""Secrets at rest and keyed digests, all derived from the one instance key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_ALNUM_UPPER = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits


def derive_key(instance_key: str, purpose: str, length: int = 32) -> bytes:
    """A subkey for one purpose, so a leak of one use never weakens another (HKDF-SHA256)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode())
    return hkdf.derive(instance_key.encode())


class SecretBox:
    """Encrypts secrets kept in the database and computes lookup digests for them."""

    def __init__(self, instance_key: str):
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(instance_key, "secrets-at-rest")))
        self._digest_key = derive_key(instance_key, "secret-digest")

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:  # a different instance key: say so instead of a stack trace
            raise ValueError("stored secret cannot be decrypted with this instance key") from exc

    def digest(self, value: str) -> str:
        return hmac.new(self._digest_key, value.encode(), hashlib.sha256).hexdigest()


def random_id(length: int = 10, alphabet: str = _ALNUM_UPPER) -> str:
    """A random identifier such as an application id (10 upper-case letters and digits)."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def random_secret(length: int = 40) -> str:
    """A random API secret key (letters and digits, like SCORM Cloud's)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))
