"""The registration page: the progress summary and the activity tree with objectives, interactions and
run-time data (GetRegistrationProgress's domain function with includeChildResults,
includeInteractionsAndObjectives and includeRuntime), the instances, the launch history
(GetRegistrationLaunchHistory's); reset (DeleteRegistrationProgress, "Reset" in SCORM Cloud), delete
and create a new instance (CreateNewRegistrationInstance), each through the API's domain function."""

from __future__ import annotations

from fastapi import APIRouter, Request

from coursehost.console.pages import ConsolePageError, render
from coursehost.console.people_support import (
    ADMIN,
    confirm_page,
    form_of,
    learner_url,
    learners_url,
    notice_of,
    registration_or_404,
    registration_url,
    see_other,
)
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.errors import NotFound
from coursehost.domain.lms.results import registration_results
from coursehost.domain.registrations import lifecycle, listing
from coursehost.domain.reporting.progress import registration_progress
from coursehost.domain.runtime.launches import launch_history
from coursehost.web import read_unit, unit


def build_registrations_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/registrations/{app_id}/{registration_id}")
    def registration_page(request: Request, app_id: str, registration_id: str, me: SignedIn = ADMIN):
        with read_unit(request) as session:
            app, reg = registration_or_404(session, me, app_id, registration_id)
            try:
                progress = registration_progress(session, registration=reg, include_child_results=True,
                                                 include_interactions_and_objectives=True, include_runtime=True)
            except NotFound as exc:  # its instance or course version was deleted under it
                raise ConsolePageError(404, "This registration's results are gone", f"{exc}.", me=me) from None
            instances = listing.list_instances(session, registration=reg)
            launches = list(reversed(launch_history(session, registration=reg)))
            info = {"registration_id": reg.registration_id, "course_id": reg.course_id,
                    "learner_id": reg.learner_id, "sandbox": reg.sandbox, "created": reg.created,
                    "current": reg.instance}
            app_name = app.name
            lms_results = [{"configuration": config.name, "verb": result.verb, "status": result.status,
                            "reason": result.reason, "last_error": result.last_error, "occurred": result.occurred,
                            "delivered": result.delivered, "attempts": result.attempts}
                           for result, config in registration_results(session, registration_pk=reg.pk)]
        return render(request, "people/registration.html", me=me, title=f"Registration {registration_id}",
                      app_id=app_id, app_name=app_name, reg=info, progress=progress, instances=instances,
                      launches=launches, notice=notice_of(request), lms_results=lms_results,
                      learner_href=learner_url(app_id, info["learner_id"]), self_href=registration_url(app_id, registration_id))

    @router.get("/registrations/{app_id}/{registration_id}/reset")
    def confirm_reset(request: Request, app_id: str, registration_id: str, me: SignedIn = ADMIN):
        with read_unit(request) as session:
            _, reg = registration_or_404(session, me, app_id, registration_id)
            current = reg.instance
        here = registration_url(app_id, registration_id)
        return confirm_page(
            request, me, title=f"Reset registration {registration_id}?",
            intro="The learner starts the course again as if for the first time, on its latest version.",
            goes=[f"The results and run-time data of the current instance ({current}): completion, success, "
                  "score, time tracked, bookmarks and suspend data, interactions and objectives"],
            stays=["The registration itself, its learner, tags and settings", "Its earlier instances",
                   "Its launch history and debug logs (a record of what happened)"],
            action=f"{here}/reset", button="Reset progress", back=here)

    @router.post("/registrations/{app_id}/{registration_id}/reset")
    async def reset(request: Request, app_id: str, registration_id: str, me: SignedIn = ADMIN):
        here = registration_url(app_id, registration_id)
        if (await form_of(request)).get("confirm") != "yes":
            return see_other(f"{here}/reset")
        with unit(request) as session:
            _, reg = registration_or_404(session, me, app_id, registration_id)
            _course_must_exist(me, lambda: lifecycle.reset_progress(session, registration=reg))
        return see_other(here, "registration-reset")

    @router.post("/registrations/{app_id}/{registration_id}/instances")
    def new_instance(request: Request, app_id: str, registration_id: str, me: SignedIn = ADMIN):
        with unit(request) as session:
            _, reg = registration_or_404(session, me, app_id, registration_id)
            _course_must_exist(me, lambda: lifecycle.new_instance(session, registration=reg))
        return see_other(registration_url(app_id, registration_id), "instance-created")

    @router.get("/registrations/{app_id}/{registration_id}/delete")
    def confirm_delete(request: Request, app_id: str, registration_id: str, me: SignedIn = ADMIN):
        with read_unit(request) as session:
            _, reg = registration_or_404(session, me, app_id, registration_id)
            learner_id, course_id = reg.learner_id, reg.course_id
            count = len(listing.list_instances(session, registration=reg))
        here = registration_url(app_id, registration_id)
        return confirm_page(
            request, me, title=f"Delete registration {registration_id}?",
            intro=f"Registration {registration_id} of learner {learner_id} on course {course_id}. This cannot be undone.",
            goes=[f"The registration with its {count} instance{'s' if count != 1 else ''}, results and run-time data",
                  "Its launch history and debug logs, and any link shared to those logs",
                  "Its tags and its registration-level settings"],
            stays=["The course and the learner's other registrations",
                   "xAPI statements already stored in the LRS or forwarded elsewhere"],
            action=f"{here}/delete", button="Delete registration", back=here)

    @router.post("/registrations/{app_id}/{registration_id}/delete")
    async def delete(request: Request, app_id: str, registration_id: str, me: SignedIn = ADMIN):
        if (await form_of(request)).get("confirm") != "yes":
            return see_other(f"{registration_url(app_id, registration_id)}/delete")
        with unit(request) as session:
            app, reg = registration_or_404(session, me, app_id, registration_id)
            learner_id = reg.learner_id
            lifecycle.delete_registration(session, registration=reg)
            others = lifecycle.learner_registrations(session, application_pk=app.pk, learner_id=learner_id)
        target = learner_url(app_id, learner_id) if others else learners_url(app_id)
        return see_other(target, "registration-deleted")

    return router


def _course_must_exist(me: SignedIn, action) -> None:
    """Run ACTION (which starts the registration over on the course's latest version); a deleted
    course is a page that says so, and nothing is changed."""
    try:
        action()
    except NotFound as exc:
        raise ConsolePageError(409, "The course is gone", f"{exc}: the registration cannot start over on it.",
                               me=me) from None
