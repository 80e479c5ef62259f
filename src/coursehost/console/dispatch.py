"""The Dispatch tab (administrators and owners): an application's destinations (the LMSs and customers
its courses are sent to), newest first with Newer / Older pages and filters by name and tag; creating,
editing and deleting one; its dispatches turned on or off together, its hash-learner-ids setting and its
LTI 1.3 platform settings; and dispatching courses to it (from a course page or several at once from the
Library). One dispatch's page is in dispatch_pages.py.

Every action calls the domain function the matching DispatchApi operation calls
(domain/dispatch/destinations.py and dispatches.py); nothing here re-implements an operation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from coursehost.console.app_picker import choose_application
from coursehost.console.auth import signed_in
from coursehost.console.course_common import app_or_404, confirm_page, form_of, see_other
from coursehost.console.dispatch_pages import add_dispatch_routes, dispatch_url
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain import keyset
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.domain.dispatch import browse as dispatch_browse
from coursehost.domain.dispatch import destinations as dest_domain
from coursehost.domain.dispatch import dispatches as disp_domain
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.tags import clean_tags, get_tags, tags_for
from coursehost.web import services, unit

ADMIN = Depends(signed_in(Role.ADMINISTRATOR))
NOTICES = {
    "created": "The destination was created. Dispatch courses to it from a course page or the Library.",
    "saved": "The destination was saved.",
    "deleted": "The destination and its dispatches were deleted.",
    "enabled": "Every dispatch of this destination is enabled.",
    "disabled": "Every dispatch of this destination is disabled: their packages and links refuse to launch.",
    "hash-on": "Learner ids from this destination are stored hashed from now on.",
    "hash-off": "Learner ids from this destination are stored as sent from now on.",
    "lti13": "The LTI 1.3 platform settings were saved.",
    "dispatched": "The courses were dispatched.",
}
#: the destination's LTI 1.3 platform fields: (form name, Lti13PlatformConfigurationSchema key, label, is a URL)
#: all but the access token URL are required by the official client's Lti13PlatformConfigurationSchema
#: when the settings are there at all, so the form takes all of them or none (none: no LTI 1.3)
LTI13_FIELDS = [
    ("client_id", "clientId", "Client ID", False),
    ("issuer", "platformIssuerIdentifier", "Platform issuer", False),
    ("deployment_id", "deploymentId", "Deployment ID", False),
    ("auth_endpoint", "oidcAuthorizationEndpoint", "OIDC authorization endpoint", True),
    ("jwks_url", "jsonWebKeySetUrl", "JWKS URL", True),
    ("token_url", "accessTokenUrl", "Access token URL", True),
]


def dispatch_home(app_id: str, notice: str = "") -> str:
    return f"/console/dispatch?{urlencode({'app': app_id, **({'notice': notice} if notice else {})})}"


def destination_url(app_id: str, destination_id: str, tail: str = "") -> str:
    return f"/console/dispatch/{quote(app_id, safe='')}/destinations/{quote(destination_id, safe='')}{tail}"


def destination_or_404(session, me: SignedIn, app, destination_id: str):
    try:
        return dest_domain.get_destination(session, application_pk=app.pk, destination_id=destination_id)
    except NotFound:
        raise ConsolePageError(404, "Destination not found",
                               f"Application {app.app_id} has no destination {destination_id}.", me=me) from None


def _split_tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


# --- the list ------------------------------------------------------------------------------------------

def _list_page(request: Request, me: SignedIn) -> Response:
    q = request.query_params
    name, tag = (q.get("name") or "").strip(), (q.get("tag") or "").strip()
    with unit(request) as session:
        picker = choose_application(session, me, q.get("app"))
        app = picker.app
        try:
            older, newer = keyset.parse_key(q.get("older")), keyset.parse_key(q.get("newer"))
        except InvalidInput as exc:
            raise ConsolePageError(400, "This list cannot be shown", str(exc), me=me) from None
        page = dispatch_browse.destinations_page(session, application_pk=app.pk, name=name, tag=tag,
                                                 limit=services(request).settings.page_size, older_than=older,
                                                 newer_than=None if older else newer)
        dests = page.rows
        counts = dest_domain.dispatch_counts(session, dests)
        tags = tags_for(session, application_pk=app.pk, kind=dest_domain.TAG_KIND,
                        keys=[d.destination_id for d in dests])
        rows = [{"id": d.destination_id, "name": d.name, "email": d.email, "created": d.created,
                 "count": counts.get(d.pk, 0), "tags": tags.get(d.destination_id, []),
                 "url": destination_url(app.app_id, d.destination_id)} for d in dests]
    kept = {k: v for k, v in {"app": app.app_id, "name": name, "tag": tag}.items() if v}
    pages = {}
    for side in ("newer", "older"):
        key = getattr(page, side)
        if key is not None:
            pages[side] = f"/console/dispatch?{urlencode({**kept, side: keyset.key_text(key)})}"
    return render(request, "dispatch/list.html", me=me, title="Dispatch", picker=picker, app_id=app.app_id,
                  app_name=app.name, rows=rows, name=name, tag=tag, filtered=bool(name or tag), pages=pages,
                  notice=NOTICES.get(q.get("notice") or ""))


# --- create and edit -----------------------------------------------------------------------------------

@dataclass
class DestinationForm:
    destination_id: str = ""
    name: str = ""
    email: str = ""
    notes: str = ""
    tags: str = ""

    @classmethod
    def of(cls, data: dict[str, str]) -> DestinationForm:
        return cls(destination_id=data.get("destination_id", "").strip(), name=data.get("name", ""),
                   email=data.get("email", "").strip(), notes=data.get("notes", ""), tags=data.get("tags", ""))

    def errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not self.name.strip():
            errors["name"] = "Enter the destination's name."
        elif len(self.name) > dest_domain.MAX_NAME:
            errors["name"] = f"The name is longer than {dest_domain.MAX_NAME} characters."
        if self.email and ("@" not in self.email or len(self.email) > dest_domain.MAX_EMAIL):
            errors["email"] = "Enter an e-mail address like name@example.com, or leave it empty."
        if len(self.notes) > dest_domain.MAX_NOTES:
            errors["notes"] = f"The notes are longer than {dest_domain.MAX_NOTES} characters."
        try:
            clean_tags(_split_tags(self.tags))
        except InvalidInput as exc:
            errors["tags"] = f"{exc}."
        if self.destination_id:
            try:
                dest_domain.check_id(self.destination_id, "The destination ID")
            except InvalidInput as exc:
                errors["destination_id"] = f"{exc}."
        return errors

    def data(self) -> dest_domain.DestinationData:
        return dest_domain.DestinationData(name=self.name.strip(), email=self.email or None, notes=self.notes or None,
                                           tags=_split_tags(self.tags))


def _form_page(request: Request, me: SignedIn, *, app, form: DestinationForm, editing: str | None = None,
               status: int = 200, errors: dict[str, str] | None = None, choices=None) -> Response:
    title = f"Edit {form.name or editing}" if editing else "New destination"
    action = destination_url(app.app_id, editing, "/edit") if editing else \
        f"/console/dispatch/new?app={quote(app.app_id, safe='')}"
    return render(request, "dispatch/destination_form.html", me=me, status=status, title=title, app_id=app.app_id,
                  app_name=app.name, form=form, editing=editing, errors=errors or {}, action=action,
                  back=destination_url(app.app_id, editing) if editing else dispatch_home(app.app_id), picker=choices)


async def _create(request: Request, me: SignedIn) -> Response:
    data = await form_of(request)
    form = DestinationForm.of(data)
    with unit(request) as session:
        picker = choose_application(session, me, request.query_params.get("app"))
        app = picker.app
        errors = form.errors()
        dest_id = form.destination_id or uuid.uuid4().hex[:12]
        if not errors and dest_domain.find_destination(session, application_pk=app.pk, destination_id=dest_id):
            errors["destination_id"] = f"Destination {dest_id} already exists; choose another ID."
        if not errors:
            dest_domain.create_destinations(session, application_pk=app.pk, items=[
                dest_domain.NewDestination(destination_id=dest_id, data=form.data())])
    if errors:
        return _form_page(request, me, app=app, form=form, status=400, errors=errors, choices=picker)
    return see_other(destination_url(app.app_id, dest_id, "?notice=created"))


async def _edit(request: Request, me: SignedIn, app_id: str, destination_id: str) -> Response:
    form = DestinationForm.of(await form_of(request))
    form.destination_id = destination_id
    with unit(request) as session:
        app = app_or_404(session, me, app_id)
        destination_or_404(session, me, app, destination_id)
        errors = form.errors()
        if not errors:  # SetDestination
            dest_domain.set_destination(session, application_pk=app.pk, destination_id=destination_id,
                                        data=form.data())
    if errors:
        return _form_page(request, me, app=app, form=form, editing=destination_id, status=400, errors=errors)
    return see_other(destination_url(app_id, destination_id, "?notice=saved"))


# --- one destination ------------------------------------------------------------------------------------

def _lti13_values(stored: dict) -> dict[str, str]:
    return {name: str((stored or {}).get(key) or "") for name, key, _, _ in LTI13_FIELDS}


def _destination_page(request: Request, me: SignedIn, app_id: str, destination_id: str, *, status: int = 200,
                      lti13_errors: dict[str, str] | None = None, lti13_values: dict[str, str] | None = None
                      ) -> Response:
    with unit(request) as session:
        app = app_or_404(session, me, app_id)
        dest = destination_or_404(session, me, app, destination_id)
        rows = disp_domain.dispatches_of(session, dest)
        _, titles = disp_domain.describe(session, rows)
        dispatches = [{"id": d.dispatch_id, "course_id": d.course_id, "title": titles.get(d.course_pk) or d.course_id,
                       "enabled": d.enabled, "count": d.registration_count, "cap": d.registration_cap,
                       "created": d.created, "url": dispatch_url(app.app_id, d.dispatch_id)} for d in rows]
        info = {"id": dest.destination_id, "name": dest.name, "email": dest.email, "notes": dest.notes,
                "created": dest.created, "updated": dest.updated, "hash": dest.hash_user_info,
                "tags": get_tags(session, application_pk=app.pk, kind=dest_domain.TAG_KIND, key=dest.destination_id),
                "here": destination_url(app.app_id, dest.destination_id)}
        values = lti13_values if lti13_values is not None else _lti13_values(dest.lti13)
    return render(request, "dispatch/destination.html", me=me, status=status, title=info["name"], app_id=app_id,
                  dest=info, dispatches=dispatches, lti13_fields=LTI13_FIELDS, lti13=values,
                  errors=lti13_errors or {}, home=dispatch_home(app_id),
                  notice=NOTICES.get(request.query_params.get("notice") or ""))


def _lti13_errors(values: dict[str, str]) -> dict[str, str]:
    errors = {}
    given = any(values.values())
    for name, key, label, is_url in LTI13_FIELDS:
        value = values[name]
        if given and not value and key != "accessTokenUrl":
            errors[name] = f"Enter the {label}: the LMS shows it with the others (or empty every field)."
        elif len(value) > 2000:
            errors[name] = f"The {label} is longer than 2000 characters."
        elif value and is_url:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                errors[name] = f"Enter the {label} as an absolute https:// URL, or leave it empty."
    return errors


# --- dispatching courses ---------------------------------------------------------------------------------

@dataclass
class DispatchChoice:
    courses: list[tuple[str, str]] = field(default_factory=list)  # (course id, title) chosen
    destinations: list[tuple[str, str]] = field(default_factory=list)  # (id, name) of the application's


def _choice(session, app, course_ids: list[str]) -> DispatchChoice:
    return DispatchChoice(
        courses=dispatch_browse.courses_named(session, application_pk=app.pk, course_ids=course_ids),
        destinations=dispatch_browse.destination_choices(session, application_pk=app.pk))


def _new_dispatch_page(request: Request, me: SignedIn, app_id: str, course_ids: list[str], *, status: int = 200,
                       errors: dict[str, str] | None = None, chosen: str = "") -> Response:
    with unit(request) as session:
        app = app_or_404(session, me, app_id)
        choice = _choice(session, app, course_ids)
    if not choice.courses:
        raise ConsolePageError(400, "Choose the courses to dispatch",
                               "Tick one or more courses in the Library (or open a course's page) and choose "
                               "Dispatch again.", me=me)
    return render(request, "dispatch/new_dispatch.html", me=me, status=status, title="Dispatch courses",
                  app_id=app_id, choice=choice, errors=errors or {}, chosen=chosen, home=dispatch_home(app_id),
                  new_destination=f"/console/dispatch/new?app={quote(app_id, safe='')}")


async def _create_dispatches(request: Request, me: SignedIn, app_id: str) -> Response:
    form = await request.form()
    course_ids = [str(v) for v in form.getlist("course")]
    dest_id = str(form.get("destination") or "")
    if not dest_id:
        return _new_dispatch_page(request, me, app_id, course_ids, status=400, errors={
            "destination": "Choose the destination to dispatch the courses to."})
    items = [disp_domain.NewDispatch(dispatch_id=uuid.uuid4().hex, destination_id=dest_id, course_id=c)
             for c in dict.fromkeys(course_ids)]
    try:
        with unit(request) as session:
            app = app_or_404(session, me, app_id)
            disp_domain.create_dispatches(session, application_pk=app.pk, items=items, box=services(request).box)
    except InvalidInput as exc:  # all or nothing: a course already dispatched there creates none
        message = str(exc).split(": ", 1)[-1] if str(exc).startswith("dispatches[") else str(exc)
        return _new_dispatch_page(request, me, app_id, course_ids, status=400, chosen=dest_id,
                                  errors={"destination": message.rstrip(".") + "."})
    return see_other(destination_url(app_id, dest_id, "?notice=dispatched"))


# --- the router --------------------------------------------------------------------------------------------

def build_dispatch_router() -> APIRouter:
    router = APIRouter()

    @router.get("/dispatch")
    def destinations(request: Request, me: SignedIn = ADMIN):
        return _list_page(request, me)

    @router.get("/dispatch/new")
    def new_destination(request: Request, me: SignedIn = ADMIN):
        with unit(request) as session:
            picker = choose_application(session, me, request.query_params.get("app"))
        return _form_page(request, me, app=picker.app, form=DestinationForm(), choices=picker)

    @router.post("/dispatch/new")
    async def create_destination(request: Request, me: SignedIn = ADMIN):
        return await _create(request, me)

    @router.get("/dispatch/{app_id}/destinations/{destination_id}")
    def destination(request: Request, app_id: str, destination_id: str, me: SignedIn = ADMIN):
        return _destination_page(request, me, app_id, destination_id)

    @router.get("/dispatch/{app_id}/destinations/{destination_id}/edit")
    def edit_form(request: Request, app_id: str, destination_id: str, me: SignedIn = ADMIN):
        with unit(request) as session:
            app = app_or_404(session, me, app_id)
            dest = destination_or_404(session, me, app, destination_id)
            tags = get_tags(session, application_pk=app.pk, kind=dest_domain.TAG_KIND, key=dest.destination_id)
            form = DestinationForm(destination_id=dest.destination_id, name=dest.name, email=dest.email or "",
                                   notes=dest.notes or "", tags=", ".join(tags))
        return _form_page(request, me, app=app, form=form, editing=destination_id)

    @router.post("/dispatch/{app_id}/destinations/{destination_id}/edit")
    async def edit(request: Request, app_id: str, destination_id: str, me: SignedIn = ADMIN):
        return await _edit(request, me, app_id, destination_id)

    @router.post("/dispatch/{app_id}/destinations/{destination_id}/enabled")
    async def set_enabled(request: Request, app_id: str, destination_id: str, me: SignedIn = ADMIN):
        on = (await form_of(request)).get("enabled") == "true"
        with unit(request) as session:  # SetDestinationDispatchEnabled
            dest = destination_or_404(session, me, app_or_404(session, me, app_id), destination_id)
            disp_domain.set_on_destination(session, destination=dest, enabled=on)
        return see_other(destination_url(app_id, destination_id, f"?notice={'enabled' if on else 'disabled'}"))

    @router.post("/dispatch/{app_id}/destinations/{destination_id}/hash")
    async def set_hash(request: Request, app_id: str, destination_id: str, me: SignedIn = ADMIN):
        on = (await form_of(request)).get("enabled") == "true"
        with unit(request) as session:  # UpdateDestinationHashUserInfo
            dest = destination_or_404(session, me, app_or_404(session, me, app_id), destination_id)
            disp_domain.set_destination_hash(session, destination=dest, on=on)
        return see_other(destination_url(app_id, destination_id, f"?notice={'hash-on' if on else 'hash-off'}"))

    @router.post("/dispatch/{app_id}/destinations/{destination_id}/lti13")
    async def set_lti13(request: Request, app_id: str, destination_id: str, me: SignedIn = ADMIN):
        data = await form_of(request)
        values = {name: data.get(name, "").strip() for name, _, _, _ in LTI13_FIELDS}
        errors = _lti13_errors(values)
        if errors:
            return _destination_page(request, me, app_id, destination_id, status=400, lti13_errors=errors,
                                     lti13_values=values)
        with unit(request) as session:  # SetDestination with lti13Data
            app = app_or_404(session, me, app_id)
            destination_or_404(session, me, app, destination_id)
            dest_domain.set_destination(session, application_pk=app.pk, destination_id=destination_id,
                                        data=dest_domain.DestinationData(lti13={
                                            key: values[name] for name, key, _, _ in LTI13_FIELDS if values[name]}))
        return see_other(destination_url(app_id, destination_id, "?notice=lti13"))

    @router.get("/dispatch/{app_id}/destinations/{destination_id}/delete")
    def delete_confirm(request: Request, app_id: str, destination_id: str, me: SignedIn = ADMIN):
        with unit(request) as session:
            app = app_or_404(session, me, app_id)
            dest = destination_or_404(session, me, app, destination_id)
            count = dest_domain.dispatch_counts(session, [dest]).get(dest.pk, 0)
            name = dest.name
        here = destination_url(app_id, destination_id)
        return confirm_page(request, me, title=f"Delete {name}?", button="Delete destination", back=here,
                            action=here + "/delete", crumbs=[(dispatch_home(app_id), "Dispatch"), (here, name)],
                            message=f"The destination and its {count} dispatch{'es' if count != 1 else ''} will be "
                                    "deleted: the packages and LTI links given to it stop launching. The "
                                    "registrations made through them stay, with their results.")

    @router.post("/dispatch/{app_id}/destinations/{destination_id}/delete")
    def delete(request: Request, app_id: str, destination_id: str, me: SignedIn = ADMIN):
        with unit(request) as session:  # DeleteDestination
            dest = destination_or_404(session, me, app_or_404(session, me, app_id), destination_id)
            dest_domain.delete_destination(session, destination=dest)
        return see_other(dispatch_home(app_id, "deleted"))

    @router.get("/dispatch/{app_id}/new-dispatch")
    def new_dispatch(request: Request, app_id: str, me: SignedIn = ADMIN):
        return _new_dispatch_page(request, me, app_id, request.query_params.getlist("course"))

    @router.post("/dispatch/{app_id}/new-dispatch")
    async def create_dispatch(request: Request, app_id: str, me: SignedIn = ADMIN):
        return await _create_dispatches(request, me, app_id)

    add_dispatch_routes(router, ADMIN)  # one dispatch's page, its settings, zip, LTI and PENS
    return router
