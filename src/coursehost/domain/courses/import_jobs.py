"""Import jobs: created by the API in the request's transaction, run by the job worker.

A run fetches the package to a local temporary file (streamed, never whole in memory), checks it
(packages/reader.py), parses it (packages/detect.py), writes its files to the blob store under a
prefix of its own, and only then, in the job's transaction, creates the course version and marks the
job COMPLETE. Any failure removes what the run wrote, so a failed import leaves no course, version or files.
A lone PDF, MP4 or MP3 (uploaded, fetched, or referenced by URL) becomes a cmi5 course with our
viewer page (packages/parsers/media.py).
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
import shutil
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from coursehost.db.base import utcnow
from coursehost.db.models.courses import Course, CourseFile, CourseVersion, ImportJob
from coursehost.db.models.tenancy import Application
from coursehost.domain.courses.catalog import check_course_id
from coursehost.domain.courses.errors import PackageError
from coursehost.domain.courses.model import SCO, Activity, CourseMetadata, ParsedCourse
from coursehost.domain.courses.packages.detect import parse_package
from coursehost.domain.courses.packages.fetch import download
from coursehost.domain.courses.packages.parsers.media import build_media_course, detect_media
from coursehost.domain.courses.packages.reader import PackageLimits, PackageReader, safe_filename
from coursehost.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from coursehost.domain.limits import check_storage
from coursehost.domain.outbox import PermanentJobError, enqueue
from coursehost.domain.standards import LearningStandard
from coursehost.domain.tags import add_tags, clean_tags
from coursehost.outbound import AddressPolicy, OutboundError
from coursehost.storage.base import BlobNotFound, BlobStore

log = logging.getLogger(__name__)

JOB_KIND = "course.import"
MAX_ATTEMPTS = 3
RUNNING, COMPLETE, ERROR = "RUNNING", "COMPLETE", "ERROR"
_CHUNK = 1024 * 1024
_MEDIA_EXT = {"application/pdf": ".pdf", "video/mp4": ".mp4", "audio/mpeg": ".mp3"}
_MEDIA_BY_EXT = {v: k for k, v in _MEDIA_EXT.items()}


def new_job_id() -> str:
    """A fresh import job id (a UUID)."""
    return str(uuid.uuid4())


def staged_key(app_id: str, job_id: str) -> str:
    """Where an uploaded package waits for its import (and stays, as the course's original zip)."""
    return f"packages/{app_id}/{job_id}/package"


def course_dir(course_id: str) -> str:
    """A blob-key-safe folder for a caller's course id (any characters, up to 255)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", course_id)[:40].strip("-.") or "course"
    return f"{slug}-{hashlib.sha256(course_id.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class ImportRequest:
    course_id: str
    may_create_new_version: bool
    source: str  # upload | fetch | reference | connector
    job_id: str
    source_url: str | None = None
    staged_key: str | None = None
    filename: str | None = None
    content_type: str | None = None
    media_metadata: dict | None = None
    postback_url: str | None = None
    tags: list | None = None


@contextmanager
def staged_upload(store: BlobStore, *, key: str, path: Path, content_type: str | None) -> Iterator[None]:
    """The uploaded file PATH becomes the blob KEY its import job reads (a rename on a filesystem
    store, not a second copy); when the block fails (the job refused, its transaction not committed)
    the blob is removed again, so nothing is left half-written."""
    if hasattr(store, "adopt"):
        store.adopt(key, path)
    else:
        with open(path, "rb") as fh:
            store.put(key, fh, content_type)
    try:
        yield
    except BaseException:
        store.delete(key)
        raise


def create_import_job(session: Session, *, application_pk: int, request: ImportRequest,
                      allow_private_urls: bool = False) -> ImportJob:
    """Record the import and enqueue its run, in the caller's transaction."""
    check_course_id(request.course_id)
    tags = clean_tags(request.tags)
    if request.source in ("fetch", "reference"):
        # A reference is never fetched by us (the learner's browser loads it): no address check.
        _check_url(request.source_url, allow_private_urls or request.source == "reference")
    if not request.may_create_new_version and _course(session, application_pk, request.course_id):
        raise Conflict(
            f"Course [{request.course_id}] already exists; set mayCreateNewVersion=true to import a new version"
        )
    # A realm already at its storage limit is told now; the size is checked again once known (run_import).
    check_storage(session, application_pk=application_pk, adding_bytes=None, lock=False)
    job = ImportJob(
        job_id=request.job_id, application_pk=application_pk, course_id=request.course_id,
        may_create_new_version=request.may_create_new_version, source=request.source,
        source_url=request.source_url, staged_key=request.staged_key, filename=request.filename,
        content_type=request.content_type, media_metadata=request.media_metadata or {},
        postback_url=request.postback_url, tags=tags, status=RUNNING, message="Queued for import",
    )
    session.add(job)
    session.flush()
    enqueue(session, kind=JOB_KIND, payload={"import_pk": job.pk}, max_attempts=MAX_ATTEMPTS)
    return job


def get_import_job(session: Session, *, application_pk: int, job_id: str) -> ImportJob:
    """The application's import job JOB_ID, or NotFound."""
    job = session.scalars(
        select(ImportJob).where(ImportJob.application_pk == application_pk, ImportJob.job_id == job_id)
    ).first()
    if job is None:
        raise NotFound(f"Import job [{job_id}] not found")
    return job


def imported_version(session: Session, *, job: ImportJob) -> CourseVersion | None:
    """The course version a COMPLETE import job created (None before that)."""
    return session.get(CourseVersion, job.course_version_pk) if job.course_version_pk else None


def _check_url(url: str | None, allow_private_urls: bool) -> None:
    if not url:
        raise InvalidInput("url is required")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"url must be an http or https URL: [{url}]")
    try:  # refused now, when given, and again when fetched (its DNS may change meanwhile)
        AddressPolicy(allow_private=allow_private_urls).check_url(url)
    except OutboundError as exc:
        raise InvalidInput(f"url [{url}]: {exc}") from None


