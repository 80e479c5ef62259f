"""AICC (CMI001 course structure files) -> ParsedCourse.

Public API:
    find_aicc_descriptor(reader) -> str | None     the .crs file (package root, else one folder down)
    parse_aicc(reader, crs_path) -> ParsedCourse

FILES (all beside the .crs, same base name, any case)
    .crs  INI: [Course] Course_Creator, Course_ID, Course_System, Course_Title, Level,
          Max_Fields_CST, Total_AUs, Total_Blocks, Version; [Course_Behavior] Max_Normal;
          [Course_Description] free text.                                           required
    .au   quoted CSV, header row: System_ID, Type, Command_Line, File_Name, Max_Score,
          Mastery_Score, Max_Time_Allowed, Time_Limit_Action, System_Vendor, Core_Vendor,
          Web_Launch, AU_Password (column order from the header, names any case).  required
    .des  System_ID, Developer_ID, Title, Description.                              required
    .cst  block, member, member, ...  ("root" is the course).                       required
    .ort  objectives relationships (course element, member, ...).                   optional
    .pre  structure_element, prerequisite.                                          optional
    .cmp  structure_element, requirement, status, ... (completion requirements: the element
          takes the status when the requirement holds; "root" or the Course_ID is the course). optional

Lenient where a player can still run the course: BOM, CRLF, blank lines, stray spaces, a
trailing empty column, a row with the wrong number of cells (a warning, the row is skipped), a
missing title (falls back to the system id, a warning), a missing launch file (a warning).
Strict (PackageError) where it cannot: a required file missing, an .au / .des / .cst without
its header, no AU at all.

TREE
    root (AGGREGATION, id = Course_ID or the .crs base name) -> blocks from .cst (AGGREGATION)
    -> AUs (SCO). An AU's href is its File_Name made package-relative (relative to the .crs
    folder, %-encoded, query kept) or the absolute URL as written; Web_Launch stays in
    data["web_launch"] (the player appends it). Mastery_Score -> data["mastery_score"] and
    scaled_passing_score (/100). AUs in the .au that .cst does not place are appended to the
    root with a warning; a .cst without a "root" row puts every AU under the root.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from coursehost.domain.courses import aicc_script
from coursehost.domain.courses.errors import PackageError
from coursehost.domain.courses.model import AGGREGATION, AICC, SCO, Activity, CourseMetadata, ParsedCourse
from coursehost.domain.courses.packages.reader import PackageReader

_PATH_SAFE = "/!$&'()*+,;=:@-._~%"
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_MAX_DEPTH = 64


def find_aicc_descriptor(reader: PackageReader) -> str | None:
    """The package's .crs file: at the root, else one folder down (first in name order)."""
    crs = [n for n in reader.names if n.casefold().endswith(".crs")]
    top = sorted(n for n in crs if "/" not in n)
    if top:
        return top[0]
    one_down = sorted(n for n in crs if n.count("/") == 1)
    return one_down[0] if one_down else None


def parse_aicc(reader: PackageReader, crs_path: str) -> ParsedCourse:
    """The course the .crs file at CRS_PATH and its .au, .des, .cst (.pre, .cmp, .ort) files describe."""
    return _AiccParser(reader, crs_path).parse()


# ---------------------------------------------------------------------------------- text helpers
def _decode(data: bytes) -> str:
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace").lstrip("\ufeff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _parse_ini(text: str) -> dict[str, Any]:
    """{section (lower): {key (lower): value}}; free-text sections ([Course_Description]) keep
    their raw lines under the key "" as well."""
    sections: dict[str, dict[str, str]] = {}
    raw: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1].strip().casefold()
            sections.setdefault(current, {})
            raw.setdefault(current, [])
            continue
        raw.setdefault(current, []).append(line.rstrip())
        if not stripped or stripped.startswith(";"):
            continue
        if "=" in stripped:
            key, _, value = stripped.partition("=")
            sections.setdefault(current, {})[key.strip().casefold()] = _unquote_value(value.strip())
    for name, lines in raw.items():
        sections.setdefault(name, {})[""] = "\n".join(lines).strip()
    return sections


def _unquote_value(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].strip()
    return value


