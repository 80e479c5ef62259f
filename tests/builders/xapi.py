"""Small xAPI (Tin Can) packages built in code, for parser tests.

    tincan_xml(activities=[Act("http://ex.com/c", "Course", "index.html", COURSE)])  -> str
    tincan_zip(...)  -> zip bytes with tincan.xml and each relative launch file as an HTML page
                        (unless in omit_files); xml= replaces the generated tincan.xml text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from tests.builders.aicc import PAGE, zip_bytes

COURSE = "http://adlnet.gov/expapi/activities/course"
OBJECTIVE = "http://adlnet.gov/expapi/activities/objective"
MODULE = "http://adlnet.gov/expapi/activities/module"


@dataclass
class Act:
    id: str
    name: str | None
    launch: str | None = None
    type: str = COURSE
    lang: str = "en-US"
    description: str | None = "About it"


def tincan_xml(activities: Sequence[Act]) -> str:
    parts = []
    for a in activities:
        inner = ""
        if a.name is not None:
            inner += f"<name lang={quoteattr(a.lang)}>{escape(a.name)}</name>"
        if a.description is not None:
            inner += f"<description lang={quoteattr(a.lang)}>{escape(a.description)}</description>"
        if a.launch is not None:
            inner += f"<launch lang={quoteattr(a.lang)}>{escape(a.launch)}</launch>"
        parts.append(f"<activity id={quoteattr(a.id)} type={quoteattr(a.type)}>{inner}</activity>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<tincan xmlns="http://projecttincan.com/tincan.xsd"><activities>'
            + "".join(parts) + "</activities></tincan>")


def tincan_zip(activities: Sequence[Act] = (Act("http://example.com/course/1", "Tin Can Course", "index.html"),),
               xml: str | None = None, omit_files: Iterable[str] = (), folder: str = "") -> bytes:
    files: dict[str, bytes | str] = {folder + "tincan.xml": xml if xml is not None else tincan_xml(activities)}
    omit = set(omit_files)
    for a in activities:
        if a.launch and "://" not in a.launch:
            path = a.launch.split("?", 1)[0]
            if path not in omit:
                files[folder + path] = PAGE
    return zip_bytes(files)
