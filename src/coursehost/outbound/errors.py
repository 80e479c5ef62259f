"""What the outbound client raises. The messages are the client's own words (never the far side's
body, never the socket's own error text), so callers may show them and store them."""

from __future__ import annotations


class OutboundError(Exception):
    """No usable answer: DNS, connection, TLS, protocol, too many redirects, a refused target.
    KIND names what failed (e.g. "ConnectError", "Refused") for the server's own log."""

    def __init__(self, message: str, *, kind: str):
        super().__init__(message)
        self.kind = kind


class OutboundTimeout(OutboundError):
    """The far side did not connect, answer or read in time."""


class ResponseTooLarge(OutboundError):
    """The answer's body is (or says it is) larger than the client's max_bytes."""
