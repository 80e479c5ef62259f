"""State every serving process must share (issue 21): failed-authentication counters and the OAuth
1.0a nonces of signed LRS requests. In the database, so that N processes (or machines) allow no more
than one process would, and a request replayed to another process is refused too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime


class AuthFailureWindow(Base):
    """Failures counted against one key or address of one throttle in its current window (a window
    starts with the first failure after the previous one ended)."""

    __tablename__ = "auth_failure_window"
    __table_args__ = (Index("ix_auth_failure_window_start", "window_start"),)

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # which throttle: auth, invite, reset
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # key or address
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    window_start: Mapped[float] = mapped_column(Float)  # seconds since the epoch
    failures: Mapped[int] = mapped_column(Integer)


class LrsOauthNonce(Base):
    """One (consumer key, timestamp, nonce) of a signed LRS request; kept until the timestamp leaves
    the accepted window (after which the timestamp check refuses a replay by itself)."""

    __tablename__ = "lrs_oauth_nonce"
    __table_args__ = (
        UniqueConstraint("consumer_key", "timestamp", "nonce"),
        Index("ix_lrs_oauth_nonce_expires", "expires"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_key: Mapped[str] = mapped_column(String(255))
    timestamp: Mapped[int] = mapped_column(Integer)
    nonce: Mapped[str] = mapped_column(String(255))
    expires: Mapped[datetime] = mapped_column(UTCDateTime)
