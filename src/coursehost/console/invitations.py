"""The Invitations tab (administrators and owners): an application's public and private invitations with
filters, newest first, paged by "Newer" / "Older" links, one invitation's page (its public URL to copy, the people registered through it and their
progress, close, reopen or extend it), and the page that creates a public invitation or sends a private
one (the e-mail previewed first). Every action calls the domain function of the matching InvitationsApi
operation (domain/invitations/public.py and private.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import partial
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from coursehost.console.app_picker import choose_application
from coursehost.console.auth import signed_in
from coursehost.console.course_common import app_or_404, form_of, see_other
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain import keyset
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.domain.courses import catalog
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.invitations import browse, private, public
from coursehost.domain.reporting.progress import registration_progress
from coursehost.web import services, unit

ADMIN = Depends(signed_in(Role.ADMINISTRATOR))
KINDS = {"public": "Public", "private": "Private"}
STATES = {"open": "Open", "closed": "Closed"}
NOTICES = {
    "created-public": "The public invitation was created: copy its URL and share it.",
    "created-private": "The private invitation was created: the e-mails are being sent.",
    "closed": "The invitation was closed.",
    "reopened": "The invitation was reopened.",
    "extended": "The expiration date was changed.",
}


def invitation_page_url(app_id: str, invitation_id: str, tail: str = "") -> str:
    return f"/console/invitations/{quote(app_id, safe='')}/{quote(invitation_id, safe='')}{tail}"


def _base_url(request: Request) -> str:
    s = services(request).settings
    return (s.public_url or s.base_url or "").rstrip("/")


def _closed_reason(inv, count: int, now: datetime) -> str | None:
    """Why nobody new can start the course through INV now, or None when it is open."""
    reason = public.refusal_of(inv, now, new=inv.is_public)
    if reason:
        return reason
    if inv.is_public and inv.registration_cap and count >= inv.registration_cap:
        return "It has reached its limit of learners."
    return None


def _expiry(value: str, errors: dict[str, str], key: str, *, required: bool = False) -> datetime | None:
    """A YYYY-MM-DD date from a form as the end of that day (UTC), which must be in the future."""
    value = (value or "").strip()
    if not value:
        if required:
            errors[key] = "Choose the new expiration date."
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors[key] = "Enter the expiration date as YYYY-MM-DD."
        return None
    when = datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    if when <= datetime.now(UTC):
        errors[key] = "The expiration date must be in the future."
        return None
    return when


def _courses(session, app) -> list[tuple[str, str]]:
    found = session.scalars(catalog.course_list_query(app.pk, None))
    return sorted(((c.course_id, c.title or c.course_id) for c in found), key=lambda c: (c[1].lower(), c[0]))


def _invitation_or_404(session, me: SignedIn, app, invitation_id: str):
    try:
        return public.get_invitation(session, application_pk=app.pk, invitation_id=invitation_id)
    except NotFound:
        raise ConsolePageError(404, "Invitation not found",
                               f"Application {app.app_id} has no invitation {invitation_id}.", me=me) from None


# --- the list ------------------------------------------------------------------------------------------

def _page_size(request: Request) -> int:
    return services(request).settings.page_size


def _keyset_page(fetch, request: Request, me: SignedIn, *, prefix: str = "") -> keyset.KeysetPage:
    """FETCH(limit=, older_than=, newer_than=): the page the query's PREFIX+older / PREFIX+newer link asks
    for (the newest without one)."""
    q = request.query_params
    try:
        older, newer = keyset.parse_key(q.get(prefix + "older")), keyset.parse_key(q.get(prefix + "newer"))
    except InvalidInput as exc:
        raise ConsolePageError(400, "This list cannot be shown", str(exc), me=me) from None
    return fetch(limit=_page_size(request), older_than=older, newer_than=None if older else newer)


def _page_links(path: str, kept: dict[str, str], page: keyset.KeysetPage, *, prefix: str = "",
                anchor: str = "") -> dict[str, str]:
    """{"newer" | "older": the URL of that page} for the sides PAGE has rows on."""
    links = {}
    for side in ("newer", "older"):
        key = getattr(page, side)
        if key is not None:
            links[side] = f"{path}?{urlencode({**kept, prefix + side: keyset.key_text(key)})}{anchor}"
    return links


def _list_page(request: Request, me: SignedIn) -> Response:
    q = request.query_params
    course_id, kind, state = q.get("course") or "", q.get("kind") or "", q.get("state") or ""
    kind = kind if kind in KINDS else ""
    state = state if state in STATES else ""
    now = datetime.now(UTC)
    with unit(request) as session:
        picker = choose_application(session, me, q.get("app"))
        app = picker.app
        stmt = public.invitation_list_query(app.pk, public={"public": True, "private": False}.get(kind),
                                            course_id=course_id or None)
        page = _keyset_page(partial(browse.invitations_page, session, browse.with_state(stmt, state or None, now)),
                            request, me)
        invs = page.rows
        titles, counts = public.course_titles(session, invs), public.registration_counts(session, invs)
        rows = []
        for inv in invs:
            count = counts.get(inv.pk, 0)
            rows.append({"id": inv.invitation_id, "public": inv.is_public, "course_id": inv.course_id,
                         "course_title": titles.get(inv.course_pk, inv.course_id), "created": inv.created,
                         "expires": inv.expiration_date, "count": count, "cap": inv.registration_cap,
                         "closed": _closed_reason(inv, count, now), "url": invitation_page_url(app.app_id, inv.invitation_id)})
        courses = _courses(session, app)
    filtered = bool(course_id or kind or state)
    kept = {k: v for k, v in {"app": app.app_id, "course": course_id, "kind": kind, "state": state}.items() if v}
    return render(request, "invitations/list.html", me=me, title="Invitations", picker=picker, app_id=app.app_id,
                  app_name=app.name, rows=rows, courses=courses, course=course_id, kind=kind, state=state,
                  kinds=KINDS, states=STATES, filtered=filtered, pages=_page_links("/console/invitations", kept, page),
                  notice=NOTICES.get(q.get("notice") or ""))


# --- one invitation --------------------------------------------------------------------------------------

def _details_page(request: Request, me: SignedIn, app_id: str, invitation_id: str, *, status: int = 200,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response:
    base, now = _base_url(request), datetime.now(UTC)
    with unit(request) as session:
        app = app_or_404(session, me, app_id)
        inv = _invitation_or_404(session, me, app, invitation_id)
        count = public.registration_counts(session, [inv]).get(inv.pk, 0)
        title = public.course_titles(session, [inv]).get(inv.course_pk, inv.course_id)
        # the people, as GetPublicUserInvitations / GetPrivateUserInvitations give them
        page = _keyset_page(partial(browse.people_page, session, inv), request, me, prefix="people-")
        rows = page.rows
        regs = public.registrations_of(session, invitation=inv, rows=rows)
        sent = {} if inv.is_public else private.deliveries(session, rows)
        people = []
        for row in rows:
            reg = regs.get(row.registration_id)
            progress = registration_progress(session, registration=reg) if reg is not None else None
            people.append({"email": row.email, "registration_id": reg.registration_id if reg is not None else None,
                           "progress": progress, "updated": row.updated, "delivery": sent.get(row.pk)})
        mails = None if inv.is_public else private.delivery_counts(session, inv)
        info = {"id": inv.invitation_id, "public": inv.is_public, "course_id": inv.course_id, "course_title": title,
                "created": inv.created, "expires": inv.expiration_date, "count": count, "cap": inv.registration_cap,
                "allow_launch": inv.allow_launch, "allow_new": inv.allow_new_registrations,
                "closed": _closed_reason(inv, count, now), "subject": inv.email_subject,
                "url": public.invitation_url(base, inv.invitation_id) if inv.is_public else None,
                "job_status": inv.job_status, "job_total": len(inv.addresses or []),
                "job_processed": inv.job_processed or 0, "job_errors": list(inv.job_errors or []), "mails": mails,
                "here": invitation_page_url(app.app_id, inv.invitation_id)}
    reopenable = (not info["allow_new"] or not info["allow_launch"]) if info["public"] else not info["allow_launch"]
    return render(request, "invitations/invitation.html", me=me, status=status,
                  title=f"Invitation to {info['course_title']}", app_id=app_id, inv=info, people=people,
                  pages=_page_links(info["here"], {}, page, prefix="people-", anchor="#people-heading"),
                  reopenable=reopenable, errors=errors or {}, values=values or {},
                  notice=NOTICES.get(request.query_params.get("notice") or ""))


def _set_open(request: Request, me: SignedIn, app_id: str, invitation_id: str, *, opened: bool) -> None:
    with unit(request) as session:
        inv = _invitation_or_404(session, me, app_or_404(session, me, app_id), invitation_id)
        if inv.is_public:  # UpdatePublicInvitation: closed to new people, and to launches
            public.update_public_invitation(session, invitation=inv, changes=public.InvitationChanges(
                allow_new_registrations=opened, allow_launch=opened))
        else:  # UpdatePrivateInvitation: the learners' links stop (or start) launching
            private.update_private_invitation(session, invitation=inv, changes=private.PrivateChanges(
                allow_launch=opened))


# --- create ----------------------------------------------------------------------------------------------

@dataclass
class CreateForm:
    kind: str = "public"
    course: str = ""
    expires: str = ""
    cap: str = ""
    addresses: str = ""
    subject: str = ""
    body: str = ""


def _new_page(request: Request, me: SignedIn, app_id: str | None, form: CreateForm, *, status: int = 200,
              errors: dict[str, str] | None = None, preview=None) -> Response:
    with unit(request) as session:
        picker = choose_application(session, me, app_id)
        courses = _courses(session, picker.app)
    return render(request, "invitations/new.html", me=me, status=status, title="New invitation", picker=picker,
                  app_id=picker.app_id, app_name=picker.app.name, courses=courses, form=form, errors=errors or {},
                  preview=preview)


def _domain_errors(exc: Exception, kind: str) -> dict[str, str]:
    """The domain's message under the form field it is about."""
    prefix = f"{kind}-"
    if isinstance(exc, NotFound):
        return {prefix + "course": "Choose one of the application's courses."}
    text = str(exc)
    for wire, key in (("registrationCap", "cap"), ("invitationEmail.subject", "subject"),
                      ("invitationEmail.body", "body"), ("invitationEmail.addresses", "addresses"),
                      ("creatingUserEmail", "course")):
        if wire in text:
            return {prefix + key: text.replace(wire + ": ", "").replace(wire, key.capitalize()) + "."}
    return {prefix + "course": text}


