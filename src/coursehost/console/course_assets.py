"""A course version's files (/console/courses/{app_id}/{course_id}/assets): the list, one file's
download, adding or replacing one file under the reject / strict / lax policy, and a zip of files
written at their paths under the same policy. The domain functions of the CourseApi asset operations
(GetCourseFileList, GetCourseAsset, UploadCourseAssetFile) and domain/courses/assets.py's zip import."""

from __future__ import annotations

import mimetypes
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from coursehost.console.course_common import (
    ADMIN,
    course_or_404,
    course_url,
    download,
    library_url,
    see_other,
    version_or_404,
)
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.courses import assets
from coursehost.domain.courses.packages.reader import PackageLimits
from coursehost.domain.errors import Conflict, InvalidInput, NotFound
from coursehost.web import services, unit

POLICIES = [
    ("reject", "Add only (reject)",
     "The file is added only if the course has no file at that path yet; an existing file is never "
     "overwritten and nothing changes."),
    ("strict", "Replace only (strict)",
     "The file must already exist at that path and is replaced; a path the course does not have is refused "
     "and nothing changes."),
    ("lax", "Add or replace (lax)",
     "The file is written whether or not it exists: added when new, replaced when it exists."),
]
POLICY_WORDS = {"reject": "reject (add only)", "strict": "strict (replace only)", "lax": "lax (add or replace)"}
REFUSALS = {
    "reject": "the policy reject only adds new files: choose strict or lax to replace it",
    "strict": "the policy strict only replaces existing files: choose reject or lax to add it",
}


def _notice(params) -> str | None:
    """The words of the notice after a write, from the redirect's query (never free text from a link)."""
    policy = POLICY_WORDS.get(params.get("policy", ""))
    if policy is None:
        return None
    if params.get("notice") in ("added", "replaced"):
        return f"{params.get('path', '')} was {params['notice']} (policy {policy})."
    if params.get("notice") == "zip":
        added, replaced = int(params.get("added", "0") or 0), int(params.get("replaced", "0") or 0)
        total = added + replaced
        return (f"{total} file{'s' if total != 1 else ''} written from the zip: {added} added, {replaced} "
                f"replaced (policy {policy}).")
    return None


def _assets_page(request: Request, me: SignedIn, app_id: str, course_id: str, version: str | None, *,
                 status: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                 notice: str | None = None) -> Response:
    with unit(request) as session:
        _, course = course_or_404(session, me, app_id, course_id)
        found = version_or_404(session, me, course, version)
        files = [{"path": f.path, "size": f.size, "modified": f.modified}
                 for f in assets.list_files(session, version=found)]
        info = {"app_id": app_id, "course_id": course.course_id, "title": course.title, "version": found.version,
                "versions": [v.version for v in reversed(course.versions)], "size": found.size_bytes,
                "url": course_url(app_id, course.course_id)}
    crumbs = [(library_url(app_id), "Library"), (info["url"], info["title"])]
    return render(request, "courses/assets.html", me=me, status=status, title=f"Files of {info['title']}",
                  course=info, crumbs=crumbs, files=files, policies=POLICIES, errors=errors or {},
                  values=values or {}, notice=notice, quote=quote)


async def _upload(request: Request) -> tuple[dict[str, str], UploadFile | None]:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        upload = None
    for _, other in form.multi_items():  # an empty file field (or a stray one) is closed here, the upload by the caller
        if isinstance(other, UploadFile) and other is not upload:
            await other.close()
    return fields, upload


def _limits(request: Request) -> PackageLimits:
    s = services(request).settings
    return PackageLimits(max_expanded_bytes=s.import_max_expanded_bytes, max_files=s.import_max_files,
                         max_ratio=s.import_max_compression_ratio)


def _write_one(request: Request, me: SignedIn, app_id: str, course_id: str, version: str, destination: str,
               upload: UploadFile, policy: str) -> tuple[str, bool, int]:
    with unit(request) as session:
        _, course = course_or_404(session, me, app_id, course_id)
        found = version_or_404(session, me, course, version)
        replaced = assets.file_exists(session, version=found, path=destination)
        path = assets.write_asset(session, store=services(request).store, version=found, path=destination,
                                  data=upload.file, policy=policy,
                                  content_type=mimetypes.guess_type(destination)[0])
        return path, replaced, found.version


