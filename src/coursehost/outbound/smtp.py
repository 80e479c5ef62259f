"""Hand one e-mail message to the SMTP server the operator configured (COURSEHOST_SMTP_URL).

smtp://user:pass@host:port speaks plain SMTP and upgrades with STARTTLS when the server offers it;
smtps://... opens implicit TLS (port 465 by default). The user name and password are URL-decoded.
Certificates are verified against the system's trust store (SSL_CERT_FILE / SSL_CERT_DIR point
elsewhere). A failure is raised as SmtpTemporaryFailure (4xx, refused or dropped connections,
timeouts: worth retrying) or SmtpPermanentFailure (5xx: the server will say no again). No message
of this module carries the password: describe() is what logs and rows may show.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import quote, unquote, urlsplit

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class SmtpUrlInvalid(ValueError):
    """COURSEHOST_SMTP_URL is not an smtp:// or smtps:// URL with a host (the message says why)."""


class SmtpFailure(Exception):
    """The message was not accepted; str() is safe to log and store (no credentials)."""


class SmtpTemporaryFailure(SmtpFailure):
    """Try again later: a 4xx answer, or the server could not be reached or dropped the connection."""


class SmtpPermanentFailure(SmtpFailure):
    """A 5xx answer (or an ESMTP feature the configuration needs is missing): retrying cannot help."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise SmtpUrlInvalid(f"COURSEHOST_SMTP_URL is not a valid URL ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise SmtpUrlInvalid("COURSEHOST_SMTP_URL must start with smtp:// (STARTTLS when offered) "
                                 f"or smtps:// (implicit TLS), not {scheme + '://' if scheme else 'nothing'}")
        if not parts.hostname:
            raise SmtpUrlInvalid("COURSEHOST_SMTP_URL names no host (smtp://user:password@host:port)")
        return cls(host=parts.hostname, port=port or DEFAULT_PORTS[scheme], implicit_tls=scheme == "smtps",
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password is not None else None)

    def describe(self) -> str:
        """The server as logs and the outbox may show it: scheme, user, host and port, no password."""
        user = f"{quote(self.username, safe='')}@" if self.username else ""
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{user}{self.host}:{self.port}"

    def send(self, message: EmailMessage, *, timeout: float = 30.0, envelope_from: str | None = None) -> str:
        """Deliver MESSAGE to its To; the envelope sender (MAIL FROM, where bounces go) is ENVELOPE_FROM,
        else its From. The server's answer."""
        try:
            with self._connect(timeout) as client:
                if self.username is not None:
                    client.login(self.username, self.password or "")
                refused = client.send_message(message, from_addr=envelope_from)
                if refused:  # some, not all, recipients refused: we send to one, so this is rare
                    raise _from_refused(refused)
                return f"accepted by {self.describe()}"
        except smtplib.SMTPRecipientsRefused as exc:
            raise _from_refused(exc.recipients) from None
        except smtplib.SMTPResponseException as exc:
            text = _text(exc.smtp_error)
            if 400 <= exc.smtp_code < 500:
                raise SmtpTemporaryFailure(f"{self.describe()} answered {exc.smtp_code} {text}") from None
            raise SmtpPermanentFailure(f"{self.describe()} answered {exc.smtp_code} {text}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise SmtpPermanentFailure(f"{self.describe()}: {exc}") from None
        except ssl.SSLError as exc:
            raise SmtpTemporaryFailure(f"{self.describe()}: TLS failed ({exc.reason or exc})") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SmtpTemporaryFailure(f"{self.describe()}: {exc.__class__.__name__}: {exc}") from None

    def _connect(self, timeout: float) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=context)
        client = smtplib.SMTP(self.host, self.port, timeout=timeout)
        try:
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
        except BaseException:
            client.close()
            raise
        return client


def _from_refused(recipients: dict) -> SmtpFailure:
    codes = [(code, _text(text)) for code, text in recipients.values()]
    said = "; ".join(f"{code} {text}" for code, text in codes)
    if all(400 <= code < 500 for code, _ in codes):
        return SmtpTemporaryFailure(f"recipient refused for now: {said}")
    return SmtpPermanentFailure(f"recipient refused: {said}")


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
