"""The built-in xAPI LRS: statements (one row each, with indexed query columns), the terms they
can be found by, documents (state, activity profile, agent profile), attachments, activities."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime, utcnow


class XapiStatement(Base):
    """One stored statement of one application's LRS. `body` is the statement exactly as it is
    returned (stored, authority, version set; JSON text). The other columns are what the
    statement query filters on (xAPI 1.0.3 §2.1.3); `stored` is truncated to milliseconds so that
    a client's `since` of a returned `stored` value excludes that statement. pk orders statements by
    arrival, which is the keyset for `more` paging."""

    __tablename__ = "xapi_statement"
    __table_args__ = (
        UniqueConstraint("application_pk", "statement_id", name="uq_xapi_statement_app_id"),
        Index("ix_xapi_statement_app_stored", "application_pk", "stored", "pk"),
        Index("ix_xapi_statement_app_verb", "application_pk", "verb_id", "stored"),
        # verb_id before stored: "agent + verb (+ since)" is the common query, and with the verb
        # these two beat ix_xapi_statement_app_verb for SQLite's planner, which has no statistics
        # (bench/lrs.py: p99 408 -> 16 ms at 200,000 statements).
        Index("ix_xapi_statement_app_actor", "application_pk", "actor_key", "verb_id", "stored"),
        Index("ix_xapi_statement_app_object", "application_pk", "object_key", "verb_id", "stored"),
        Index("ix_xapi_statement_app_registration", "application_pk", "registration", "stored"),
        Index("ix_xapi_statement_app_ref", "application_pk", "ref_statement_id"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    statement_id: Mapped[str] = mapped_column(String(36))
    stored: Mapped[datetime] = mapped_column(UTCDateTime)
    timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[str] = mapped_column(String(16))
    verb_id: Mapped[str] = mapped_column(Text)
    # agent_key() of the actor (None for an anonymous group) and of the object: an activity id, an
    # agent key, or the statement id of a StatementRef.
    actor_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    object_type: Mapped[str] = mapped_column(String(16))
    object_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    registration: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # The statement this one targets with a StatementRef object (voiding statements included).
    ref_statement_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    has_attachments: Mapped[bool] = mapped_column(Boolean, default=False)
    # The credential that wrote it (permission level DEFAULT reads only its own statements).
    credential_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    body: Mapped[str] = mapped_column(Text)


class XapiStatementTerm(Base):
    """What a statement can be found by beyond its own columns: every agent (kind "agent") and
    every activity (kind "activity") it mentions. related=False marks the actor / object (the
    `agent` and `activity` filters); related=True everything else (context, authority, a
    sub-statement's parts, group members), reached with related_agents / related_activities."""

    __tablename__ = "xapi_statement_term"
    __table_args__ = (
        Index("ix_xapi_statement_term_lookup", "application_pk", "kind", "value", "statement_pk"),
        Index("ix_xapi_statement_term_statement", "statement_pk"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    statement_pk: Mapped[int] = mapped_column(ForeignKey("xapi_statement.pk", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)
    related: Mapped[bool] = mapped_column(Boolean, default=True)


class XapiAttachment(Base):
    """An attachment's raw content, stored once per application and SHA-2 hash: the bytes live in
    the blob store under blob_key (ARCHITECTURE: blobs go through the BlobStore), this row says the
    application has them."""

    __tablename__ = "xapi_attachment"
    __table_args__ = (UniqueConstraint("application_pk", "sha2", name="uq_xapi_attachment_app_sha2"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    sha2: Mapped[str] = mapped_column(String(128))
    content_type: Mapped[str] = mapped_column(String(255))
    blob_key: Mapped[str] = mapped_column(String(1024))
    length: Mapped[int] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class XapiDocument(Base):
    """A state, activity profile or agent profile document (kind "state" | "activity_profile" |
    "agent_profile"). activity_id / agent_key / registration are "" when not part of the key, so the
    unique constraint holds on every backend."""

    __tablename__ = "xapi_document"
    __table_args__ = (
        UniqueConstraint("application_pk", "kind", "activity_id", "agent_key", "registration", "document_id",
                         name="uq_xapi_document_key"),
        Index("ix_xapi_document_list", "application_pk", "kind", "activity_id", "agent_key", "updated"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    activity_id: Mapped[str] = mapped_column(Text, default="")
    agent_key: Mapped[str] = mapped_column(Text, default="")
    registration: Mapped[str] = mapped_column(String(36), default="")
    document_id: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(64))
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class XapiActivity(Base):
    """The LRS's canonical definition of an activity (xAPI 1.0.3 §2.4.4.1: the LRS may keep the
    latest definition it was sent), answered by the activities resource."""

    __tablename__ = "xapi_activity"
    __table_args__ = (UniqueConstraint("application_pk", "activity_id", name="uq_xapi_activity_app_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    activity_id: Mapped[str] = mapped_column(Text)
    definition: Mapped[str] = mapped_column(Text, default="{}")
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
