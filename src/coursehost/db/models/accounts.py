"""Console users, their roles in realms, their server-side sessions and one-time sign-in links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime, utcnow


class ConsoleUser(Base):
    """A person who signs in to the console. `email_key` is the e-mail address lower-cased: the one
    that is unique, so that two spellings of one address are one user."""

    __tablename__ = "console_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    # argon2id (argon2-cffi's PasswordHasher); None until a password is set (a one-time link signs in).
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lockout_minutes: Mapped[int] = mapped_column(Integer, default=30)
    failed_signins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The installation's operator: sets any realm's limits from the Account tab (the CLI's power).
    operator: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RealmMembership(Base):
    """A user's role in one realm: owner, administrator or learner."""

    __tablename__ = "realm_membership"
    __table_args__ = (UniqueConstraint("user_id", "realm_id", name="uq_realm_membership_user_realm"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_user.id", ondelete="CASCADE"))
    realm_id: Mapped[int] = mapped_column(ForeignKey("realm.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsoleSession(Base):
    """A signed-in browser. The cookie holds a random token; only its keyed digest is stored, so the
    table does not sign anyone in. `csrf_token` is what every form of this session must send back."""

    __tablename__ = "console_session"
    __table_args__ = (Index("ix_console_session_user", "user_id", "revoked"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_user.id", ondelete="CASCADE"))
    realm_id: Mapped[int] = mapped_column(ForeignKey("realm.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class SigninLink(Base):
    """A one-time sign-in link (printed by `coursehost user create` without a password): its token's
    digest, whom it signs in, until when, and whether it was used."""

    __tablename__ = "console_signin_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_user.id", ondelete="CASCADE"), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires: Mapped[datetime] = mapped_column(UTCDateTime)
    used: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
