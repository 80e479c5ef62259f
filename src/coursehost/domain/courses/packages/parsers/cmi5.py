"""cmi5 (Quartz, 1st edition) cmi5.xml -> ParsedCourse.

Public API: parse_cmi5(reader, cmi5_path) -> ParsedCourse.

Follows section 13 "Course Structure Data Requirements" and section 14 "Course Package" of the
cmi5 specification, and rejects what the ADL CATAPULT LMS Test Suite's "Invalid Package Rejection
Verification" cases (201-207) expect an LMS to reject. Every rejection is a PackageError naming
cmi5.xml, the element and the clause:

    201  ids that are not IRIs (course, block, AU, objective)        3.0 (IRIs MUST be fully
         qualified, not IRI references), 13.1.1-13.1.4 (Data type: IRI)
    202  a relative AU url in a course structure without its package  14.2
    203  a relative AU url naming no file in the zip                    14.1 (media in the zip MUST be
         referenced by relative URLs; anything else MUST be fully qualified)
    204  an AU url whose query string uses a cmi5 launch parameter       8.1 ("the names MUST NOT
         name (endpoint, fetch, actor, registration, activityId)         collide with named parameters")
    205  duplicate block, AU or objective ids                           13.1.4 (id MUST be unique
                                                                        within the course structure)
    206  an AU url that is not a URL (RFC 1738: no spaces, no unsafe    13.1.4 url
         characters)
    207  a course structure that does not conform to the XSD            13.2 (MUST conform): wrong
         root element, missing or misplaced required elements,          element order, missing
         masteryScore not an xs:decimal in 0..1, moveOn / launchMethod  required attributes
         outside their enumerations

All leading/trailing whitespace is removed from every value (13.1). Elements and attributes of
other namespaces are vendor extensions (13.1.5) and are ignored. A cmi5.xml one folder down is
imported with a warning (14.1 wants it at the root).

TREE: the course (AGGREGATION, id = course id) -> blocks (AGGREGATION) -> AUs (SCO). An AU's
href is its url made package-relative and %-encoded (query string kept) or the fully qualified
URL as written. AU data: moveOn, masteryScore (float | None), launchMethod, launchParameters,
entitlementKey, activityType, url (as written), objectives (idrefs). scaled_passing_score =
masteryScore. Blocks carry data["objectives"] too.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from coursehost.domain.courses.errors import PackageError
from coursehost.domain.courses.model import AGGREGATION, CMI5, SCO, Activity, CourseMetadata, ParsedCourse
from coursehost.domain.courses.packages.reader import PackageReader
from coursehost.domain.courses.packages.safexml import local, namespace, parse_xml

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
# The Sandstone-era namespace, and none at all: accepted (authoring tools still write them).
_CMI5_NAMESPACES = {NS, "http://www.adlnet.gov/cmi5/CourseStructure.xsd", ""}

MOVE_ON = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")
LAUNCH_METHODS = ("AnyWindow", "OwnWindow")
# 8.1: the launch parameters the LMS appends; an AU url's own query must not use these names.
LAUNCH_PARAMETER_NAMES = ("endpoint", "fetch", "actor", "registration", "activityId")

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(.+)$", re.S)
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")  # xs:decimal: no exponent, no inf/nan
# RFC 3987 / RFC 1738: no whitespace, no controls, none of  < > " { } | \ ^ `
_NOT_IN_IRI = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f]")
_PATH_SAFE = "/!$&'()*+,;=:@-._~%"
_MAX_DEPTH = 64


def parse_cmi5(reader: PackageReader, cmi5_path: str) -> ParsedCourse:
    """The course the cmi5.xml at CMI5_PATH (package-relative) describes."""
    return _Cmi5Parser(reader, cmi5_path).parse()


def is_iri(value: str) -> bool:
    """A fully qualified IRI (scheme ':' something), without spaces or characters IRIs exclude."""
    match = _SCHEME.match(value)
    return bool(match) and not _NOT_IN_IRI.search(value) and match.group(2) not in ("", "//")


class _Cmi5Parser:
    def __init__(self, reader: PackageReader, cmi5_path: str):
        self.reader = reader
        self.path = cmi5_path
        self.file = "cmi5.xml"
        self.base = cmi5_path.rsplit("/", 1)[0] + "/" if "/" in cmi5_path else ""
        self.warnings: list[str] = []
        self.languages: list[str] = []
        self.activity_ids: dict[str, str] = {}  # id -> what ("the course", "block 'x'"...)
        self.objective_ids: set[str] = set()
        self.objective_refs: list[tuple[str, str]] = []
        self.au_count = 0
        # A zip holding nothing but the course structure is the "XML without a ZIP" case of 14.2.
        self.bare = all(n == cmi5_path for n in reader.names)

    # ------------------------------------------------------------------ helpers
    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def reject(self, message: str) -> PackageError:
        return PackageError(f"{self.file}: {message}")

    def _is_cmi5(self, el: ET.Element) -> bool:
        return isinstance(el.tag, str) and namespace(el.tag) in self._namespaces

    def _children(self, el: ET.Element) -> list[ET.Element]:
        """cmi5 child elements (vendor extensions of other namespaces left out, 13.1.5)."""
        return [c for c in el if self._is_cmi5(c)]

    def _expect(self, el: ET.Element, who: str, sequence: list[tuple[str, bool]],
                repeat_last: tuple[str, ...] = ()) -> dict[str, list[ET.Element]]:
        """Check EL's cmi5 children against an XSD sequence [(name, required)], then any number
        (at least one when given) of elements named in REPEAT_LAST. 13.2: MUST conform."""
        kids = self._children(el)
        found: dict[str, list[ET.Element]] = {name: [] for name, _ in sequence}
        for name in repeat_last:
            found[name] = []
        i = 0
        for name, required in sequence:
            if i < len(kids) and local(kids[i].tag) == name:
                found[name].append(kids[i])
                i += 1
            elif required:
                got = f"<{local(kids[i].tag)}>" if i < len(kids) else "nothing"
                raise self.reject(
                    f"{who} must have a <{name}> element at this place (found {got}); the course "
                    "structure does not conform to the cmi5 schema (cmi5 13.2)"
                )
        while i < len(kids) and local(kids[i].tag) in repeat_last:
            found[local(kids[i].tag)].append(kids[i])
            i += 1
        if i < len(kids):
            raise self.reject(
                f"{who} has an unexpected or misplaced <{local(kids[i].tag)}> element; the course "
                "structure does not conform to the cmi5 schema (cmi5 13.2)"
            )
        if repeat_last and not any(found[n] for n in repeat_last):
            raise self.reject(f"{who} contains no <au> or <block>; it must contain at least one (cmi5 13.2)")
        return found

    def _id(self, el: ET.Element, who: str, attr: str = "id") -> str:
        value = (el.get(attr) or "").strip()
        if not value:
            raise self.reject(f"{who} has no {attr} attribute; it is required (cmi5 13.1)")
        if not is_iri(value):
            raise self.reject(
                f"{who} has {attr} '{value}', which is not a fully qualified IRI such as "
                "'https://example.com/course/1' (cmi5 3.0 and 13.1)"
            )
        return value

    def _claim(self, value: str, who: str) -> None:
        if value in self.activity_ids:
            raise self.reject(
                f"{who} has id '{value}', already used by {self.activity_ids[value]}; ids MUST be "
                "unique within the course structure (cmi5 13.1.4)"
            )
        self.activity_ids[value] = who

    def _text(self, el: ET.Element | None) -> tuple[str, str | None]:
        """(text, lang) of a langstring list: the first non-empty langstring; ('', None) if none."""
        if el is None:
            return "", None
        first: tuple[str, str | None] | None = None
        for ls in el:
            if not (isinstance(ls.tag, str) and local(ls.tag) == "langstring" and self._is_cmi5(ls)):
                continue
            lang = (ls.get("lang") or ls.get("{http://www.w3.org/XML/1998/namespace}lang") or "").strip() or None
            if lang and lang not in self.languages:
                self.languages.append(lang)
            text = " ".join((ls.text or "").split())
            if text and first is None:
                first = (text, lang)
        return first or ("", None)

    def _objective_refs(self, el: ET.Element | None, who: str) -> list[str]:
        if el is None:
            return []
        refs = []
        for obj in self._children(el):
            if local(obj.tag) != "objective":
                raise self.reject(f"{who}: <objectives> may only hold <objective idref=...> elements (cmi5 13.2)")
            ref = (obj.get("idref") or "").strip()
            if ref:
                refs.append(ref)
                self.objective_refs.append((ref, who))
        return refs

    # ------------------------------------------------------------------ parse
    def parse(self) -> ParsedCourse:
        root = parse_xml(self.reader.read(self.path), self.file)
        if not isinstance(root.tag, str) or local(root.tag) != "courseStructure":
            raise self.reject(
                f"the root element is <{local(root.tag) if isinstance(root.tag, str) else '?'}>, "
                "not <courseStructure> (cmi5 13.2)"
            )
        ns = namespace(root.tag)
        if ns not in _CMI5_NAMESPACES:
            raise self.reject(f"<courseStructure> is in the namespace '{ns}', not the cmi5 one '{NS}' (cmi5 13.2)")
        self._namespaces = {ns}
        if ns != NS:
            self.warn(f"{self.file}: <courseStructure> does not use the cmi5 namespace {NS}; "
                      "it was read as cmi5 anyway")
        if self.base:
            self.warn(f"{self.file} is in the folder '{self.base}', not at the package root as cmi5 "
                      "14.1 requires; it was imported from there")

        top = self._expect(root, "<courseStructure>", [("course", True), ("objectives", False)],
                           repeat_last=("au", "block"))
        course_el = top["course"][0]
        course_id = self._id(course_el, "<course>")
        self._claim(course_id, "the course")
        parts = self._expect(course_el, "<course>", [("title", True), ("description", True)])
        title, title_lang = self._text(parts["title"][0])
        description, description_lang = self._text(parts["description"][0])
        if not title:
            self.warn(f"{self.file}: <course> has an empty <title>; the course id is used as its title")
            title = course_id

        objectives = self._objectives(top["objectives"][0] if top["objectives"] else None)

        course = Activity(id=course_id, title=title, activity_type=AGGREGATION)
        course.children = self._members(root, 0)
        for ref, who in self.objective_refs:
            if ref not in self.objective_ids:
                self.warn(f"{self.file}: {who} refers to objective '{ref}', which <objectives> does not define")

        extra: dict[str, Any] = {}
        if objectives:
            extra["objectives"] = objectives
        if self.base:
            extra["cmi5Base"] = self.base
        return ParsedCourse(
            learning_standard=CMI5, title=title, root=course, warnings=self.warnings,
            languages=self.languages,
            metadata=CourseMetadata(title=title, title_language=title_lang,
                                    description=description or None,
                                    description_language=description_lang if description else None),
            activity_id=course_id, extra=extra,
        )

    def _objectives(self, el: ET.Element | None) -> list[dict[str, Any]]:
        if el is None:
            return []
        out = []
        kids = self._children(el)
        if not kids:
            raise self.reject("<objectives> must hold at least one <objective> (cmi5 13.2)")
        for obj in kids:
            if local(obj.tag) != "objective":
                raise self.reject(f"<objectives> has an unexpected <{local(obj.tag)}> element (cmi5 13.2)")
            oid = self._id(obj, "an <objective>")
            who = f"objective '{oid}'"
            if oid in self.objective_ids:
                raise self.reject(f"objective id '{oid}' is used twice; ids MUST be unique (cmi5 13.1.3)")
            self.objective_ids.add(oid)
            parts = {local(c.tag): c for c in self._children(obj)}  # xs:all: any order
            for need in ("title", "description"):
                if need not in parts:
                    raise self.reject(f"{who} has no <{need}>; it is required (cmi5 13.1.3)")
            out.append({"id": oid, "title": self._text(parts["title"])[0] or oid,
                        "description": self._text(parts["description"])[0] or None})
        return out

    def _members(self, el: ET.Element, depth: int) -> list[Activity]:
        if depth > _MAX_DEPTH:
            raise self.reject(f"blocks are nested more than {_MAX_DEPTH} deep")
        out = []
        for child in self._children(el):
            name = local(child.tag)
            if name == "au":
                out.append(self._au(child))
            elif name == "block":
                out.append(self._block(child, depth))
        return out

    def _block(self, el: ET.Element, depth: int) -> Activity:
        bid = self._id(el, "a <block>")
        who = f"block '{bid}'"
        self._claim(bid, who)
        parts = self._expect(el, who, [("title", True), ("description", True), ("objectives", False)],
                             repeat_last=("au", "block"))
        title = self._title(parts, bid, who)
        node = Activity(id=bid, title=title, activity_type=AGGREGATION)
        refs = self._objective_refs(parts["objectives"][0] if parts["objectives"] else None, who)
        if refs:
            node.data["objectives"] = refs
        node.children = self._members(el, depth + 1)
        return node

    def _title(self, parts: dict[str, list[ET.Element]], ident: str, who: str) -> str:
        title, _ = self._text(parts["title"][0])
        self._text(parts["description"][0])  # languages
        if not title:
            self.warn(f"{self.file}: {who} has an empty <title>; its id is used as its title")
            return ident
        return title

    def _au(self, el: ET.Element) -> Activity:
        au_id = self._id(el, "an <au>")
        who = f"AU '{au_id}'"
        self._claim(au_id, who)
        self.au_count += 1
        parts = self._expect(el, who, [("title", True), ("description", True), ("objectives", False),
                                       ("url", True), ("launchParameters", False), ("entitlementKey", False)])
        title = self._title(parts, au_id, who)

        move_on = (el.get("moveOn") or "").strip() or "NotApplicable"
        if move_on not in MOVE_ON:
            raise self.reject(f"{who} has moveOn '{move_on}'; it must be one of {', '.join(MOVE_ON)} (cmi5 13.1.4)")
        launch_method = (el.get("launchMethod") or "").strip() or "AnyWindow"
        if launch_method not in LAUNCH_METHODS:
            raise self.reject(f"{who} has launchMethod '{launch_method}'; it must be AnyWindow or "
                              "OwnWindow (cmi5 13.1.4)")
        mastery = None
        raw_mastery = el.get("masteryScore")
        if raw_mastery is not None:
            raw_mastery = raw_mastery.strip()
            if not _DECIMAL.match(raw_mastery) or not 0 <= float(raw_mastery) <= 1:
                raise self.reject(f"{who} has masteryScore '{raw_mastery}'; it must be a decimal number "
                                  "from 0 to 1, such as 0.8 (cmi5 13.1.4)")
            mastery = float(raw_mastery)
        activity_type = (el.get("activityType") or "").strip() or None
        if activity_type and not is_iri(activity_type):
            self.warn(f"{self.file}: {who} has activityType '{activity_type}', which is not an IRI; "
                      "it was kept as written")

        url = (parts["url"][0].text or "").strip()
        href = self._href(url, who)
        launch_parameters = _text_of(parts["launchParameters"])
        entitlement_key = _text_of(parts["entitlementKey"])
        refs = self._objective_refs(parts["objectives"][0] if parts["objectives"] else None, who)
        data: dict[str, Any] = {
            "moveOn": move_on, "masteryScore": mastery, "launchMethod": launch_method,
            "launchParameters": launch_parameters, "entitlementKey": entitlement_key,
            "activityType": activity_type, "url": url,
        }
        if refs:
            data["objectives"] = refs
        return Activity(id=au_id, title=title, activity_type=SCO, href=href,
                        scaled_passing_score=mastery, data=data)

    def _href(self, url: str, who: str) -> str:
        if not url:
            raise self.reject(f"{who} has an empty <url>; every AU needs one (cmi5 13.1.4)")
        if _NOT_IN_IRI.search(url):
            raise self.reject(f"{who} has the url '{url}', which is not a valid URL (spaces and characters "
                              "such as < > \" { } | are not allowed; cmi5 13.1.4, RFC 1738)")
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise self.reject(f"{who} has the url '{url}', which is not a valid URL ({exc}; cmi5 13.1.4)") from None
        clashes = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)
                          if name in LAUNCH_PARAMETER_NAMES})
        if clashes:
            raise self.reject(
                f"{who} has the url '{url}', whose query string uses {', '.join(clashes)}: names the LMS "
                "adds when it launches the AU; they MUST NOT collide (cmi5 8.1)"
            )
        if _SCHEME.match(url) and not re.match(r"^[A-Za-z]:[\\/]", url):
            if parts.scheme.lower() in ("http", "https") and not parts.netloc:
                raise self.reject(f"{who} has the url '{url}', which names no host (cmi5 13.1.4)")
            return url
        if url.startswith("//"):
            raise self.reject(f"{who} has the url '{url}', which is neither relative nor fully qualified "
                              "(it has no scheme); give https://... (cmi5 14.1)")
        # A relative url: it must name a file of the zip (14.1); without a zip it is wrong (14.2).
        path = posixpath.normpath(self.base + unquote(parts.path).lstrip("/")) if parts.path else ""
        real = self.reader.resolve(path) if path and not path.startswith("..") else None
        if real is None or real == self.path:
            if self.bare:
                raise self.reject(
                    f"{who} has the relative url '{url}', but the course structure came without its "
                    "content; without a zip package every url MUST be fully qualified (cmi5 14.2)"
                )
            raise self.reject(
                f"{who} has the relative url '{url}', but the package holds no such file; media in the "
                "zip MUST be referenced by relative URLs and anything else by fully qualified URLs (cmi5 14.1)"
            )
        href = quote(real, safe=_PATH_SAFE)
        if parts.query:
            href += "?" + parts.query
        if parts.fragment:
            href += "#" + parts.fragment
        return href


def _text_of(elements: list[ET.Element]) -> str | None:
    if not elements:
        return None
    text = (elements[0].text or "").strip()
    return text or None
