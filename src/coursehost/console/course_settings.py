"""A course's configuration settings (/console/courses/{app_id}/{course_id}/settings): every setting a
course may set, with its description, its valid values, the value the course's registrations get and
the level that set it (default, application, application for the learning standard, or the course);
edit and save all at once, or clear one course value. The same domain functions as
GetCourseConfiguration, SetCourseConfiguration and DeleteCourseConfigurationSetting."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from coursehost.console.course_common import (
    ADMIN,
    STANDARDS,
    course_or_404,
    course_url,
    form_of,
    library_url,
    see_other,
)
from coursehost.console.pages import render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.courses import catalog
from coursehost.domain.errors import InvalidInput
from coursehost.domain.settings_registry import (
    SettingValueError,
    allowed_values_text,
    delete_setting,
    get_definition,
    normalize_value,
    read_settings,
    set_settings,
    settable_at,
)
from coursehost.web import unit

SOURCES = {"default": "Default", "application": "Application",
           "learningStandardForApplication": "Application, for this learning standard", "course": "This course"}
NOTICES = {"saved": "The settings were saved.", "unchanged": "Nothing was changed: every value was as it was.",
           "cleared": "The course's own value was cleared; the value from the level above applies again."}
SECRET_WORD = "Password"  # settings whose values are secrets: shown as dots, typed in a password field


def _field_type(definition) -> str:
    if definition.data_type in ("bool", "enum") or definition.valid_values:
        return "select"
    if SECRET_WORD in definition.id:
        return "password"
    if definition.data_type in ("int", "pixels", "ms", "minutes"):
        return "number"
    return "text"


def _applies(definition, standard: str, single_sco: bool) -> bool:
    """Whether the setting affects a course of STANDARD (single- or multi-SCO)."""
    if definition.learning_standards and standard not in definition.learning_standards:
        return False
    return definition.variant != ("multiScoOnly" if single_sco else "singleScoOnly")


def _rows(session, app, course) -> tuple[list[dict], dict]:
    version = catalog.get_version(session, course=course)
    chain = catalog.course_chain(course, version, versioned=False)
    items = {i.id: i for i in read_settings(session, application_pk=app.pk, chain=chain)}
    above = {i.id: i for i in read_settings(session, application_pk=app.pk, chain=chain[1:])}  # without the course
    single = catalog.is_single_sco(version)
    rows = []
    for d in settable_at("course"):
        item, inherited = items[d.id], above[d.id]
        rows.append({"id": d.id, "description": d.description, "type": _field_type(d), "default": d.default,
                     "options": list(d.valid_values), "allowed": allowed_values_text(d), "data_type": d.data_type,
                     "effective": item.effective_value, "source": item.effective_value_source,
                     "explicit": item.explicit_value, "secret": SECRET_WORD in d.id,
                     "inherited": inherited.effective_value, "inherited_source": inherited.effective_value_source,
                     "applies": _applies(d, course.learning_standard, single)})
    info = {"app_id": app.app_id, "course_id": course.course_id, "title": course.title,
            "standard": STANDARDS.get(course.learning_standard, course.learning_standard),
            "single_sco": single, "url": course_url(app.app_id, course.course_id)}
    return rows, info


def _settings_page(request: Request, me: SignedIn, app_id: str, course_id: str, *, status: int = 200,
                   errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                   notice: str | None = None, changed: str | None = None) -> Response:
    with unit(request) as session:
        app, course = course_or_404(session, me, app_id, course_id)
        rows, info = _rows(session, app, course)
    crumbs = [(library_url(app_id), "Library"), (info["url"], info["title"])]
    errors = errors or {}
    others = [r for r in rows if not r["applies"]]
    return render(request, "courses/settings.html", me=me, status=status, title=f"Settings of {info['title']}",
                  course=info, crumbs=crumbs, applying=[r for r in rows if r["applies"]], others=others,
                  open_others=any(r["id"] in errors or r["id"] == changed for r in others), sources=SOURCES,
                  errors=errors, values=values or {}, notice=NOTICES.get(notice or ""), changed=changed)


def _changes(form: dict[str, str], explicit: dict[str, str | None]) -> tuple[list, list, dict]:
    """(values to set, ids to clear, {id: message}) from the form's fields ("setting-ID"); an empty field
    means "no value of the course's own"; a field the form did not send is left alone."""
    to_set, to_clear, errors = [], [], {}
    for setting_id, current in explicit.items():
        raw = form.get(f"setting-{setting_id}")
        if raw is None:
            continue
        if raw.strip() == "":
            if current is not None:
                to_clear.append(setting_id)
            continue
        definition = get_definition(setting_id)
        try:
            value = normalize_value(definition, raw)
        except SettingValueError:
            errors[setting_id] = f"“{raw.strip()}” is not a valid value. Allowed: {allowed_values_text(definition)}."
            continue
        if value != current:
            to_set.append((setting_id, value))
    return to_set, to_clear, errors


def build_course_settings_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/courses/{app_id}/{course_id}/settings")
    def settings_page(request: Request, app_id: str, course_id: str, notice: str | None = None,
                      setting: str | None = None, me: SignedIn = ADMIN):
        return _settings_page(request, me, app_id, course_id, notice=notice, changed=setting)

    @router.post("/courses/{app_id}/{course_id}/settings")
    async def save_settings(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        form = await form_of(request)
        with unit(request) as session:
            app, course = course_or_404(session, me, app_id, course_id)
            chain = catalog.course_chain(course, catalog.get_version(session, course=course), versioned=False)
            ids = [d.id for d in settable_at("course")]
            explicit = {i.id: i.explicit_value for i in read_settings(session, application_pk=app.pk, chain=chain,
                                                                       setting_ids=ids)}
            to_set, to_clear, errors = _changes(form, explicit)
            if not errors:  # all of it in this one transaction, or nothing
                set_settings(session, application_pk=app.pk, scope=chain[0], values=to_set)
                for setting_id in to_clear:
                    delete_setting(session, application_pk=app.pk, scope=chain[0], setting_id=setting_id)
        if errors:
            values = {k.removeprefix("setting-"): v for k, v in form.items() if k.startswith("setting-")}
            return _settings_page(request, me, app_id, course_id, status=400, errors=errors, values=values)
        notice = "saved" if to_set or to_clear else "unchanged"
        return see_other(course_url(app_id, course_id, f"/settings?notice={notice}"))

    @router.post("/courses/{app_id}/{course_id}/settings/clear")
    async def clear_setting(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        setting_id = (await form_of(request)).get("clear", "")
        try:
            with unit(request) as session:
                app, course = course_or_404(session, me, app_id, course_id)
                if setting_id not in {d.id for d in settable_at("course")}:
                    raise InvalidInput(f"Unknown setting id [{setting_id}]")
                delete_setting(session, application_pk=app.pk, scope=catalog.course_scope(course.course_id),
                               setting_id=setting_id)
        except InvalidInput as exc:
            return _settings_page(request, me, app_id, course_id, status=400, errors={"form": str(exc)})
        return see_other(course_url(app_id, course_id, f"/settings?notice=cleared&setting={setting_id}"
                                                       f"#setting-{setting_id}"))

    return router
