"""The BlobStore protocol every backend implements, its one error, and the key rules they share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Protocol, runtime_checkable

MAX_KEY_BYTES = 1024  # S3's own limit on an object key, applied everywhere so backends agree
CHUNK_SIZE = 1024 * 1024


class BlobNotFound(LookupError):
    """No blob is stored under the key asked for."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no blob stored under key {key!r}")
        self.key = key


@runtime_checkable
class BlobStore(Protocol):
    """Bytes under '/'-separated relative keys: course packages, extracted content, attachments."""

    # Keys name files in a tree, so a key must not also be the directory of other keys ("a" beside
    # "a/b"): a filesystem cannot hold both, and the filesystem store refuses with FileExistsError.

    def put(self, key: str, data: bytes | BinaryIO, content_type: str | None = None) -> int:
        """Store DATA (bytes or a readable stream, read in chunks) under KEY; return bytes written."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Return a readable stream of the blob under KEY; raise BlobNotFound if there is none."""
        ...

    def get(self, key: str) -> bytes:
        """Return the whole blob under KEY; raise BlobNotFound if there is none."""
        ...

    def exists(self, key: str) -> bool:
        """Say whether a blob is stored under KEY."""
        ...

    def size(self, key: str) -> int:
        """Return the size in bytes of the blob under KEY; raise BlobNotFound if there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob under KEY; do nothing if there is none."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every blob whose key starts with PREFIX (non-empty); return how many were removed."""
        ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Yield, in sorted order, every key that starts with PREFIX."""
        ...

    def copy(self, src_key: str, dst_key: str) -> None:
        """Copy the blob under SRC_KEY to DST_KEY, replacing it; raise BlobNotFound if SRC is absent."""
        ...

    def ping(self) -> None:
        """Check cheaply that the store answers (readiness); raise OSError or the client's error if not."""
        ...


def validate_key(key: str) -> str:
    """Return KEY if it is a safe relative '/'-separated key, else raise ValueError saying why."""
    # Keys come from uploaded archives and API input; this is the zip-slip / path traversal boundary.
    if not isinstance(key, str):
        raise ValueError(f"blob key must be a string, not {type(key).__name__}")
    if not key:
        raise ValueError("blob key must not be empty")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise ValueError(f"blob key is longer than {MAX_KEY_BYTES} bytes (UTF-8)")
    if "\\" in key:
        raise ValueError(f"blob key must use '/' as separator, not a backslash: {key!r}")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in key):
        raise ValueError(f"blob key must not contain NUL or other control characters: {key!r}")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in key):
        raise ValueError(f"blob key must be valid Unicode text: {key!r}")
    if key.startswith("/"):
        raise ValueError(f"blob key must be relative, not absolute: {key!r}")
    for segment in key.split("/"):
        if segment == "..":
            raise ValueError(f"blob key must not contain '..' segments: {key!r}")
        # Empty and '.' segments name the same file as a shorter key on disk but a different object
        # on S3; refusing them keeps both backends answering the same way.
        if segment in ("", "."):
            raise ValueError(f"blob key must not contain empty or '.' segments: {key!r}")
    return key


def validate_prefix(prefix: str) -> str:
    """Return PREFIX if it is '' or a valid key optionally ending in '/', else raise ValueError."""
    if not isinstance(prefix, str):
        raise ValueError(f"blob prefix must be a string, not {type(prefix).__name__}")
    if prefix:
        validate_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix
