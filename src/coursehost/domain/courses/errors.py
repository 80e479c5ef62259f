"""Import failures a content author can act on."""

from __future__ import annotations

from coursehost.domain.errors import InvalidInput


class PackageError(InvalidInput):
    """The package cannot be imported; the message says why in an author's words
    ("imsmanifest.xml is not well-formed XML: mismatched tag at line 12, column 4")."""
