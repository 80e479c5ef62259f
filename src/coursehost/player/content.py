"""Serving a course version's files from the blob store: content types, validators (ETag,
Last-Modified -> 304), Range (206/416), gzip or brotli for text, and for an S3 store optionally a
redirect to a presigned URL so large media bytes never pass through Python (docs/PERFORMANCE.md,
"Content serving (issue 21)").

uvicorn writes every response body through its transport (h11 and httptools alike): there is no
sendfile path to use. Small files (the bulk of a course: pages, scripts, styles, images) are read in
one go in the same worker thread that looked the file up, and sent as one body; larger files and
ranges of them are streamed in chunks."""

from __future__ import annotations

import gzip
import mimetypes
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import BinaryIO

from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

try:  # brotli is a dependency; gzip alone still works where it is missing
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

CHUNK = 256 * 1024
SMALL = 256 * 1024  # files up to this size are read whole and sent as one body
COMPRESS_MIN = 1024  # smaller text gains nothing from compression
COMPRESS_MAX = 4 * 1024 * 1024  # larger text is sent as is (compressing it would hold it in memory)
COMPRESSED_CACHE_BYTES = 64 * 1024 * 1024
PRESIGN_SECONDS = 300
# A URL without a content generation (/content/<key>/...: made before generations, or by hand):
# its file can be replaced in place within the version (the asset API), so browsers revalidate with
# the ETag after five minutes (a 304 without a body).
CACHE_CONTROL = "private, max-age=300"
# A URL of the version's current content generation (/content/<key>-g<n>/...): any change to a file
# of the version starts a new generation, so these bytes never change under this URL (the key is
# the capability, so shared caches may keep them too). docs/PLAYER.md, "Content generations".
IMMUTABLE = "public, max-age=31536000, immutable"
# A URL of an older generation (a SCO opened before the change still asks for its relative URLs):
# the current bytes, revalidated on every use, never kept as that generation's.
OLD_GENERATION = "no-cache"
# Types browsers must get right for SCOs to run; the platform's mimetypes table varies.
_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".json": "application/json", ".xml": "application/xml",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".ico": "image/x-icon",
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg",
    ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".wav": "audio/wav", ".ogg": "audio/ogg",
    ".vtt": "text/vtt; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
    ".pdf": "application/pdf", ".swf": "application/x-shockwave-flash", ".wasm": "application/wasm",
    ".xsd": "application/xml", ".dtd": "application/xml-dtd",
}
_COMPRESSIBLE = ("text/", "application/json", "application/xml", "application/xml-dtd", "image/svg+xml",
                 "application/javascript")
# What an S3 store may hand to the bucket with a redirect: media and images a page embeds with
# <video>/<audio>/<img>/<object>, which browsers load cross-origin without CORS. Pages, scripts,
# styles, SVG, fonts, subtitles (<track>), JSON/XML a script fetches stay on the content origin:
# relative URLs, the SCO's window.parent.API, CSP and CORS all depend on it.
_REDIRECTABLE = ("video/", "audio/", "image/png", "image/jpeg", "image/gif", "image/webp", "image/x-icon",
                 "application/pdf")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_ENCODING = re.compile(r"\s*([A-Za-z0-9*-]+)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*")


def content_type(path: str) -> str:
    dot = path.rfind(".")
    ext = path[dot:].lower() if dot >= 0 else ""
    return _TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def compressible(media: str) -> bool:
    return media.startswith(_COMPRESSIBLE)


def redirectable(media: str) -> bool:
    return media.startswith(_REDIRECTABLE)


@dataclass(frozen=True)
class ContentFile:
    """One file of a course version and its validators."""

    path: str  # the clean path inside the course (its name gives the type)
    size: int
    modified: datetime  # when the file was last written
    etag: str  # strong: another content of the file under the same URL gets another ETag

    @classmethod
    def from_row(cls, version_pk: int, path: str, size: int, modified: datetime) -> ContentFile:
        """From the database's record of the file (import, the asset API): size and write time."""
        stamp = int(_utc(modified).timestamp() * 1_000_000)
        return cls(path, size, _utc(modified), f'"{version_pk:x}-{size:x}-{stamp:x}"')

    @classmethod
    def from_stat(cls, path: str, st: os.stat_result) -> ContentFile:
        """From the open file itself (filesystem store): a rewrite changes its mtime (ns) or size."""
        # The mtime truncated to the microsecond (a float could round it up past a time it preceded).
        micros = st.st_mtime_ns // 1000
        modified = datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)
        return cls(path, st.st_size, modified, f'"{st.st_size:x}-{st.st_mtime_ns:x}"')

    @property
    def last_modified(self) -> str:
        return format_datetime(self.modified.replace(microsecond=0), usegmt=True)


