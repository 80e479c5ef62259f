"""Text that a database can store: no lone UTF-16 surrogates (U+D800..U+DFFF on their own).

Python strings may hold them (json.loads turns "\\ud800" into one), but neither SQLite nor PostgreSQL
can encode them, so they are refused at the door with a message, never met as an encoding error."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in TEXT as "U+D800", or None when TEXT has none."""
    if text.isascii():
        return None
    found = _SURROGATE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def check_text(text: str, what: str) -> None:
    """ValueError naming WHAT when TEXT holds a lone surrogate."""
    code = lone_surrogate(text)
    if code is not None:
        raise ValueError(f"{what} contains a lone surrogate {code} (not valid Unicode text)")
