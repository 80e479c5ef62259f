"""Send one queued message: the `mail.send` job's work.

With an SMTP server configured the message goes there; a temporary failure (4xx, connection
refused or dropped) is recorded on the message and the job retries with backoff; a permanent one
(5xx) marks the message failed with the server's answer. Without an SMTP server (the `make serve`
default) the message is written as an .eml file under DATA_DIR/mail/ and the log says where.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from coursehost.db.base import utcnow
from coursehost.db.models.mail import FAILED, PENDING, SENT, MailMessage
from coursehost.domain.mail.bounces import MESSAGE_HEADER, return_path
from coursehost.domain.outbox import PermanentJobError, RetryJob
from coursehost.outbound.smtp import SmtpPermanentFailure, SmtpServer, SmtpTemporaryFailure

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class MailEnv:
    """What sending needs, built from the settings by the job handler."""

    session_factory: sessionmaker[Session]
    read_session_factory: sessionmaker[Session]
    sender: str  # the From header
    smtp: SmtpServer | None  # None: write .eml files into EML_DIR
    eml_dir: Path
    timeout: float = 30.0
    bounce_address: str | None = None  # COURSEHOST_MAIL_BOUNCE_ADDRESS: the envelope sender gets +TOKEN


def build_message(row: MailMessage, *, sender: str) -> EmailMessage:
    """The MIME message of ROW: text, plus an HTML alternative when it has one."""
    msg = EmailMessage()
    msg["Subject"] = row.subject
    msg["From"] = sender
    msg["To"] = row.to_address
    if row.reply_to:
        msg["Reply-To"] = row.reply_to
    msg["Date"] = format_datetime(utcnow())
    domain = msg["From"].addresses[0].domain or "localhost"
    msg["Message-ID"] = f"<{row.token}@{domain}>"
    # Comes back in a bounce's returned headers (text/rfc822-headers), whatever the Message-ID became.
    msg[MESSAGE_HEADER] = row.token
    msg.set_content(row.text_body)
    if row.html_body:
        msg.add_alternative(row.html_body, subtype="html")
    return msg


def deliver_message(session: Session, *, env: MailEnv, message_pk: int, attempt: int,
                    final_attempt: bool) -> dict:
    """Send message MESSAGE_PK once; record the outcome on it. SESSION is the job's transaction
    (marked sent there, so the row and the job complete together); failures are recorded in a
    transaction of their own, since the job's is rolled back when this raises RetryJob or
    PermanentJobError. The message is read and sent before SESSION is touched, so a slow server
    never holds SQLite's write lock."""
    with env.read_session_factory() as reading:
        row = reading.get(MailMessage, message_pk)
        if row is None or row.status != PENDING:
            return {"skipped": "message deleted" if row is None else f"message already {row.status}"}
        message = build_message(row, sender=env.sender)
        envelope_from = return_path(env.bounce_address, row.token) if env.bounce_address else None
    try:
        via = _hand_over(env, message, message_pk, envelope_from)
    except SmtpPermanentFailure as exc:
        _record_failure(env, message_pk, attempt, str(exc), give_up=True)
        raise PermanentJobError(str(exc)) from None
    except SmtpTemporaryFailure as exc:
        error = f"gave up after {attempt} attempts: {exc}" if final_attempt else str(exc)
        _record_failure(env, message_pk, attempt, error, give_up=final_attempt)
        raise RetryJob(str(exc)) from None
    now = utcnow()
    session.execute(update(MailMessage).where(MailMessage.pk == message_pk).values(
        status=SENT, attempts=attempt, sent=now, delivered_via=via, last_error=None))
    return {"sent": now.isoformat(), "via": via}


def _hand_over(env: MailEnv, message: EmailMessage, message_pk: int, envelope_from: str | None) -> str:
    to = message["To"]
    if env.smtp is None:
        if envelope_from:  # what the receiving MTA would add: the .eml shows where its bounces go
            message["Return-Path"] = f"<{envelope_from}>"
        path = write_eml(env.eml_dir, message, message_pk)
        log.info("mail %s to %s: no SMTP server configured (COURSEHOST_SMTP_URL), written to %s",
                 message_pk, to, path)
        return str(path)
    answer = env.smtp.send(message, timeout=env.timeout, envelope_from=envelope_from)
    log.info("mail %s to %s %s", message_pk, to, answer)
    return env.smtp.describe()


def write_eml(directory: Path, message: EmailMessage, message_pk: int) -> Path:
    """Write MESSAGE as DIRECTORY/<time>-<pk>.eml (whole or not at all); its path. A message written
    already (the same Message-ID: a worker killed after writing it, before the job committed) is not
    written again, so each message is one file however often its job runs."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for written in directory.glob(f"*-{message_pk}.eml"):
            with written.open("rb") as f:
                if BytesHeaderParser().parse(f)["Message-ID"] == message["Message-ID"]:
                    return written
        path = directory / f"{utcnow():%Y%m%dT%H%M%S}-{message_pk}.eml"
        tmp = path.with_suffix(".eml.tmp")
        tmp.write_bytes(message.as_bytes())
        os.replace(tmp, path)
    except OSError as exc:
        raise SmtpTemporaryFailure(f"could not write the message to {directory}: {exc}") from None
    return path


def _record_failure(env: MailEnv, message_pk: int, attempt: int, error: str, *, give_up: bool) -> None:
    values: dict = {"attempts": attempt, "last_error": error[:MAX_ERROR_CHARS]}
    if give_up:
        values["status"] = FAILED
    with env.session_factory() as session:
        session.execute(update(MailMessage).where(MailMessage.pk == message_pk, MailMessage.status == PENDING)
                        .values(**values))
        session.commit()