# ---------------------------------------------------------------------------------- parser
class _AiccParser:
    def __init__(self, reader: PackageReader, crs_path: str):
        self.reader = reader
        self.crs_path = crs_path
        self.folder = crs_path.rsplit("/", 1)[0] + "/" if "/" in crs_path else ""
        self.stem = crs_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        self.crs_name = crs_path.rsplit("/", 1)[-1]
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    # ---------------------------------------------------------------- files
    def _find(self, ext: str) -> str | None:
        want = (self.folder + self.stem + ext).casefold()
        for name in self.reader.names:
            if name.casefold() == want:
                return name
        return None

    def _read_text(self, name: str) -> str:
        return _decode(self.reader.read(name))

    def _table(self, ext: str, required: bool, must_have: tuple[str, ...] = (),
               fixed_header: bool = True) -> tuple[str | None, list[str], list[list[str]]]:
        """(file name, header (lower), rows). Rows with the wrong cell count are skipped with a
        warning (unless fixed_header is False: .cst/.ort rows vary in length)."""
        name = self._find(ext)
        if name is None:
            if required:
                raise PackageError(
                    f"The AICC course {self.crs_name} needs a {self.stem}{ext} file beside it "
                    f"({_ROLE[ext]}), and the package has none"
                )
            return None, [], []
        short = name.rsplit("/", 1)[-1]
        rows = self._csv_rows(name, short)
        if not rows:
            if required:
                raise PackageError(f"{short} is empty; it must start with a header row")
            self.warn(f"{short} is empty; it was ignored")
            return name, [], []
        if not fixed_header and rows[0] and rows[0][0].casefold() == "root":
            self.warn(f"{short} has no header row; its first row was read as data")
            rows.insert(0, [])
        header = _header(short, rows[0], must_have)
        return name, header, self._body(short, header, rows[1:], fixed_header)

    def _csv_rows(self, name: str, short: str) -> list[list[str]]:
        """The file's rows, cells stripped, blank rows dropped."""
        try:
            rows = list(csv.reader(io.StringIO(self._read_text(name)), skipinitialspace=True))
        except csv.Error as exc:
            raise PackageError(f"{short} is not a readable comma-separated file: {exc}") from None
        rows = [[c.strip() for c in r] for r in rows]
        return [r for r in rows if any(c for c in r)]

    def _body(self, short: str, header: list[str], rows: list[list[str]], fixed_header: bool) -> list[list[str]]:
        """The data rows without trailing empty cells; with a fixed header, a row of another length is skipped."""
        body: list[list[str]] = []
        for number, row in enumerate(rows, start=2):
            if fixed_header:
                while len(row) > len(header) and not row[-1]:
                    row = row[:-1]
                if len(row) != len(header):
                    self.warn(f"{short}: row {number} has {len(row)} values where the header has "
                              f"{len(header)}; the row was skipped")
                    continue
            else:
                while row and not row[-1]:
                    row = row[:-1]
            body.append(row)
        return body

    # ---------------------------------------------------------------- main
    def parse(self) -> ParsedCourse:
        crs = _parse_ini(self._read_text(self.crs_path))
        course = crs.get("course", {})
        if "course" not in crs:
            self.warn(f"{self.crs_name} has no [Course] section")
        course_id = course.get("course_id", "").strip()
        title = self._course_title(course, course_id)
        description = crs.get("course_description", {}).get("", "").strip() or None

        _, au_header, au_rows = self._table(".au", True, ("system_id",))
        _, des_header, des_rows = self._table(".des", True, ("system_id",))
        _, cst_header, cst_rows = self._table(".cst", True, fixed_header=False)
        _, pre_header, pre_rows = self._table(".pre", False)
        _, cmp_header, cmp_rows = self._table(".cmp", False)
        _, ort_header, ort_rows = self._table(".ort", False, fixed_header=False)

        refs = _AuRefs(des=_descriptions(des_header, des_rows),
                       prerequisites=_prerequisites(pre_header, pre_rows, self.warn, f"{self.stem}.pre"),
                       completion=_completion(cmp_header, cmp_rows, self.warn, f"{self.stem}.cmp"))
        aus = self._aus(au_header, au_rows, refs)
        root = Activity(id=course_id or self.stem, title=title, activity_type=AGGREGATION)
        course_rows = refs.completion.get("root", []) + refs.completion.get(root.id.casefold(), [])
        if course_rows:  # the course's own completion requirements (.cmp "root" or its Course_ID)
            root.data["completion"] = course_rows
        self._place(root, cst_rows, aus, refs, _extra_columns(cst_header))
        declared = course.get("total_aus", "").strip()
        if declared.isdigit() and int(declared) != len(aus):
            self.warn(f"{self.crs_name}: Total_AUs says {declared} but {self.stem}.au lists {len(aus)}")
        return ParsedCourse(
            learning_standard=AICC, title=title, root=root, warnings=self.warnings,
            metadata=CourseMetadata(title=title, description=description),
            activity_id=course_id or None, extra=self._extra(crs, course, ort_header, ort_rows),
        )

    def _course_title(self, course: dict[str, str], course_id: str) -> str:
        """[Course] Course_Title, else the course id, else the .crs file's stem (with a warning)."""
        title = course.get("course_title", "").strip()
        if not title:
            title = course_id or self.stem
            self.warn(f"{self.crs_name}: [Course] has no Course_Title; the course is called '{title}'")
        return title

    def _aus(self, header: list[str], rows: list[list[str]], refs: _AuRefs) -> dict[str, Activity]:
        """{folded System_ID: AU activity} in .au order; empty and repeated System_IDs are skipped."""
        aus: dict[str, Activity] = {}
        for row in rows:
            rec = dict(zip(header, row))
            sid = rec["system_id"]
            if not sid:
                self.warn(f"{self.stem}.au: a row has an empty System_ID; it was skipped")
                continue
            if sid.casefold() in aus:
                self.warn(f"{self.stem}.au: System_ID '{sid}' is listed twice; the second row was skipped")
                continue
            aus[sid.casefold()] = self._au(sid, rec, refs)
        if not aus:
            raise PackageError(f"{self.stem}.au lists no assignable unit (AU); there is nothing to launch")
        return aus

    def _place(self, root: Activity, cst_rows: list[list[str]], aus: dict[str, Activity], refs: _AuRefs,
               cst_extra: frozenset[int] = frozenset()) -> None:
        """Build ROOT's tree from the .cst blocks; AUs the .cst does not place go at the end.
        CST_EXTRA: columns the header names as something other than a member (left out)."""
        blocks: dict[str, list[str]] = {}
        for row in cst_rows:
            if row and row[0]:
                members = blocks.setdefault(row[0].casefold(), [])
                members.extend(m for n, m in enumerate(row[1:], start=1) if m and n not in cst_extra
                               and m not in members)
        placed: set[str] = set()
        if "root" in blocks:
            root.children = self._members("root", blocks, aus, refs, placed, 0)
        else:
            self.warn(f"{self.stem}.cst has no 'root' row; every AU was placed directly under the course")
        for key, au in aus.items():
            if key not in placed:
                if "root" in blocks:
                    self.warn(f"{self.stem}.cst does not place AU '{au.id}'; it was added at the end "
                              "of the course")
                root.children.append(au)
        if not root.leaves():
            raise PackageError(f"No AU of the AICC course {self.crs_name} has a File_Name to launch")

    def _extra(self, crs: dict[str, dict[str, str]], course: dict[str, str], ort_header: list[str],
               ort_rows: list[list[str]]) -> dict[str, Any]:
        """What the player and the API keep from the .crs, the .ort and the package layout."""
        objectives = _objectives_relationships(ort_header, ort_rows)
        extra: dict[str, Any] = {"aicc": {
            "course_creator": course.get("course_creator"),
            "course_system": course.get("course_system"),
            "level": course.get("level"),
            "version": course.get("version"),
            "max_fields_cst": course.get("max_fields_cst"),
            "total_aus": course.get("total_aus"),
            "total_blocks": course.get("total_blocks"),
            "max_normal": crs.get("course_behavior", {}).get("max_normal"),
        }}
        if objectives:
            extra["aicc"]["objectives_relationships"] = objectives
        if self.folder:
            extra["aiccBase"] = self.folder
        return extra

    def _members(self, block: str, blocks: dict[str, list[str]], aus: dict[str, Activity], refs: _AuRefs,
                 placed: set[str], depth: int) -> list[Activity]:
        if depth > _MAX_DEPTH:
            raise PackageError(f"{self.stem}.cst nests blocks more than {_MAX_DEPTH} deep (or in a loop)")
        out: list[Activity] = []
        for member in blocks.get(block, []):
            key = member.casefold()
            if key in aus:
                if key in placed:
                    self.warn(f"{self.stem}.cst places AU '{member}' twice; only the first place is kept")
                    continue
                placed.add(key)
                out.append(aus[key])
            elif key in blocks:
                if key == block or key == "root":
                    self.warn(f"{self.stem}.cst: block '{member}' contains itself; ignored")
                    continue
                title = self._title(member, refs.des, "block")
                node = Activity(id=member, title=title, activity_type=AGGREGATION)
                if key in refs.prerequisites:
                    node.data["prerequisites"] = refs.prerequisites[key]
                if key in refs.completion:
                    node.data["completion"] = refs.completion[key]
                node.children = self._members(key, blocks, aus, refs, placed, depth + 1)
                out.append(node)
            else:
                self.warn(f"{self.stem}.cst: member '{member}' of block '{block}' is neither an AU in "
                          f"{self.stem}.au nor a block; ignored")
        return out

    def _title(self, sid: str, des: dict, what: str) -> str:
        rec = des.get(sid.casefold())
        title = (rec or {}).get("title", "").strip()
        if not title:
            self.warn(f"{self.stem}.des has no title for {what} '{sid}'; its System_ID is used instead")
            return sid
        return title

    def _au(self, sid: str, rec: dict[str, str], refs: _AuRefs) -> Activity:
        des = refs.des
        title = self._title(sid, des, "AU")
        file_name = rec.get("file_name", "").strip()
        href = self._href(sid, file_name) if file_name else None
        if not file_name:
            self.warn(f"{self.stem}.au: AU '{sid}' has no File_Name; it cannot be launched")
        mastery, scaled = self._mastery(sid, rec.get("mastery_score", "").strip())
        data: dict[str, Any] = {
            "file_name": file_name,
            "web_launch": rec.get("web_launch", "") or None,
            "mastery_score": mastery,
            "max_score": rec.get("max_score") or None,
            "max_time_allowed": rec.get("max_time_allowed") or None,
            "time_limit_action": rec.get("time_limit_action") or None,
            "system_vendor": rec.get("system_vendor") or None,
            "core_vendor": rec.get("core_vendor") or None,
            "type": rec.get("type") or None,
            "command_line": rec.get("command_line") or None,
            "au_password": rec.get("au_password") or None,
            "prerequisites": refs.prerequisites.get(sid.casefold()),
            "completion": refs.completion.get(sid.casefold()),
            "description": (des.get(sid.casefold()) or {}).get("description") or None,
            "developer_id": (des.get(sid.casefold()) or {}).get("developer_id") or None,
        }
        return Activity(id=sid, title=title, activity_type=SCO, href=href,
                        scaled_passing_score=scaled, data=data)

    def _mastery(self, sid: str, raw: str) -> tuple[float | int | None, float | None]:
        """(Mastery_Score as written, as a scaled passing score); (None, None) when absent or not 0..100."""
        if not raw:
            return None, None
        try:
            value = float(raw)
        except ValueError:
            value = None
        if value is None or not 0 <= value <= 100:
            self.warn(f"{self.stem}.au: AU '{sid}' has Mastery_Score '{raw}', not a number "
                      "from 0 to 100; it was ignored")
            return None, None
        return (int(value) if value.is_integer() else value), round(value / 100, 6)

    def _href(self, sid: str, file_name: str) -> str | None:
        raw = file_name.replace("\\", "/")
        if _ABSOLUTE.match(raw):
            if raw.split(":", 1)[0].casefold() not in ("http", "https"):
                self.warn(f"{self.stem}.au: AU '{sid}' has File_Name '{file_name}', a URL a browser "
                          "cannot open; it will not launch")
            return raw
        path, sep, rest = raw.partition("?")
        if not sep:
            path, sep, rest = raw.partition("#")
        tail = (sep + rest) if sep else ""
        real = None
        for base in ([self.folder, ""] if self.folder else [""]):
            joined = posixpath.normpath(base + path.lstrip("/")) if path else ""
            if joined and not joined.startswith(".."):
                real = self.reader.resolve(joined)
                if real:
                    break
        if real is None:
            self.warn(f"{self.stem}.au: AU '{sid}' launches '{file_name}', which is not in the package; "
                      "it will not play")
            clean = posixpath.normpath(self.folder + unquote(path).lstrip("/"))
            return quote(clean, safe=_PATH_SAFE) + tail
        return quote(real, safe=_PATH_SAFE) + tail


