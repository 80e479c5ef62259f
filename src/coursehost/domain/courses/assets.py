"""A course version's files: list, read, add or replace (with a policy), delete; the original zip."""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.courses import CourseFile, CourseVersion
from coursehost.domain.courses.packages.reader import PackageLimits, PackageReader
from coursehost.domain.errors import Conflict, InvalidInput, NotFound
from coursehost.storage.base import BlobStore

POLICIES = ("reject", "strict", "lax")
DEFAULT_POLICY = "reject"


def clean_path(path: str | None, field: str = "relativePath") -> str:
    """A path inside the course: relative, '/'-separated, not leaving the course."""
    if not path or not path.strip():
        raise InvalidInput(f"{field} is required")
    raw = path.strip().replace("\\", "/").lstrip("/")
    norm = posixpath.normpath(raw)
    if norm in (".", "") or norm.startswith("../") or norm == ".." or "\x00" in norm:
        raise InvalidInput(f"{field} must be a path inside the course: [{path}]")
    if len(norm) > 900:
        raise InvalidInput(f"{field} is longer than 900 characters")
    return norm


def check_policy(policy: str | None) -> str:
    policy = policy or DEFAULT_POLICY
    if policy not in POLICIES:
        raise InvalidInput(f"Invalid value for updateAssetPolicy: [{policy}]; allowed: {', '.join(POLICIES)}")
    return policy


def list_files(session: Session, *, version: CourseVersion) -> list[CourseFile]:
    return list(session.scalars(
        select(CourseFile).where(CourseFile.course_version_pk == version.pk).order_by(CourseFile.path)
    ))


def _file(session: Session, version: CourseVersion, path: str) -> CourseFile | None:
    return session.scalars(select(CourseFile).where(
        CourseFile.course_version_pk == version.pk, CourseFile.path == path)).first()


def open_asset(session: Session, *, store: BlobStore, version: CourseVersion, path: str) -> tuple[BinaryIO, int]:
    """A stream of the file at PATH and its size; 404 when the course has no such file."""
    path = clean_path(path)
    row = _file(session, version, path)
    if row is None:
        raise NotFound(f"The course has no file [{path}]")
    return store.open(version.content_prefix + path), row.size


def write_asset(session: Session, *, store: BlobStore, version: CourseVersion, path: str,
                data: BinaryIO, policy: str, content_type: str | None = None) -> str:
    """Add or replace the file at PATH under POLICY (reject: must be new; strict: must exist)."""
    path, policy = clean_path(path, "destination"), check_policy(policy)
    row = _file(session, version, path)
    if row is not None and policy == "reject":
        raise Conflict(f"The course already has a file [{path}] and updateAssetPolicy is reject")
    if row is None and policy == "strict":
        raise NotFound(f"The course has no file [{path}] to replace and updateAssetPolicy is strict")
    _no_file_folder_clash(session, version, path)
    size = store.put(version.content_prefix + path, data, content_type)
    now = utcnow()
    if row is None:
        session.add(CourseFile(course_version_pk=version.pk, path=path, size=size, modified=now))
        version.file_count += 1
        version.size_bytes += size
    else:
        version.size_bytes += size - row.size
        row.size, row.modified = size, now
    version.updated = now
    _next_generation(version, now)
    session.flush()
    return path


def _next_generation(version: CourseVersion, now) -> None:
    """A file of VERSION changed: its content URLs get a new generation (never reused). Incremented in
    SQL, so that two concurrent writers (the second waits on the row lock) get two generations; NOW
    is taken after the store write, so every file of the new generation is older than it."""
    version.content_generation = CourseVersion.content_generation + 1
    version.content_changed = now


