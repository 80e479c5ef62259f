"""The LMS types: one module per type behind LmsType (base.py), looked up by its wire name."""

from __future__ import annotations

from coursehost.domain.errors import InvalidInput
from coursehost.domain.lms.types import xapi
from coursehost.domain.lms.types.base import (
    CANT_CONNECT,
    SERVER_ERROR,
    DeliveryFailed,
    LmsType,
    PropertyInput,
)

__all__ = ["CANT_CONNECT", "SERVER_ERROR", "DeliveryFailed", "LmsType", "PropertyInput", "lms_type"]

TYPES: dict[str, LmsType] = {xapi.TYPE.name: xapi.TYPE}


def lms_type(name: str) -> LmsType:
    """The type called NAME, or InvalidInput listing the known ones."""
    found = TYPES.get((name or "").strip().lower())
    if found is None:
        raise InvalidInput(f"type must be one of: {', '.join(sorted(TYPES))}")
    return found
