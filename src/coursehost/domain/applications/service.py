"""Realms, applications and credentials: the tenancy every other domain hangs from."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coursehost.db.models.tenancy import Application, Credential, Realm
from coursehost.domain.applications.auth import mark_auth_changed
from coursehost.domain.crypto import SecretBox, random_id, random_secret
from coursehost.domain.errors import Conflict, InvalidInput, NotFound
from coursehost.domain.paging import both_ways, dated_list

DEFAULT_REALM_NAME = "Default realm"
DEFAULT_APP_NAME = "Default application"
MANAGEMENT_APP_NAME = "Application management"
MAX_NAME = 255

# GetApplications: the orderings, filters and date fields of the official API.
APPLICATION_LIST = dated_list(
    Application,
    orders={**both_ways("app_id", Application.app_id), **both_ways("app_name", Application.name)},
    default_order="updated_asc",
    filter_by={"app_id": Application.app_id, "app_name": Application.name},
    default_filter_by="app_name",
)


@dataclass(frozen=True)
class NewCredentials:
    """An application's id and a secret key, as printed once by the CLI."""

    app_id: str
    secret_key: str
    name: str
    management: bool


def check_name(name: str | None, field: str = "name") -> str:
    """A non-blank name of at most 255 characters."""
    if name is None or not str(name).strip():
        raise InvalidInput(f"{field} is required")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"{field} is longer than {MAX_NAME} characters")
    return name.strip()


def first_realm(session: Session) -> Realm | None:
    """The oldest realm (a single-organisation install has exactly one)."""
    return session.scalars(select(Realm).order_by(Realm.id).limit(1)).first()


def ensure_realm(session: Session) -> Realm:
    """The first realm, created when the database is empty."""
    realm = first_realm(session)
    if realm is None:
        realm = Realm(name=DEFAULT_REALM_NAME)
        session.add(realm)
        session.flush()
    return realm


def create_realm(session: Session, *, box: SecretBox, name: str = DEFAULT_REALM_NAME) -> tuple[Realm, NewCredentials]:
    """A new realm with what every realm starts with: a default application (and its credential)."""
    realm = Realm(name=check_name(name, "Name"))
    session.add(realm)
    session.flush()
    app, secret = create_application(session, box=box, realm_id=realm.id, name=DEFAULT_APP_NAME)
    return realm, NewCredentials(app.app_id, secret, app.name, False)


def bootstrap(session: Session, *, box: SecretBox) -> NewCredentials | None:
    """On an empty database: a realm with a default application; returns its credentials, else None."""
    if first_realm(session) is not None:
        return None
    return create_realm(session, box=box)[1]


def create_application(
    session: Session, *, box: SecretBox, realm_id: int, name: str, management: bool = False
) -> tuple[Application, str]:
    """A new application with one enabled credential; returns it and the credential's secret."""
    name = check_name(name)
    if management and find_management_app(session, realm_id=realm_id) is not None:
        raise Conflict("This realm already has an application-management application")
    app = Application(
        app_id=_unused_app_id(session),
        realm_id=realm_id,
        name=name,
        is_management=management,
        allow_delete=False,
    )
    session.add(app)
    session.flush()
    _, secret = add_credential(session, box=box, app=app, name="Default", enabled=True)
    return app, secret


def _unused_app_id(session: Session) -> str:
    while True:
        candidate = random_id(10)
        if session.scalar(select(Application.pk).where(Application.app_id == candidate)) is None:
            return candidate


def find_management_app(session: Session, *, realm_id: int) -> Application | None:
    return session.scalars(
        select(Application).where(Application.realm_id == realm_id, Application.is_management.is_(True))
    ).first()


def get_child_application(session: Session, *, realm_id: int, app_id: str) -> Application:
    """A normal application of this realm, or NotFound (the management app is not a child)."""
    app = session.scalars(
        select(Application).where(
            Application.realm_id == realm_id,
            Application.app_id == app_id,
            Application.is_management.is_(False),
        )
    ).first()
    if app is None:
        raise NotFound(f"Could not find application [{app_id}]")
    return app


