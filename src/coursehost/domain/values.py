"""Small value conversions used across the domain: setting booleans and API timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def truthy(value: Any) -> bool:
    """A boolean setting value: a bool, or true/yes/1 in any case (settings.md)."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("true", "yes", "1")


def iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with milliseconds and a Z, as every API v2 timestamp is written (a naive value
    is taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
