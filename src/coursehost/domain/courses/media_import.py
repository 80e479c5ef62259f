"""A lone PDF, MP4 or MP3 (uploaded, fetched, or referenced by URL) becomes a cmi5 course."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from coursehost.domain.courses.errors import PackageError
from coursehost.domain.courses.model import ParsedCourse

_EXT = {"application/pdf": ".pdf", "video/mp4": ".mp4", "audio/mpeg": ".mp3"}
_BY_EXT = {v: k for k, v in _EXT.items()}


def detect(local: Path, filename: str | None, content_type: str | None) -> str | None:
    """The media type of the local file when it is a PDF, MP4 or MP3, else None (a zip, say)."""
    with open(local, "rb") as fh:
        head = fh.read(64)
    if head.startswith(b"PK"):
        return None
    from coursehost.domain.courses.importer.media import detect_media

    return detect_media(head, filename, content_type)


def media_course(snap, env, prefix: str, local: Path, media_type: str, filename: str | None):
    """Store the media file and our viewer page; the parsed course and {path: size}."""
    from coursehost.domain.courses.importer.media import build_media_course
    from coursehost.domain.courses.importing import safe_filename

    name = safe_filename(filename, "media" + _EXT[media_type])
    if not name.lower().endswith(_EXT[media_type]):
        name += _EXT[media_type]
    if name.lower() == "index.html":
        name = "media" + _EXT[media_type]
    meta = snap.media_metadata or {}
    parsed, pages = build_media_course(
        media_href=name, media_type=media_type, title=meta.get("title") or _title_from(name),
        description=meta.get("description"), language=meta.get("contentLanguage"), filename=name,
    )
    files = {}
    with open(local, "rb") as fh:
        files[name] = env.store.put(prefix + name, fh, media_type)
    for path, data in pages.items():
        files[path] = env.store.put(prefix + path, data, "text/html; charset=utf-8")
    return parsed, files


def reference_course(snap, env, prefix: str) -> tuple[ParsedCourse, dict[str, int]]:
    """CreateNoUploadAndImportCourseJob: the media stays at its URL; we store only the viewer."""
    from coursehost.domain.courses.importer.media import build_media_course

    url = snap.source_url
    media_type = snap.content_type or _BY_EXT.get(Path(urlsplit(url).path).suffix.lower())
    if media_type not in _EXT:
        raise PackageError(
            "A media file reference must be a PDF, MP4 or MP3: give contentType application/pdf, "
            "video/mp4 or audio/mpeg, or a URL ending in .pdf, .mp4 or .mp3"
        )
    meta = snap.media_metadata or {}
    parsed, pages = build_media_course(
        media_href=url, media_type=media_type,
        title=meta.get("title") or _title_from(urlsplit(url).path.rsplit("/", 1)[-1] or url),
        description=meta.get("description"), language=meta.get("contentLanguage"), filename=None,
    )
    files = {path: env.store.put(prefix + path, data, "text/html; charset=utf-8") for path, data in pages.items()}
    return parsed, files


def _title_from(name: str) -> str:
    stem = name.rsplit(".", 1)[0].replace("_", " ").replace("-", " ").strip()
    return stem or "Media"
