"""Which postback a registration gets: URL, auth, format, JSON or legacy XML.

A postback given when the registration was created (registration.postback, PostBackSchema) wins
over the ApiRollupRegistration* settings; when it names a URL, all of its fields are taken from it
(missing ones get the documented defaults) so credentials meant for one receiver are never sent to
another one configured at a different level.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Registration
from coursehost.domain.registrations.core import effective_settings
from coursehost.domain.values import truthy

SETTING_IDS = (
    "ApiRollupRegistrationPostBackUrl",
    "ApiRollupRegistrationAuthType",
    "ApiRollupRegistrationAuthUser",
    "ApiRollupRegistrationAuthPassword",
    "ApiRollupRegistrationFormat",
    "ApiRollupRegistrationIsJson",
)

#: PostBackSchema authType / resultsFormat, in lower case as stored (the wire also allows UNDEFINED:
#: the default, the first of each).
AUTH_TYPES = ("form", "httpbasic")
RESULTS_FORMATS = ("course", "activity", "full")
_FERNET_PREFIX = "gAAAAA"  # every Fernet token starts with version byte 0x80 + timestamp


@dataclass(frozen=True)
class PostbackConfig:
    """Everything needed to send one postback; PASSWORD is plaintext, never log it."""

    url: str
    auth_type: str = "form"
    user_name: str = ""
    password: str = field(default="", repr=False)
    results_format: str = "course"
    legacy: bool = False  # True: legacy XML instead of JSON


def normalize_auth_type(value: str | None) -> str:
    """'form' or 'httpbasic' from any case; UNDEFINED/empty -> form."""
    v = (value or "").strip().lower()
    return v if v in AUTH_TYPES else "form"


def normalize_results_format(value: str | None) -> str:
    """'course', 'activity' or 'full' from any case; UNDEFINED/empty -> course."""
    v = (value or "").strip().lower()
    return v if v in RESULTS_FORMATS else "course"


def reveal_password(stored: str | None, *, box) -> str:
    """Plaintext of a stored password: decrypted when it is a SecretBox token, else as stored.

    Older settings rows may hold the password in plain text; a value that merely looks like a
    token but does not decrypt is taken as plain text too."""
    if not stored:
        return ""
    if box is not None and stored.startswith(_FERNET_PREFIX):
        try:
            return box.decrypt(stored)
        except ValueError:
            return stored
    return stored


def registration_url(registration: Registration) -> str:
    """The postback URL given when the registration was created, or ''."""
    pb = registration.postback or {}
    url = pb.get("url")
    return url.strip() if isinstance(url, str) else ""


def postback_config(session: Session, *, registration: Registration, box=None,
                    values: dict[str, str] | None = None) -> PostbackConfig | None:
    """The postback REGISTRATION gets now, or None when no URL is configured.

    VALUES: the registration's effective settings when the caller has them already (they must
    include SETTING_IDS); read here otherwise."""
    pb = registration.postback or {}
    url = registration_url(registration)
    if url:
        password = ""
        if pb.get("passwordEncrypted"):
            password = reveal_password(pb["passwordEncrypted"], box=box)
        elif pb.get("password"):  # tolerated: a caller that stored it before encryption existed
            password = str(pb["password"])
        return PostbackConfig(
            url=url, auth_type=normalize_auth_type(pb.get("authType")),
            user_name=str(pb.get("userName") or ""), password=password,
            results_format=normalize_results_format(pb.get("resultsFormat")),
            legacy=truthy(pb.get("legacy")),
        )
    if values is None:
        values = effective_settings(session, registration=registration, setting_ids=SETTING_IDS)
    url = (values.get("ApiRollupRegistrationPostBackUrl") or "").strip()
    if not url:
        return None
    return PostbackConfig(
        url=url, auth_type=normalize_auth_type(values.get("ApiRollupRegistrationAuthType")),
        user_name=values.get("ApiRollupRegistrationAuthUser") or "",
        password=reveal_password(values.get("ApiRollupRegistrationAuthPassword"), box=box),
        results_format=normalize_results_format(values.get("ApiRollupRegistrationFormat")),
        legacy=not truthy(values.get("ApiRollupRegistrationIsJson", "true")),
    )
