"""The sandbox (administrators and owners) and My courses (every role).

Sandbox: "Test in sandbox" on a course launches it in the player on the signed-in user's own sandbox
registration of that course version (made on the first launch, resumed on the next ones); such
registrations are free (never counted against the realm's limit) and are left out of usage, reports
and GetRegistrations. /console/sandbox lists them apart, with "Reset my sandbox progress" (the
function DeleteRegistrationProgress calls). My courses: the registrations of the realm whose learner is
the signed-in user, each with a Launch button. Launch links are the ones BuildRegistrationLaunchLink
makes, coming back to the console on exit."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from coursehost.console.app_picker import choose_application
from coursehost.console.auth import signed_in
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.domain.applications import service as apps
from coursehost.domain.courses import catalog
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.registrations import assigned, core, launch_links, sandbox
from coursehost.web import read_unit, services, unit

ADMIN = Depends(signed_in(Role.ADMINISTRATOR))
ANYONE = Depends(signed_in(Role.LEARNER))
COURSE_CHOICES = 500  # the launch form's course list; any course can also be launched from its own page

NOTICES = {
    "reset": "Your sandbox progress in that course was reset: its next launch starts from the beginning.",
    "reset-all": "Your sandbox progress in every course of this application was reset.",
}
WORDS = {"COMPLETED": "Completed", "INCOMPLETE": "Incomplete", "PASSED": "Passed", "FAILED": "Failed",
         "UNKNOWN": "Unknown"}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _app_or_404(session, me: SignedIn, app_id: str):
    try:
        return apps.get_realm_application(session, realm_id=me.realm_id, app_id=app_id)
    except NotFound:
        raise ConsolePageError(404, "Application not found",
                               f"There is no application {app_id} in {me.realm_name}.", me=me) from None


def _sandbox_url(app_id: str, notice: str | None = None) -> str:
    query = {"app": app_id, **({"notice": notice} if notice else {})}
    return f"/console/sandbox?{urlencode(query)}"


def _launch(request: Request, session, registration, back: str) -> RedirectResponse:
    """303 to a fresh player launch link for REGISTRATION that comes back to BACK (a console path) on exit."""
    svc = services(request)
    url = launch_links.registration_launch_link(
        session, instance_key=svc.instance_key, content_url=svc.settings.content_url, registration=registration,
        request=launch_links.LinkRequest(redirect_on_exit_url=f"{svc.settings.public_url.rstrip('/')}{back}"))
    return _see_other(url)


def _sandbox_page(request: Request, me: SignedIn, app_id: str | None, *, status: int = 200,
                  notice: str | None = None, form: dict[str, str] | None = None,
                  errors: dict[str, str] | None = None) -> Response:
    with read_unit(request) as session:
        chosen = choose_application(session, me, app_id)
        entries = sandbox.sandbox_registrations(session, application_pk=chosen.app.pk, learner_id=me.email)
        courses = sandbox.course_choices(session, application_pk=chosen.app.pk, limit=COURSE_CHOICES + 1)
    return render(request, "sandbox/list.html", me=me, status=status, title="Sandbox", picker=chosen,
                  app_id=chosen.app_id, app_name=chosen.app.name, entries=entries, words=WORDS,
                  courses=courses[:COURSE_CHOICES], more_courses=len(courses) > COURSE_CHOICES,
                  notice=NOTICES.get(notice or ""), form=form or {}, errors=errors or {})


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _start_sandbox(request: Request, me: SignedIn, app_id: str, course_id: str, version_text: str) -> Response:
    """Launch COURSE_ID (version VERSION_TEXT, or its latest) on the user's sandbox registration; on a
    bad version or an unknown course, the Sandbox page with the launch form's message."""
    form = {"course_id": course_id, "version": version_text}
    try:
        version = sandbox.check_version(version_text)
    except InvalidInput as exc:
        return _sandbox_page(request, me, app_id, status=400, form=form, errors={"version": str(exc)})
    try:
        with unit(request) as session:
            app = _app_or_404(session, me, app_id)
            reg = sandbox.open_sandbox_registration(
                session, application_pk=app.pk, course_id=course_id, version=version,
                learner=sandbox.sandbox_learner(email=me.email, name=me.name))
            return _launch(request, session, reg, _sandbox_url(app.app_id))
    except NotFound:
        field, message = ("version", f"Course {course_id} has no version {version}.") if version is not None \
            else ("course_id", f"There is no course {course_id} in this application.")
        return _sandbox_page(request, me, app_id, status=404, form=form, errors={field: message})


