"""The Library (administrators and owners): an application's courses (search, filters, order, pages),
Add Content (a package or a PDF / MP4 / MP3 from a file or a URL) and the import job's live status.

The list is domain/courses/library.py's (the keyset paging GetCourses uses); an import is
import_jobs.create_import_job, the function CreateUploadAndImportCourseJob and
CreateFetchAndImportCourseJob call, with the uploaded file staged as the API stages it. The upload's
body is read by the same streaming parser as the API's (web/multipart.py) and within the same size
limit (app.py's body limits); its CSRF token is a field of that body, so it is checked once read."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime
from pathlib import PurePosixPath
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from coursehost.console.app_picker import choose_application
from coursehost.console.auth import CSRF_FIELD, CSRF_HEADER, csrf_refused, same_token, signed_in
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.domain.courses import import_jobs, library
from coursehost.domain.courses.catalog import MAX_ID, check_course_id
from coursehost.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from coursehost.web import read_unit, services, unit
from coursehost.web.multipart import UploadedForm, read_package_upload

ADMIN = Depends(signed_in(Role.ADMINISTRATOR))
UPLOADER = Depends(signed_in(Role.ADMINISTRATOR, csrf=False))  # the token is in the multipart body

STANDARDS = {
    "SCORM11": "SCORM 1.1", "SCORM12": "SCORM 1.2", "SCORM20042NDEDITION": "SCORM 2004 2nd Edition",
    "SCORM20043RDEDITION": "SCORM 2004 3rd Edition", "SCORM20044THEDITION": "SCORM 2004 4th Edition",
    "AICC": "AICC", "XAPI": "xAPI (Tin Can)", "CMI5": "cmi5", "LTI13": "LTI 1.3", "UNKNOWN": "Unknown",
}
SORTS = {
    "updated_desc": "Recently updated", "updated_asc": "Least recently updated",
    "title_asc": "Title, A to Z", "title_desc": "Title, Z to A",
    "registrations_desc": "Most registrations", "registrations_asc": "Fewest registrations",
    "created_desc": "Newest first", "created_asc": "Oldest first",
}
FILTERS = ("q", "tag", "standard", "since", "sort")
STATUS_WORDS = {import_jobs.RUNNING: "Importing", import_jobs.COMPLETE: "Complete", import_jobs.ERROR: "Failed"}


def course_url(app_id: str, course_id: str) -> str:
    """The course page (the course part's) of COURSE_ID; any character of an id is safe in it."""
    return f"/console/courses/{quote(app_id, safe='')}/{quote(course_id, safe='')}"


def suggest_course_id(name: str | None) -> str:
    """A course id from a file name or URL ("Safety Training v2.zip" -> "Safety-Training-v2");
    static/console/library-add.js makes the same suggestion in the browser."""
    if not name:
        return ""
    base = PurePosixPath(urlsplit(name).path if "://" in name else name.replace("\\", "/")).name
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")[:MAX_ID]


# ------------------------------------------------------------------------------------ the list

def _cursor(after: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(after, separators=(",", ":")).encode()).decode().rstrip("=")


def _uncursor(raw: str | None) -> list | None:
    if not raw:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError:
        return ["invalid"]  # refused with its message by library.check_keyset


def _since(raw: str) -> datetime | None:
    return datetime.combine(date.fromisoformat(raw), datetime.min.time(), UTC) if raw else None


LIST_NOTICES = {"course-deleted": "The course was deleted, with its versions, files, tags, settings and registrations."}


def _list_page(request: Request, me: SignedIn, notice: str | None = None) -> Response:
    params = request.query_params
    notice = notice or LIST_NOTICES.get(params.get("notice") or "")
    form = {k: (params.get(k) or "").strip() for k in FILTERS}
    errors, status = {}, 200
    try:
        since = _since(form["since"])
    except ValueError:
        since, status = None, 400
        errors["since"] = "Enter the date as year-month-day, for example 2024-05-31."
    sort = form["sort"] if form["sort"] in SORTS else library.LIBRARY_LIST.default_order
    start = int(params["start"]) if params.get("start", "").isdigit() else 0
    query = library.LibraryQuery(search=form["q"] or None, tag=form["tag"] or None,
                                 standard=form["standard"] or None, updated_since=since, order=sort)
    with read_unit(request) as session:
        chosen = choose_application(session, me, params.get("app"))
        try:
            page = library.library_page(session, application_pk=chosen.app.pk, query=query,
                                        after=_uncursor(params.get("after")),
                                        limit=services(request).settings.page_size)
        except InvalidInput as exc:  # a tag, standard or page link not made by this page
            raise ConsolePageError(400, "This list cannot be shown", str(exc), me=me) from None
        tags = library.tags_in_use(session, application_pk=chosen.app.pk)
        standards = library.standards_in_use(session, application_pk=chosen.app.pk)
    app_id = chosen.app_id
    rows = [{"course": c, "url": course_url(app_id, c.course_id),
             "standard": STANDARDS.get(c.learning_standard, c.learning_standard)} for c in page.courses]
    kept = {"app": app_id, **{k: v for k, v in form.items() if v}}
    next_url = None
    if page.after:
        next_url = "/console/library?" + urlencode({**kept, "after": _cursor(page.after),
                                                    "start": start + len(rows)})
    return render(request, "library/list.html", me=me, status=status, title="Library", picker=chosen,
                  app_id=app_id, app_name=chosen.app.name, rows=rows, total=page.total, start=start,
                  next_url=next_url, first_url="/console/library?" + urlencode(kept) if start else None,
                  form=form, sort=sort, sorts=SORTS, tags=tags, errors=errors, notice=notice,
                  standards=[(s, STANDARDS.get(s, s)) for s in standards],
                  filtered=any(form[k] for k in ("q", "tag", "standard", "since")))


# ------------------------------------------------------------------------------- Add Content

def _add_page(request: Request, me: SignedIn, chosen, *, status: int = 200, errors: dict | None = None,
              values: dict | None = None) -> Response:
    limit = services(request).settings.import_max_package_bytes
    return render(request, "library/add.html", me=me, status=status, title="Add content", picker=chosen,
                  app_id=chosen.app_id, app_name=chosen.app.name, errors=errors or {},
                  values={"existing": "refuse", **(values or {})}, max_bytes=limit, max_size=_size(limit))


def _size(n: int) -> str:
    for unit_name, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit_name}"
    return f"{n} bytes"


