"""The collaborators built once by create_app and handed to every adapter (API, worker, CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from coursehost.db.session import make_engine, make_read_sessionmaker, make_sessionmaker
from coursehost.domain.applications.throttle import FailureThrottle
from coursehost.domain.crypto import SecretBox
from coursehost.settings import Settings
from coursehost.storage.base import BlobStore
from coursehost.storage.factory import make_blob_store


@dataclass
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    read_session_factory: sessionmaker[Session]
    box: SecretBox
    store: BlobStore
    throttle: FailureThrottle  # failed authentications (counted in the database)

    @property
    def instance_key(self) -> str:
        return self.settings.secret_key or ""


def build_services(settings: Settings) -> Services:
    """Wire the database, the blob store and the secret box for resolved SETTINGS."""
    engine = make_engine(settings.database_url)
    session_factory, read_session_factory = make_sessionmaker(engine), make_read_sessionmaker(engine)
    return Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        read_session_factory=read_session_factory,
        box=SecretBox(settings.secret_key),
        store=make_blob_store(settings.storage_url, settings.s3_endpoint_url),
        throttle=FailureThrottle(session_factory, read_session_factory=read_session_factory, scope="auth",
                                 per_key=settings.auth_failures_per_minute,
                                 per_address=settings.auth_failures_per_address_per_minute),
    )
