"""Wire-model bases: camelCase aliases matching the official client's models field for field; and
the small response models several API classes share."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

# A JSON number as the domain gave it: an int stays an int on the wire (0, not 0.0).
Number = int | float


class Wire(BaseModel):
    """Response models: fields are snake_case in Python and camelCase on the wire; routes serialize
    them by alias, leaving None fields out as SCORM Cloud does (see operations.operation)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class WireIn(BaseModel):
    """Request bodies: strict types (a number is not a string); an unknown field is a 400 naming it
    ("Unknown field: status"), so a misspelt or invented field never passes silently. Every field
    the official client's model for the body can send is declared (unused ones are accepted and
    ignored); tests/contract/test_auth_security.py checks it against the client's models."""

    model_config = ConfigDict(populate_by_name=True, strict=True, extra="forbid")


class StringResultSchema(Wire):
    """{"result": ...}: the id of what an operation created."""

    result: str


class TagListSchema(Wire):
    tags: list[str]


class PingSchema(Wire):
    api_message: str
    current_time: str


class AboutSchema(Wire):
    version: str
    distribution: str