def _course(session: Session, application_pk: int, course_id: str) -> Course | None:
    return session.scalars(
        select(Course).where(Course.application_pk == application_pk, Course.course_id == course_id)
    ).first()


# ---------------------------------------------------------------------------------------- running

@dataclass
class ImportEnv:
    """What a run needs besides its transaction."""

    session_factory: sessionmaker[Session]
    store: BlobStore
    limits: PackageLimits
    max_package_bytes: int
    fetch_timeout: float
    temp_dir: str | None = None
    allow_private_urls: bool = False  # COURSEHOST_ALLOW_PRIVATE_URLS


@dataclass
class _Snapshot:
    pk: int
    job_id: str
    app_id: str
    application_pk: int
    course_id: str
    source: str
    source_url: str | None
    staged_key: str | None
    filename: str | None
    content_type: str | None
    media_metadata: dict
    status: str


def run_import(session: Session, *, env: ImportEnv, import_pk: int, final_attempt: bool) -> dict:
    """The job handler's work: import, then (in SESSION) create the version and mark COMPLETE."""
    snap = _snapshot(env, import_pk)
    if snap is None or snap.status != RUNNING:
        return {"skipped": True}
    prefix = f"courses/{snap.app_id}/{course_dir(snap.course_id)}/{snap.job_id}/"
    progress = _Progress(env, import_pk)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="coursehost-import-", dir=env.temp_dir) as tmp:
            parsed, files, package_key = _import_files(snap, env, prefix, Path(tmp), progress)
        stored = time.perf_counter()
        version = _record(session, snap, parsed, files, prefix, package_key)
        log.info("import %s of course %r: %d files stored in %.2f s, recorded in %.2f s", snap.job_id,
                 snap.course_id, len(files), stored - started, time.perf_counter() - stored)
        return {"courseVersionPk": version.pk}
    except (DomainError, PackageError) as exc:
        session.rollback()  # what _record wrote, and its locks (SQLite's writer lock is needed by _abandon)
        _abandon(env, snap, prefix, str(exc))
        raise PermanentJobError(str(exc)) from None
    except Exception:
        env.store.delete_prefix(prefix)
        if final_attempt:
            _abandon(env, snap, prefix, "The import failed because of an internal error; please try again")
            raise PermanentJobError("internal error on the last attempt") from None
        raise


