"""xAPI activity-provider credentials and statement pipes (the official XapiApi)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime, utcnow


class XapiCredential(Base):
    """An activity provider's key on an application's LRS. credential_id is the key (the Basic-auth
    user name, the OAuth consumer key); the secret is encrypted with the instance key. all_endpoints:
    the key is accepted by the LRS of every (non-management) application of the owner's realm, not
    only by the owner's (the console's "allowed endpoint"; the API has no such field)."""

    __tablename__ = "xapi_credential"
    # Ids are per application (another application's id is no conflict, and no oracle).
    __table_args__ = (UniqueConstraint("application_pk", "credential_id", name="uq_xapi_credential_app_id"),
                      Index("ix_xapi_credential_app", "application_pk", "updated"))

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    credential_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255), default="")
    info: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    auth: Mapped[str] = mapped_column(String(16), default="BASICAUTH")  # BASICAUTH | OAUTH
    permissions_level: Mapped[str] = mapped_column(String(16), default="DEFAULT")  # DEFAULT|USER|ROOT|READONLY|WRITEONLY
    all_endpoints: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StatementPipe(Base):
    """Forwarding of xAPI statements from a source LRS to a target LRS, run as a durable job.
    source / target: {"url", "userName", "passwordEncrypted"}. generation grows on every update so a
    running forward started before the update knows to stop and start over."""

    __tablename__ = "statement_pipe"
    __table_args__ = (UniqueConstraint("application_pk", "pipe_id", name="uq_statement_pipe_app_id"),
                      Index("ix_statement_pipe_app", "application_pk", "pk"))

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    pipe_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[dict] = mapped_column(JSON, default=dict)
    target: Mapped[dict] = mapped_column(JSON, default=dict)
    last_forwarded_statement_date: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_forwarded_statement_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    more_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    visible_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    forwarding: Mapped[bool] = mapped_column(Boolean, default=False)
    # Statements written to the target since the pipe was created or last changed (an update starts over).
    statements_forwarded: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
