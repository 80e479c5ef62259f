"""LOM metadata of a SCORM manifest: IMS MD 1.2.1 (SCORM 1.2: <langstring xml:lang>,
<datetime>) and IEEE LOM (SCORM 2004: <string language>, <duration>), matched by element
name whatever the namespace and letter case, since authoring tools vary in both."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from coursehost.domain.courses.packages.safexml import local

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass
class LomInfo:
    title: str | None = None
    title_language: str | None = None
    description: str | None = None
    description_language: str | None = None
    keywords: list[str] = field(default_factory=list)
    duration: str | None = None
    typical_time: str | None = None
    languages: list[str] = field(default_factory=list)

    def add_language(self, lang: str | None) -> None:
        if not lang:
            return
        lang = lang.strip()
        if lang and lang.lower() != "x-none" and lang not in self.languages:
            self.languages.append(lang)


def _kids(el: ET.Element, name: str) -> list[ET.Element]:
    want = name.lower()
    return [c for c in el if isinstance(c.tag, str) and local(c.tag).lower() == want]


def _kid(el: ET.Element | None, name: str) -> ET.Element | None:
    if el is None:
        return None
    found = _kids(el, name)
    return found[0] if found else None


def _strings(el: ET.Element | None) -> list[tuple[str, str | None]]:
    """(text, language) of the langstring/string children of EL, or EL's own text."""
    if el is None:
        return []
    out = []
    for c in el:
        if isinstance(c.tag, str) and local(c.tag).lower() in ("langstring", "string"):
            text = (c.text or "").strip()
            if text:
                out.append((text, c.get(XML_LANG) or c.get("language") or c.get("lang")))
    if not out and (el.text or "").strip() and len(el) == 0:
        out.append((el.text.strip(), None))
    return out


def _duration(el: ET.Element | None) -> str | None:
    if el is None:
        return None
    for name in ("datetime", "duration"):
        inner = _kid(el, name)
        if inner is not None and (inner.text or "").strip():
            return inner.text.strip()
    text = (el.text or "").strip()
    return text or None


def find_lom(el: ET.Element) -> ET.Element | None:
    """The <lom> element at or below EL (a metadata element or an external file's root)."""
    if local(el.tag).lower() == "lom":
        return el
    for c in el.iter():
        if isinstance(c.tag, str) and local(c.tag).lower() == "lom":
            return c
    return None


def read_lom(lom: ET.Element, into: LomInfo | None = None) -> LomInfo:
    """What LOM says; fields already set in INTO are kept (inline metadata wins)."""
    info = into or LomInfo()
    general = _kid(lom, "general")
    if general is not None:
        for lang_el in _kids(general, "language"):  # the declared language(s) first
            info.add_language(lang_el.text)
        titles = _strings(_kid(general, "title"))
        if titles and not info.title:
            info.title, info.title_language = titles[0]
        for _, lang in titles:
            info.add_language(lang)
        descriptions = [s for d in _kids(general, "description") for s in _strings(d)]
        if descriptions and not info.description:
            info.description, info.description_language = descriptions[0]
        for _, lang in descriptions:
            info.add_language(lang)
        for kw in _kids(general, "keyword"):
            for text, lang in _strings(kw):
                if text not in info.keywords:
                    info.keywords.append(text)
                info.add_language(lang)
    technical = _kid(lom, "technical")
    if technical is not None and not info.duration:
        info.duration = _duration(_kid(technical, "duration"))
    educational = _kid(lom, "educational")
    if educational is not None and not info.typical_time:
        info.typical_time = _duration(_kid(educational, "typicalLearningTime"))
        for lang_el in _kids(educational, "language"):
            info.add_language(lang_el.text)
    return info