async def _read_form(request: Request) -> UploadedForm:
    """The Add Content form: multipart (a file, streamed to the store's spool) or urlencoded (a URL)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await read_package_upload(request, services(request).store)
    form = await request.form()
    return UploadedForm(fields={k: v for k, v in form.items() if isinstance(v, str)})


def _check_form(form: UploadedForm, values: dict) -> dict[str, str]:
    """The field messages of the Add Content form (empty when it may be imported)."""
    errors = {}
    has_file = form.path is not None and bool(form.filename or form.size)
    if has_file and values["url"]:
        errors["file"] = "Choose a file or give a web address, not both."
    elif not has_file and not values["url"]:
        errors["file"] = "Choose a file to upload, or give the web address (URL) of one."
    elif has_file and form.size == 0:
        errors["file"] = f"The file {form.filename} is empty (0 bytes). Choose another file."
    if values["existing"] not in ("version", "refuse"):
        errors["existing"] = "Choose what to do if a course with this ID exists."
    try:
        check_course_id(values["course_id"], "Course ID")
    except InvalidInput as exc:
        errors["course_id"] = f"{exc}." if values["course_id"] else "Enter a course ID (or choose a file to suggest one)."
    return errors


def _start_import(request: Request, app, req: import_jobs.ImportRequest, path) -> str:
    """Stage the upload (if any) and create the import job, as the API's import operations do."""
    allow_private = services(request).settings.allow_private_urls
    if path is None:
        with unit(request) as session:
            return import_jobs.create_import_job(session, application_pk=app.pk, request=req,
                                                 allow_private_urls=allow_private).job_id
    with import_jobs.staged_upload(services(request).store, key=req.staged_key, path=path,
                                   content_type=req.content_type), unit(request) as session:
        return import_jobs.create_import_job(session, application_pk=app.pk, request=req,
                                             allow_private_urls=allow_private).job_id