def _snapshot(env: ImportEnv, import_pk: int) -> _Snapshot | None:
    with env.session_factory() as s:
        row = s.execute(select(ImportJob, Application.app_id).join(
            Application, Application.pk == ImportJob.application_pk).where(ImportJob.pk == import_pk)).first()
        if row is None:
            return None
        job, app_id = row
        return _Snapshot(job.pk, job.job_id, app_id, job.application_pk, job.course_id, job.source,
                         job.source_url, job.staged_key, job.filename, job.content_type,
                         dict(job.media_metadata or {}), job.status)


class _Progress:
    """Writes the job's message at most once a second, in its own short transaction."""

    def __init__(self, env: ImportEnv, import_pk: int):
        self.env, self.import_pk, self.last = env, import_pk, 0.0

    def __call__(self, message: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 1.0:
            return
        self.last = now
        with self.env.session_factory() as s:
            job = s.get(ImportJob, self.import_pk)
            if job is not None and job.status == RUNNING:
                job.message = message
                s.commit()


def _abandon(env: ImportEnv, snap: _Snapshot, prefix: str, message: str) -> None:
    """Remove everything the run wrote and record ERROR with MESSAGE."""
    env.store.delete_prefix(prefix)
    if snap.staged_key:
        env.store.delete(snap.staged_key)
    with env.session_factory() as s:
        job = s.get(ImportJob, snap.pk)
        if job is not None:
            job.status, job.message, job.updated = ERROR, message, utcnow()
            s.commit()


def _import_files(snap: _Snapshot, env: ImportEnv, prefix: str, tmp: Path,
                  progress: Callable) -> tuple[ParsedCourse, dict[str, int], str | None]:
    """Fetch, check, parse and store the package; returns the course, {path: size}, package key."""
    if snap.source == "reference":
        parsed, files = _reference_course(snap, env, prefix)
        return parsed, files, None
    if snap.source == "connector":
        return connector_course(snap.media_metadata), {}, None
    local = tmp / "package"
    content_type, filename = _acquire(snap, env, local, progress)
    package_key = snap.staged_key or staged_key(snap.app_id, snap.job_id)
    media = _media_type(local, filename or snap.filename, content_type or snap.content_type)
    if media:
        parsed, files = _media_course(snap, env, prefix, local, media, filename or snap.filename)
    else:
        package = _course_structure_zip(local, tmp) or local
        with PackageReader(package, env.limits) as reader:
            parsed = parse_package(reader)
            _check_room(env, snap, reader.total_bytes)
            files = _extract(reader, env.store, prefix, progress)
    if not snap.staged_key:  # fetched: keep the original for GetCourseZip
        with open(local, "rb") as fh:
            env.store.put(package_key, fh, "application/zip")
    return parsed, files, package_key


def _check_room(env: ImportEnv, snap: _Snapshot, expanded_bytes: int) -> None:
    """Refuse a package over the realm's storage limit before a file of it is written (read-only:
    _record checks again, holding the realm, when the version is created)."""
    with env.session_factory() as s:
        check_storage(s, application_pk=snap.application_pk, adding_bytes=expanded_bytes, lock=False)


def _acquire(snap: _Snapshot, env: ImportEnv, dest: Path, progress: Callable) -> tuple[str | None, str | None]:
    """The package as a local file: copied from staging, or downloaded. (content type, file name)."""
    if snap.source == "upload":
        local_path = getattr(env.store, "local_path", None)
        try:
            if local_path is not None:  # a filesystem store: read the staged file where it is
                dest.symlink_to(local_path(snap.staged_key))
                if dest.stat().st_size == 0:
                    raise PackageError("The uploaded file is empty (0 bytes)")
                return None, None
            with env.store.open(snap.staged_key) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, _CHUNK)
        except BlobNotFound:
            raise PackageError("The uploaded package is no longer stored; upload it again") from None
        if dest.stat().st_size == 0:
            raise PackageError("The uploaded file is empty (0 bytes)")
        return None, None
    return download(snap.source_url, dest, max_bytes=env.max_package_bytes, timeout=env.fetch_timeout,
                    progress=progress, allow_private_urls=env.allow_private_urls)


