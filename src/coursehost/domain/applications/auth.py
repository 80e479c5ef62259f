"""Who is calling: basic-auth credentials, signed OAuth tokens and the scopes they carry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import jwt
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from coursehost.db.models.tenancy import Application, Credential
from coursehost.domain.crypto import SecretBox, derive_key
from coursehost.domain.errors import Forbidden, InvalidInput, NotFound

# scorm-cloud-behaviour.md "Auth": broad scopes and read:/write:/delete: on each resource; "xapi"
# is the LRS (read:xapi / write:xapi, as SCORM Cloud names them; lrs_http/scopes.py).
ACTIONS = ("read", "write", "delete")
RESOURCES = (
    "course", "registration", "dispatch", "invitation", "xapicredential", "xapipipe",
    "appmgmt", "learner", "xapi", "lms",
)
EXTRA_SCOPES = ("read:ping", "read:about", "read:reporting")
KNOWN_SCOPES = frozenset(
    ("admin", *ACTIONS, *EXTRA_SCOPES, *(f"{a}:{r}" for a in ACTIONS for r in RESOURCES))
)
DEFAULT_TOKEN_SECONDS = 300
MAX_TOKEN_SECONDS = 60 * 60 * 24 * 365
TOKEN_AUDIENCE = "coursehost-api-v2"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: an application, and the scopes it holds (None = every scope)."""

    app_pk: int
    app_id: str
    realm_id: int
    is_management: bool
    scopes: frozenset[str] | None = None
    via: str = "basic"
    extra: dict = field(default_factory=dict, compare=False)
    # The API credential the caller proved, as (owning application id, credential id): a token
    # carries it and dies with it (disabled or deleted).
    credential: tuple[str, str] | None = None

    def allows(self, required: str) -> bool:
        """Does the caller hold REQUIRED ("read:course") or a broader scope covering it?"""
        if self.scopes is None or "admin" in self.scopes or required in self.scopes:
            return True
        action = required.split(":", 1)[0]
        return action in self.scopes


class PrincipalCache:
    """Recently verified callers, so a hot API client costs no database read per request.

    Correctness: every change that can revoke access (credential disabled or deleted, application
    deleted) calls mark_auth_changed(session); when that transaction commits, the cache is emptied
    and its generation advances, so in this process the change is in force at once. A lookup that
    raced with the change cannot store its stale answer (the generation it started under is gone).
    Other processes sharing the database see the change within TTL seconds.
    """

    def __init__(self, ttl: float = 2.0, max_entries: int = 10_000):
        self.ttl = ttl
        self.max_entries = max_entries
        self.generation = 0
        self._entries: dict[Hashable, tuple[object, float, int]] = {}
        self._lock = threading.Lock()

    def get_or_load(self, key: Hashable, load: Callable[[], object]) -> object:
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry[1] > now and entry[2] == self.generation:
            return entry[0]
        generation = self.generation
        value = load()
        if value is not None:
            with self._lock:
                if generation == self.generation:
                    if len(self._entries) >= self.max_entries:
                        self._entries.clear()
                    self._entries[key] = (value, now + self.ttl, generation)
        return value

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()


PRINCIPALS = PrincipalCache()
_AUTH_CHANGED = "coursehost.auth_changed"


