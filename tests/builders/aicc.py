"""Small AICC (CMI001) packages built in code, for parser tests.

    aicc_files(title="Course", aus=[AU("A1", "Lesson 1", "a1.html", mastery=80)])  -> {name: bytes}
    aicc_zip(...)                                                                  -> zip bytes

Blocks: blocks={"B1": ("Block 1", ["A1", "A2"])} and root_members=["B1", "A3"] (default: every
block, then every AU not in a block). Each AU's launch file is added as a small HTML page unless
listed in omit_files or absolute. `stem` names the five files (course.crs, course.au, ...),
`folder` puts them one folder down, `drop` removes generated files (".des"), and `replace`
replaces a generated file's text (".au": "...").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

try:
    from tests.builders import zip_bytes  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - the package init may not define it
    import zipfile

    def zip_bytes(files: dict[str, bytes | str]) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, content in files.items():
                zf.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
        return buf.getvalue()

PAGE = b"<!DOCTYPE html><html><head><title>au</title></head><body>AU</body></html>"
AU_HEADER = ["System_ID", "Type", "Command_Line", "File_Name", "Max_Score", "Mastery_Score",
             "Max_Time_Allowed", "Time_Limit_Action", "System_Vendor", "Core_Vendor", "Web_Launch",
             "AU_Password"]


@dataclass
class AU:
    id: str
    title: str | None
    file_name: str
    mastery: int | str | None = None
    web_launch: str = ""
    max_time: str = ""
    time_limit_action: str = ""
    core_vendor: str = ""
    description: str = ""


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """Rows as AICC writes them: every value quoted, CRLF line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for row in rows:
        writer.writerow(list(row))
    return buf.getvalue()


def aicc_files(title: str | None = "AICC Course", course_id: str = "COURSE1",
               aus: Sequence[AU] = (AU("A1", "Lesson 1", "a1.html"),),
               blocks: dict[str, tuple[str | None, list[str]]] | None = None,
               root_members: list[str] | None = None, description: str = "A course.",
               stem: str = "course", folder: str = "", omit_files: Iterable[str] = (),
               drop: Iterable[str] = (), replace: dict[str, str | bytes] | None = None,
               pre: list[tuple[str, str]] | None = None,
               cmp: list[tuple[str, str, str, str]] | None = None) -> dict[str, bytes]:
    blocks = blocks or {}
    title_line = f"Course_Title={title}\r\n" if title is not None else ""
    crs = (
        "[Course]\r\nCourse_Creator=Tests\r\n"
        f"Course_ID={course_id}\r\nCourse_System=Coursehost\r\n{title_line}Level=1\r\n"
        f"Max_Fields_CST={max([2] + [len(m) + 1 for _, m in blocks.values()])}\r\n"
        f"Total_AUs={len(aus)}\r\nTotal_Blocks={len(blocks)}\r\nVersion=3.4\r\n"
        "[Course_Behavior]\r\nMax_Normal=99\r\n"
        f"[Course_Description]\r\n{description}\r\n"
    )
    au_rows = [AU_HEADER] + [
        [a.id, "", "", a.file_name, "100", "" if a.mastery is None else str(a.mastery), a.max_time,
         a.time_limit_action, "Vendor", a.core_vendor, a.web_launch, ""] for a in aus
    ]
    des_rows = [["System_ID", "Developer_ID", "Title", "Description"]]
    des_rows += [[a.id, f"dev-{a.id}", a.title or "", a.description] for a in aus]
    des_rows += [[bid, f"dev-{bid}", btitle or "", ""] for bid, (btitle, _) in blocks.items()]
    in_blocks = {m for _, members in blocks.values() for m in members}
    if root_members is None:
        root_members = list(blocks) + [a.id for a in aus if a.id not in in_blocks]
    cst_rows = [["block", "member"], ["root", *root_members]]
    cst_rows += [[bid, *members] for bid, (_, members) in blocks.items()]
    files: dict[str, str | bytes] = {
        ".crs": crs, ".au": csv_text(au_rows), ".des": csv_text(des_rows), ".cst": csv_text(cst_rows),
    }
    if pre:
        files[".pre"] = csv_text([["structure_element", "prerequisite"], *pre])
    if cmp:
        files[".cmp"] = csv_text([["structure_element", "status", "requirement", "next_status"], *cmp])
    for ext in drop:
        files.pop(ext, None)
    files.update(replace or {})
    out = {f"{folder}{stem}{ext}": (v.encode("utf-8") if isinstance(v, str) else v) for ext, v in files.items()}
    omit = set(omit_files)
    for a in aus:
        path = a.file_name.split("?", 1)[0]
        if "://" not in path and path and path not in omit:
            out[folder + path] = PAGE
    return out


def aicc_zip(**kwargs) -> bytes:
    return zip_bytes(aicc_files(**kwargs))
