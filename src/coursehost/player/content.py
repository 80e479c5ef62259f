"""Serving a course version's files from the blob store: content types, Range requests, nosniff."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from typing import BinaryIO

from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

CHUNK = 256 * 1024
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
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def content_type(path: str) -> str:
    dot = path.rfind(".")
    ext = path[dot:].lower() if dot >= 0 else ""
    return _TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"


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


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """(start, end inclusive) for a single satisfiable range; None for no/ignored range; False if unsatisfiable."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None  # multiple ranges or junk: RFC 9110 lets us answer with the whole file
    if not m.group(1):
        suffix = int(m.group(2))
        if suffix == 0:
            return False
        return max(0, size - suffix), size - 1
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        return False
    return start, min(end, size - 1)


def file_response(stream: BinaryIO, size: int, path: str, range_header: str | None, *, head: bool = False) -> Response:
    headers = {
        "Accept-Ranges": "bytes", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=300",
    }
    media = content_type(path)
    rng = parse_range(range_header, size)
    if rng is False:
        stream.close()
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if rng is None:
        start, length, status = 0, size, 200
    else:
        start, end = rng
        length, status = end - start + 1, 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(length)
    if head:
        stream.close()
        return Response(status_code=status, headers=headers, media_type=media)
    return _FileStream(stream, start, length, status_code=status, headers=headers, media_type=media)
