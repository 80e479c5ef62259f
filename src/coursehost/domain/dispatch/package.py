"""Dispatch shell packages (GetDispatchZip, GetDestinationDispatchZip): a small course another LMS
imports; each of its SCOs is a page running our shell.js, which opens the dispatched course on our
content origin and reports its results through the LMS's own run-time API.

    data = dispatch_zip(session, box=..., content_url=..., dispatches=[d], kind="SCORM_12", css_url=None)

Each SCO page carries its dispatch's key and a signature (HMAC-SHA256 under the dispatch's secret) of
the key, the run-time family the LMS speaks and the css URL; the secret never leaves us. The launch
endpoint (player/dispatch.py) checks the signature with `check_signature`.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import Course
from coursehost.db.models.dispatch import Dispatch
from coursehost.domain.crypto import SecretBox
from coursehost.domain.dispatch.destinations import get_destination
from coursehost.domain.errors import InvalidInput
from coursehost.domain.registrations.launch_links import check_url
from coursehost.domain.tags import keys_with_any_tag

SHELL_JS = Path(__file__).resolve().parents[2] / "static" / "dispatch" / "shell.js"
#: the package type (the API's `type`) -> the run-time family the shell speaks to the LMS (access.VIAS)
KINDS = {"SCORM_12": "scorm12", "SCORM_2004_3RD": "scorm2004", "AICC": "aicc"}
DEFAULT_KIND = "SCORM_12"
TAG_KIND = "dispatch"  # tags of dispatches live in the one tag table under this kind, keyed by dispatch id


@dataclass(frozen=True)
class ShellSco:
    """One SCO of a shell package: one dispatch's page."""

    ident: str  # identifier in the manifest / AU system id
    title: str
    page: str  # file name of its HTML page in the zip
    html: str


def check_kind(kind: str | None) -> str:
    """The package type asked for (SCORM_12 when not given), or InvalidInput naming the field."""
    value = (kind or DEFAULT_KIND).strip().upper()
    if value not in KINDS:
        raise InvalidInput(f"type must be one of {', '.join(KINDS)}: [{kind}]")
    return value


def signature(secret: str, *, dispatch_key: str, via: str, css_url: str | None) -> str:
    """What a shell page proves it was made by us with: HMAC-SHA256 of (key, family, css URL)."""
    message = "\n".join(("coursehost-dispatch-shell", dispatch_key, via, css_url or ""))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def check_signature(box: SecretBox, dispatch: Dispatch, *, via: str, css_url: str | None, sig: str | None) -> bool:
    """Whether SIG is the signature of DISPATCH's shell for VIA and CSS_URL (constant time)."""
    if via not in KINDS.values() or not sig:
        return False
    expected = signature(box.decrypt(dispatch.secret), dispatch_key=dispatch.dispatch_key, via=via, css_url=css_url)
    return hmac.compare_digest(expected, sig)


def shell_page(*, title: str, config: dict) -> str:
    """One SCO's HTML: the shell's config as JSON (no "<" can end its element) and shell.js."""
    data = json.dumps(config, separators=(",", ":")).replace("<", "\\u003c")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n"
            "<style>html,body{margin:0;height:100%;overflow:hidden}"
            "iframe{border:0;width:100%;height:100%;display:block}"
            "#coursehost-status{font:16px sans-serif;margin:1em}</style>\n"
            f"<script type=\"application/json\" id=\"coursehost-dispatch\">{data}</script>\n"
            "<script src=\"shell.js\"></script>\n</head>\n<body>\n"
            "<p id=\"coursehost-status\" role=\"status\">Loading the course…</p>\n</body>\n</html>\n")


def shell_scos(session: Session, *, box: SecretBox, content_url: str, dispatches: list[Dispatch], kind: str,
               css_url: str | None) -> list[ShellSco]:
    """The SCOs of a package for DISPATCHES (one each, in order)."""
    via = KINDS[kind]
    titles = dict(session.execute(select(Course.pk, Course.title).where(
        Course.pk.in_([d.course_pk for d in dispatches]))).all())
    out = []
    for n, dispatch in enumerate(dispatches, start=1):
        title = (titles.get(dispatch.course_pk) or dispatch.course_id).strip() or dispatch.course_id
        config = {"dispatchKey": dispatch.dispatch_key, "contentUrl": content_url.rstrip("/"), "via": via,
                  "sig": signature(box.decrypt(dispatch.secret), dispatch_key=dispatch.dispatch_key, via=via,
                                   css_url=css_url)}
        if css_url:
            config["cssUrl"] = css_url
        page = "index.html" if len(dispatches) == 1 else f"dispatch{n}.html"
        out.append(ShellSco(ident=f"DISPATCH{n}", title=title[:200], page=page, html=shell_page(title=title, config=config)))
    return out


def scorm12_manifest(title: str, scos: list[ShellSco]) -> str:
    """imsmanifest.xml of a SCORM 1.2 package (CAM 1.2 §2.3), one item and resource per SCO."""
    items = "".join(f"      <item identifier=\"ITEM-{s.ident}\" identifierref=\"RES-{s.ident}\">"
                    f"<title>{escape(s.title)}</title></item>\n" for s in scos)
    resources = "".join(f"    <resource identifier=\"RES-{s.ident}\" type=\"webcontent\" adlcp:scormtype=\"sco\" "
                        f"href={quoteattr(s.page)}><file href={quoteattr(s.page)}/><file href=\"shell.js\"/></resource>\n"
                        for s in scos)
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<manifest identifier=\"coursehost-dispatch\" version=\"1.0\" "
            "xmlns=\"http://www.imsproject.org/xsd/imscp_rootv1p1p2\" "
            "xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\" "
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
            "  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>\n"
            "  <organizations default=\"ORG\">\n    <organization identifier=\"ORG\">\n"
            f"      <title>{escape(title)}</title>\n{items}    </organization>\n  </organizations>\n"
            f"  <resources>\n{resources}  </resources>\n</manifest>\n")


