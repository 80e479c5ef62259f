"""What the course pages share (console/courses.py, settings_editor.py, course_assets.py): the course
of the signed-in user's realm or a 404 page, redirects, forms, confirmation pages and downloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from coursehost.console.auth import signed_in
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.domain.applications import service as apps
from coursehost.domain.courses import catalog
from coursehost.domain.errors import NotFound

ADMIN = Depends(signed_in(Role.ADMINISTRATOR))

# A download from the service origin is never rendered there: an attachment, no sniffing, and a
# sandbox CSP should a browser open it anyway (course files are HTML and script written by others).
DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
                    "Content-Security-Policy": "default-src 'none'; sandbox"}

STANDARDS = {
    "SCORM11": "SCORM 1.1", "SCORM12": "SCORM 1.2", "SCORM20042NDEDITION": "SCORM 2004 2nd Edition",
    "SCORM20043RDEDITION": "SCORM 2004 3rd Edition", "SCORM20044THEDITION": "SCORM 2004 4th Edition",
    "AICC": "AICC", "XAPI": "xAPI (Tin Can)", "CMI5": "cmi5", "LTI13": "LTI 1.3", "UNKNOWN": "Unknown",
}


def course_url(app_id: str, course_id: str, tail: str = "") -> str:
    """The course page (or one of its sub-pages, TAIL) of COURSE_ID in APP_ID."""
    return f"/console/courses/{quote(app_id, safe='')}/{quote(course_id, safe='')}{tail}"


def library_url(app_id: str) -> str:
    return f"/console/library?app={quote(app_id, safe='')}"


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def form_of(request: Request) -> dict[str, str]:
    """The request's form, text fields only (a repeated name: the last value)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def app_or_404(session, me: SignedIn, app_id: str):
    """The application APP_ID of the signed-in user's realm; another realm's is not found either."""
    try:
        return apps.get_realm_application(session, realm_id=me.realm_id, app_id=app_id)
    except NotFound:
        raise ConsolePageError(404, "Application not found",
                               f"There is no application {app_id} in {me.realm_name}.", me=me) from None


def course_or_404(session, me: SignedIn, app_id: str, course_id: str):
    """(application, course) of the signed-in user's realm, or the 404 page."""
    app = app_or_404(session, me, app_id)
    try:
        return app, catalog.get_course(session, application_pk=app.pk, course_id=course_id)
    except NotFound:
        raise ConsolePageError(404, "Course not found",
                               f"Application {app.name} has no course {course_id}.", me=me) from None


def version_or_404(session, me: SignedIn, course, version: int | str | None):
    """VERSION of COURSE (its latest when None or empty), or the 404 page."""
    number: int | None
    if version is None or str(version).strip() == "":
        number = None
    else:
        try:
            number = int(str(version))
        except ValueError:
            number = -1
    try:
        return catalog.get_version(session, course=course, version=number)
    except NotFound:
        raise ConsolePageError(404, "Version not found",
                               f"Course {course.course_id} has no version {version}.", me=me) from None


def confirm_page(request: Request, me: SignedIn, *, title: str, message: str, action: str, button: str,
                 back: str, crumbs: list[tuple[str, str]], details: list[str] | None = None,
                 hidden: dict[str, Any] | None = None) -> Response:
    """The page before a destructive action: what will happen, the button that does it, and Cancel."""
    return render(request, "courses/confirm.html", me=me, title=title, message=message, action=action,
                  button=button, back=back, crumbs=crumbs, details=details or [], hidden=hidden or {})


def download(stream: BinaryIO, filename: str, media_type: str, size: int | None = None) -> StreamingResponse:
    """STREAM as an attachment named FILENAME (the browser saves it, never renders it here)."""
    headers = {**DOWNLOAD_HEADERS, "Content-Disposition": _disposition(filename)}
    if size is not None:
        headers["Content-Length"] = str(size)
    return StreamingResponse(_chunks(stream), media_type=media_type, headers=headers)


def _disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename={json.dumps(ascii_name)}; filename*=UTF-8''{quote(filename, safe='')}"


def _chunks(stream: BinaryIO, size: int = 1024 * 1024) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(size):
            yield chunk
