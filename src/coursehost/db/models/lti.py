"""LTI 1.3 signing keys (issue 19): Coursehost signs id_tokens as a platform (content connectors) and
client assertions as a tool (dispatch score passback) with RSA keys published at its JWKS URL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime, utcnow


class LtiKey(Base):
    """One RSA key pair; the newest unretired one signs, every unexpired one is published."""

    __tablename__ = "lti_key"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)  # encrypted with the instance key
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # set when a newer key replaces it: still published (verifiers may hold tokens it signed) until then
    retire_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LtiState(Base):
    """One OIDC login in flight (LTI 1.3 tool side, Coursehost as a dispatch's tool): the state and
    nonce we sent the platform, kept in the database so any process may take the launch that follows.
    A row is deleted when its launch uses it (each state and nonce works once) or when it expires."""

    __tablename__ = "lti_state"
    __table_args__ = (Index("ix_lti_state_expires", "expires"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    destination_pk: Mapped[int] = mapped_column(ForeignKey("dispatch_destination.pk", ondelete="CASCADE"))
    dispatch_key: Mapped[str] = mapped_column(String(64))
    expires: Mapped[datetime] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