def scorm2004_manifest(title: str, scos: list[ShellSco]) -> str:
    """imsmanifest.xml of a SCORM 2004 3rd Edition package (CAM 3rd Ed. §3.4)."""
    items = "".join(f"      <item identifier=\"ITEM-{s.ident}\" identifierref=\"RES-{s.ident}\">"
                    f"<title>{escape(s.title)}</title></item>\n" for s in scos)
    resources = "".join(f"    <resource identifier=\"RES-{s.ident}\" type=\"webcontent\" adlcp:scormType=\"sco\" "
                        f"href={quoteattr(s.page)}><file href={quoteattr(s.page)}/><file href=\"shell.js\"/></resource>\n"
                        for s in scos)
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<manifest identifier=\"coursehost-dispatch\" version=\"1.0\" "
            "xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\" "
            "xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_v1p3\" "
            "xmlns:adlseq=\"http://www.adlnet.org/xsd/adlseq_v1p3\" "
            "xmlns:adlnav=\"http://www.adlnet.org/xsd/adlnav_v1p3\" "
            "xmlns:imsss=\"http://www.imsglobal.org/xsd/imsss\" "
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
            "  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>\n"
            "  <organizations default=\"ORG\">\n    <organization identifier=\"ORG\">\n"
            f"      <title>{escape(title)}</title>\n{items}    </organization>\n  </organizations>\n"
            f"  <resources>\n{resources}  </resources>\n</manifest>\n")


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def aicc_files(title: str, scos: list[ShellSco]) -> dict[str, str]:
    """The AICC CMI001 descriptor files (.crs, .au, .des, .cst) of a course of one AU per SCO."""
    clean = title.replace("\r", " ").replace("\n", " ")
    crs = ("[Course]\r\nCourse_Creator=Coursehost\r\nCourse_ID=COURSEHOST_DISPATCH\r\nCourse_System=Coursehost\r\n"
           f"Course_Title={clean}\r\nLevel=1\r\nMax_Fields_CST=2\r\nTotal_AUs={len(scos)}\r\nTotal_Blocks=0\r\n"
           "Version=3.4\r\n[Course_Behavior]\r\nMax_Normal=99\r\n[Course_Description]\r\n"
           f"{clean}\r\n")
    au = [["System_ID", "Type", "Command_Line", "File_Name", "Max_Score", "Mastery_Score", "Max_Time_Allowed",
           "Time_Limit_Action", "System_Vendor", "Core_Vendor", "Web_Launch", "AU_Password"]]
    au += [[s.ident, "", "", s.page, "100", "", "", "", "Coursehost", "", "", ""] for s in scos]
    des = [["System_ID", "Developer_ID", "Title", "Description"]]
    des += [[s.ident, s.ident, s.title, ""] for s in scos]
    cst = [["block", "member"], ["root", *[s.ident for s in scos]]]
    return {"course.crs": crs, "course.au": _csv(au), "course.des": _csv(des), "course.cst": _csv(cst)}


def destination_dispatches(session: Session, *, application_pk: int, destination_id: str,
                           tags: list[str] | None = None) -> list[Dispatch]:
    """The dispatches of the application's destination DESTINATION_ID (those with any of TAGS when
    given), oldest first; NotFound for an unknown destination."""
    destination = get_destination(session, application_pk=application_pk, destination_id=destination_id)
    stmt = select(Dispatch).where(Dispatch.destination_pk == destination.pk)
    if tags:
        stmt = stmt.where(Dispatch.dispatch_id.in_(keys_with_any_tag(application_pk, TAG_KIND, tags)))
    return list(session.scalars(stmt.order_by(Dispatch.created, Dispatch.pk)))


def dispatch_zip(session: Session, *, box: SecretBox, content_url: str, dispatches: list[Dispatch],
                 kind: str | None = None, css_url: str | None = None, title: str | None = None) -> bytes:
    """The shell package of DISPATCHES (one SCO each) as zip bytes; KIND is the API's `type`."""
    kind = check_kind(kind)
    css = check_url(css_url, "cssUrl")
    if not dispatches:
        raise InvalidInput("There is no dispatch to put in the package.")
    scos = shell_scos(session, box=box, content_url=content_url, dispatches=dispatches, kind=kind, css_url=css)
    name = title or (scos[0].title if len(scos) == 1 else "Dispatched courses")
    files: dict[str, str | bytes] = {s.page: s.html for s in scos}
    files["shell.js"] = SHELL_JS.read_bytes()
    if kind == "AICC":
        files.update(aicc_files(name, scos))
    else:
        files["imsmanifest.xml"] = (scorm12_manifest if kind == "SCORM_12" else scorm2004_manifest)(name, scos)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, content in files.items():
            zf.writestr(path, content.encode("utf-8") if isinstance(content, str) else content)
    return buf.getvalue()
