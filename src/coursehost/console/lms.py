"""The LMS connections pages (administrators and owners): the realm's LMS configurations with their
health, creating one (step 1: name, contact e-mail, type; step 2: the type's properties), one
configuration's page (edit, "Send test statement", delete after confirmation, its courses, the results
that were not sent and why), and attaching / detaching a configuration on a course page. Every action
calls the domain function the matching /api/ext/v1 operation calls (domain/lms/)."""

from __future__ import annotations

from contextlib import suppress

from fastapi import APIRouter, Request
from starlette.responses import Response

from coursehost.console.course_common import ADMIN, course_or_404, course_url, form_of, see_other
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.lms import configurations as lms
from coursehost.domain.lms import delivery
from coursehost.domain.lms.results import not_sent_results
from coursehost.domain.lms.types import TYPES, PropertyInput
from coursehost.web import read_unit, services, unit

STATUS_LABELS = {"OK": "OK", "CANT_CONNECT": "Can't Connect", "SERVER_ERROR": "Server Error"}
STATUS_SENTENCES = {
    "CANT_CONNECT": "We cannot connect to the URL you provided.",
    "SERVER_ERROR": "We can connect to the LMS, but it isn't accepting the activity results.",
}
TYPE_LABELS = {"xapi": "xAPI"}
FIELDS = ("name", "contact_email", "type", "xapi_url", "xapi_key", "xapi_secret")
#: The domain's field names (its messages start with them) -> the form's field and its label.
DOMAIN_FIELDS = {"name": ("name", "Name"), "contactEmail": ("contact_email", "Contact e-mail"),
                 "type": ("type", "LMS type"),
                 "xapiUrl": ("xapi_url", "xAPI URL"), "xapiKey": ("xapi_key", "xAPI key"),
                 "xapiSecret": ("xapi_secret", "xAPI key secret")}
NOTICES = {
    "created": "The LMS configuration was created. Attach it to courses on their course pages.",
    "updated": "The LMS configuration was saved.",
    "deleted": "The LMS configuration was deleted; its courses no longer send results anywhere.",
    "attached": "The LMS configuration was attached: this course's results are sent to it from now on.",
    "detached": "The LMS configuration was detached: this course's results are no longer sent.",
}


def _field_errors(exc: InvalidInput) -> dict[str, str]:
    """The domain's refusal on the form field it is about, in the form's words."""
    text = str(exc).removeprefix("the ")
    word = text.split(" ", 1)[0].rstrip(":")
    if word in DOMAIN_FIELDS:
        key, label = DOMAIN_FIELDS[word]
        return {key: (label + text[len(word):]).rstrip(".") + "."}
    return {"form": text.rstrip(".") + "."}


def _given(values: dict[str, str], *, creating: bool) -> lms.ConfigurationInput:
    secret = values.get("xapi_secret", "")
    return lms.ConfigurationInput(
        name=values.get("name", ""), contact_email=values.get("contact_email", ""),
        type=values.get("type", "") if creating else None,
        properties=PropertyInput(url=values.get("xapi_url", ""), key=values.get("xapi_key", ""),
                                 secret=secret if secret or creating else None))  # blank on edit: keep it


def _config_or_404(session, me: SignedIn, config_id: str):
    try:
        return lms.get_configuration(session, realm_id=me.realm_id, config_id=config_id)
    except NotFound:
        raise ConsolePageError(404, "LMS configuration not found",
                               f"There is no LMS configuration {config_id} in {me.realm_name}.", me=me) from None


def _info(view: lms.ConfigurationView, courses: int) -> dict:
    return {"id": view.id, "name": view.name, "contact_email": view.contact_email, "type": view.type,
            "type_label": TYPE_LABELS.get(view.type, view.type), "url": view.properties.get("url"),
            "key": view.properties.get("key"), "status": view.status,
            "status_label": STATUS_LABELS.get(view.status, view.status),
            "status_sentence": STATUS_SENTENCES.get(view.status), "last_error": view.last_error,
            "error_since": view.error_since, "pending": view.pending_results, "courses": courses,
            "created": view.created, "updated": view.updated}


def _list_page(request: Request, me: SignedIn, *, status: int = 200, errors: dict[str, str] | None = None,
               values: dict[str, str] | None = None, notice: str | None = None) -> Response:
    with read_unit(request) as session:
        counts = lms.attached_course_counts(session, realm_id=me.realm_id)
        rows = [_info(lms.view(session, c), counts.get(c.pk, 0))
                for c in lms.list_configurations(session, realm_id=me.realm_id)]
    return render(request, "lms/list.html", me=me, status=status, title="LMS connections", configs=rows,
                  types=[(name, TYPE_LABELS.get(name, name)) for name in sorted(TYPES)],
                  errors=errors or {}, values=values or {"type": "xapi"}, notice=NOTICES.get(notice or ""))


def _details_page(request: Request, me: SignedIn, config_id: str, *, status: int = 200,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                  notice: str | None = None, outcome: dict | None = None) -> Response:
    with read_unit(request) as session:
        config = _config_or_404(session, me, config_id)
        courses = [{"title": c.title, "course_id": c.course_id, "app_name": a.name,
                    "url": course_url(a.app_id, c.course_id)}
                   for c, a in lms.attached_courses(session, configuration_pk=config.pk)]
        info = _info(lms.view(session, config), len(courses))
        not_sent = [{"registration_id": reg.registration_id, "learner_id": reg.learner_id, "verb": r.verb,
                     "occurred": r.occurred, "reason": r.reason}
                    for r, reg in not_sent_results(session, configuration_pk=config.pk)]
    return render(request, "lms/details.html", me=me, status=status, title=info["name"], config=info,
                  courses=courses, not_sent=not_sent, sentences=STATUS_SENTENCES, errors=errors or {},
                  values=values or {}, notice=NOTICES.get(notice or ""), outcome=outcome)


