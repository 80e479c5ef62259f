"""Streaming multipart/form-data for package uploads (the API's and the console's): the file part
goes straight to a temporary file as it arrives (python-multipart's parser, no per-chunk thread hop); other fields are kept in
memory up to a small bound. Starlette's form parser hands every 64 KB chunk to a thread when the
spool rolls to disk, which made a 200 MB upload cost a second more (bench/import_package.py)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from coursehost.domain.errors import InvalidInput

MAX_FIELD_BYTES = 1_048_576
MAX_PARTS = 32


@dataclass
class UploadedForm:
    fields: dict[str, str] = field(default_factory=dict)
    path: Path | None = None  # the file part's bytes, when one was sent
    filename: str | None = None
    content_type: str | None = None
    size: int = 0

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class _Collector:
    """python-multipart callbacks: headers of each part, then its data to a file or a buffer."""

    def __init__(self, file_field: str, temp_dir: str | None, temp_prefix: str):
        self.file_field, self.temp_dir, self.temp_prefix = file_field, temp_dir, temp_prefix
        self.form = UploadedForm()
        self.parts = 0
        self.ended = False
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._buffer: bytearray | None = None
        self._out = None

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.part_begin, "on_header_field": self.header_field,
            "on_header_value": self.header_value, "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished, "on_part_data": self.part_data,
            "on_part_end": self.part_end, "on_end": self.end,
        }

    def end(self) -> None:
        self.ended = True

    def part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise InvalidInput(f"the form has more than {MAX_PARTS} parts")
        self._headers = {}

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        self._name = name
        if name == self.file_field and "filename" in {k.decode() for k in options}:
            if self.form.path is not None:
                raise InvalidInput(f"the form has more than one '{self.file_field}' file")
            fd, path = tempfile.mkstemp(prefix=self.temp_prefix, dir=self.temp_dir)
            self._out = os.fdopen(fd, "wb")
            self.form.path = Path(path)
            self.form.filename = os.path.basename(options[b"filename"].decode("utf-8", "replace")) or None
            ctype = self._headers.get(b"content-type")
            self.form.content_type = ctype.decode("latin-1").strip() if ctype else None
        else:
            self._buffer = bytearray()

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None:
            self._out.write(data[start:end])
            self.form.size += end - start
            return
        assert self._buffer is not None
        self._buffer += data[start:end]
        if len(self._buffer) > MAX_FIELD_BYTES:
            raise InvalidInput(f"form field '{self._name}' is larger than {MAX_FIELD_BYTES} bytes")

    def part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif self._buffer is not None and self._name:
            try:
                self.form.fields[self._name] = self._buffer.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput(f"form field '{self._name}' is not UTF-8 text") from None
        self._buffer = None

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


async def read_upload(request: Request, *, file_field: str = "file", temp_dir: str | Path | None = None,
                      temp_prefix: str = "coursehost-upload-") -> UploadedForm:
    """Read REQUEST's multipart body, the file part into a new file in TEMP_DIR; the caller must call
    discard() on the result when done (a file it has moved elsewhere is simply gone by then)."""
    ctype, options = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or not options.get(b"boundary"):
        raise InvalidInput(f"send the package as multipart/form-data with a '{file_field}' field")
    collector = _Collector(file_field, str(temp_dir) if temp_dir else None, temp_prefix)
    parser = MultipartParser(options[b"boundary"], callbacks=collector.callbacks())
    try:
        async for chunk in request.stream():
            if chunk:
                parser.write(chunk)
        parser.finalize()
        if not collector.ended:
            raise InvalidInput("the multipart/form-data body is malformed: it ends before its closing boundary")
    except InvalidInput:
        collector.close()
        collector.form.discard()
        raise
    except Exception as exc:  # a malformed body: python-multipart's own errors
        collector.close()
        collector.form.discard()
        raise InvalidInput(f"the multipart/form-data body is malformed: {exc}") from None
    collector.close()
    return collector.form


async def read_package_upload(request: Request, store, *, file_field: str = "file") -> UploadedForm:
    """read_upload for a course package: on a filesystem store the file lands beside its blobs, so
    staging it for the import (import_jobs.staged_upload) is a rename, not a second copy."""
    spool = getattr(store, "spool_dir", None)
    return await read_upload(request, file_field=file_field, temp_dir=spool() if spool else None,
                             temp_prefix=store.spool_prefix() if spool else "coursehost-upload-")
