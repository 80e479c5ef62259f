"""xAPI (Tin Can) tincan.xml -> ParsedCourse.

Public API: parse_tincan(reader, tincan_path) -> ParsedCourse.

    <tincan xmlns="http://projecttincan.com/tincan.xsd">
      <activities>
        <activity id="http://example.com/course" type="http://adlnet.gov/expapi/activities/course">
          <name lang="en-US">Course</name>
          <description lang="en-US">...</description>
          <launch lang="en-US">index.html</launch>
        </activity>
        ...

The course activity is the one of type http://adlnet.gov/expapi/activities/course (else the
first); its id is ParsedCourse.activity_id and the root's id. The launchable activities (those
with a <launch>) become the root's SCO children, in document order; the course activity is one
of them when it has a <launch> (the usual single-launch package), so the root and that child
share the id. Titles: the first non-empty <name> (else the id, a warning). Languages: every lang
attribute, in order of appearance. A launch path is relative to tincan.xml's folder, made
package-relative and %-encoded (query kept); an absolute URL stays. A missing launch file is a
warning; no launchable activity at all is a PackageError.

Activity data: {"activityType": type, "description": first description, "launchLang": lang}.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from coursehost.domain.courses.errors import PackageError
from coursehost.domain.courses.model import AGGREGATION, SCO, XAPI, Activity, CourseMetadata, ParsedCourse
from coursehost.domain.courses.packages.reader import PackageReader
from coursehost.domain.courses.packages.safexml import local, parse_xml

NS = "http://projecttincan.com/tincan.xsd"
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_PATH_SAFE = "/!$&'()*+,;=:@-._~%"


def parse_tincan(reader: PackageReader, tincan_path: str) -> ParsedCourse:
    """The course the tincan.xml at TINCAN_PATH (package-relative) describes."""
    return _TinCanParser(reader, tincan_path).parse()


class _TinCanParser:
    def __init__(self, reader: PackageReader, path: str):
        self.reader = reader
        self.path = path
        self.file = path.rsplit("/", 1)[-1]
        self.base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
        self.warnings: list[str] = []
        self.languages: list[str] = []

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def _lang(self, el: ET.Element) -> str | None:
        lang = (el.get("lang") or el.get(_XML_LANG) or "").strip() or None
        if lang and lang not in self.languages:
            self.languages.append(lang)
        return lang

    def _first(self, activity: ET.Element, name: str) -> tuple[str, str | None]:
        """(text, lang) of the first non-empty NAME child; every lang is recorded."""
        first: tuple[str, str | None] | None = None
        for el in activity:
            if isinstance(el.tag, str) and local(el.tag) == name:
                lang = self._lang(el)
                text = " ".join((el.text or "").split()) if name != "launch" else (el.text or "").strip()
                if text and first is None:
                    first = (text, lang)
        return first or ("", None)

    def parse(self) -> ParsedCourse:
        records = self._records(self._activities())
        course = next((r for r in records if r["type"] == COURSE_TYPE), records[0])
        if course["type"] != COURSE_TYPE:
            self.warn(f"{self.file}: no activity has the type {COURSE_TYPE}; the first activity "
                      f"('{course['id']}') was taken as the course")
        title = course["name"]
        if not title:
            self.warn(f"{self.file}: the course activity '{course['id']}' has no <name>; its id is used as the title")
            title = course["id"]
        root_activity = self._tree(records, course, title)
        extra: dict[str, Any] = {}
        if self.base:
            extra["tincanBase"] = self.base
        return ParsedCourse(
            learning_standard=XAPI, title=title, root=root_activity, warnings=self.warnings,
            languages=self.languages,
            metadata=CourseMetadata(title=title, title_language=course["name_lang"],
                                    description=course["description"] or None,
                                    description_language=course["description_lang"]),
            activity_id=course["id"], extra=extra,
        )

    def _activities(self) -> list[ET.Element]:
        """Every <activity> inside <activities> of the <tincan> root; PackageError when there is none."""
        root = parse_xml(self.reader.read(self.path), self.file)
        if not isinstance(root.tag, str) or local(root.tag) != "tincan":
            raise PackageError(f"{self.file}: the root element must be <tincan>, not "
                               f"<{local(root.tag) if isinstance(root.tag, str) else '?'}>")
        activities: list[ET.Element] = []
        for holder in root:
            if isinstance(holder.tag, str) and local(holder.tag) == "activities":
                activities.extend(a for a in holder if isinstance(a.tag, str) and local(a.tag) == "activity")
        if not activities:
            raise PackageError(f"{self.file} lists no <activity> inside <activities>; there is nothing to launch")
        return activities

    def _records(self, activities: list[ET.Element]) -> list[dict[str, Any]]:
        """One record per activity with a new id (id, type, name, description, launch and their langs)."""
        seen: set[str] = set()
        records: list[dict[str, Any]] = []
        for number, el in enumerate(activities, start=1):
            aid = (el.get("id") or "").strip()
            if not aid:
                self.warn(f"{self.file}: activity number {number} has no id; it was ignored")
                continue
            if aid in seen:
                self.warn(f"{self.file}: activity '{aid}' is listed twice; the second was ignored")
                continue
            seen.add(aid)
            name, name_lang = self._first(el, "name")
            description, description_lang = self._first(el, "description")
            launch, launch_lang = self._first(el, "launch")
            records.append({"id": aid, "type": (el.get("type") or "").strip() or None, "name": name,
                            "name_lang": name_lang, "description": description,
                            "description_lang": description_lang, "launch": launch,
                            "launch_lang": launch_lang})
        if not records:
            raise PackageError(f"{self.file}: no <activity> has an id; there is nothing to launch")
        return records

    def _tree(self, records: list[dict[str, Any]], course: dict[str, Any], title: str) -> Activity:
        """The course activity with one launchable child per activity that has a <launch>."""
        launchable = [r for r in records if r["launch"]]
        if not launchable:
            raise PackageError(f"{self.file}: no activity has a <launch> element; there is nothing to launch")
        root_activity = Activity(id=course["id"], title=title, activity_type=AGGREGATION)
        for rec in launchable:
            child_title = rec["name"] or (title if rec is course else "")
            if not child_title:
                self.warn(f"{self.file}: activity '{rec['id']}' has no <name>; its id is used as its title")
                child_title = rec["id"]
            root_activity.children.append(Activity(
                id=rec["id"], title=child_title, activity_type=SCO, href=self._href(rec),
                data={"activityType": rec["type"], "description": rec["description"] or None,
                      "launchLang": rec["launch_lang"]},
            ))
        return root_activity

    def _href(self, rec: dict[str, Any]) -> str:
        raw = rec["launch"].replace("\\", "/") if not _ABSOLUTE.match(rec["launch"]) else rec["launch"]
        if _ABSOLUTE.match(raw):
            return raw
        parts = urlsplit(raw)
        tail = ("?" + parts.query if parts.query else "") + ("#" + parts.fragment if parts.fragment else "")
        path = posixpath.normpath(self.base + unquote(parts.path).lstrip("/")) if parts.path else ""
        real = self.reader.resolve(path) if path and not path.startswith("..") else None
        if real is None:
            self.warn(f"{self.file}: activity '{rec['id']}' launches '{rec['launch']}', which is not in the "
                      "package; it will not play")
            return quote(path or raw, safe=_PATH_SAFE) + tail
        return quote(real, safe=_PATH_SAFE) + tail
