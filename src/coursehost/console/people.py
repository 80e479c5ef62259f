"""The People tab (administrators and owners): the learners of an application (search, each one's
registrations), a learner's details (UpdateLearnerInfo's domain function) and the deletion of their
data (DeleteAllLearnerData's); the registration page and its actions are in people_registrations.py,
the debug-log viewer and its shared links in people_logs.py."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from coursehost.console.app_picker import choose_application
from coursehost.console.pages import ConsolePageError, render
from coursehost.console.people_logs import build_people_logs_router
from coursehost.console.people_registrations import build_registrations_router
from coursehost.console.people_support import (
    ADMIN,
    app_or_404,
    confirm_page,
    form_of,
    learner_url,
    learners_url,
    notice_of,
    see_other,
)
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.errors import NotFound
from coursehost.domain.registrations import learners, lifecycle
from coursehost.web import read_unit, unit

MAX_FIELD = 255  # LearnerSchema's fields in the API (api/v2/schemas/registrations.py)
FIELDS = {"first_name": ("firstName", "First name"), "last_name": ("lastName", "Last name"),
          "email": ("email", "E-mail")}


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) < 1_000_000 else 1


def _learner_or_404(session, me: SignedIn, app, learner_id: str):
    try:
        return learners.get_learner(session, application_pk=app.pk, learner_id=learner_id)
    except NotFound:
        raise ConsolePageError(404, "Learner not found",
                               f"Application {app.name} has no learner {learner_id}.", me=me) from None


def _check_details(values: dict[str, str]) -> dict[str, str]:
    """The form's messages by field (none when the details can be saved)."""
    errors = {}
    for key, (_, label) in FIELDS.items():
        if len(values[key]) > MAX_FIELD:
            errors[key] = f"{label} must be at most {MAX_FIELD} characters."
    email = values["email"]
    if email and "email" not in errors:
        local, at, domain = email.partition("@")
        if not at or not local or "." not in domain or any(c.isspace() for c in email):
            errors["email"] = "Enter an e-mail address such as name@example.com, or leave it empty."
    return errors


def _learner_page(request: Request, me: SignedIn, app_id: str, learner_id: str, *, status: int = 200,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response:
    with read_unit(request) as session:
        app = app_or_404(session, me, app_id)
        learner = _learner_or_404(session, me, app, learner_id)
        regs = sorted(lifecycle.learner_registrations(session, application_pk=app.pk, learner_id=learner_id),
                      key=lambda r: (r.updated, r.pk), reverse=True)
        app_name = app.name
    shown = values or {"first_name": learner.first_name or "", "last_name": learner.last_name or "",
                       "email": learner.email or ""}
    return render(request, "people/learner.html", me=me, status=status,
                  title=f"Learner {learner.name or learner.learner_id}", app_id=app_id, app_name=app_name,
                  learner=learner, registrations=regs, values=shown, errors=errors or {},
                  notice=notice_of(request), back=learners_url(app_id))


def build_people_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/learners")
    def list_learners(request: Request, me: SignedIn = ADMIN):
        params = request.query_params
        text = (params.get("q") or "").strip()[:200]
        with read_unit(request) as session:
            chosen = choose_application(session, me, params.get("app"))
            found = learners.search_learners(session, application_pk=chosen.app.pk, text=text,
                                             page=_page_number(params.get("page")))
            app_id, app_name = chosen.app_id, chosen.app.name
        pages = {n: learners_url(app_id, q=text, page=str(n)) for n in (found.page - 1, found.page + 1)
                 if 1 <= n <= found.pages}
        return render(request, "people/learners.html", me=me, title="Learners", picker=chosen, app_id=app_id,
                      app_name=app_name, found=found, text=text, pages=pages, notice=notice_of(request))

    @router.get("/learners/{app_id}/{learner_id}")
    def learner_page(request: Request, app_id: str, learner_id: str, me: SignedIn = ADMIN):
        return _learner_page(request, me, app_id, learner_id)

    @router.post("/learners/{app_id}/{learner_id}")
    async def update_learner(request: Request, app_id: str, learner_id: str, me: SignedIn = ADMIN):
        form = await form_of(request)
        values = {key: form.get(key, "").strip() for key in FIELDS}
        errors = _check_details(values)
        if errors:
            return _learner_page(request, me, app_id, learner_id, status=400, errors=errors, values=values)
        with unit(request) as session:
            app = _learner_app(session, me, app_id, learner_id)
            # An empty field empties the learner's value, as UpdateLearnerInfo documents for "".
            lifecycle.update_learner_info(session, application_pk=app.pk, learner_id=learner_id,
                                          info={FIELDS[k][0]: v for k, v in values.items()})
        return see_other(learner_url(app_id, learner_id), "learner-updated")

    @router.get("/learners/{app_id}/{learner_id}/delete")
    def confirm_delete_learner(request: Request, app_id: str, learner_id: str, me: SignedIn = ADMIN):
        with read_unit(request) as session:
            app = _learner_app(session, me, app_id, learner_id)
            regs = lifecycle.learner_registrations(session, application_pk=app.pk, learner_id=learner_id)
            goes = [f"Registration {r.registration_id} (course {r.course_id}) with its instances, results, "
                    f"run-time data, launch history and debug logs, and any link shared to those logs"
                    for r in regs]
        return confirm_page(
            request, me, title=f"Delete the data of learner {learner_id}?",
            intro=(f"This is the GDPR erasure (DeleteAllLearnerData in the API) of learner {learner_id} of "
                   f"{app.name}. It cannot be undone."),
            goes=[*goes, "The learner's tags and their name and e-mail, kept on those registrations"],
            stays=["The courses, and every other learner's registrations",
                   "xAPI statements already stored in the LRS or forwarded elsewhere"],
            action=f"{learner_url(app_id, learner_id)}/delete", button="Delete all data of this learner",
            back=learner_url(app_id, learner_id))

    @router.post("/learners/{app_id}/{learner_id}/delete")
    async def delete_learner(request: Request, app_id: str, learner_id: str, me: SignedIn = ADMIN):
        if (await form_of(request)).get("confirm") != "yes":  # not the confirmation form: ask first
            return see_other(f"{learner_url(app_id, learner_id)}/delete")
        with unit(request) as session:
            app = _learner_app(session, me, app_id, learner_id)
            lifecycle.delete_learner_data(session, application_pk=app.pk, learner_id=learner_id)
        return see_other(learners_url(app_id), "learner-deleted")

    router.include_router(build_registrations_router())
    router.include_router(build_people_logs_router())
    return router


def _learner_app(session, me: SignedIn, app_id: str, learner_id: str):
    """The application of a learner URL, once the learner is known to exist in it."""
    app = app_or_404(session, me, app_id)
    _learner_or_404(session, me, app, learner_id)
    return app
