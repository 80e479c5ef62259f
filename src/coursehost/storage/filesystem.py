"""BlobStore on a local directory: one file per key, written atomically."""

from __future__ import annotations

import ctypes
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from coursehost.storage.base import CHUNK_SIZE, BlobNotFound, validate_key, validate_prefix

# Half-written files sit beside their target under this name; list() skips them and keys may not
# use it, so a partial write can never be read or listed as a blob.
TEMP_MARK = ".coursehost-partial-"


class FilesystemBlobStore:
    """Blobs as files under ROOT; the content type is not kept (serving derives it from the name)."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        # fsync before rename so a crash cannot leave an empty file under a key; tests may skip it.
        self.fsync = fsync
        self._bulk = threading.local()

    def __repr__(self) -> str:
        return f"FilesystemBlobStore({str(self.root)!r})"

    def put(self, key: str, data: bytes | BinaryIO, content_type: str | None = None) -> int:
        """Write DATA to a temporary file beside KEY, then rename it into place; return its size."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            fill = lambda out: _write_bytes(out, data)  # noqa: E731
        elif hasattr(data, "read"):
            fill = lambda out: _copy_stream(data, out)  # noqa: E731
        else:
            raise TypeError(f"blob data must be bytes or a readable stream, not {type(data).__name__}")
        if getattr(self._bulk, "active", False):
            return self._write_in_place(key, fill)
        return self._write(self._path(key), fill)

    def open(self, key: str) -> BinaryIO:
        """Open the file under KEY for reading."""
        path = self._path(key)
        try:
            return open(path, "rb")  # noqa: SIM115 - the caller owns the stream
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise BlobNotFound(key) from None

    def local_path(self, key: str) -> Path:
        """The file holding KEY (callers that need a real file, such as zip readers, skip a copy)."""
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFound(key)
        return path

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Within the block this thread's puts write each file in place: no temporary file, no
        rename, no per-file fsync; one syncfs() of the store's filesystem at the end makes them all
        durable before the caller records them. For imports of thousands of files into a fresh
        prefix that nothing reads until the caller commits (and that it deletes if the block fails):
        a crash mid-block can leave a partial file there, never under a key anyone reads."""
        if getattr(self._bulk, "active", False):
            yield
            return
        self._bulk.active, self._bulk.dirs = True, set()
        try:
            yield
        finally:
            self._bulk.active, self._bulk.dirs = False, set()
        if self.fsync:
            _syncfs(self.root)

    def get(self, key: str) -> bytes:
        """Read the whole file under KEY."""
        with self.open(key) as stream:
            return stream.read()

    def ping(self) -> None:
        """The root must still be a directory this process can read, write and enter."""
        if not self.root.is_dir():
            raise FileNotFoundError(f"the content directory {self.root} is missing")
        if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
            raise PermissionError(f"the content directory {self.root} is not readable and writable")

    def exists(self, key: str) -> bool:
        """Say whether a regular file is stored under KEY."""
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        """Return the size of the file under KEY."""
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFound(key)
        return path.stat().st_size

    def delete(self, key: str) -> None:
        """Remove the file under KEY and any directories this leaves empty."""
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return
        self._prune(path.parent)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every file whose key starts with PREFIX; return how many."""
        validate_prefix(prefix)
        if not prefix:
            raise ValueError("refusing to delete every blob: delete_prefix needs a non-empty prefix")
        count = 0
        for key in list(self.list(prefix)):  # materialised: deleting while walking skips entries
            path = self._path(key)
            try:
                path.unlink()
            except FileNotFoundError:
                continue  # someone else deleted it first
            count += 1
            self._prune(path.parent)
        return count

    def list(self, prefix: str = "") -> Iterator[str]:
        """Yield the keys starting with PREFIX in sorted order, walking only the directories needed."""
        validate_prefix(prefix)
        head, _, tail = prefix.rpartition("/")
        start = self._path(head) if head else self.root
        yield from self._walk(start, f"{head}/" if head else "", tail)

    def copy(self, src_key: str, dst_key: str) -> None:
        """Copy SRC_KEY to DST_KEY through a temporary file, so readers never see half a copy."""
        dst = self._path(dst_key)
        with self.open(src_key) as source:
            if self._path(src_key) == dst:
                return
            self._write(dst, lambda out: _copy_stream(source, out))

    def spool_dir(self) -> Path:
        """Where a caller may write a file it will adopt(): ROOT itself, under the temporary-name
        mark, so that adopting is a rename on the same filesystem (list() never shows it)."""
        return self.root

    def spool_prefix(self) -> str:
        return f"{TEMP_MARK}spool-"

    def adopt(self, key: str, path: Path) -> int:
        """Make the finished file PATH the blob KEY (durably), moving it when it can, else copying;
        return its size. PATH no longer exists afterwards."""
        dst = self._path(key)
        with open(path, "rb+") as fh:
            size = os.fstat(fh.fileno()).st_size
            if self.fsync:
                os.fsync(fh.fileno())
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, dst)
        except OSError as err:
            if err.errno != 18:  # EXDEV: another filesystem
                raise
            with open(path, "rb") as fh:
                self._write(dst, lambda out: _copy_stream(fh, out))
            os.unlink(path)
        return size

    def _path(self, key: str) -> Path:
        """The file for KEY, refusing any key or symlink that would lead outside ROOT."""
        validate_key(key)
        if any(segment.startswith(TEMP_MARK) for segment in key.split("/")):
            raise ValueError(f"blob key segments must not start with {TEMP_MARK!r}: {key!r}")
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"blob key {key!r} resolves outside the store's root")
        return path

    def _write(self, path: Path, fill) -> int:
        """Create a temporary file beside PATH, let FILL write it, and rename it over PATH."""
        try:
            return self._write_unchecked(path, fill)
        except (NotADirectoryError, IsADirectoryError, FileExistsError) as err:
            key = path.relative_to(self.root).as_posix()
            raise FileExistsError(
                f"cannot store blob {key!r}: on a filesystem a key cannot also be the directory "
                "of other keys (or the other way round)"
            ) from err

    def _write_unchecked(self, path: Path, fill) -> int:
        temp = path.with_name(f"{TEMP_MARK}{secrets.token_hex(8)}")
        for attempt in range(3):
            try:
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                break
            except FileNotFoundError:
                # A concurrent delete may prune the directory between mkdir and open; make it again.
                if attempt == 2:
                    raise
                path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with os.fdopen(fd, "wb") as out:
                written = fill(out)
                out.flush()
                if self.fsync and not getattr(self._bulk, "active", False):
                    os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return written

    def _write_in_place(self, key: str, fill) -> int:
        """bulk_writes(): write KEY's file directly. Each directory is created and checked (resolved
        inside ROOT) once per block; O_NOFOLLOW refuses a symlink at the file itself."""
        validate_key(key)
        if any(segment.startswith(TEMP_MARK) for segment in key.split("/")):
            raise ValueError(f"blob key segments must not start with {TEMP_MARK!r}: {key!r}")
        path = self.root / key
        directory = path.parent
        if directory not in self._bulk.dirs:
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError) as err:
                raise FileExistsError(f"cannot store blob {key!r}: a parent of it is another key") from err
            if not directory.resolve().is_relative_to(self.root):
                raise ValueError(f"blob key {key!r} resolves outside the store's root")
            self._bulk.dirs.add(directory)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        except (IsADirectoryError, OSError) as err:
            if isinstance(err, IsADirectoryError) or err.errno == 40:  # ELOOP: a symlink
                raise FileExistsError(f"cannot store blob {key!r}: it names a directory or a link") from err
            raise
        with os.fdopen(fd, "wb") as out:
            return fill(out)

    def _prune(self, directory: Path) -> None:
        """Remove DIRECTORY and its parents up to ROOT while they are empty."""
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:
                return  # not empty (or already gone): leave it
            directory = directory.parent

    def _walk(self, directory: Path, key_prefix: str, name_prefix: str) -> Iterator[str]:
        """Yield keys under DIRECTORY whose first name starts with NAME_PREFIX, in sorted key order."""
        try:
            with os.scandir(directory) as scan:
                entries = [e for e in scan if e.name.startswith(name_prefix)]
        except (FileNotFoundError, NotADirectoryError):
            return
        # Sorting directories as "name/" makes a depth-first walk come out in plain string order
        # of the whole keys ("a-b" < "a/c"), which is the order S3 lists in.
        nodes = []
        for entry in entries:
            if entry.name.startswith(TEMP_MARK):
                continue
            if entry.is_dir(follow_symlinks=False):
                nodes.append((entry.name + "/", entry))
            elif entry.is_file(follow_symlinks=False):
                nodes.append((entry.name, entry))
        for sort_name, entry in sorted(nodes, key=lambda node: node[0]):
            if sort_name.endswith("/"):
                yield from self._walk(Path(entry.path), key_prefix + sort_name, "")
            else:
                yield key_prefix + entry.name


def _syncfs(root: Path) -> None:
    """Flush the filesystem holding ROOT (Linux syncfs; os.sync elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(root, os.O_RDONLY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    os.sync()


def _write_bytes(out: BinaryIO, data: bytes | bytearray | memoryview) -> int:
    view = memoryview(data).cast("B")
    out.write(view)
    return view.nbytes


def _copy_stream(source: BinaryIO, out: BinaryIO) -> int:
    """Copy SOURCE to OUT in bounded chunks; return the number of bytes copied."""
    written = 0
    while True:
        chunk = source.read(CHUNK_SIZE)
        if not chunk:
            return written
        out.write(chunk)
        written += len(chunk)
