"""Wire-model base: camelCase aliases matching the official client's models field for field."""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict


class Wire(BaseModel):
    """Response models: serialized by alias, None fields left out like the official API does."""

    model_config = ConfigDict(populate_by_name=True, from_attributes=True)

    def dump(self) -> dict:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class WireIn(BaseModel):
    """Request bodies: strict types (a number is not a string), unknown fields ignored."""

    model_config = ConfigDict(populate_by_name=True, strict=True, extra="ignore")


def iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, as the official API writes timestamps."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