def build_lms_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/lms")
    def list_configurations(request: Request, notice: str | None = None, me: SignedIn = ADMIN):
        return _list_page(request, me, notice=notice)

    @router.post("/lms")
    async def create_configuration(request: Request, me: SignedIn = ADMIN):
        form = await form_of(request)
        values = {key: form.get(key, "") for key in FIELDS}
        svc = services(request)
        try:
            with unit(request) as session:
                config = lms.create_configuration(session, realm_id=me.realm_id, given=_given(values, creating=True),
                                                  box=svc.box, allow_private_urls=svc.settings.allow_private_urls)
                config_id = config.config_id
        except InvalidInput as exc:
            values["xapi_secret"] = ""  # never sent back to the browser
            return _list_page(request, me, status=400, errors=_field_errors(exc), values=values)
        return see_other(f"/console/lms/{config_id}?notice=created")

    @router.get("/lms/{config_id}")
    def configuration(request: Request, config_id: str, notice: str | None = None, me: SignedIn = ADMIN):
        return _details_page(request, me, config_id, notice=notice)

    @router.post("/lms/{config_id}")
    async def update_configuration(request: Request, config_id: str, me: SignedIn = ADMIN):
        form = await form_of(request)
        values = {key: form.get(key, "") for key in FIELDS if key != "type"}
        svc = services(request)
        try:
            with unit(request) as session:
                _config_or_404(session, me, config_id)
                lms.update_configuration(session, realm_id=me.realm_id, config_id=config_id,
                                         given=_given(values, creating=False), box=svc.box,
                                         allow_private_urls=svc.settings.allow_private_urls)
        except InvalidInput as exc:
            values["xapi_secret"] = ""
            return _details_page(request, me, config_id, status=400, errors=_field_errors(exc), values=values)
        return see_other(f"/console/lms/{config_id}?notice=updated")

    @router.post("/lms/{config_id}/test")
    def send_test(request: Request, config_id: str, me: SignedIn = ADMIN):
        svc = services(request)
        with read_unit(request) as session:
            _config_or_404(session, me, config_id)
            try:
                statement_id = delivery.send_test_statement(
                    session, realm_id=me.realm_id, config_id=config_id, box=svc.box,
                    home_page=svc.settings.public_url or svc.settings.base_url or "",
                    allow_private_urls=svc.settings.allow_private_urls)
                outcome = {"ok": True, "text": f"The LMS accepted the test statement (statement id {statement_id})."}
            except InvalidInput as exc:
                outcome = {"ok": False, "text": f"The LMS did not take the test statement. {exc}. The status "
                                                 "below is set by the deliveries of results, not by this test."}
        return _details_page(request, me, config_id, outcome=outcome)

    @router.get("/lms/{config_id}/delete")
    def confirm_delete(request: Request, config_id: str, me: SignedIn = ADMIN):
        with read_unit(request) as session:
            config = _config_or_404(session, me, config_id)
            name = config.name
            courses = len(lms.attached_courses(session, configuration_pk=config.pk))
            pending = lms.pending_count(session, config.pk)
        return render(request, "lms/confirm.html", me=me, title=f"Delete {name}?", name=name,
                      courses=courses, pending=pending, action=f"/console/lms/{config_id}/delete",
                      back=f"/console/lms/{config_id}")

    @router.post("/lms/{config_id}/delete")
    async def delete_configuration(request: Request, config_id: str, me: SignedIn = ADMIN):
        if (await form_of(request)).get("confirm") != "yes":
            return see_other(f"/console/lms/{config_id}/delete")
        with unit(request) as session:
            _config_or_404(session, me, config_id)
            lms.delete_configuration(session, realm_id=me.realm_id, config_id=config_id)
        return see_other("/console/lms?notice=deleted")

    @router.post("/courses/{app_id}/{course_id}/lms")
    async def attach(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        chosen = (await form_of(request)).get("configuration", "")
        with unit(request) as session:
            app, course = course_or_404(session, me, app_id, course_id)
            if chosen:
                _config_or_404(session, me, chosen)
            try:
                lms.attach_configuration(session, application_pk=app.pk, course_id=course.course_id,
                                         config_id=chosen)
            except InvalidInput:
                raise ConsolePageError(400, "Choose an LMS configuration",
                                       "Choose one of the realm's LMS configurations to attach; nothing was "
                                       "changed.", me=me) from None
        return see_other(course_url(app_id, course_id, "?notice=lms-attached#lms"))

    @router.post("/courses/{app_id}/{course_id}/lms/detach")
    def detach(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        with unit(request) as session:
            app, course = course_or_404(session, me, app_id, course_id)
            with suppress(NotFound):  # nothing attached (a second click): the page shows that
                lms.detach_configuration(session, application_pk=app.pk, course_id=course.course_id)
        return see_other(course_url(app_id, course_id, "?notice=lms-detached#lms"))

    return router


def course_panel(session, *, realm_id: int, course_pk: int) -> dict:
    """What the course page's "LMS configuration" panel shows: the attached configuration with its
    status, and the realm's configurations to choose from."""
    attached = lms.attached_configuration(session, course_pk=course_pk)
    return {
        "attached": None if attached is None else {
            "id": attached.config_id, "name": attached.name,
            "status_label": STATUS_LABELS.get(attached.status, attached.status),
            "status_sentence": STATUS_SENTENCES.get(attached.status), "status": attached.status},
        "choices": [(c.config_id, c.name) for c in lms.list_configurations(session, realm_id=realm_id)],
    }
