"""XML parsing without DTDs, entity expansion or external entities (XXE, billion laughs)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _defused_fromstring

from coursehost.domain.courses.errors import PackageError

# A BOM, or junk whitespace before the XML declaration, is a common author mistake: tolerated.
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def parse_xml(data: bytes, filename: str) -> ET.Element:
    """The root element of DATA, or PackageError naming FILENAME and the problem."""
    if not data.strip():
        raise PackageError(f"{filename} is empty")
    stripped = data.lstrip()
    for bom in _BOMS[:1]:
        if stripped.startswith(bom):
            stripped = stripped[len(bom):].lstrip()
    try:
        return _defused_fromstring(stripped, forbid_dtd=False, forbid_entities=True,
                                   forbid_external=True)
    except DefusedXmlException as exc:
        raise PackageError(
            f"{filename} declares XML entities or external references, which are not allowed "
            f"(a security risk): {exc}"
        ) from None
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (None, None))
        where = f" at line {line}, column {col}" if line else ""
        raise PackageError(f"{filename} is not well-formed XML{where}: {exc.msg if hasattr(exc, 'msg') else exc}") from None


def local(tag: str) -> str:
    """'{namespace}name' -> 'name'."""
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def namespace(tag: str) -> str:
    """'{namespace}name' -> 'namespace' ('' when none)."""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
