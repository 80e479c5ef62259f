"""PENS publications (issue 19, AICC CMI010): a dispatch announced to a target system, which fetches
the package and answers with receipt and alert callbacks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime, utcnow


class PensPublication(Base):
    """One collect request to one target, and what the target told us back."""

    __tablename__ = "pens_publication"
    __table_args__ = (Index("ix_pens_publication_dispatch", "dispatch_pk", "created", "pk"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    # random and unguessable: it is the only thing the receipt / alert callbacks carry
    publication_id: Mapped[str] = mapped_column(String(64), unique=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    dispatch_pk: Mapped[int] = mapped_column(ForeignKey("dispatch.pk", ondelete="CASCADE"))
    target_url: Mapped[str] = mapped_column(Text)
    system_user_id: Mapped[str] = mapped_column(String(255), default="")
    system_password: Mapped[str] = mapped_column(Text, default="")  # encrypted with the instance key
    package_id: Mapped[str] = mapped_column(String(255))
    # queued | sent (the target accepted the collect request) | failed | received (receipt) | alert
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # every callback as {kind, at, error, errorText, pensData}, oldest first
    events: Mapped[list] = mapped_column(JSON, default=list)
    package_expires: Mapped[datetime] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
