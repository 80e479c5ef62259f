"""Queue an e-mail message in the caller's transaction: a mail_message row and the job that sends it.

If the caller's transaction rolls back, the message never existed; once it commits, the worker
sends it (coursehost.domain.mail.delivery), retrying temporary failures with backoff.
"""

from __future__ import annotations

import secrets
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import parseaddr

from sqlalchemy.orm import Session

from coursehost.db.models.mail import PENDING, MailMessage
from coursehost.domain import outbox
from coursehost.domain.errors import InvalidInput
from coursehost.domain.mail.templates import render

#: The job kind the worker runs (registered in coursehost.jobs.handlers).
JOB_KIND = "mail.send"
#: Retries of temporary failures: 30 s doubling to 1 h between attempts, about 2.5 to 5 hours in all.
MAX_ATTEMPTS = 12
BASE_DELAY = 30.0
MAX_DELAY = 3600.0

MAX_SUBJECT = 500
MAX_BODY = 1_000_000


def check_address(value: str, *, field: str = "address") -> str:
    """VALUE as one plain address (name@domain), or InvalidInput saying what is wrong with it."""
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"the {field} is missing")
    if len(value) > 320 or any(ch in value for ch in "\r\n\0"):
        raise InvalidInput(f"the {field} {value[:80]!r} is not an e-mail address")
    try:
        address = Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError):  # HeaderParseError is no ValueError ("a@@b.com")
        raise InvalidInput(f"the {field} {value!r} is not an e-mail address (name@example.com)") from None
    if not address.username or not address.domain:
        raise InvalidInput(f"the {field} {value!r} is not an e-mail address (name@example.com)")
    return address.addr_spec


def sender(mail_from: str | None, public_host: str | None) -> str:
    """The From header: COURSEHOST_MAIL_FROM ("Name <address>" or an address), else
    "Coursehost <coursehost@HOST>" with the public URL's host name."""
    if not mail_from:
        return str(Address("Coursehost", addr_spec=f"coursehost@{public_host or 'localhost'}"))
    name, addr = parseaddr(mail_from)
    return str(Address(name, addr_spec=check_address(addr, field="COURSEHOST_MAIL_FROM address")))


def enqueue_mail(session: Session, *, to: str, subject: str, text: str, html: str | None = None,
                 reply_to: str | None = None, template: str | None = None) -> MailMessage:
    """Queue one message to TO in SESSION's transaction and return its row (status pending).

    TEXT is the plain-text part, HTML (optional) the HTML alternative; REPLY_TO sets Reply-To.
    Bad addresses, a subject that is empty, too long or spans lines, or an empty body raise
    InvalidInput and queue nothing."""
    to_address = check_address(to, field="recipient")
    reply = check_address(reply_to, field="reply-to address") if reply_to else None
    subject = (subject or "").strip()
    if not subject:
        raise InvalidInput("the subject is missing")
    if len(subject) > MAX_SUBJECT or any(ch in subject for ch in "\r\n\0"):
        raise InvalidInput(f"the subject must be one line of at most {MAX_SUBJECT} characters")
    if not (text or "").strip():
        raise InvalidInput("the message has no text")
    if len(text) > MAX_BODY or (html is not None and len(html) > MAX_BODY):
        raise InvalidInput(f"the message is longer than {MAX_BODY} characters")
    message = MailMessage(token=secrets.token_hex(16), to_address=to_address, reply_to=reply, subject=subject,
                          text_body=text, html_body=html or None, template=template, status=PENDING, attempts=0)
    session.add(message)
    session.flush()
    outbox.enqueue(session, kind=JOB_KIND, payload={"message_pk": message.pk}, max_attempts=MAX_ATTEMPTS)
    return message


def enqueue_template(session: Session, *, to: str, template: str, values: dict,
                     reply_to: str | None = None) -> MailMessage:
    """Render TEMPLATE (templates/NAME.subject.txt, .txt, .html) with VALUES and queue it to TO."""
    rendered = render(template, values)
    return enqueue_mail(session, to=to, subject=rendered.subject, text=rendered.text, html=rendered.html,
                        reply_to=reply_to, template=template)