_ROLE = {".au": "the assignable units", ".des": "the titles", ".cst": "the course structure"}


@dataclass(frozen=True)
class _AuRefs:
    """What the .des, .pre and .cmp files say about AUs and blocks, by folded System_ID."""

    des: dict[str, dict[str, str]]
    prerequisites: dict[str, str]
    completion: dict[str, list[dict[str, str]]]


def _header(short: str, first: list[str], must_have: tuple[str, ...]) -> list[str]:
    """The header row's column names (lower case, trailing empty ones dropped); PackageError when
    a column in MUST_HAVE is missing."""
    header = [c.casefold() for c in first]
    while header and not header[-1]:
        header.pop()
    for col in must_have:
        if col not in header:
            raise PackageError(
                f"{short}: the header row has no {_display(col)} column "
                f"(it has: {', '.join(first) or 'nothing'})"
            )
    return header


def _descriptions(header: list[str], rows: list[list[str]]) -> dict[str, dict[str, str]]:
    """.des rows by folded System_ID (the first row wins)."""
    des: dict[str, dict[str, str]] = {}
    for row in rows:
        rec = dict(zip(header, row))
        des.setdefault(rec["system_id"].casefold(), rec)
    return des


def _prerequisites(header: list[str], rows: list[list[str]], warn: Callable[[str], None],
                   short: str) -> dict[str, str]:
    """.pre: {folded structure element: prerequisite expression (AICC script)}. The element is the
    first column, the expression the Prerequisite column, else the second one; several rows of one
    element must all hold (joined with &). An expression aicc_script cannot read is left out
    with a warning: the element then has no prerequisite from that row."""
    prerequisites: dict[str, str] = {}
    if not rows:
        return prerequisites
    pre_col = _first_col(header, ("prerequisite", "prerequisites"))
    at = header.index(pre_col) if pre_col else 1
    for row in rows:
        if len(row) <= at or not row[0] or not row[at]:
            continue
        key, expr = row[0].casefold(), row[at]
        problem = aicc_script.check(expr)
        if problem:
            warn(f"{short}: the prerequisite '{expr}' of '{row[0]}' cannot be read ({problem}); it was "
                 "ignored, so it does not hold anyone back")
            continue
        prerequisites[key] = f"({prerequisites[key]}) & ({expr})" if key in prerequisites else expr
    return prerequisites