def _write_zip(request: Request, me: SignedIn, app_id: str, course_id: str, version: str, upload: UploadFile,
               policy: str) -> tuple[list[tuple[str, bool]], int]:
    with tempfile.TemporaryDirectory(prefix="coursehost-assets-") as tmp:
        local = Path(tmp) / "files.zip"
        with open(local, "wb") as out:
            shutil.copyfileobj(upload.file, out, 1024 * 1024)
        with unit(request) as session:
            _, course = course_or_404(session, me, app_id, course_id)
            found = version_or_404(session, me, course, version)
            written = assets.write_assets_from_zip(session, store=services(request).store, version=found,
                                                   package=local, policy=policy, limits=_limits(request))
            return written, found.version


def _refusal(exc: InvalidInput | NotFound | Conflict, policy: str) -> str:
    """Why the write was refused, in words (the domain names the file and the policy)."""
    text = str(exc)
    if text.startswith("Invalid value for updateAssetPolicy"):
        return "Choose one of the three policies."
    reason = REFUSALS.get(policy) if "updateAssetPolicy" in text else None
    text = text.split(" and updateAssetPolicy")[0]
    return f"Nothing was changed: {text[:1].lower()}{text[1:]}" + (f"; {reason}." if reason else ".")


def build_course_assets_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/courses/{app_id}/{course_id}/assets")
    def assets_page(request: Request, app_id: str, course_id: str, version: str | None = None,
                    destination: str = "", me: SignedIn = ADMIN):
        values = {"destination": destination, "policy": "strict" if destination else "reject"}  # "Replace" links
        return _assets_page(request, me, app_id, course_id, version, values=values,
                            notice=_notice(request.query_params))

    @router.get("/courses/{app_id}/{course_id}/assets/file")
    def download_asset(request: Request, app_id: str, course_id: str, path: str = "", version: str | None = None,
                       me: SignedIn = ADMIN):
        with unit(request) as session:
            _, course = course_or_404(session, me, app_id, course_id)
            found = version_or_404(session, me, course, version)
            try:
                stream, size = assets.open_asset(session, store=services(request).store, version=found, path=path)
            except (InvalidInput, NotFound) as exc:
                raise ConsolePageError(404, "File not found", str(exc), me=me) from None
        name = path.rstrip("/").rsplit("/", 1)[-1] or "file"
        return download(stream, name, mimetypes.guess_type(path)[0] or "application/octet-stream", size)

    @router.post("/courses/{app_id}/{course_id}/assets/file")
    async def upload_asset(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        fields, upload = await _upload(request)
        version, policy = fields.get("version", ""), fields.get("policy", "reject")
        destination = fields.get("destination", "").strip() or (upload.filename if upload else "")
        values = {"destination": fields.get("destination", ""), "policy": policy}
        if upload is None:
            return _assets_page(request, me, app_id, course_id, version, status=400, values=values,
                                errors={"file": "Choose the file to upload."})
        try:
            path, replaced, number = await run_in_threadpool(_write_one, request, me, app_id, course_id, version,
                                                             destination, upload, policy)
        except (InvalidInput, NotFound, Conflict) as exc:
            key = "policy" if str(exc).startswith("Invalid value for updateAssetPolicy") else "destination"
            return _assets_page(request, me, app_id, course_id, version, status=400, values=values,
                                errors={key: _refusal(exc, policy)})
        finally:
            await upload.close()
        query = urlencode({"version": number, "notice": "replaced" if replaced else "added", "path": path,
                           "policy": policy})
        return see_other(course_url(app_id, course_id, f"/assets?{query}#files"))

    @router.post("/courses/{app_id}/{course_id}/assets/zip")
    async def upload_zip(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        fields, upload = await _upload(request)
        version, policy = fields.get("version", ""), fields.get("zip_policy", "reject")
        values = {"zip_policy": policy}
        if upload is None:
            return _assets_page(request, me, app_id, course_id, version, status=400, values=values,
                                errors={"zip": "Choose the zip file to upload."})
        try:
            written, number = await run_in_threadpool(_write_zip, request, me, app_id, course_id, version, upload,
                                                      policy)
        except (InvalidInput, NotFound, Conflict) as exc:
            return _assets_page(request, me, app_id, course_id, version, status=400, values=values,
                                errors={"zip": _refusal(exc, policy)})
        finally:
            await upload.close()
        added = sum(1 for _, replaced in written if not replaced)
        query = urlencode({"version": number, "notice": "zip", "added": added, "replaced": len(written) - added,
                           "policy": policy})
        return see_other(course_url(app_id, course_id, f"/assets?{query}#files"))

    return router
