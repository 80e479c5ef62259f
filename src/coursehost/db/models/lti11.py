"""LTI 1.1 launches (issue 19): the OAuth 1.0a nonces seen, in the database so that a launch replayed
to another `coursehost serve` process is refused too (RFC 5849 §3.3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime


class LtiNonce(Base):
    """One (consumer key, nonce) used by a signed launch; kept until its timestamp leaves the window."""

    __tablename__ = "lti_nonce"
    __table_args__ = (
        UniqueConstraint("consumer_key", "nonce"),
        Index("ix_lti_nonce_expires", "expires"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_key: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(255))
    expires: Mapped[datetime] = mapped_column(UTCDateTime)
