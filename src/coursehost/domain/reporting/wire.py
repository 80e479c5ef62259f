"""The SCORM Cloud wire form of the reporting shapes: camelCase dicts as the official client's
models read them, timestamps in UTC ISO 8601 with milliseconds. The one place that writes them, for
the API responses and the postback bodies alike."""

from __future__ import annotations

from dataclasses import field, fields, is_dataclass
from datetime import datetime
from functools import cache
from typing import Any

from coursehost.domain.values import iso

_KEEP_NULL = "wire_keep_null"


def kept(**kwargs: Any) -> Any:
    """A dataclass field written even when None (as null); other fields that are None are left out."""
    return field(metadata={_KEEP_NULL: True}, **kwargs)


def to_wire(value: Any) -> Any:
    """VALUE in wire form: a shape as a camelCase dict (in field order), lists item by item,
    datetimes as ISO strings; plain values and dicts (already in wire form) as they are."""
    if is_dataclass(value) and not isinstance(value, type):
        out = {}
        for name, key, keep_null in _wire_fields(type(value)):
            item = getattr(value, name)
            if item is not None or keep_null:
                out[key] = to_wire(item)
        return out
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    if isinstance(value, datetime):
        return iso(value)
    return value


@cache
def _wire_fields(cls: type) -> tuple[tuple[str, str, bool], ...]:
    return tuple((f.name, _camel(f.name), bool(f.metadata.get(_KEEP_NULL))) for f in fields(cls))


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)