def _completion(header: list[str], rows: list[list[str]], warn: Callable[[str], None],
                short: str) -> dict[str, list[dict[str, str]]]:
    """.cmp: {folded structure element: its completion requirement rows}. A row whose
    requirement aicc_script cannot read, or whose status is not a status word, is left out with a
    warning (the element's status then comes from its AUs alone)."""
    completion: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        rec = dict(zip(header, row))
        element = rec.pop("structure_element", row[0])
        requirement, status = rec.get("requirement", ""), rec.get("status", "")
        problem = aicc_script.check(requirement) or (
            None if not status or aicc_script.status_word(status) not in (None, "satisfied")
            else f"'{status}' is not a status")
        if problem:
            warn(f"{short}: the completion requirement '{requirement}' of '{element}' cannot be read "
                 f"({problem}); the row was ignored")
            continue
        completion.setdefault(element.casefold(), []).append(rec)
    return completion


# .cst / .ort header names: the course element, its members (CMI001), and the columns some
# packages add (e.g. an .ort with one objective per row).
_ELEMENT_COLUMNS = ("course_element", "structure_element", "block", "au_system_id", "system_id", "au")
_OBJECTIVE_COLUMNS = ("objective_id", "j_id", "objective")


def _extra_columns(header: list[str]) -> frozenset[int]:
    """Columns of a .cst after the first that its header names as something other than a member."""
    named = [i for i, h in enumerate(header) if i and h and h != "member"]
    return frozenset(named) if any(h == "member" for h in header) else frozenset()


def _objectives_relationships(header: list[str], rows: list[list[str]]) -> dict[str, list[str]]:
    """.ort: {course element (AU or block id): [objective ids]}. CMI001 writes one row per element
    (course_element, member, member, ...); a header naming an objective column and an element
    column (one relationship per row) is read by those columns."""
    out: dict[str, list[str]] = {}
    obj_col = _first_col(header, _OBJECTIVE_COLUMNS)
    el_col = _first_col([h for h in header if h != obj_col], _ELEMENT_COLUMNS)
    for row in rows:
        if obj_col and el_col:
            rec = dict(zip(header, row))
            element, members = rec.get(el_col, ""), [rec.get(obj_col, "")]
        elif row:
            element, members = row[0], row[1:]
        else:
            continue
        if element:
            known = out.setdefault(element, [])
            known.extend(m for m in members if m and m not in known)
    return out


def _display(col: str) -> str:
    return "_".join(p.capitalize() for p in col.split("_")) if col != "system_id" else "System_ID"


def _first_col(header: list[str], names: tuple[str, ...]) -> str | None:
    for n in names:
        if n in header:
            return n
    return None