def get_realm_application(session: Session, *, realm_id: int, app_id: str) -> Application:
    """Any application of this realm, the management application included, or NotFound."""
    app = session.scalars(
        select(Application).where(Application.realm_id == realm_id, Application.app_id == app_id)
    ).first()
    if app is None:
        raise NotFound(f"Could not find application [{app_id}]")
    return app


def list_realm_applications(session: Session, *, realm_id: int) -> list[Application]:
    """Every application of the realm, the management application first, then oldest first."""
    return list(
        session.scalars(
            select(Application)
            .where(Application.realm_id == realm_id)
            .order_by(Application.is_management.desc(), Application.created, Application.pk)
        )
    )


def list_child_applications(session: Session, *, realm_id: int) -> list[Application]:
    """Every normal application of the realm, oldest first."""
    return list(
        session.scalars(
            select(Application)
            .where(Application.realm_id == realm_id, Application.is_management.is_(False))
            .order_by(Application.created, Application.pk)
        )
    )


def child_applications_query(realm_id: int):
    """The select of the realm's normal applications, for the paging helper to refine."""
    return select(Application).where(
        Application.realm_id == realm_id, Application.is_management.is_(False)
    )


def update_application(
    session: Session, *, app: Application, name: str | None, allow_delete: bool | None
) -> Application:
    """Rename an application and/or change whether it may be deleted."""
    if name is not None:
        app.name = check_name(name)
    if allow_delete is not None:
        app.allow_delete = bool(allow_delete)
    session.flush()
    return app


def delete_application(session: Session, *, app: Application) -> None:
    """Delete an application and everything it owns, if it was marked deletable (never the realm's
    application-management application)."""
    if app.is_management:
        raise InvalidInput(f"Application [{app.app_id}] is the realm's application-management application "
                           "and cannot be deleted")
    if not app.allow_delete:
        raise InvalidInput(
            f"Application [{app.app_id}] does not allow deletion; set allowDelete to true first"
        )
    session.delete(app)
    session.flush()
    mark_auth_changed(session)


def list_credentials(session: Session, *, app: Application) -> list[Credential]:
    return list(
        session.scalars(
            select(Credential)
            .where(Credential.application_pk == app.pk)
            .order_by(Credential.created, Credential.pk)
        )
    )


def add_credential(
    session: Session, *, box: SecretBox, app: Application, name: str, enabled: bool = True
) -> tuple[Credential, str]:
    """A new secret key for APP; returns the row and the plaintext secret."""
    name = check_name(name)
    secret = random_secret(40)
    cred = Credential(
        credential_id=random_id(24, "abcdefghijklmnopqrstuvwxyz0123456789"),
        application_pk=app.pk,
        name=name,
        secret_encrypted=box.encrypt(secret),
        secret_digest=box.digest(secret),
        pens_secret_encrypted=box.encrypt(random_secret(40)),
        enabled=enabled,
    )
    session.add(cred)
    session.flush()
    return cred, secret


def get_credential(session: Session, *, app: Application, credential_id: str) -> Credential:
    cred = session.scalars(
        select(Credential).where(
            Credential.application_pk == app.pk, Credential.credential_id == credential_id
        )
    ).first()
    if cred is None:
        raise NotFound(f"Could not find credential [{credential_id}]")
    return cred


def update_credential(
    session: Session, *, cred: Credential, name: str | None, enabled: bool | None
) -> Credential:
    """Rename and/or enable or disable a credential; a disabled one is refused on its next use."""
    if name is not None:
        cred.name = check_name(name)
    if enabled is not None:
        cred.enabled = bool(enabled)
        mark_auth_changed(session)
    session.flush()
    return cred


def delete_credential(session: Session, *, cred: Credential) -> None:
    session.delete(cred)
    session.flush()
    mark_auth_changed(session)


def count_applications(session: Session, *, realm_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(Application).where(Application.realm_id == realm_id)
    )
