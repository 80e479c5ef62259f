"""The course pages (administrators and owners) under /console/courses/{app_id}/{course_id}: the course
with its versions (parser warnings, a sandbox launch, delete), its outline, tags, the original package,
deleting it, and creating a registration for a learner with its launch link. The configuration editor
is console/settings_editor.py, the files console/course_assets.py. Every action calls the domain
function the matching CourseApi / RegistrationApi operation calls."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from coursehost.console.course_assets import build_course_assets_router
from coursehost.console.course_common import (
    ADMIN,
    STANDARDS,
    confirm_page,
    course_or_404,
    course_url,
    download,
    form_of,
    library_url,
    see_other,
    version_or_404,
)
from coursehost.console.lms import course_panel
from coursehost.console.pages import ConsolePageError, render
from coursehost.console.settings_editor import build_course_settings_router
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.courses import assets, catalog, import_jobs
from coursehost.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from coursehost.domain.registrations import core, launch_links, lifecycle, listing
from coursehost.domain.tags import add_tags, clean_tags, get_tags, remove_tags
from coursehost.web import services, unit

NOTICES = {
    "tags-added": "The tags were added.",
    "tag-removed": "The tag was removed.",
    "version-deleted": "The version was deleted.",
    "registration-created": "The registration was created.",
    "lms-attached": "The LMS configuration was attached: this course's results are sent to it from now on.",
    "lms-detached": "The LMS configuration was detached: this course's results are no longer sent.",
}
LEARNER_FIELDS = (("learner_id", "Learner ID"), ("first_name", "First name"), ("last_name", "Last name"),
                  ("email", "E-mail"), ("registration_id", "Registration ID"))
MAX_FIELD = 255


def _course_info(session, app, course) -> dict:
    latest = catalog.get_version(session, course=course)
    return {"app_id": app.app_id, "app_name": app.name, "course_id": course.course_id, "title": course.title,
            "standard": STANDARDS.get(course.learning_standard, course.learning_standard),
            "created": course.created, "updated": course.updated, "latest_version": course.latest_version,
            "url": course_url(app.app_id, course.course_id), "outline": latest.structure,
            "has_package": bool(latest.package_key),
            "registrations": listing.course_registration_count(session, application_pk=app.pk,
                                                               course_id=course.course_id)}


def _versions(session, course) -> list[dict]:
    return [{"number": v.version, "title": v.title, "created": v.created, "updated": v.updated,
             "standard": STANDARDS.get(v.learning_standard, v.learning_standard), "files": v.file_count,
             "size": v.size_bytes, "warnings": list(v.warnings or []), "has_package": bool(v.package_key)}
            for v in reversed(catalog.list_versions(session, course=course))]


def _course_page(request: Request, me: SignedIn, app_id: str, course_id: str, *, status: int = 200,
                 errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                 notice: str | None = None) -> Response:
    with unit(request) as session:
        app, course = course_or_404(session, me, app_id, course_id)
        info = _course_info(session, app, course)
        versions = _versions(session, course)
        tags = get_tags(session, application_pk=app.pk, kind="course", key=course.course_id)
        lms_panel = course_panel(session, realm_id=me.realm_id, course_pk=course.pk)
    return render(request, "courses/course.html", me=me, status=status, title=info["title"], course=info,
                  versions=versions, tags=tags, lms=lms_panel, errors=errors or {}, values=values or {},
                  learner_fields=LEARNER_FIELDS, notice=NOTICES.get(notice or ""))


def _crumbs(app_id: str, course_id: str, title: str) -> list[tuple[str, str]]:
    return [(library_url(app_id), "Library"), (course_url(app_id, course_id), title)]


def build_courses_router() -> APIRouter:  # noqa: C901 - one small handler per route
    router = APIRouter(include_in_schema=False)

    @router.get("/courses/{app_id}/{course_id}")
    def course_page(request: Request, app_id: str, course_id: str, notice: str | None = None,
                    me: SignedIn = ADMIN):
        return _course_page(request, me, app_id, course_id, notice=notice)

    @router.post("/courses/{app_id}/{course_id}/tags")
    async def add_course_tags(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        raw = (await form_of(request)).get("tags", "")
        try:
            tags = clean_tags(raw.split(","))
            if not tags:
                raise InvalidInput("Enter at least one tag.")
            with unit(request) as session:
                app, course = course_or_404(session, me, app_id, course_id)
                add_tags(session, application_pk=app.pk, kind="course", key=course.course_id, tags=tags)
        except InvalidInput as exc:
            return _course_page(request, me, app_id, course_id, status=400, errors={"tags": _tag_message(exc)},
                                values={"tags": raw})
        return see_other(course_url(app_id, course_id, "?notice=tags-added#tags"))

    @router.post("/courses/{app_id}/{course_id}/tags/remove")
    async def remove_course_tag(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        tag = (await form_of(request)).get("tag", "")
        with unit(request) as session:
            app, course = course_or_404(session, me, app_id, course_id)
            remove_tags(session, application_pk=app.pk, kind="course", key=course.course_id, tags=[tag])
        return see_other(course_url(app_id, course_id, "?notice=tag-removed#tags"))

    @router.get("/courses/{app_id}/{course_id}/package")
    def download_package(request: Request, app_id: str, course_id: str, version: str | None = None,
                         me: SignedIn = ADMIN):
        with unit(request) as session:
            _, course = course_or_404(session, me, app_id, course_id)
            found = version_or_404(session, me, course, version)
            try:
                stream = assets.open_package(store=services(request).store, version=found)
            except NotFound as exc:
                raise ConsolePageError(404, "No package to download", str(exc), me=me) from None
            name = f"{import_jobs.course_dir(course.course_id)}-v{found.version}.zip"
        return download(stream, name, "application/zip")

    @router.get("/courses/{app_id}/{course_id}/delete")
    def confirm_delete_course(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        with unit(request) as session:
            app, course = course_or_404(session, me, app_id, course_id)
            title, count = course.title, len(course.versions)
            regs = listing.course_registration_count(session, application_pk=app.pk, course_id=course.course_id)
        return confirm_page(
            request, me, title=f"Delete {title}?", crumbs=_crumbs(app_id, course_id, title),
            message=f"Deleting course {title} ({course_id}) deletes all of it. This cannot be undone.",
            details=[f"Its {count} version{'s, with their' if count != 1 else ', with its'} files and original "
                     f"package{'s' if count != 1 else ''}.",
                     "Its tags and its configuration settings.",
                     f"Its {regs} registration{'s' if regs != 1 else ''}, with the learners' progress." if regs
                     else "It has no registrations."],
            action=course_url(app_id, course_id, "/delete"), button="Delete course",
            back=course_url(app_id, course_id))

    @router.post("/courses/{app_id}/{course_id}/delete")
    async def delete_course(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        if (await form_of(request)).get("confirm") != "yes":
            return see_other(course_url(app_id, course_id, "/delete"))
        with unit(request) as session:
            _, course = course_or_404(session, me, app_id, course_id)
            catalog.delete_course(session, course=course)
        return see_other(library_url(app_id) + "&notice=course-deleted")

    @router.get("/courses/{app_id}/{course_id}/versions/{number}/delete")
    def confirm_delete_version(request: Request, app_id: str, course_id: str, number: str, me: SignedIn = ADMIN):
        with unit(request) as session:
            _, course = course_or_404(session, me, app_id, course_id)
            found = version_or_404(session, me, course, number)
            title, only = course.title, len(course.versions) == 1
        last = (" It is the course's only version: deleting it deletes the course, with its tags and settings."
                if only else "")
        return confirm_page(
            request, me, title=f"Delete version {found.version} of {title}?", crumbs=_crumbs(app_id, course_id, title),
            message=f"Version {found.version} is deleted with its files and original package, and the learners' "
                    f"progress on it with it. This cannot be undone.{last}",
            action=course_url(app_id, course_id, f"/versions/{found.version}/delete"), button="Delete version",
            back=course_url(app_id, course_id, "#versions"))

    @router.post("/courses/{app_id}/{course_id}/versions/{number}/delete")
    async def delete_version(request: Request, app_id: str, course_id: str, number: str, me: SignedIn = ADMIN):
        if (await form_of(request)).get("confirm") != "yes":
            return see_other(course_url(app_id, course_id, f"/versions/{number}/delete"))
        with unit(request) as session:
            _, course = course_or_404(session, me, app_id, course_id)
            found = version_or_404(session, me, course, number)
            only = len(course.versions) == 1
            catalog.delete_version(session, course=course, version=found)
        if only:
            return see_other(library_url(app_id) + "&notice=course-deleted")
        return see_other(course_url(app_id, course_id, "?notice=version-deleted#versions"))

    @router.post("/courses/{app_id}/{course_id}/registrations")
    async def create_registration(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        form = await form_of(request)
        values = {key: form.get(key, "").strip() for key, _ in LEARNER_FIELDS}
        errors = _learner_errors(values)
        registration_id = values["registration_id"] or str(uuid.uuid4())
        if not errors:
            try:
                with unit(request) as session:
                    app, course = course_or_404(session, me, app_id, course_id)
                    learner = {"id": values["learner_id"], "firstName": values["first_name"],
                               "lastName": values["last_name"], **({"email": values["email"]} if values["email"] else {})}
                    lifecycle.enrol(session, application_pk=app.pk, enrolment=lifecycle.Enrolment(
                        registration_id=registration_id, course_id=course.course_id, learner=learner))
            except DomainError as exc:
                errors = _registration_errors(exc)
        if errors:
            return _course_page(request, me, app_id, course_id, status=400, errors=errors, values=values)
        return see_other(course_url(app_id, course_id, f"/launch-link?registration={_q(registration_id)}"
                                                       "&notice=registration-created"))

    @router.get("/courses/{app_id}/{course_id}/launch-link")
    def launch_link(request: Request, app_id: str, course_id: str, registration: str = "",
                    notice: str | None = None, me: SignedIn = ADMIN):
        svc = services(request)
        with unit(request) as session:
            app, course = course_or_404(session, me, app_id, course_id)
            reg = core.find_registration(session, application_pk=app.pk, registration_id=registration)
            if reg is None or reg.course_id != course.course_id:
                raise ConsolePageError(404, "Registration not found",
                                       f"Course {course.course_id} has no registration {registration}.", me=me)
            link = launch_links.registration_launch_link(
                session, instance_key=svc.instance_key, content_url=svc.settings.content_url, registration=reg,
                request=launch_links.LinkRequest(expiry=launch_links.EXPIRY_MAX))
            info = {"registration_id": reg.registration_id, "learner_id": reg.learner_id,
                    "learner_name": " ".join(filter(None, [reg.learner.get("firstName"), reg.learner.get("lastName")])),
                    "minutes": launch_links.EXPIRY_MAX // 60}
            title = course.title
        return render(request, "courses/launch_link.html", me=me, title=f"Launch link for {info['learner_id']}",
                      crumbs=_crumbs(app_id, course_id, title), registration=info, link=link, app_id=app_id,
                      back=course_url(app_id, course_id), notice=NOTICES.get(notice or ""),
                      again=course_url(app_id, course_id, f"/launch-link?registration={_q(reg.registration_id)}"))

    router.include_router(build_course_settings_router())
    router.include_router(build_course_assets_router())
    return router


def _q(value: str) -> str:
    return quote(value, safe="")


def _learner_errors(values: dict[str, str]) -> dict[str, str]:
    """The form's own checks (the wire's LearnerSchema lengths); the domain checks the rest."""
    errors = {key: f"{label} must be at most {MAX_FIELD} characters."
              for key, label in LEARNER_FIELDS if len(values[key]) > MAX_FIELD}
    if not values["learner_id"]:
        errors["learner_id"] = "Learner ID is required."
    if values["email"] and "@" not in values["email"]:
        errors.setdefault("email", "Enter an e-mail address such as name@example.com, or leave it empty.")
    return errors


def _registration_errors(exc: DomainError) -> dict[str, str]:
    """The domain's refusal, on the field it is about (or the form as a whole)."""
    text = str(exc)
    if isinstance(exc, Conflict) and text.startswith("Registration ["):
        return {"registration_id": "A registration with this ID already exists in this application; "
                                   "choose another ID or leave it empty for a new one."}
    if isinstance(exc, InvalidInput) and text.startswith("registrationId"):
        return {"registration_id": "The registration ID " + text.removeprefix("registrationId ") + "."}
    if isinstance(exc, InvalidInput) and text.startswith("learner.id"):
        return {"learner_id": "The learner ID " + text.removeprefix("learner.id ") + "."}
    if isinstance(exc, Forbidden):  # the realm's registration limit (domain/limits.py)
        return {"form": f"No registration was created. {text}. The realm's owners see its limits on "
                        "the Account page."}
    return {"form": f"No registration was created: {text}."}


def _tag_message(exc: InvalidInput) -> str:
    text = str(exc)
    if text.startswith("A tag in tags is longer"):
        return f"Each tag may be at most {MAX_FIELD} characters."
    if text.startswith("tags may hold"):
        return text.replace("tags may hold", "A course may have") + "."
    return text
