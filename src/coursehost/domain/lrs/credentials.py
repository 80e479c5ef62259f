"""Activity-provider credentials on an application's LRS (the official XapiApi's credentials).

The credential id is the Basic-auth user name on /lrs/{appId}/; the secret is stored encrypted with
the instance key. Every change that can take access away (disable, delete, new secret, narrower
permissions) calls mark_auth_changed, so the LRS's cached principals are dropped when it commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, case, or_, select
from sqlalchemy.orm import Session, aliased

from coursehost.db.models.tenancy import Application
from coursehost.db.models.xapi import XapiCredential
from coursehost.domain.applications.auth import PRINCIPALS, mark_auth_changed
from coursehost.domain.crypto import SecretBox, random_id, random_secret
from coursehost.domain.errors import Conflict, InvalidInput, NotFound
from coursehost.domain.paging import both_ways, dated_list

AUTH_TYPES = ("BASICAUTH", "OAUTH")
PERMISSION_LEVELS = ("DEFAULT", "USER", "ROOT", "READONLY", "WRITEONLY")
MAX_ID = 64
MAX_NAME = 255
# A chosen secret is at least this long; one left out is generated (GENERATED_SECRET characters).
MIN_SECRET = 16
GENERATED_SECRET = 40
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

CREDENTIAL_LIST = dated_list(
    XapiCredential,
    orders={**both_ways("credential_id", XapiCredential.credential_id),
            **both_ways("credential_name", XapiCredential.name)},
    default_order="updated_asc",
    filter_by={"credential_id": XapiCredential.credential_id, "credential_name": XapiCredential.name},
    default_filter_by="credential_name",
)


@dataclass(frozen=True)
class CredentialFields:
    """What a caller may set on a credential; None leaves a field as it is (or takes the default)."""

    name: str | None = None
    info: str | None = None
    secret: str | None = None
    is_enabled: bool | None = None
    auth: str | None = None
    permissions_level: str | None = None
    # The console's "allowed endpoint: all applications of the realm" (no API field: None keeps it).
    all_endpoints: bool | None = None


def _choice(field: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    upper = value.strip().upper()
    if upper not in allowed:
        raise InvalidInput(f"Invalid value for {field}: [{value}]; allowed: {', '.join(allowed)}")
    return upper


def _name(value: str | None) -> str:
    if value is None or not value.strip():
        raise InvalidInput("name is required")
    if len(value) > MAX_NAME:
        raise InvalidInput(f"name is longer than {MAX_NAME} characters")
    return value.strip()


def _check_secret(secret: str) -> str:
    if len(secret) < MIN_SECRET:
        raise InvalidInput(f"secret must be at least {MIN_SECRET} characters (leave it out to have one generated)")
    return secret


def _check_id(credential_id: str) -> str:
    # The id is the Basic-auth user name (RFC 7617 §2: it cannot contain a colon).
    if not credential_id or len(credential_id) > MAX_ID or ":" in credential_id or credential_id.strip() != credential_id:
        raise InvalidInput(f"Invalid xAPI credential id [{credential_id}]: 1 to {MAX_ID} characters, no colon or spaces")
    return credential_id


def credentials_query(app_pk: int) -> Select:
    """Every credential of the application (for paged listing)."""
    return select(XapiCredential).where(XapiCredential.application_pk == app_pk)


def get_credential(session: Session, *, app_pk: int, credential_id: str) -> XapiCredential:
    cred = session.scalars(select(XapiCredential).where(
        XapiCredential.application_pk == app_pk, XapiCredential.credential_id == credential_id)).first()
    if cred is None:
        raise NotFound(f"Could not find xAPI credential [{credential_id}]")
    return cred


def create_credential(session: Session, *, box: SecretBox, app_pk: int, fields: CredentialFields,
                      credential_id: str | None = None) -> XapiCredential:
    """A new credential; the id is generated unless given, the secret too when blank."""
    if credential_id is None:
        credential_id = random_id(20, _ID_ALPHABET[:62])
    else:
        _check_id(credential_id)
        # Ids are per application: another application's credential of the same id is no conflict.
        taken = session.scalar(select(XapiCredential.pk).where(
            XapiCredential.application_pk == app_pk, XapiCredential.credential_id == credential_id))
        if taken is not None:
            raise Conflict(f"xAPI credential id [{credential_id}] is already in use")
    secret = _check_secret(fields.secret) if fields.secret else random_secret(GENERATED_SECRET)
    cred = XapiCredential(
        application_pk=app_pk, credential_id=credential_id, name=_name(fields.name), info=fields.info,
        secret_encrypted=box.encrypt(secret),
        is_enabled=True if fields.is_enabled is None else bool(fields.is_enabled),
        auth=_choice("auth", fields.auth, AUTH_TYPES) or "BASICAUTH",
        permissions_level=_choice("permissionsLevel", fields.permissions_level, PERMISSION_LEVELS) or "DEFAULT",
        all_endpoints=bool(fields.all_endpoints),
    )
    session.add(cred)
    session.flush()
    return cred


def set_credential(session: Session, *, box: SecretBox, app_pk: int, credential_id: str,
                   fields: CredentialFields) -> XapiCredential:
    """Create the credential CREDENTIAL_ID or update the fields given; effective at once."""
    cred = session.scalars(select(XapiCredential).where(
        XapiCredential.application_pk == app_pk, XapiCredential.credential_id == credential_id)).first()
    if cred is None:
        return create_credential(session, box=box, app_pk=app_pk, fields=fields, credential_id=credential_id)
    if fields.name is not None:
        cred.name = _name(fields.name)
    if fields.info is not None:
        cred.info = fields.info
    if fields.secret:
        cred.secret_encrypted = box.encrypt(_check_secret(fields.secret))
    if fields.is_enabled is not None:
        cred.is_enabled = bool(fields.is_enabled)
    cred.auth = _choice("auth", fields.auth, AUTH_TYPES) or cred.auth
    cred.permissions_level = _choice("permissionsLevel", fields.permissions_level, PERMISSION_LEVELS) \
        or cred.permissions_level
    if fields.all_endpoints is not None:
        cred.all_endpoints = bool(fields.all_endpoints)
    session.flush()
    mark_auth_changed(session)
    return cred


def move_credential(session: Session, *, cred: XapiCredential, app_pk: int) -> XapiCredential:
    """Make CRED a credential of application APP_PK (the console's allowed endpoint changed to
    another application); 409 when that application has a credential of the same id."""
    if cred.application_pk == app_pk:
        return cred
    taken = session.scalar(select(XapiCredential.pk).where(
        XapiCredential.application_pk == app_pk, XapiCredential.credential_id == cred.credential_id))
    if taken is not None:
        raise Conflict(f"xAPI credential id [{cred.credential_id}] is already in use by that application")
    cred.application_pk = app_pk
    session.flush()
    mark_auth_changed(session)
    return cred


def realm_credentials(session: Session, *, realm_id: int,
                      app_pk: int | None = None) -> list[tuple[XapiCredential, Application]]:
    """The credentials of the realm's applications with the application each belongs to (oldest
    application first); with APP_PK, those its LRS accepts (its own and the realm-wide ones)."""
    stmt = (select(XapiCredential, Application).join(Application, Application.pk == XapiCredential.application_pk)
            .where(Application.realm_id == realm_id, Application.is_management.is_(False)))
    if app_pk is not None:
        stmt = stmt.where(or_(XapiCredential.application_pk == app_pk, XapiCredential.all_endpoints.is_(True)))
    stmt = stmt.order_by(Application.created, Application.pk, XapiCredential.created, XapiCredential.pk)
    return [(cred, app) for cred, app in session.execute(stmt).all()]


def get_realm_credential(session: Session, *, realm_id: int, app_id: str,
                         credential_id: str) -> tuple[XapiCredential, Application]:
    """Credential CREDENTIAL_ID of application APP_ID of the realm; NotFound for another realm's."""
    row = session.execute(
        select(XapiCredential, Application).join(Application, Application.pk == XapiCredential.application_pk)
        .where(Application.realm_id == realm_id, Application.is_management.is_(False),
               Application.app_id == app_id, XapiCredential.credential_id == credential_id)).first()
    if row is None:
        raise NotFound(f"Could not find xAPI credential [{credential_id}]")
    return row[0], row[1]


