"""Which SCORM edition a manifest is (EDITION DETECTION in scorm.py): the declared
<schemaversion>, checked against the namespaces and 4th-edition-only features the manifest uses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from coursehost.domain.courses.model import (
    SCORM11,
    SCORM12,
    SCORM2004_2ND,
    SCORM2004_3RD,
    SCORM2004_4TH,
)
from coursehost.domain.courses.packages.parsers.scorm_adlcp import HIDE_4TH_ONLY
from coursehost.domain.courses.packages.parsers.scorm_common import LABEL, SCORM2004, ns_kind, xml_attr, xml_text
from coursehost.domain.courses.packages.safexml import local, namespace


def detect_edition(root: ET.Element, schemaversion: str, mf: str, warn: Callable[[str], None]) -> str:
    """The edition of the manifest ROOT (from file MF); WARN tells where declaration and namespaces disagree."""
    namespaces, fourth = _scan(root)
    has12 = any("rootv1p2" in ns or "imscp_rootv1p1p2" in ns for ns in namespaces)
    has2004 = any(k in ns for ns in namespaces for k in ("adlcp_v1p3", "imsss", "adlseq", "adlnav"))
    if has2004:
        guessed = SCORM2004_4TH if fourth else SCORM2004_3RD
    else:
        guessed = SCORM12
    sv = " ".join(schemaversion.lower().split())
    declared = _declared(sv, fourth)
    if declared is None:
        how = "is missing" if not sv else f"says '{schemaversion}', which is not a SCORM version"
        warn(f"{mf}: <metadata><schemaversion> {how}; the package was taken to be "
             f"{LABEL[guessed]} from its namespaces")
        return guessed
    if declared in (SCORM11, SCORM12) and has2004 and not has12:
        warn(f"{mf}: <schemaversion> says {schemaversion} but the manifest uses "
             "SCORM 2004 namespaces; it is treated as "
             f"{LABEL[declared]} as declared")
    elif declared in SCORM2004 and has12 and not has2004:
        warn(f"{mf}: <schemaversion> says {schemaversion} but the manifest uses "
             f"SCORM 1.2 namespaces; it is treated as {LABEL[declared]} as declared")
    return declared


def _scan(root: ET.Element) -> tuple[set[str], bool]:
    """(every namespace used, on elements and attributes, lower case; whether a 4th-edition-only feature is used)."""
    namespaces: set[str] = set()
    fourth = False
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        namespaces.add(namespace(el.tag).lower())
        namespaces.update(namespace(k).lower() for k in el.attrib if k.startswith("{"))
        fourth = fourth or _fourth_only(el)
    return namespaces, fourth


def _fourth_only(el: ET.Element) -> bool:
    """EL is a feature only SCORM 2004 4th Edition has."""
    name, kind = local(el.tag), ns_kind(el)
    if kind == "adlcp" and name in ("data", "map"):
        return True
    if kind == "adlseq" and name == "objectives":
        return True
    if kind == "adlcp" and name == "completionThreshold" and el.attrib:
        return True
    if kind == "adlnav" and name == "hideLMSUI" and xml_text(el) in HIDE_4TH_ONLY:
        return True
    return name == "organization" and xml_attr(el, "sharedDataGlobalToSystem") is not None


def _declared(sv: str, fourth: bool) -> str | None:
    """The edition a normalised <schemaversion> SV names; None when it names none."""
    if sv in ("1.2", "1.2.0"):
        return SCORM12
    if sv in ("1.1", "1.0"):
        return SCORM11
    if "4th" in sv:
        return SCORM2004_4TH
    if "3rd" in sv:
        return SCORM2004_3RD
    if "2nd" in sv or "1.3" in sv:
        return SCORM2004_2ND
    if "2004" in sv:
        return SCORM2004_4TH if fourth else SCORM2004_3RD
    return None
