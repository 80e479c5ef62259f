"""The configuration settings editor, one for each level of the cascade a person edits in the console:
a course's (/console/courses/{app_id}/{course_id}/settings) and a registration's
(/console/registrations/{app_id}/{registration_id}/settings). Each lists every setting that level may
set, with its description, its valid values, the value that applies and the level that set it
(default, application, application for the learning standard, course, registration), and the value it
falls back to without the level's own; edit and save all at once, or clear one value. The same domain
functions as Get/Set/DeleteCourseConfiguration(Setting) and Get/Set/DeleteRegistrationConfiguration(Setting):
the chains of catalog.course_chain and registrations.core.registration_chain, read_settings,
set_settings and delete_setting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from coursehost.console import people_support
from coursehost.console.course_common import (
    ADMIN,
    STANDARDS,
    course_or_404,
    course_url,
    form_of,
    library_url,
    see_other,
)
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.courses import catalog
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.registrations import core
from coursehost.domain.settings_registry import (
    SettingScope,
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

# The words for each source level; the level being edited is "This course" / "This registration".
SOURCES = {"default": "Default", "application": "Application",
           "learningStandardForApplication": "Application, for this learning standard", "course": "Course",
           "registration": "Registration"}
SECRET_WORD = "Password"  # settings whose values are secrets: shown as dots, typed in a password field


@dataclass(frozen=True)
class Target:
    """The thing whose settings a page edits: its level ("course" or "registration"), the settings chain it
    sees (its own scope first), and what the page says about it."""

    level: str
    application_pk: int
    chain: list[SettingScope]
    standard: str  # the learning standard of the course (version) it runs
    single_sco: bool
    title: str  # the page's heading
    url: str  # the course or registration page; the settings page is url + "/settings"
    crumbs: list[tuple[str, str]]

    @property
    def sources(self) -> dict[str, str]:
        return {**SOURCES, self.level: f"This {self.level}"}


Loader = Callable[..., Target]  # (session, me, app_id, thing_id) -> Target, or a ConsolePageError


def course_target(session, me: SignedIn, app_id: str, course_id: str) -> Target:
    """The course COURSE_ID of the signed-in user's realm (its latest version's shape), or the 404 page."""
    app, course = course_or_404(session, me, app_id, course_id)
    version = catalog.get_version(session, course=course)
    return Target(level="course", application_pk=app.pk,
                  chain=catalog.course_chain(course, version, versioned=False),
                  standard=course.learning_standard, single_sco=catalog.is_single_sco(version),
                  title=f"Configuration settings of {course.title}", url=course_url(app_id, course.course_id),
                  crumbs=[(library_url(app_id), "Library"), (course_url(app_id, course.course_id), course.title)])


def registration_target(session, me: SignedIn, app_id: str, registration_id: str) -> Target:
    """The registration REGISTRATION_ID of the signed-in user's realm, with the chain
    GetRegistrationConfiguration reads (its current instance's course version), or the 404 page."""
    app, reg = people_support.registration_or_404(session, me, app_id, registration_id)
    try:
        instance = core.get_instance(session, registration=reg)
        course, version = core.instance_course(session, instance)
        chain = core.registration_chain(session, registration=reg, instance=instance)
    except NotFound as exc:  # its course version was deleted under it: no chain to show or edit
        raise ConsolePageError(404, "This registration's course is gone", f"{exc}.", me=me) from None
    here = people_support.registration_url(app_id, registration_id)
    return Target(level="registration", application_pk=app.pk, chain=chain, standard=version.learning_standard,
                  single_sco=catalog.is_single_sco(version), title=f"Configuration settings of registration {registration_id}",
                  url=here, crumbs=[(people_support.learners_url(app_id), f"Learners of {app.name}"),
                                    (people_support.learner_url(app_id, reg.learner_id), reg.learner_id),
                                    (here, f"Registration {registration_id}")])


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


def _rows(session, target: Target) -> list[dict]:
    """Every setting TARGET's level may set, as its chain sees it, and as the chain without its own level does."""
    items = {i.id: i for i in read_settings(session, application_pk=target.application_pk, chain=target.chain)}
    above = {i.id: i for i in read_settings(session, application_pk=target.application_pk, chain=target.chain[1:])}
    rows = []
    for d in settable_at(target.level):
        item, inherited = items[d.id], above[d.id]
        rows.append({"id": d.id, "description": d.description, "type": _field_type(d), "default": d.default,
                     "options": list(d.valid_values), "allowed": allowed_values_text(d), "data_type": d.data_type,
                     "effective": item.effective_value, "source": item.effective_value_source,
                     "explicit": item.explicit_value, "secret": SECRET_WORD in d.id,
                     "inherited": inherited.effective_value, "inherited_source": inherited.effective_value_source,
                     "applies": _applies(d, target.standard, target.single_sco)})
    return rows


def _notice(level: str, word: str | None) -> str | None:
    return {"saved": "The settings were saved.", "unchanged": "Nothing was changed: every value was as it was.",
            "cleared": f"The {level}'s own value was cleared; the value from the level above applies again.",
            }.get(word or "")


def _settings_page(request: Request, me: SignedIn, load: Loader, app_id: str, thing_id: str, *, status: int = 200,
                   errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                   notice: str | None = None, changed: str | None = None) -> Response:
    with unit(request) as session:
        target = load(session, me, app_id, thing_id)
        rows = _rows(session, target)
    errors = errors or {}
    others = [r for r in rows if not r["applies"]]
    return render(request, "settings_editor.html", me=me, status=status, title=target.title, target=target,
                  standard=STANDARDS.get(target.standard, target.standard), crumbs=target.crumbs,
                  applying=[r for r in rows if r["applies"]], others=others,
                  open_others=any(r["id"] in errors or r["id"] == changed for r in others), sources=target.sources,
                  errors=errors, values=values or {}, notice=_notice(target.level, notice), changed=changed)


def _changes(form: dict[str, str], explicit: dict[str, str | None]) -> tuple[list, list, dict]:
    """(values to set, ids to clear, {id: message}) from the form's fields ("setting-ID"); an empty field
    means "no value of the level's own"; a field the form did not send is left alone."""
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


async def _save(request: Request, me: SignedIn, load: Loader, app_id: str, thing_id: str) -> Response:
    """Every change of the form in one transaction (SetXConfiguration's set_settings, and delete_setting for
    emptied fields), or, when any value is not valid, nothing and the form again with each field's message."""
    form = await form_of(request)
    with unit(request) as session:
        target = load(session, me, app_id, thing_id)
        ids = [d.id for d in settable_at(target.level)]
        explicit = {i.id: i.explicit_value for i in read_settings(session, application_pk=target.application_pk,
                                                                   chain=target.chain, setting_ids=ids)}
        to_set, to_clear, errors = _changes(form, explicit)
        if not errors:  # all of it in this one transaction, or nothing
            set_settings(session, application_pk=target.application_pk, scope=target.chain[0], values=to_set)
            for setting_id in to_clear:
                delete_setting(session, application_pk=target.application_pk, scope=target.chain[0],
                               setting_id=setting_id)
        url = target.url
    if errors:
        values = {k.removeprefix("setting-"): v for k, v in form.items() if k.startswith("setting-")}
        return _settings_page(request, me, load, app_id, thing_id, status=400, errors=errors, values=values)
    return see_other(f"{url}/settings?notice={'saved' if to_set or to_clear else 'unchanged'}")


async def _clear(request: Request, me: SignedIn, load: Loader, app_id: str, thing_id: str) -> Response:
    """Clear one value of the level's own (DeleteXConfigurationSetting's delete_setting)."""
    setting_id = (await form_of(request)).get("clear", "")
    try:
        with unit(request) as session:
            target = load(session, me, app_id, thing_id)
            if setting_id not in {d.id for d in settable_at(target.level)}:
                raise InvalidInput(f"Unknown setting id [{setting_id}]")
            delete_setting(session, application_pk=target.application_pk, scope=target.chain[0],
                           setting_id=setting_id)
            url = target.url
    except InvalidInput as exc:
        return _settings_page(request, me, load, app_id, thing_id, status=400, errors={"form": str(exc)})
    return see_other(f"{url}/settings?notice=cleared&setting={setting_id}#setting-{setting_id}")


def build_course_settings_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/courses/{app_id}/{course_id}/settings")
    def course_settings(request: Request, app_id: str, course_id: str, notice: str | None = None,
                        setting: str | None = None, me: SignedIn = ADMIN):
        return _settings_page(request, me, course_target, app_id, course_id, notice=notice, changed=setting)

    @router.post("/courses/{app_id}/{course_id}/settings")
    async def save_course_settings(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        return await _save(request, me, course_target, app_id, course_id)

    @router.post("/courses/{app_id}/{course_id}/settings/clear")
    async def clear_course_setting(request: Request, app_id: str, course_id: str, me: SignedIn = ADMIN):
        return await _clear(request, me, course_target, app_id, course_id)

    return router


def build_registration_settings_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/registrations/{app_id}/{registration_id}/settings")
    def registration_settings(request: Request, app_id: str, registration_id: str, notice: str | None = None,
                              setting: str | None = None, me: SignedIn = ADMIN):
        return _settings_page(request, me, registration_target, app_id, registration_id, notice=notice,
                              changed=setting)

    @router.post("/registrations/{app_id}/{registration_id}/settings")
    async def save_registration_settings(request: Request, app_id: str, registration_id: str, me: SignedIn = ADMIN):
        return await _save(request, me, registration_target, app_id, registration_id)

    @router.post("/registrations/{app_id}/{registration_id}/settings/clear")
    async def clear_registration_setting(request: Request, app_id: str, registration_id: str, me: SignedIn = ADMIN):
        return await _clear(request, me, registration_target, app_id, registration_id)

    return router
