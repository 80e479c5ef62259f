"""Realms, applications and their API credentials."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coursehost.db.base import Base, UTCDateTime, utcnow


class Realm(Base):
    __tablename__ = "realm"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Limits set by the operator (domain/limits.py); NULL is no limit. A realm whose limits_realm_id
    # is set shares that realm's limits and counters: its own limit columns are not read.
    storage_limit_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    registration_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    registrations_resettable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Registrations created (sandbox ones excepted) since the last reset; deleting one gives nothing back.
    registrations_used: Mapped[int] = mapped_column(Integer, default=0)
    registrations_reset: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    limits_realm_id: Mapped[int | None] = mapped_column(
        ForeignKey("realm.id", ondelete="SET NULL"), nullable=True, index=True)


class Application(Base):
    __tablename__ = "application"
    __table_args__ = (Index("ix_application_realm_updated", "realm_id", "updated", "pk"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[str] = mapped_column(String(32), unique=True)
    realm_id: Mapped[int] = mapped_column(ForeignKey("realm.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    is_management: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_delete: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    credentials: Mapped[list[Credential]] = relationship(
        back_populates="application", cascade="all, delete-orphan", passive_deletes=True
    )


class Credential(Base):
    __tablename__ = "credential"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(64), unique=True)
    application_pk: Mapped[int] = mapped_column(
        ForeignKey("application.pk", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    # The secret is encrypted with the instance key (it is shown back to the owner in GetCredentials);
    # secret_digest is a keyed hash of it so that authentication never has to decrypt.
    secret_encrypted: Mapped[str] = mapped_column(String(512))
    secret_digest: Mapped[str] = mapped_column(String(64), index=True)
    pens_secret_encrypted: Mapped[str] = mapped_column(String(512))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship(back_populates="credentials")
