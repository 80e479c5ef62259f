"""Bounces that come back after the SMTP server accepted a message: delivery status notifications
(DSNs, RFC 3464) read from a Maildir and recorded on the message they are about.

Each message goes out with its own envelope sender (VERP): COURSEHOST_MAIL_BOUNCE_ADDRESS with the
message's token added to the local part (bounces@example.org -> bounces+TOKEN@example.org), so the
MTA that gives up on it sends the DSN there. A DSN is matched to a message by that token (in the
address the DSN was delivered to, or in the returned headers: X-Coursehost-Message or the
Message-ID), and only when the DSN names the message's own recipient as failed (RFC 3464 §2.3:
Action "failed", with Final-Recipient or Original-Recipient). Anything else (an auto-reply, a
"delayed" notice, a DSN about an address or token we do not know) changes nothing.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from coursehost.db.base import utcnow
from coursehost.db.models.mail import BOUNCED, SENT, MailMessage
from coursehost.db.session import unit_of_work

log = logging.getLogger(__name__)

#: The header every message carries with its token (returned in a DSN's text/rfc822-headers part).
MESSAGE_HEADER = "X-Coursehost-Message"
TOKEN = re.compile(r"[0-9a-f]{32}")
MAX_DIAGNOSTIC = 2000
#: The headers a local delivery agent writes with the address the DSN was delivered to.
_DELIVERY_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To")


def return_path(bounce_address: str, token: str) -> str:
    """The envelope sender of the message TOKEN: BOUNCE_ADDRESS with +TOKEN on its local part."""
    local, _, domain = bounce_address.strip().rpartition("@")
    return f"{local}+{token}@{domain}"


@dataclass(frozen=True)
class FailedRecipient:
    """One per-recipient block of a DSN whose Action is "failed"."""

    recipients: frozenset[str]  # Final-Recipient and Original-Recipient, lower case
    status: str  # "5.1.1"
    diagnostic: str | None  # "smtp; 550 5.1.1 <a@b>: User unknown"


@dataclass
class Dsn:
    """What a delivery status notification says: the tokens it names and the recipients that failed."""

    tokens: set[str] = field(default_factory=set)
    failed: list[FailedRecipient] = field(default_factory=list)


def _unfold(value) -> str:
    return " ".join(str(value).split())


def _address_of(value) -> str | None:
    """The address of an RFC 3464 address field ("rfc822; a@example.org")."""
    if value is None:
        return None
    kind, _, address = _unfold(value).partition(";")
    address = address.strip().strip("<>").lower() if address else kind.strip().strip("<>").lower()
    return address or None


def _tokens_in_headers(headers: Message) -> set[str]:
    found = set(TOKEN.findall(str(headers.get(MESSAGE_HEADER, "")).lower()))
    message_id = re.match(r"\s*<([0-9a-f]{32})@", str(headers.get("Message-ID", "")))
    if message_id:
        found.add(message_id.group(1))
    return found


def _tokens_in_delivery(msg: Message, bounce_address: str | None) -> set[str]:
    """Tokens in the address the DSN was delivered to (bounces+TOKEN@domain)."""
    if bounce_address:
        local, _, domain = bounce_address.strip().lower().rpartition("@")
        pattern = re.compile(rf"{re.escape(local)}\+([0-9a-f]{{32}})@{re.escape(domain)}")
    else:
        pattern = re.compile(r"\+([0-9a-f]{32})@")
    found: set[str] = set()
    for name in _DELIVERY_HEADERS:
        for value in msg.get_all(name) or []:
            found.update(pattern.findall(str(value).lower()))
    return found


def read_dsn(raw: bytes, *, bounce_address: str | None = None) -> Dsn | None:
    """RAW as a delivery status notification (multipart/report; report-type=delivery-status, RFC 3464),
    or None when it is not one."""
    msg: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    if msg.get_content_type() != "multipart/report" or \
            str(msg.get_param("report-type", "")).lower() != "delivery-status":
        return None
    dsn = Dsn(tokens=_tokens_in_delivery(msg, bounce_address))
    status_part = None
    for part in msg.iter_parts():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            status_part = part
        elif kind == "text/rfc822-headers":
            dsn.tokens |= _tokens_in_headers(HeaderParser().parsestr(part.get_content()))
        elif kind == "message/rfc822":
            dsn.tokens |= _tokens_in_headers(part.get_payload(0))
    if status_part is None:
        return None
    blocks = status_part.get_payload()  # the per-message fields, then one block per recipient
    if not isinstance(blocks, list):
        return None
    for block in blocks[1:]:
        if _unfold(block.get("Action", "")).lower() != "failed":
            continue  # delayed, delivered, relayed, expanded: not a bounce
        recipients = {a for a in (_address_of(block.get("Final-Recipient")),
                                  _address_of(block.get("Original-Recipient"))) if a}
        if recipients:
            diagnostic = _unfold(block["Diagnostic-Code"]) if block.get("Diagnostic-Code") else None
            dsn.failed.append(FailedRecipient(frozenset(recipients), _unfold(block.get("Status", "")) or "5.0.0",
                                              diagnostic[:MAX_DIAGNOSTIC] if diagnostic else None))
    return dsn


def record_bounces(session: Session, dsn: Dsn) -> list[int]:
    """Mark each sent message DSN is about as bounced (its token and its recipient must both match);
    the pks of the messages it marked (a bounce recorded before is not recorded again)."""
    if not dsn.tokens or not dsn.failed:
        return []
    marked = []
    for message in session.scalars(select(MailMessage).where(MailMessage.token.in_(sorted(dsn.tokens)),
                                                               MailMessage.status == SENT)):
        failure = next((f for f in dsn.failed if message.to_address.lower() in f.recipients), None)
        if failure is None:
            continue
        session.execute(update(MailMessage).where(MailMessage.pk == message.pk, MailMessage.status == SENT).values(
            status=BOUNCED, bounced=utcnow(), bounce_status=failure.status[:32],
            bounce_diagnostic=failure.diagnostic,
            last_error=f"{failure.status} {failure.diagnostic or ''}".strip()))
        marked.append(message.pk)
    return marked


@dataclass
class MaildirRun:
    """What one pass over a Maildir did: files read, bounces recorded, and why the others were ignored."""

    read: int = 0
    recorded: int = 0
    ignored: dict[str, str] = field(default_factory=dict)  # file name: why


def take_maildir(directory: Path, *, session_factory: sessionmaker[Session],
                 bounce_address: str | None) -> MaildirRun:
    """Read every new message of the Maildir DIRECTORY as a possible DSN, record its bounces (one
    transaction each), then move it to cur/ marked seen, so it is read once. A pass that dies after
    a commit and before the move reads that message again next time, which records nothing twice."""
    new, cur = directory / "new", directory / "cur"
    if not new.is_dir() or not cur.is_dir():
        raise FileNotFoundError(f"{directory} is not a Maildir (it needs new/ and cur/)")
    run = MaildirRun()
    for path in sorted(p for p in new.iterdir() if p.is_file() and not p.name.startswith(".")):
        run.read += 1
        dsn = read_dsn(path.read_bytes(), bounce_address=bounce_address)
        if dsn is None:
            run.ignored[path.name] = "not a delivery status notification"
        elif not dsn.failed:
            run.ignored[path.name] = "no recipient failed (delayed, delivered or relayed)"
        else:
            with unit_of_work(session_factory) as session:
                marked = record_bounces(session, dsn)
            if marked:
                run.recorded += len(marked)
            else:
                run.ignored[path.name] = "names no message of ours that was sent to the failed recipient"
        os.replace(path, cur / f"{path.name.split(':', 1)[0]}:2,S")
        log.info("bounce mail %s: %s", path.name, run.ignored.get(path.name, "recorded"))
    return run