def delete_credential(session: Session, *, app_pk: int, credential_id: str) -> None:
    """Delete the credential; the LRS refuses it from the moment this commits."""
    session.delete(get_credential(session, app_pk=app_pk, credential_id=credential_id))
    session.flush()
    mark_auth_changed(session)


def credential_secret(box: SecretBox, cred: XapiCredential) -> str:
    return box.decrypt(cred.secret_encrypted)


@dataclass(frozen=True)
class LrsCredential:
    """What the LRS needs of an enabled credential to authenticate its caller."""

    app_pk: int
    name: str | None
    permissions_level: str
    auth: str  # BASICAUTH | OAUTH
    secret_encrypted: str


def lrs_credential_cached(session_factory, *, app_id: str, credential_id: str) -> LrsCredential | None:
    """APP_ID's enabled credential CREDENTIAL_ID (its own, or a realm-wide one), through the
    principal cache (emptied whenever access may have been taken away, see mark_auth_changed); None
    when there is none."""

    def load():
        # The endpoint's own credential, else a realm-wide one of another application of its realm
        # (never on the realm's management application). The principal is the endpoint's application.
        owner, endpoint = aliased(Application), aliased(Application)
        own = XapiCredential.application_pk == endpoint.pk
        with session_factory() as session:
            row = session.execute(
                select(XapiCredential.secret_encrypted, XapiCredential.name, XapiCredential.permissions_level,
                       endpoint.pk, XapiCredential.auth)
                .join(owner, owner.pk == XapiCredential.application_pk)
                .join(endpoint, endpoint.app_id == app_id)
                .where(XapiCredential.credential_id == credential_id, XapiCredential.is_enabled.is_(True),
                       or_(own, (XapiCredential.all_endpoints.is_(True) & (owner.realm_id == endpoint.realm_id)
                                 & endpoint.is_management.is_(False))))
                .order_by(case((own, 0), else_=1), XapiCredential.pk).limit(1)
            ).first()
            if row is None:
                return None
            secret_encrypted, name, level, app_pk, auth = row
            return LrsCredential(app_pk=app_pk, name=name, permissions_level=level, auth=auth,
                                 secret_encrypted=secret_encrypted)

    return PRINCIPALS.get_or_load(("xapi", app_id, credential_id), load)
