"""The interface every LMS type implements, and what a delivery failure says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from coursehost.domain.crypto import SecretBox
from coursehost.outbound import OutboundClient

CANT_CONNECT = "CANT_CONNECT"
SERVER_ERROR = "SERVER_ERROR"


class DeliveryFailed(Exception):
    """The LMS did not take the statement. STATUS is CANT_CONNECT (no answer: DNS, refused,
    timeout, TLS) or SERVER_ERROR (it answered, but refused); the message is safe to show."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PropertyInput:
    """A type's properties as a caller gives them; None = not given (keep the stored value)."""

    url: str | None = None
    key: str | None = None
    secret: str | None = None


class LmsType(Protocol):  # pragma: no cover - structural type
    name: str

    def stored_properties(self, given: PropertyInput, *, previous: dict | None, box: SecretBox,
                          allow_private_urls: bool) -> dict:
        """The properties to store (secrets encrypted), or InvalidInput naming the bad field."""

    def public_properties(self, stored: dict) -> dict:
        """What may be shown of the stored properties (never a secret)."""

    def send_statement(self, stored: dict, statement: dict, *, box: SecretBox, client: OutboundClient) -> None:
        """Deliver one statement; DeliveryFailed when the LMS did not take it."""