def mark_auth_changed(session: Session) -> None:
    """Call in any transaction that may revoke access; the cache empties when it commits."""
    session.info[_AUTH_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _auth_changed_committed(session: Session) -> None:  # pragma: no cover - via every revoke test
    if session.info.pop(_AUTH_CHANGED, False):
        PRINCIPALS.invalidate()


def authenticate_basic_cached(session_factory, *, box: SecretBox, app_id: str, secret: str) -> Principal | None:
    """authenticate_basic through PRINCIPALS: a database read only on a miss."""
    digest = box.digest(secret)

    def load():
        with session_factory() as session:
            return _basic_by_digest(session, app_id, digest)

    return PRINCIPALS.get_or_load(("basic", app_id, digest), load)


def authenticate_token_cached(session_factory, *, instance_key: str, token: str) -> Principal | None:
    """authenticate_token with the application and credential lookup through PRINCIPALS (signature
    and expiry are checked on every call)."""
    claims = _token_claims(instance_key, token)
    if claims is None:
        return None

    def load():
        with session_factory() as session:
            return _token_row(session, claims)

    row = PRINCIPALS.get_or_load(("token", claims["sub"], *claims["cred"]), load)
    return None if row is None else _token_principal(claims, row)


def authenticate_basic(session: Session, *, box: SecretBox, app_id: str, secret: str) -> Principal | None:
    """The application whose enabled credential matches, else None; one indexed query."""
    return _basic_by_digest(session, app_id, box.digest(secret))


def _basic_by_digest(session: Session, app_id: str, digest: str) -> Principal | None:
    row = session.execute(
        select(Application.pk, Application.app_id, Application.realm_id, Application.is_management,
               Credential.credential_id)
        .join(Credential, Credential.application_pk == Application.pk)
        .where(
            Application.app_id == app_id,
            Credential.secret_digest == digest,
            Credential.enabled.is_(True),
        )
        .limit(1)
    ).first()
    if row is None:
        return None
    return Principal(app_pk=row[0], app_id=row[1], realm_id=row[2], is_management=row[3],
                     credential=(row[1], row[4]))


def parse_scopes(raw: str | list[str] | None) -> frozenset[str]:
    """Scopes from a space-separated string or a list; unknown scopes are a 400, not ignored."""
    if raw is None:
        raise InvalidInput("scope is required")
    items = raw.split() if isinstance(raw, str) else [str(s).strip() for s in raw]
    items = [s for s in items if s]
    if not items:
        raise InvalidInput("scope must name at least one scope")
    unknown = sorted(set(items) - KNOWN_SCOPES)
    if unknown:
        raise InvalidInput(f"Unknown scope(s): {', '.join(unknown)}")
    return frozenset(items)


def _token_key(instance_key: str) -> bytes:
    return derive_key(instance_key, "oauth-token-signing")


def token_subject(session: Session, *, principal: Principal, application_name: str) -> Principal:
    """Whom a token CreateToken mints for APPLICATION_NAME is for: a management app may name any
    normal application of its realm (keeping its own scopes); any other app only itself."""
    if not principal.is_management:
        own = session.scalar(select(Application.name).where(Application.pk == principal.app_pk))
        if application_name != own:
            raise Forbidden("Only the application-management application may create tokens for other applications")
        return principal
    found = session.scalars(select(Application).where(
        Application.realm_id == principal.realm_id, Application.name == application_name,
        Application.is_management.is_(False))).all()
    if not found:
        raise NotFound(f"Could not find application named [{application_name}]")
    if len(found) > 1:
        raise InvalidInput(f"More than one application is named [{application_name}]; rename one first")
    app = found[0]
    return Principal(app_pk=app.pk, app_id=app.app_id, realm_id=app.realm_id, is_management=False,
                     scopes=principal.scopes, via=principal.via, credential=principal.credential)


def issue_token(
    *, instance_key: str, subject: Principal, scopes: frozenset[str], expires_in: int, now: float | None = None
) -> str:
    """A signed bearer token (HS256) for SUBJECT, naming the credential SUBJECT proved; tokens are not
    stored: one is revoked by disabling or deleting that credential."""
    if not 1 <= expires_in <= MAX_TOKEN_SECONDS:
        raise InvalidInput(f"expiration must be between 1 and {MAX_TOKEN_SECONDS} seconds")
    if subject.scopes is not None:
        # A token can narrow the scopes of the token that asked for it, never widen them.
        too_wide = [s for s in scopes if not subject.allows(s)]
        if too_wide:
            raise Forbidden(f"Cannot grant scope(s) the caller does not hold: {', '.join(sorted(too_wide))}")
    now = time.time() if now is None else now
    claims = {
        "aud": TOKEN_AUDIENCE,
        "sub": subject.app_id,
        "realm": subject.realm_id,
        "mgmt": subject.is_management,
        "scope": " ".join(sorted(scopes)),
        "iat": int(now),
        "exp": int(now) + int(expires_in),
    }
    if subject.credential is not None:
        claims["cred"] = list(subject.credential)
    return jwt.encode(claims, _token_key(instance_key), algorithm="HS256")


def _token_claims(instance_key: str, token: str) -> dict | None:
    """The claims of a valid, unexpired token that names its credential, else None. A token minted
    before tokens named their credential is refused: it could never be revoked (README, Authentication)."""
    try:
        claims = jwt.decode(
            token, _token_key(instance_key), algorithms=["HS256"], audience=TOKEN_AUDIENCE,
            options={"require": ["exp", "sub", "scope", "cred"]},
        )
    except jwt.PyJWTError:
        return None
    cred = claims["cred"]
    if not (isinstance(cred, list) and len(cred) == 2 and all(isinstance(x, str) for x in cred)):
        return None
    claims["cred"] = tuple(cred)
    return claims


def _token_row(session: Session, claims: dict) -> tuple | None:
    """The token's application (pk, realm, is_management) if it exists and the credential that
    minted the token is still enabled, else None."""
    owner, credential_id = claims["cred"]
    minted_by = session.scalar(
        select(Credential.pk).join(Application, Application.pk == Credential.application_pk)
        .where(Application.app_id == owner, Credential.credential_id == credential_id,
               Credential.enabled.is_(True))
    )
    if minted_by is None:
        return None
    row = session.execute(
        select(Application.pk, Application.realm_id, Application.is_management).where(
            Application.app_id == claims["sub"]
        )
    ).first()
    return None if row is None else tuple(row)


def _token_principal(claims: dict, row: tuple) -> Principal:
    return Principal(
        app_pk=row[0], app_id=claims["sub"], realm_id=row[1], is_management=row[2],
        scopes=frozenset(claims["scope"].split()), via="oauth", credential=claims["cred"],
    )


def authenticate_token(session: Session, *, instance_key: str, token: str) -> Principal | None:
    """The principal a valid, unexpired token stands for (its application must still exist, and the
    credential that minted it must still be enabled)."""
    claims = _token_claims(instance_key, token)
    if claims is None:
        return None
    row = _token_row(session, claims)
    return None if row is None else _token_principal(claims, row)