def _cap(value: str, errors: dict[str, str]) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        errors["public-cap"] = "Enter a whole number of learners (0 or empty: no limit)."
        return None
    return int(value)


async def _create(request: Request, me: SignedIn) -> Response:
    data = await form_of(request)
    app_id = request.query_params.get("app") or data.get("app")
    form = CreateForm(kind="private" if data.get("kind") == "private" else "public",
                      course=data.get("course", ""), expires=data.get("expires", ""), cap=data.get("cap", ""),
                      addresses=data.get("addresses", ""), subject=data.get("subject", ""), body=data.get("body", ""))
    k = form.kind
    errors: dict[str, str] = {}
    if not form.course:
        errors[f"{k}-course"] = "Choose the course."
    expires = _expiry(form.expires, errors, f"{k}-expires")
    addresses = [a.strip() for a in form.addresses.splitlines() if a.strip()]
    if k == "public":
        cap = _cap(form.cap, errors)
    elif not addresses:
        errors["private-addresses"] = "Enter at least one e-mail address, one per line."
    if errors:
        return _new_page(request, me, app_id, form, status=400, errors=errors)
    preview = None
    try:
        with unit(request) as session:
            app = choose_application(session, me, app_id).app
            if k == "public":
                inv = public.create_public_invitation(session, application_pk=app.pk, new=public.NewInvitation(
                    course_id=form.course, creating_user_email=me.email, registration_cap=cap,
                    expiration_date=expires))
            elif data.get("action") == "preview":
                preview = private.preview_email(session, application_pk=app.pk, course_id=form.course,
                                                subject=form.subject, body=form.body, expiration_date=expires,
                                                base_url=_base_url(request))
            else:
                inv = private.create_private_invitation(session, application_pk=app.pk,
                                                        new=private.NewPrivateInvitation(
                                                            course_id=form.course, creating_user_email=me.email,
                                                            subject=form.subject, body=form.body,
                                                            addresses=addresses, expiration_date=expires))
            app_id = app.app_id
            inv_id = inv.invitation_id if preview is None else None
    except (InvalidInput, NotFound) as exc:
        return _new_page(request, me, app_id, form, status=400, errors=_domain_errors(exc, k))
    if preview is not None:
        return _new_page(request, me, app_id, form, preview=preview)
    return see_other(invitation_page_url(app_id, inv_id, f"?notice=created-{k}"))


