"""The e-mail outbox: one row per message, written in the transaction that caused it; a job sends it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime, utcnow

#: Waiting for its job (first attempt or a retry after a temporary failure).
PENDING = "pending"
#: Handed to the SMTP server (or written as an .eml file when no server is configured).
SENT = "sent"
#: Given up: the server refused it permanently (5xx) or every attempt failed.
FAILED = "failed"
#: Sent, then a delivery status notification (RFC 3464) came back saying it could not be delivered.
BOUNCED = "bounced"


class MailMessage(Base):
    __tablename__ = "mail_message"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The Message-ID's unique part, fixed when queued so that a retry is the same message.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    to_address: Mapped[str] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320), nullable=True)
    subject: Mapped[str] = mapped_column(String(500))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    template: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Where it went: smtp://host:port (never the credentials) or the .eml file's path.
    delivered_via: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The bounce (status BOUNCED): when it was recorded, the DSN's Status ("5.1.1") and Diagnostic-Code.
    bounced: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    bounce_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    bounce_diagnostic: Mapped[str | None] = mapped_column(Text, nullable=True)
