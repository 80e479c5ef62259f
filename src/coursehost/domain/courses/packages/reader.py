"""A course package (zip) on local disk, checked before anything trusts it.

Checks (the hostile-input list of the import issue): not a zip; entries with '..', absolute
paths, drive letters or NUL; symbolic links; encrypted entries; more files than allowed; more
expanded bytes than allowed; compression ratios only a zip bomb has. Names are normalised to
'/'-separated relative paths. Reading an entry never yields more bytes than its header declared,
so a lying header cannot smuggle a bomb past the size checks.
"""

from __future__ import annotations

import posixpath
import re
import stat
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import unquote

from coursehost.domain.courses.errors import PackageError

MiB = 1024 * 1024


@dataclass(frozen=True)
class PackageLimits:
    """Bounds on what an import may expand to (settings: COURSEHOST_IMPORT_*)."""

    max_expanded_bytes: int = 4 * 1024 * MiB
    max_files: int = 50_000
    max_ratio: float = 200.0  # expanded / compressed, per entry (entries over 1 MiB) and overall
    max_descriptor_bytes: int = 32 * MiB  # imsmanifest.xml, cmi5.xml, tincan.xml, AICC files


class PackageReader:
    """Read access to a validated zip package. Use as a context manager."""

    def __init__(self, path: str | Path, limits: PackageLimits | None = None):
        self.path = Path(path)
        self.limits = limits or PackageLimits()
        if not zipfile.is_zipfile(self.path):
            raise PackageError(_not_a_zip_message(self.path))
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise PackageError(f"The package is a damaged zip file: {exc}") from None
        try:
            self._entries = self._validate()
        except BaseException:
            self._zip.close()
            raise
        self._folded: dict[str, str] = {}
        for name in self._entries:
            self._folded.setdefault(name.casefold(), name)

    # ------------------------------------------------------------------ validation
    def _validate(self) -> dict[str, zipfile.ZipInfo]:
        entries: dict[str, zipfile.ZipInfo] = {}
        total = 0
        compressed = 0
        infos = self._zip.infolist()
        if len([i for i in infos if not i.is_dir()]) > self.limits.max_files:
            raise PackageError(
                f"The package holds more than {self.limits.max_files} files, the most an import may have"
            )
        for info in infos:
            name = safe_name(info.filename)
            mode = info.external_attr >> 16
            if info.create_system == 3 and stat.S_ISLNK(mode):
                raise PackageError(f"The package contains a symbolic link ({info.filename}); links are not allowed")
            if info.flag_bits & 0x1:
                raise PackageError(f"The package contains an encrypted file ({info.filename}); it cannot be read")
            if info.is_dir() or not name:
                continue
            if info.file_size > 1 * MiB and info.file_size > self.limits.max_ratio * max(1, info.compress_size):
                raise PackageError(
                    f"{info.filename} expands {info.file_size // max(1, info.compress_size)} times its "
                    "compressed size; the package looks like a zip bomb and was refused"
                )
            total += info.file_size
            compressed += info.compress_size
            if total > self.limits.max_expanded_bytes:
                raise PackageError(
                    f"The package expands to more than {self.limits.max_expanded_bytes // MiB} MiB, "
                    "the most an import may use"
                )
            if name in entries:
                raise PackageError(f"The package lists the file {name} twice")
            entries[name] = info
        if total > 16 * MiB and total > self.limits.max_ratio * max(1, compressed):
            raise PackageError("The package expands far beyond its size; it looks like a zip bomb and was refused")
        return entries

    # ------------------------------------------------------------------ access
    def __enter__(self) -> PackageReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    @property
    def names(self) -> list[str]:
        """Every file in the package ('/'-separated, relative, no directories), in zip order."""
        return list(self._entries)

    @property
    def total_bytes(self) -> int:
        return sum(i.file_size for i in self._entries.values())

    def exists(self, name: str) -> bool:
        return name in self._entries

    def size(self, name: str) -> int:
        return self._entries[name].file_size

    def resolve(self, href: str) -> str | None:
        """The package file HREF (relative to the root) names, forgiving what authors get wrong:
        a query string or fragment, %-encoding or its absence, './' and 'a/../b', and wrong case.
        None when no file matches."""
        path = href.split("#", 1)[0].split("?", 1)[0].replace("\\", "/")
        for candidate in (path, unquote(path)):
            norm = posixpath.normpath(candidate.lstrip("/")) if candidate else ""
            if not norm or norm.startswith(".."):
                continue
            if norm in self._entries:
                return norm
            folded = self._folded.get(norm.casefold())
            if folded is not None:
                return folded
        return None

    def find_descriptor(self, filename: str) -> str | None:
        """FILENAME (e.g. imsmanifest.xml) at the package root or one folder down, any case."""
        want = filename.casefold()
        top = [n for n in self._entries if n.casefold() == want]
        if top:
            return top[0]
        one_down = sorted(n for n in self._entries if n.count("/") == 1 and n.split("/")[1].casefold() == want)
        return one_down[0] if one_down else None

    def read(self, name: str, max_bytes: int | None = None) -> bytes:
        """The whole of a (small) file; PackageError when over MAX_BYTES (default: descriptor limit)."""
        limit = self.limits.max_descriptor_bytes if max_bytes is None else max_bytes
        info = self._entries[name]
        if info.file_size > limit:
            raise PackageError(f"{name} is larger than the {limit // MiB} MiB allowed for it")
        with self.open(name) as fh:
            return fh.read(limit + 1)[:limit]

    def open(self, name: str) -> IO[bytes]:
        """A stream of the file's bytes, cut off at the size its header declared."""
        info = self._entries[name]
        try:
            raw = self._zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
            raise PackageError(f"{name} cannot be read from the zip: {exc}") from None
        return _Bounded(raw, info.file_size, name)

    def iter_files(self) -> Iterator[tuple[str, int]]:
        """(name, size) of every file."""
        for name, info in self._entries.items():
            yield name, info.file_size


class _Bounded:
    """A file object that refuses to deliver more than the declared size (lying headers)."""

    def __init__(self, raw: IO[bytes], declared: int, name: str):
        self._raw, self._left, self._name = raw, declared, name

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self._left + 1
        try:
            data = self._raw.read(min(n, self._left + 1))
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise PackageError(f"{self._name} is damaged in the zip: {exc}") from None
        if len(data) > self._left:
            raise PackageError(f"{self._name} holds more data than its zip header declares; refused")
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> _Bounded:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def safe_name(raw: str) -> str:
    """A zip entry name as a safe relative path, or PackageError for a zip-slip attempt."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/"))
    if "\x00" in name:
        raise PackageError(f"The package contains a file name with a NUL character ({raw!r})")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise PackageError(f"The package contains an absolute path ({raw}); only relative paths are allowed")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise PackageError(f"The package contains a path that leaves the package ({raw}); refused")
    return "/".join(parts)


def safe_filename(name: str | None, default: str) -> str:
    """A file name from an upload or URL that is safe as a single path segment."""
    base = unquote((name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")[:120]
    return base or default


def _not_a_zip_message(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        return "The uploaded file is empty (0 bytes)"
    if head.startswith(b"PK"):  # a zip's local header, but no readable central directory
        return ("The zip file is damaged or incomplete: its table of contents (central directory) cannot "
                "be read. Export or download the package again")
    return ("The file is not a zip package, a PDF, an MP4 or an MP3; a course must be one of these "
            f"(it starts with {head[:4]!r})")