def cache_control(file: ContentFile, *, requested: int | None, current: int, changed: datetime | None) -> str:
    """Cache-Control for FILE asked for under content generation REQUESTED (None: a URL without one)
    of a version whose generation is CURRENT, begun at CHANGED. Immutable only when the URL names the
    current generation and the file is not newer than it: an in-place write reaches the store before
    its transaction commits the next generation, and the generation read may be a few seconds old."""
    if requested is None:
        return CACHE_CONTROL
    if requested == current and changed is not None and file.modified <= _utc(changed):
        return IMMUTABLE
    return OLD_GENERATION


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ------------------------------------------------------------------------------ request header parsing

def parse_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """(start, end inclusive) for a single satisfiable range; None for no/ignored range; False if unsatisfiable."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None  # multiple ranges or junk: RFC 9110 lets us answer with the whole file
    if not m.group(1):
        suffix = int(m.group(2))
        if suffix == 0 or size == 0:
            return False
        return max(0, size - suffix), size - 1
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        return False
    return start, min(end, size - 1)


def choose_encoding(accept: str | None) -> str | None:
    """'br', 'gzip' or None (identity) for an Accept-Encoding header; br is preferred at equal q."""
    if not accept:
        return None
    q: dict[str, float] = {}
    for part in accept.split(","):
        m = _ENCODING.fullmatch(part)
        if not m:
            continue
        try:
            q[m.group(1).lower()] = float(m.group(2)) if m.group(2) else 1.0
        except ValueError:
            continue
    star = q.get("*", 0.0)
    best, best_q = None, 0.0
    for name in ("br", "gzip") if brotli is not None else ("gzip",):
        weight = q.get(name, star)
        if weight > best_q:
            best, best_q = name, weight
    return best


def _not_modified(headers, file: ContentFile, tags: set[str]) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    inm = headers.get("if-none-match")
    if inm is not None:
        if inm.strip() == "*":
            return True
        return any(t.strip().removeprefix("W/") in tags for t in inm.split(","))
    ims = headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError, IndexError):
            return False
        if since is None:
            return False
        return _utc(file.modified).replace(microsecond=0) <= _utc(since)
    return False


def _range_applies(headers, file: ContentFile) -> bool:
    """If-Range: the Range counts only while the client's copy is this one (ETag or date)."""
    cond = headers.get("if-range")
    if cond is None:
        return True
    cond = cond.strip()
    return cond == file.etag if cond.startswith('"') else cond == file.last_modified


# ------------------------------------------------------------------------------ compressed copies