def build_invitations_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/invitations")
    def list_invitations(request: Request, me: SignedIn = ADMIN):
        return _list_page(request, me)

    @router.get("/invitations/new")
    def new_invitation(request: Request, me: SignedIn = ADMIN):
        q = request.query_params
        kind = "private" if q.get("kind") == "private" else "public"
        return _new_page(request, me, q.get("app"), CreateForm(kind=kind, course=q.get("course") or ""))

    @router.post("/invitations/new")
    async def create_invitation(request: Request, me: SignedIn = ADMIN):
        return await _create(request, me)

    @router.get("/invitations/{app_id}/{invitation_id}")
    def invitation(request: Request, app_id: str, invitation_id: str, me: SignedIn = ADMIN):
        return _details_page(request, me, app_id, invitation_id)

    @router.get("/invitations/{app_id}/{invitation_id}/close")
    def confirm_close(request: Request, app_id: str, invitation_id: str, me: SignedIn = ADMIN):
        with unit(request) as session:
            inv = _invitation_or_404(session, me, app_or_404(session, me, app_id), invitation_id)
            is_public = inv.is_public
        here = invitation_page_url(app_id, invitation_id)
        message = ("Nobody new can sign up through its public URL, and the people registered through it can no "
                   "longer start the course from it." if is_public else
                   "The links in the e-mails stop opening the course. The registrations and their results stay.")
        return render(request, "apps/confirm.html", me=me, title="Close this invitation?", message=message,
                      action=here + "/close", button="Close invitation", back=here, blocked=None)

    @router.post("/invitations/{app_id}/{invitation_id}/close")
    def close(request: Request, app_id: str, invitation_id: str, me: SignedIn = ADMIN):
        _set_open(request, me, app_id, invitation_id, opened=False)
        return see_other(invitation_page_url(app_id, invitation_id, "?notice=closed"))

    @router.post("/invitations/{app_id}/{invitation_id}/reopen")
    def reopen(request: Request, app_id: str, invitation_id: str, me: SignedIn = ADMIN):
        _set_open(request, me, app_id, invitation_id, opened=True)
        return see_other(invitation_page_url(app_id, invitation_id, "?notice=reopened"))

    @router.post("/invitations/{app_id}/{invitation_id}/extend")
    async def extend(request: Request, app_id: str, invitation_id: str, me: SignedIn = ADMIN):
        value = (await form_of(request)).get("expires", "")
        errors: dict[str, str] = {}
        when = _expiry(value, errors, "expires", required=True)
        if errors:
            return _details_page(request, me, app_id, invitation_id, status=400, errors=errors,
                                 values={"expires": value})
        with unit(request) as session:
            inv = _invitation_or_404(session, me, app_or_404(session, me, app_id), invitation_id)
            if inv.is_public:
                public.update_public_invitation(session, invitation=inv,
                                                changes=public.InvitationChanges(expiration_date=when))
            else:
                private.update_private_invitation(session, invitation=inv,
                                                  changes=private.PrivateChanges(expiration_date=when))
        return see_other(invitation_page_url(app_id, invitation_id, "?notice=extended"))

    return router