def _course_structure_zip(local: Path, tmp: Path) -> Path | None:
    """An XML document uploaded on its own is a cmi5 course structure without its content (cmi5
    14.2: AUs hosted elsewhere, every url fully qualified): it is read as a zip holding only
    cmi5.xml, which the cmi5 parser knows as that case. None when LOCAL is not XML."""
    with open(local, "rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return None
    package = tmp / "course-structure.zip"
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(local, "cmi5.xml")
    return package


def _extract(reader: PackageReader, store: BlobStore, prefix: str, progress: Callable) -> dict[str, int]:
    bulk = getattr(store, "bulk_writes", None)
    started = time.perf_counter()
    with bulk() if bulk else nullcontext():
        files = _extract_files(reader, store, prefix, progress)
        written = time.perf_counter()
    log.info("extracted %d files in %.2f s, made durable in %.2f s", len(files), written - started,
             time.perf_counter() - written)
    return files


def _extract_files(reader: PackageReader, store: BlobStore, prefix: str, progress: Callable) -> dict[str, int]:
    files: dict[str, int] = {}
    total_files, total_bytes, done_bytes = len(reader.names), reader.total_bytes, 0
    for n, (name, size) in enumerate(reader.iter_files(), start=1):
        with reader.open(name) as src:
            store.put(prefix + name, src, _content_type(name))
        files[name] = size
        done_bytes += size
        progress(f"Extracting files: {n} of {total_files} ({_mb(done_bytes)} of {_mb(total_bytes)})")
    return files


def _mb(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB"


def _content_type(name: str) -> str | None:
    return mimetypes.guess_type(name)[0]


def _record(session: Session, snap: _Snapshot, parsed: ParsedCourse, files: dict[str, int],
            prefix: str, package_key: str | None) -> CourseVersion:
    """Create the course (or its next version) and complete the job, in the job's transaction."""
    # Held until the job's transaction ends, so that concurrent imports never pass the limit together.
    check_storage(session, application_pk=snap.application_pk, adding_bytes=sum(files.values()))
    job = session.get(ImportJob, snap.pk)
    course = session.scalars(select(Course).where(
        Course.application_pk == snap.application_pk, Course.course_id == snap.course_id
    ).with_for_update()).first()
    if course is None:
        course = Course(application_pk=snap.application_pk, course_id=snap.course_id, title=parsed.title,
                        learning_standard=parsed.learning_standard, latest_version=0)
        session.add(course)
        session.flush()
        number = 0
    elif not job.may_create_new_version:
        raise Conflict(f"Course [{snap.course_id}] already exists; set mayCreateNewVersion=true to import a new version")
    else:
        number = course.latest_version + 1
    version = _new_version(course, number, parsed, files, prefix, package_key)
    session.add(version)
    course.title, course.learning_standard, course.latest_version = parsed.title, parsed.learning_standard, number
    course.updated = utcnow()
    session.flush()
    now = utcnow()
    version.content_changed = now  # generation 1 holds every file just written (content.cache_control)
    if files:  # a connector's course has none
        session.execute(CourseFile.__table__.insert(), [
            {"course_version_pk": version.pk, "path": p, "size": s, "modified": now} for p, s in files.items()
        ])
    add_tags(session, application_pk=snap.application_pk, kind="course", key=snap.course_id, tags=job.tags or [])
    job.status, job.message, job.warnings = COMPLETE, "Import complete", list(parsed.warnings)
    job.course_version_pk, job.updated = version.pk, now
    session.flush()
    return version


def _new_version(course: Course, number: int, parsed: ParsedCourse, files: dict[str, int], prefix: str,
                 package_key: str | None) -> CourseVersion:
    return CourseVersion(
        course_pk=course.pk, version=number, title=parsed.title, learning_standard=parsed.learning_standard,
        activity_id=parsed.activity_id, structure=parsed.root.to_dict(), course_metadata=asdict(parsed.metadata),
        languages=list(parsed.languages), warnings=list(parsed.warnings), extra=dict(parsed.extra),
        content_prefix=prefix, package_key=package_key, size_bytes=sum(files.values()), file_count=len(files),
    )



# ------------------------------------------------------------------------------ media courses

def _media_type(local: Path, filename: str | None, content_type: str | None) -> str | None:
    """The media type of the local file when it is a PDF, MP4 or MP3, else None (a zip, say)."""
    with open(local, "rb") as fh:
        head = fh.read(64)
    if head.startswith(b"PK"):
        return None
    return detect_media(head, filename, content_type)


def _media_course(snap: _Snapshot, env: ImportEnv, prefix: str, local: Path, media_type: str,
                  filename: str | None) -> tuple[ParsedCourse, dict[str, int]]:
    """Store the media file and our viewer page; the parsed course and {path: size}."""
    name = safe_filename(filename, "media" + _MEDIA_EXT[media_type])
    if not name.lower().endswith(_MEDIA_EXT[media_type]):
        name += _MEDIA_EXT[media_type]
    if name.lower() == "index.html":
        name = "media" + _MEDIA_EXT[media_type]
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


def _reference_course(snap: _Snapshot, env: ImportEnv, prefix: str) -> tuple[ParsedCourse, dict[str, int]]:
    """CreateNoUploadAndImportCourseJob: the media stays at its URL; we store only the viewer."""
    url = snap.source_url
    media_type = snap.content_type or _MEDIA_BY_EXT.get(Path(urlsplit(url).path).suffix.lower())
    if media_type not in _MEDIA_EXT:
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


# A connector course's one activity: never loaded by the player, which launches the connector's tool.
LTI13_HREF = "lti13:launch"


def connector_course(reference: dict) -> ParsedCourse:
    """A content connector's course (learning standard LTI13): one activity, the tool's resource
    link. REFERENCE is what the import was given: connectorId, connectorIdForContent and
    metadataForConnector (title, description); the launch reads the connector from extra."""
    meta = reference.get("metadataForConnector") or {}
    content_id = reference.get("connectorIdForContent") or None
    title = _text(meta.get("title")) or _text(content_id) or "LTI 1.3 tool"
    activity = Activity(id=content_id or "lti13-resource", title=title, activity_type=SCO,
                        href=LTI13_HREF, data={"connectorIdForContent": content_id})
    root = Activity(id=reference["connectorId"], title=title, children=[activity])
    extra = {"connectorId": reference["connectorId"], "connectorIdForContent": content_id,
             "masteryScore": meta.get("masteryScore") if isinstance(meta.get("masteryScore"), (int, float)) else None}
    return ParsedCourse(learning_standard=LearningStandard.LTI13.value, title=title, root=root,
                        metadata=CourseMetadata(title=title, description=_text(meta.get("description"))),
                        activity_id=content_id, extra=extra)


def _text(value: object) -> str | None:
    return value.strip()[:2000] or None if isinstance(value, str) else None


def _title_from(name: str) -> str:
    stem = name.rsplit(".", 1)[0].replace("_", " ").replace("-", " ").strip()
    return stem or "Media"
