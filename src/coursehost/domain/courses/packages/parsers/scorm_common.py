"""Shared pieces of the SCORM manifest parser: namespace-lenient element access, xml:base
joining, and the edition labels used in warnings."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

from coursehost.domain.courses.model import (
    SCORM11,
    SCORM12,
    SCORM2004_2ND,
    SCORM2004_3RD,
    SCORM2004_4TH,
)
from coursehost.domain.courses.packages.safexml import local, namespace

XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
HTTP = re.compile(r"^(https?:)?//", re.I)
LABEL = {SCORM11: "SCORM 1.1", SCORM12: "SCORM 1.2", SCORM2004_2ND: "SCORM 2004 2nd Edition",
         SCORM2004_3RD: "SCORM 2004 3rd Edition", SCORM2004_4TH: "SCORM 2004 4th Edition"}
SCORM2004 = (SCORM2004_2ND, SCORM2004_3RD, SCORM2004_4TH)

def ns_kind(el: ET.Element) -> str:
    """'imsss', 'adlseq', 'adlnav', 'adlcp' or 'cp' (content packaging / no namespace)."""
    ns = namespace(el.tag).lower()
    for k in ("adlseq", "adlnav", "adlcp", "imsss"):
        if k in ns:
            return k
    return "cp"


def xml_elements(el: ET.Element) -> list[ET.Element]:
    return [c for c in el if isinstance(c.tag, str)]


def xml_children(el: ET.Element, name: str, kind: str | None = "cp") -> list[ET.Element]:
    """Children called NAME (any letter case) of the namespace family KIND (None: any)."""
    want = name.lower()
    return [c for c in xml_elements(el) if local(c.tag).lower() == want and (kind is None or ns_kind(c) == kind)]


def xml_child(el: ET.Element, name: str, kind: str | None = "cp") -> ET.Element | None:
    found = xml_children(el, name, kind)
    return found[0] if found else None


def xml_text(el: ET.Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def xml_attr(el: ET.Element, name: str) -> str | None:
    """Attribute NAME in any namespace and any letter case (authors mix both up)."""
    if name in el.attrib:
        return el.attrib[name]
    want = name.lower()
    for key, value in el.attrib.items():
        if local(key).lower() == want:
            return value
    return None


def parse_bool(raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    low = raw.strip().lower()
    if low in ("true", "1", "yes"):
        return True
    if low in ("false", "0", "no"):
        return False
    return default


def join_dir(base: str, add: str | None) -> str:
    """BASE (a folder: '' or ending in '/', or an absolute URL) extended by the xml:base ADD."""
    add = (add or "").strip().replace("\\", "/")
    if not add:
        return base
    if SCHEME.match(add) or HTTP.match(add):
        out = add
    elif SCHEME.match(base) or HTTP.match(base):
        out = urljoin(base, add)
    elif add.startswith("/"):
        out = add.lstrip("/")
    else:
        out = base + add
    return out if out.endswith("/") else out + "/"
