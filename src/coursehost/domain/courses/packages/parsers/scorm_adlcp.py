"""adlcp (data, completion threshold, mastery score...) and adlnav (presentation) elements
of a SCORM item, as Activity.data and Activity.presentation (shapes: see scorm.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from coursehost.domain.courses.model import SCORM11, SCORM12
from coursehost.domain.courses.packages.parsers.scorm_common import (
    ns_kind,
    parse_bool,
    xml_attr,
    xml_child,
    xml_children,
    xml_elements,
    xml_text,
)
from coursehost.domain.courses.packages.safexml import local

Warn = Callable[[str], None]
HIDE_LMS_UI = ("previous", "continue", "exit", "exitAll", "abandon", "abandonAll", "suspendAll")
HIDE_4TH_ONLY = {"exitAll", "abandonAll", "suspendAll"}


def item_data(el: ET.Element, who: str, standard: str, warn: Warn) -> dict[str, Any]:
    """The adlcp elements of an item (or organization) as Activity.data (see scorm.py)."""
    is12 = standard in (SCORM11, SCORM12)
    data: dict[str, Any] = {}
    for c in xml_elements(el):
        if ns_kind(c) != "adlcp":
            continue
        name = local(c.tag).lower()
        text = xml_text(c)
        if name == "masteryscore" and not is12:
            warn(f"{who}: <adlcp:masteryscore> is a SCORM 1.2 element; SCORM 2004 uses "
                 "the primary objective's minNormalizedMeasure, so it is ignored")
        elif name == "masteryscore":
            try:
                value = float(text)
            except ValueError:
                value = -1.0
            if not 0.0 <= value <= 100.0:
                warn(f"{who}: <adlcp:masteryscore> '{text}' is not a number from 0 to "
                     "100; it is ignored")
                continue
            data["masteryscore"] = text
        elif name == "datafromlms":
            data["datafromlms" if is12 else "dataFromLMS"] = text
        elif name == "maxtimeallowed":
            data["maxtimeallowed"] = text
        elif name == "timelimitaction":
            data["timelimitaction" if is12 else "timeLimitAction"] = text
        elif name == "prerequisites":
            data["prerequisites"] = {"value": text, "type": c.get("type") or "aicc_script"}
        elif name == "completionthreshold":
            ct = completion_threshold(c, who, warn)
            if ct is not None:
                data["completionThreshold"] = ct
        elif name == "data":
            maps = []
            for m in xml_children(c, "map", None):
                target = (m.get("targetID") or xml_attr(m, "targetID") or "").strip()
                if not target:
                    warn(f"{who}: an <adlcp:map> has no targetID; it is ignored")
                    continue
                # CAM 3.4.1.8: both default to true (ADL test suite DMI / DDM: a SCO writes a store
                # whose <adlcp:map> names only its targetID).
                maps.append({
                    "targetID": target,
                    "readSharedData": parse_bool(xml_attr(m, "readSharedData"), True),
                    "writeSharedData": parse_bool(xml_attr(m, "writeSharedData"), True),
                })
            if maps:
                data["data"] = maps
    return data


def completion_threshold(el: ET.Element, who: str, warn: Warn) -> dict[str, Any] | None:
    def number(raw: str | None, name: str, default: float) -> float:
        if raw is None or not raw.strip():
            return default
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0.0 <= value <= 1.0:
            warn(f"{who}: <adlcp:completionThreshold> {name} '{raw}' is not a number "
                 f"from 0 to 1; {default:g} is used")
            return default
        return value

    text = xml_text(el)
    if text and not el.attrib:  # 3rd edition: the threshold is the element's value
        return {"completedByMeasure": True,
                "minProgressMeasure": number(text, "value", 1.0), "progressWeight": 1.0}
    return {
        "completedByMeasure": parse_bool(xml_attr(el, "completedByMeasure"), False),
        "minProgressMeasure": number(xml_attr(el, "minProgressMeasure") or text or None,
                                     "minProgressMeasure", 1.0),
        "progressWeight": number(xml_attr(el, "progressWeight"), "progressWeight", 1.0),
    }


def presentation(el: ET.Element, who: str, warn: Warn) -> dict[str, Any] | None:
    pres = xml_child(el, "presentation", "adlnav")
    if pres is None:
        return None
    hidden: list[str] = []
    for nav in xml_children(pres, "navigationInterface", None):
        for h in xml_children(nav, "hideLMSUI", None):
            value = xml_text(h)
            match = next((v for v in HIDE_LMS_UI if v.lower() == value.lower()), None)
            if match is None:
                warn(f"{who}: <adlnav:hideLMSUI> '{value}' is not a known value "
                     f"({', '.join(HIDE_LMS_UI)}); it is ignored")
            elif match not in hidden:
                hidden.append(match)
    return {"hideLMSUI": hidden}