class _CompressedCache:
    """Compressed bytes by (ETag, encoding), least recently used first out, bounded in bytes. An
    ETag names one content of one file, so an entry is never stale."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], make: Callable[[], bytes]) -> bytes:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
                return data
        data = make()
        with self._lock:
            if key not in self._items and len(data) <= self.limit // 8:
                self._items[key] = data
                self.used += len(data)
                while self.used > self.limit:
                    _, old = self._items.popitem(last=False)
                    self.used -= len(old)
        return data


COMPRESSED = _CompressedCache(COMPRESSED_CACHE_BYTES)


def _compress(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=5)
    return gzip.compress(data, compresslevel=6, mtime=0)


# ------------------------------------------------------------------------------ bodies

def _chunks(stream: BinaryIO, start: int, length: int) -> Iterator[bytes]:
    try:
        if start:
            try:
                stream.seek(start)
            except (AttributeError, OSError, ValueError):  # a stream that cannot seek: skip forward
                left = start
                while left > 0:
                    got = stream.read(min(CHUNK, left))
                    if not got:
                        return
                    left -= len(got)
        left = length
        while left > 0:
            data = stream.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data
    finally:
        stream.close()


class _FileStream(StreamingResponse):
    """A streamed file that is closed when the answer ends, also when the client left before the
    first chunk (a generator that never started runs no finally: the file would wait for the GC)."""

    def __init__(self, stream: BinaryIO, start: int, length: int, **kw) -> None:
        super().__init__(_chunks(stream, start, length), **kw)
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._stream.close()


def _read_exactly(stream: BinaryIO, start: int, length: int) -> bytes:
    with stream:
        if start:
            stream.seek(start)
        return stream.read(length)


@dataclass
class Source:
    """Where the bytes of a file come from: a local file, or a store stream (optionally opened at an
    offset, as S3 does with a ranged GET), and for S3 a presigned URL maker."""

    open: Callable[[], BinaryIO]
    opened: BinaryIO | None = None  # already open (the filesystem store: the file its validators came from)
    open_range: Callable[[int, int], BinaryIO] | None = None  # (start, length) -> stream of those bytes
    presign: Callable[[str], str] | None = None  # content type -> presigned GET URL

    def take(self) -> BinaryIO:
        stream, self.opened = self.opened, None
        return stream if stream is not None else self.open()

    def close(self) -> None:
        if self.opened is not None:
            self.opened.close()
            self.opened = None


def serve(file: ContentFile, source: Source, headers, *, head: bool = False, redirect: bool = False,
          cache: str = CACHE_CONTROL) -> Response:
    """The answer to GET/HEAD of FILE for a request with HEADERS (a case-insensitive mapping), with
    Cache-Control CACHE (cache_control)."""
    try:
        return _serve(file, source, headers, head=head, redirect=redirect, cache=cache)
    finally:
        source.close()  # a stream the answer did not take (304, 416, HEAD, a compressed copy cached)


def _serve(file: ContentFile, source: Source, headers, *, head: bool, redirect: bool, cache: str) -> Response:
    media = content_type(file.path)
    squeeze = compressible(media) and COMPRESS_MIN < file.size <= COMPRESS_MAX
    encoding = choose_encoding(headers.get("accept-encoding")) if squeeze else None
    base = {"Accept-Ranges": "bytes", "X-Content-Type-Options": "nosniff", "Cache-Control": cache,
            "Last-Modified": file.last_modified}
    if squeeze:
        base["Vary"] = "Accept-Encoding"
    tag = file.etag if encoding is None else f'{file.etag[:-1]}-{encoding}"'
    base["ETag"] = tag
    variants = {file.etag, f'{file.etag[:-1]}-br"', f'{file.etag[:-1]}-gzip"'}
    if _not_modified(headers, file, variants):
        return Response(status_code=304, headers=base)
    if redirect and not head and source.presign is not None and redirectable(media):
        # The browser asks the bucket (with its Range header): no byte of it passes through here.
        return RedirectResponse(source.presign(media), status_code=307,
                                headers={"Cache-Control": "private, max-age=60", "X-Content-Type-Options": "nosniff",
                                         "Referrer-Policy": "no-referrer"})
    rng = parse_range(headers.get("range"), file.size) if _range_applies(headers, file) else None
    if rng is False:
        return Response(status_code=416, headers={**base, "Content-Range": f"bytes */{file.size}"})
    if rng is None and encoding is not None:
        return _encoded(file, source, base, media, encoding, head)
    if rng is None:
        start, length, status = 0, file.size, 200
    else:
        start, end = rng
        length, status = end - start + 1, 206
        base["Content-Range"] = f"bytes {start}-{end}/{file.size}"
        if encoding is not None:  # a range is of the identity bytes
            base["ETag"] = file.etag
    base["Content-Length"] = str(length)
    if head:
        return Response(status_code=status, headers=base, media_type=media)
    if source.open_range is not None and start and source.opened is None:
        stream, start = source.open_range(start, length), 0
    else:
        stream = source.take()
    if length <= SMALL:
        return Response(_read_exactly(stream, start, length), status_code=status, headers=base, media_type=media)
    return _FileStream(stream, start, length, status_code=status, headers=base, media_type=media)


def _encoded(file: ContentFile, source: Source, base: dict, media: str, encoding: str, head: bool) -> Response:
    def make() -> bytes:
        return _compress(_read_exactly(source.take(), 0, file.size), encoding)

    body = COMPRESSED.get((file.etag, encoding), make)
    base = {**base, "Content-Encoding": encoding, "Content-Length": str(len(body))}
    return Response(b"" if head else body, headers=base, media_type=media)
