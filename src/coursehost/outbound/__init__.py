"""Every server-side HTTP request to a URL someone else chose (import by URL, postbacks,
PostBackTest, statement pipes) goes through this package: one place that makes the request,
refuses private and local targets (guard.py), follows redirects hop by hop, and bounds time and
size. A bottom-layer package like db/ and storage/: the domain imports it, it imports nothing of
coursehost."""

from __future__ import annotations

from coursehost.outbound.client import (
    OutboundClient,
    OutboundResponse,
    Timeouts,
)
from coursehost.outbound.errors import OutboundError, OutboundTimeout, ResponseTooLarge
from coursehost.outbound.guard import REFUSED, AddressPolicy, TargetRefused

__all__ = [
    "REFUSED", "AddressPolicy", "OutboundClient", "OutboundError", "OutboundResponse", "OutboundTimeout",
    "ResponseTooLarge", "TargetRefused", "Timeouts",
]
