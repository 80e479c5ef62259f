"""A single PDF, MP4 or MP3 becomes a one-AU cmi5 course played through a viewer page we write.

Public API:
    detect_media(head, filename, declared_type) -> "application/pdf" | "video/mp4" | "audio/mpeg" | None
    build_media_course(*, media_href, media_type, title, description=None, language=None,
                       filename=None) -> (ParsedCourse, {"index.html": bytes})

The viewer page (index.html) names the media file and carries a fallback that works without
script (a link to the PDF; <video controls> / <audio controls>); the viewer itself is the shared
script VIEWER_SCRIPT on the content origin (static/player/media-viewer.js): pdf.js renders the PDF's
pages (pages seen are tracked), HTML5 players track the time actually played (seeking ahead does not
count), and it is the cmi5 AU (fetch, LMS.LaunchData, initialized, progressed, completed and passed
by the completion rule, terminated; the position kept in the State resource for the next launch).
The completion rule comes from the settings MEDIA_SETTINGS at each launch, as launchParameters
(launch_parameters; domain/cmi5/launch.py writes them into LMS.LaunchData of AUs marked "media").

Every inserted value is escaped: html.escape for markup, JSON with <, >, & and the JS line
separators escaped for the script.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any
from urllib.parse import quote, urlsplit

from coursehost.domain.courses.errors import PackageError
from coursehost.domain.courses.model import AGGREGATION, CMI5, SCO, Activity, CourseMetadata, ParsedCourse

PDF, MP4, MP3 = "application/pdf", "video/mp4", "audio/mpeg"
MEDIA_TYPES = (PDF, MP4, MP3)
VIEWER = "index.html"
# The viewer's script and style, shared by every media course, on the content origin (static/player/).
VIEWER_SCRIPT = "/static/player/media-viewer.js"
VIEWER_STYLE = "/static/player/media-viewer.css"
KINDS = {PDF: "pdf", MP4: "video", MP3: "audio"}
# The settings a media AU's completion rule comes from (launch_parameters), read at each launch.
MEDIA_SETTINGS = ("MediaPdfCompletionRule", "MediaPercentRequired")
_EXT = {".pdf": PDF, ".mp4": MP4, ".m4v": MP4, ".mp3": MP3}
_ACTIVITY_TYPE = {PDF: "http://adlnet.gov/expapi/activities/file",
                  MP4: "https://w3id.org/xapi/video/activity-type/video",
                  MP3: "http://adlnet.gov/expapi/activities/media"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def detect_media(head: bytes, filename: str | None, declared_type: str | None) -> str | None:
    """The media type of a file starting with HEAD (its first bytes; 64 suffice) when it is a PDF,
    an MP4 or an MP3, else None. The content decides; the name and declared type only allow a
    slightly later signature (a PDF with junk before %PDF-, an MP3 with junk before its first
    frame); they never make a file media on their own."""
    head = head or b""
    if head.startswith(b"%PDF-"):
        return PDF
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return MP4
    if head.startswith(b"ID3") or _mpeg_frame(head, 0):
        return MP3
    hint = _hint(filename, declared_type)
    if hint == PDF and b"%PDF-" in head[:1024]:
        return PDF
    if hint == MP3 and any(_mpeg_frame(head, i) for i in range(min(len(head) - 3, 1024))):
        return MP3
    return None


def _mpeg_frame(head: bytes, i: int) -> bool:
    """An MPEG audio frame header at I: 11 sync bits, a defined version, layer I-III, a bitrate
    index other than 'bad' and a defined sample rate (ADTS AAC, layer 00, is excluded)."""
    if len(head) < i + 4 or head[i] != 0xFF or head[i + 1] & 0xE0 != 0xE0:
        return False
    version = (head[i + 1] >> 3) & 0x03
    layer = (head[i + 1] >> 1) & 0x03
    bitrate = head[i + 2] >> 4
    rate = (head[i + 2] >> 2) & 0x03
    return version != 1 and layer != 0 and bitrate != 0x0F and rate != 0x03


def _hint(filename: str | None, declared_type: str | None) -> str | None:
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    if declared in ("audio/mp3", "audio/mpeg3", "audio/x-mp3"):
        declared = MP3
    if declared in MEDIA_TYPES:
        return declared
    name = (filename or "").lower()
    for ext, media_type in _EXT.items():
        if name.endswith(ext):
            return media_type
    return None


def build_media_course(*, media_href: str, media_type: str, title: str | None,
                       description: str | None = None, language: str | None = None,
                       filename: str | None = None,
                       course_id: str | None = None) -> tuple[ParsedCourse, dict[str, bytes]]:
    """The cmi5 course for one media file and the viewer page to store beside it.

    media_href: the media file's name in the course's folder ("lecture.mp4", %-encoded here) or
    an absolute http(s) URL for remote media. course_id: the course IRI (default: a new urn:uuid).
    """
    if media_type not in MEDIA_TYPES:
        raise PackageError(f"A media course must be a PDF, an MP4 or an MP3, not '{media_type}'")
    src = _media_src(media_href)
    name = (filename or media_href.rsplit("/", 1)[-1].split("?", 1)[0] or "").strip()
    course_title = " ".join((title or "").split()) or name or "Media"
    description = (description or "").strip() or None
    language = (language or "").strip() or None
    course_id = course_id or f"urn:uuid:{uuid.uuid4()}"
    au_id = f"urn:uuid:{uuid.uuid4()}"
    au = Activity(
        id=au_id, title=course_title, activity_type=SCO, href=VIEWER,
        data={"moveOn": "Completed", "masteryScore": None, "launchMethod": "AnyWindow",
              "launchParameters": None, "entitlementKey": None,
              "activityType": _ACTIVITY_TYPE[media_type], "url": VIEWER, "media": KINDS[media_type]},
    )
    root = Activity(id=course_id, title=course_title, activity_type=AGGREGATION, children=[au])
    parsed = ParsedCourse(
        learning_standard=CMI5, title=course_title, root=root,
        languages=[language] if language else [],
        metadata=CourseMetadata(title=course_title, title_language=language, description=description,
                                description_language=language if description else None),
        activity_id=course_id,
        extra={"mediaType": media_type, "mediaHref": media_href},
    )
    page = viewer_page(src=src, media_type=media_type, title=course_title, description=description,
                       language=language, filename=name or None)
    return parsed, {VIEWER: page}


def _media_src(media_href: str) -> str:
    href = (media_href or "").strip()
    if not href:
        raise PackageError("A media course needs the media file's name or URL")
    if _SCHEME.match(href):
        parts = urlsplit(href)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise PackageError(f"A media URL must start with http:// or https:// (got '{href}')")
        return href
    if href.startswith("//") or ".." in href.split("/"):
        raise PackageError(f"'{href}' is not a file name inside the course")
    return quote(href.lstrip("/"), safe="/")


def _js(value: Any) -> str:
    """VALUE as a JSON literal safe inside <script> (no </script>, <!--, or JS line separators)."""
    return (json.dumps(value, ensure_ascii=False)
            .replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def launch_parameters(kind: str | None, settings: dict[str, str]) -> str | None:
    """The LaunchData launchParameters (cmi5 §10) of a media AU of KIND ("pdf", "video", "audio"):
    its completion rule from the effective SETTINGS (MEDIA_SETTINGS), as the JSON text the viewer
    reads; None for an AU that is not one of our media viewers."""
    if kind not in KINDS.values():
        return None
    try:
        percent = min(100, max(1, int(settings.get("MediaPercentRequired") or 90)))
    except ValueError:
        percent = 90
    rule = "PERCENT"
    if kind == "pdf" and (settings.get("MediaPdfCompletionRule") or "ALL_PAGES_SEEN") == "ALL_PAGES_SEEN":
        rule, percent = "ALL", 100
    return json.dumps({"coursehostMedia": 1, "kind": kind, "rule": rule, "percentRequired": percent},
                      separators=(",", ":"))


def viewer_page(*, src: str, media_type: str, title: str, description: str | None = None,
                language: str | None = None, filename: str | None = None) -> bytes:
    """The viewer HTML (UTF-8). SRC must already be URL-encoded; everything is escaped here.

    The page holds the media's address, its title and a fallback that works without script; the
    viewer itself (pdf.js rendering, players, tracking, the cmi5 AU) is the shared script
    VIEWER_SCRIPT on the content origin, so a fix there reaches every course imported before."""
    e = html.escape
    kind = KINDS[media_type]
    if media_type == PDF:
        player = (f'<div id="media" class="pdf-fallback"><p><a href="{e(src)}" target="_blank" rel="noopener">'
                  f'Open {e(filename or "the PDF")}</a></p></div>')
    elif media_type == MP4:
        player = (f'<video id="media" controls preload="metadata" playsinline src="{e(src)}">'
                  f'<a href="{e(src)}">Download the video</a></video>')
    else:
        player = (f'<audio id="media" controls preload="metadata" src="{e(src)}">'
                  f'<a href="{e(src)}">Download the audio</a></audio>')
    lang_attr = f' lang="{e(language)}"' if language else ""
    desc = f'<p class="description">{e(description)}</p>\n' if description else ""
    config = _js({"kind": kind, "src": src, "title": title, "filename": filename})
    page = (_TEMPLATE.replace("{LANG}", lang_attr).replace("{TITLE}", e(title)).replace("{KIND}", kind)
            .replace("{DESCRIPTION}", desc).replace("{PLAYER}", player).replace("{CONFIG}", config)
            .replace("{SCRIPT}", VIEWER_SCRIPT).replace("{STYLE}", VIEWER_STYLE))
    return page.encode("utf-8")


_TEMPLATE = """<!DOCTYPE html>
<html{LANG}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{TITLE}</title>
<link rel="stylesheet" href="{STYLE}">
<script type="application/json" id="media-config">{CONFIG}</script>
<script type="module" src="{SCRIPT}"></script>
</head>
<body>
<main class="media-viewer" data-kind="{KIND}">
<header>
<h1>{TITLE}</h1>
{DESCRIPTION}</header>
{PLAYER}
<p class="status" id="status" role="status" aria-live="polite"></p>
</main>
</body>
</html>
"""