async def _add_content(request: Request, me: SignedIn) -> Response:
    try:
        form = await _read_form(request)
    except InvalidInput as exc:
        raise ConsolePageError(400, "The upload could not be read", f"{exc}. Nothing was imported.", me=me) from None
    try:
        if not same_token(me.csrf_token, request.headers.get(CSRF_HEADER) or form.fields.get(CSRF_FIELD)):
            raise csrf_refused(me)
        with read_unit(request) as session:
            chosen = choose_application(session, me, request.query_params.get("app"))
        fields = form.fields
        values = {"url": fields.get("url", "").strip(), "existing": fields.get("existing", ""),
                  "course_id": fields.get("course_id", "").strip()}
        values["course_id"] = values["course_id"] or suggest_course_id(form.filename or values["url"])
        errors = _check_form(form, values)
        if errors:
            return _add_page(request, me, chosen, status=400, errors=errors, values=values)
        upload = bool(form.filename or form.size)
        job_id = import_jobs.new_job_id()
        req = import_jobs.ImportRequest(
            course_id=values["course_id"], may_create_new_version=values["existing"] == "version",
            source="upload" if upload else "fetch", job_id=job_id, filename=form.filename if upload else None,
            content_type=form.content_type if upload else None, source_url=None if upload else values["url"],
            staged_key=import_jobs.staged_key(chosen.app_id, job_id) if upload else None)
        try:
            job_id = await run_in_threadpool(_start_import, request, chosen.app, req, form.path if upload else None)
        except Conflict:
            errors = {"course_id": f"A course with the ID {values['course_id']} already exists. Choose “Import it "
                                   "as a new version”, or give another course ID."}
        except Forbidden as exc:  # the realm's storage limit
            errors = {"form": f"{exc}. Delete courses, or ask for a higher limit."}
        except InvalidInput as exc:
            errors = {"url" if not upload else "form": f"{exc}."}
        if errors:
            if upload and request.headers.get("x-requested-with") != "XMLHttpRequest":  # the script keeps it
                errors.setdefault("file", "Choose the file again: a file is not kept when the form is refused.")
            return _add_page(request, me, chosen, status=409 if "course_id" in errors else 400,
                             errors=errors, values=values)
    finally:
        form.discard()
    return RedirectResponse(f"/console/library/imports/{job_id}?app={quote(chosen.app_id, safe='')}",
                            status_code=303)


# ------------------------------------------------------------------------------- import jobs

def _job_view(request: Request, me: SignedIn, job_id: str) -> dict:
    with read_unit(request) as session:
        chosen = choose_application(session, me, request.query_params.get("app"))
        try:
            job = import_jobs.get_import_job(session, application_pk=chosen.app.pk, job_id=job_id)
        except NotFound:
            raise ConsolePageError(404, "Import job not found",
                                   f"Application {chosen.app.name} has no import job {job_id}.", me=me) from None
        version = import_jobs.imported_version(session, job=job) if job.status == import_jobs.COMPLETE else None
        app_id = chosen.app_id
        return {
            "picker": chosen, "app_id": app_id, "app_name": chosen.app.name, "job_id": job.job_id,
            "job_status": job.status, "status_word": STATUS_WORDS.get(job.status, job.status),
            "message": job.message, "warnings": list(job.warnings or []), "course_id": job.course_id,
            "source": job.source, "filename": job.filename, "source_url": job.source_url,
            "new_version": job.may_create_new_version, "created": job.created,
            "course_title": version.title if version else None, "version": version.version if version else None,
            "course_url": course_url(app_id, job.course_id),
            "status_url": f"/console/library/imports/{quote(job.job_id, safe='')}/status?app={quote(app_id, safe='')}",
            "seen": f"{job.status}:{job.message}",
        }


def build_library_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/library")
    def library_list(request: Request, me: SignedIn = ADMIN):
        return _list_page(request, me)

    @router.get("/library/add")
    def add_form(request: Request, me: SignedIn = ADMIN):
        with read_unit(request) as session:
            chosen = choose_application(session, me, request.query_params.get("app"))
        return _add_page(request, me, chosen)

    @router.post("/library/add")
    async def add_content(request: Request, me: SignedIn = UPLOADER):
        return await _add_content(request, me)

    @router.get("/library/imports/{job_id}")
    def import_job(request: Request, job_id: str, me: SignedIn = ADMIN):
        view = _job_view(request, me, job_id)
        return render(request, "library/job.html", me=me, title=f"Import of {view['course_id']}", **view)

    @router.get("/library/imports/{job_id}/status")
    def import_job_status(request: Request, job_id: str, seen: str | None = None, me: SignedIn = ADMIN):
        """The job page's status panel, polled by htmx every second until COMPLETE or ERROR; 204 (htmx
        leaves the panel as it is) while nothing changed, so screen readers hear each change once."""
        view = _job_view(request, me, job_id)
        if seen is not None and seen == view["seen"]:
            return Response(status_code=204)
        return render(request, "library/_job_status.html", me=me, **view)

    return router