def _no_file_folder_clash(session: Session, version: CourseVersion, path: str) -> None:
    parts = path.split("/")
    parents = ["/".join(parts[:i]) for i in range(1, len(parts))]
    if parents and session.scalars(select(CourseFile.path).where(
            CourseFile.course_version_pk == version.pk, CourseFile.path.in_(parents))).first():
        raise Conflict(f"[{path}] would put a file under a path that is itself a file")
    clash = session.scalars(select(CourseFile.path).where(
        CourseFile.course_version_pk == version.pk,
        CourseFile.path.startswith(path + "/", autoescape=True))).first()
    if clash:
        raise Conflict(f"[{path}] is a folder of the course, not a file")


def delete_asset(session: Session, *, store: BlobStore, version: CourseVersion, path: str) -> None:
    path = clean_path(path)
    row = _file(session, version, path)
    if row is None:
        raise NotFound(f"The course has no file [{path}]")
    store.delete(version.content_prefix + path)
    version.file_count -= 1
    version.size_bytes -= row.size
    version.updated = utcnow()
    _next_generation(version, version.updated)
    session.delete(row)
    session.flush()


def open_package(*, store: BlobStore, version: CourseVersion) -> BinaryIO:
    """The zip the course was imported from (404 for a course made from a media URL)."""
    if not version.package_key or not store.exists(version.package_key):
        raise NotFound("This course version has no package (it was imported from a media file reference)")
    return store.open(version.package_key)


def file_exists(session: Session, *, version: CourseVersion, path: str) -> bool:
    """Whether the course version has a file at PATH (so a write would replace it)."""
    return _file(session, version, clean_path(path, "destination")) is not None


def write_assets_from_zip(session: Session, *, store: BlobStore, version: CourseVersion, package: Path,
                          policy: str, limits: PackageLimits | None = None) -> list[tuple[str, bool]]:
    """Every file of the zip PACKAGE into the course at its own path, under POLICY; [(path, replaced)].

    All or nothing as far as the policy goes: every path is checked (reject: none may exist; strict:
    all must exist) before the first file is written. The zip gets the import's hostile-input checks."""
    policy = check_policy(policy)
    with PackageReader(package, limits) as reader:
        names = [clean_path(name, "file in the zip") for name in reader.names]
        if not names:
            raise InvalidInput("The zip holds no files")
        have = set(session.scalars(select(CourseFile.path).where(CourseFile.course_version_pk == version.pk)))
        existing = have.intersection(names)
        _no_clash_among(have | set(names), names)
        if policy == "reject" and existing:
            raise Conflict(f"The course already has {_some(existing)} and updateAssetPolicy is reject")
        missing = [n for n in names if n not in existing]
        if policy == "strict" and missing:
            raise NotFound(f"The course has no {_some(missing)} to replace and updateAssetPolicy is strict")
        written = []
        for name, original in zip(names, reader.names, strict=True):
            with reader.open(original) as data:
                write_asset(session, store=store, version=version, path=name, data=data, policy="lax",
                            content_type=mimetypes.guess_type(name)[0])
            written.append((name, name in existing))
    return written


def _no_clash_among(paths: set[str], names: list[str]) -> None:
    """Conflict when a name of NAMES would be a file and a folder of PATHS at once (checked up front,
    so no file is written before the clash is found)."""
    for name in names:
        parts = name.split("/")
        parent = next(("/".join(parts[:i]) for i in range(1, len(parts)) if "/".join(parts[:i]) in paths), None)
        if parent is not None:
            raise Conflict(f"[{name}] would put a file under [{parent}], which is a file")
    folders = {"/".join(p.split("/")[:i]) for p in paths for i in range(1, p.count("/") + 1)}
    clash = next((n for n in names if n in folders), None)
    if clash is not None:
        raise Conflict(f"[{clash}] is a folder of the course, not a file")


def _some(paths) -> str:
    """'file [a]' or 'files [a], [b] and 3 more' for a message."""
    shown = sorted(paths)
    listed = ", ".join(f"[{p}]" for p in shown[:3]) + (f" and {len(shown) - 3} more" if len(shown) > 3 else "")
    return ("file " if len(shown) == 1 else "files ") + listed