def build_sandbox_router() -> APIRouter:  # noqa: C901 - one small handler per route
    router = APIRouter(include_in_schema=False)

    @router.post("/courses/{app_id}/{course_id:path}/sandbox")
    async def launch_course(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        return _start_sandbox(request, me, app_id, course_id, (await _form(request)).get("version", ""))

    @router.post("/sandbox/{app_id}/launch")
    async def launch_chosen(request: Request, app_id: str, me: SignedIn = ADMIN):
        form = await _form(request)
        course_id = form.get("course_id", "")
        if not course_id:
            return _sandbox_page(request, me, app_id, status=400, form=form,
                                 errors={"course_id": "Choose a course to launch."})
        return _start_sandbox(request, me, app_id, course_id, form.get("version", ""))

    @router.get("/sandbox")
    def sandbox_list(request: Request, app: str | None = None, notice: str | None = None, me: SignedIn = ADMIN):
        return _sandbox_page(request, me, app, notice=notice)

    @router.get("/sandbox/{app_id}/registrations/{registration_id:path}/reset")
    def confirm_reset(request: Request, app_id: str, registration_id: str, me: SignedIn = ADMIN):
        with read_unit(request) as session:
            app = _app_or_404(session, me, app_id)
            reg = _own_sandbox(session, me, app, registration_id)
            title = catalog.get_course(session, application_pk=app.pk, course_id=reg.course_id).title
            version = core.get_instance(session, registration=reg).course_version
        return render(request, "sandbox/confirm.html", me=me, title="Reset my sandbox progress?",
                      message=f"Your progress in {title} (version {version}) in the sandbox is deleted: its next "
                              "launch starts from the beginning, on the same version. This cannot be undone.",
                      action=f"/console/sandbox/{app_id}/registrations/{quote(registration_id)}/reset",
                      button="Reset my sandbox progress", back=_sandbox_url(app_id))

    @router.post("/sandbox/{app_id}/registrations/{registration_id:path}/reset")
    async def reset_one(request: Request, app_id: str, registration_id: str, me: SignedIn = ADMIN):
        if (await _form(request)).get("confirm") != "yes":  # not the confirmation form: ask first
            return _see_other(f"/console/sandbox/{app_id}/registrations/{quote(registration_id)}/reset")
        with unit(request) as session:
            app = _app_or_404(session, me, app_id)
            sandbox.reset_sandbox(session, registrations=[_own_sandbox(session, me, app, registration_id)])
        return _see_other(_sandbox_url(app_id, "reset"))

    @router.get("/sandbox/{app_id}/reset")
    def confirm_reset_all(request: Request, app_id: str, me: SignedIn = ADMIN):
        with read_unit(request) as session:
            app = _app_or_404(session, me, app_id)
            count = len(sandbox.all_sandbox_registrations(session, application_pk=app.pk, learner_id=me.email))
            name = app.name
        return render(request, "sandbox/confirm.html", me=me, title="Reset all my sandbox progress?",
                      message=f"Your progress in all {count} of your sandbox courses in {name} is deleted: each "
                              "one's next launch starts from the beginning. This cannot be undone.",
                      action=f"/console/sandbox/{app_id}/reset", button="Reset all my sandbox progress",
                      back=_sandbox_url(app_id), blocked=None if count else "You have no sandbox progress in "
                      f"{name} to reset.")

    @router.post("/sandbox/{app_id}/reset")
    async def reset_all(request: Request, app_id: str, me: SignedIn = ADMIN):
        if (await _form(request)).get("confirm") != "yes":
            return _see_other(f"/console/sandbox/{app_id}/reset")
        with unit(request) as session:
            app = _app_or_404(session, me, app_id)
            sandbox.reset_sandbox(session, registrations=sandbox.all_sandbox_registrations(
                session, application_pk=app.pk, learner_id=me.email))
        return _see_other(_sandbox_url(app_id, "reset-all"))

    @router.get("/my-courses")
    def my_courses(request: Request, me: SignedIn = ANYONE):
        with read_unit(request) as session:
            courses = assigned.assigned_courses(session, realm_id=me.realm_id, email=me.email)
        several_apps = len({c.app_id for c in courses}) > 1
        return render(request, "sandbox/my_courses.html", me=me, title="My courses", courses=courses,
                      several_apps=several_apps, words=WORDS, limit=assigned.LIMIT)

    @router.post("/my-courses/{app_id}/{registration_id:path}/launch")
    def launch_mine(request: Request, app_id: str, registration_id: str, me: SignedIn = ANYONE):
        with unit(request) as session:
            app = _app_or_404(session, me, app_id)
            try:
                reg = assigned.get_assigned_registration(session, application_pk=app.pk,
                                                         registration_id=registration_id, email=me.email)
            except NotFound:
                raise ConsolePageError(404, "Course not found",
                                       "This is not one of your courses. Open My courses to see yours.",
                                       me=me) from None
            return _launch(request, session, reg, "/console/my-courses")

    return router


def _own_sandbox(session, me: SignedIn, app, registration_id: str):
    try:
        return sandbox.get_sandbox_registration(session, application_pk=app.pk, learner_id=me.email,
                                                registration_id=registration_id)
    except NotFound:
        raise ConsolePageError(404, "Sandbox registration not found",
                               f"You have no sandbox registration {registration_id} in {app.name}.", me=me) from None
