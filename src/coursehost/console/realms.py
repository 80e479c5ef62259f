"""Realms and their members: "Your realms" (list, create, rename), the header's realm picker (switch),
and the realm's users page (add a user by e-mail with a role, change a member's role, remove one).

Every page acts in the session's current realm only; a realm the user has no role in is refused with
the 403 page and nothing done. The work is done by domain/accounts (realms.py, members.py)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from coursehost.console.auth import signed_in
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts import members, realms, users
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from coursehost.web import services, unit

REALM_NOTICES = {
    "created": "The realm {name} was created with a default application, and you are its Owner. "
               "Switch to it with the realm picker at the top of the page.",
    "renamed": "The realm is now called {name}.",
}
USER_NOTICES = {
    "added": "{email} was added to the realm; an e-mail tells them so.",
    "added-new": "{email} was added to the realm with a new account; they have no password yet. An e-mail "
                 "with a one-time sign-in link is on its way to them.",
    "role": "{email}'s role was changed.",
    "removed": "{email} was removed from the realm.",
}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _forbidden(me: SignedIn, exc: DomainError) -> ConsolePageError:
    return ConsolePageError(403, "You do not have access to this page", str(exc), me=me)


def _status(exc: DomainError) -> int:
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, NotFound):
        return 404
    return 409 if isinstance(exc, Conflict) else 400


def _realm_id(value: str) -> int:
    if not value.isdigit():
        raise InvalidInput("Choose a realm")
    return int(value)


def _realms_page(request: Request, me: SignedIn, *, status: int = 200, notice: str | None = None,
                 create_error: str | None = None, create_name: str = "", rename_id: int | None = None,
                 rename_error: str | None = None, rename_name: str = "") -> Response:
    with unit(request) as session:
        mine = realms.user_realms(session, user_id=me.user_id)
    return render(request, "realms/realms.html", me=me, status=status, title="Your realms", realms=mine,
                  notice=notice, create_error=create_error, create_name=create_name, rename_id=rename_id,
                  rename_error=rename_error, rename_name=rename_name, can_create=me.role is Role.OWNER)


def _users_page(request: Request, me: SignedIn, *, status: int = 200, notice: str | None = None,
                error: str | None = None, add_error: str | None = None, add_field: str | None = None,
                add: dict[str, str] | None = None) -> Response:
    with unit(request) as session:
        listed = users.realm_members(session, realm_id=me.realm_id)
    assignable = [r for r in (Role.OWNER, Role.ADMINISTRATOR, Role.LEARNER)
                  if me.role is Role.OWNER or r is not Role.OWNER]
    owners = sum(1 for m in listed if m.role is Role.OWNER)
    return render(request, "realms/users.html", me=me, status=status, title="Users", members=listed,
                  notice=notice, error=error, add_error=add_error, add_field=add_field,
                  add=add or {"email": "", "name": "", "role": Role.LEARNER.value}, assignable=assignable,
                  owners=owners)


def _user_notice(request: Request, me: SignedIn) -> str | None:
    template = USER_NOTICES.get(request.query_params.get("notice", ""))
    email = request.query_params.get("email", "")
    return template.format(email=email) if template and email else None


def build_realms_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/realms")
    def your_realms(request: Request, me: SignedIn = Depends(signed_in())):
        notice = REALM_NOTICES.get(request.query_params.get("notice", ""))
        realm = request.query_params.get("realm", "")
        name = dict(me.realms).get(int(realm)) if realm.isdigit() else None  # only a realm of theirs
        return _realms_page(request, me, notice=notice.format(name=name) if notice and name else None)

    @router.post("/realms")
    async def create_realm(request: Request, me: SignedIn = Depends(signed_in(Role.OWNER))):
        name = _text(await request.form(), "name")
        try:
            with unit(request) as session:
                made = realms.create_realm(session, box=services(request).box, user_id=me.user_id,
                                           name=name)
        except InvalidInput as exc:
            return _realms_page(request, me, status=400, create_error=str(exc), create_name=name)
        return RedirectResponse(f"/console/realms?notice=created&realm={made.realm_id}", status_code=303)

    @router.post("/realms/switch")
    async def switch_realm(request: Request, me: SignedIn = Depends(signed_in())):
        try:
            realm_id = _realm_id(_text(await request.form(), "realm_id"))
            with unit(request) as session:
                realms.switch_realm(session, session_id=me.session_id, user_id=me.user_id, realm_id=realm_id)
        except InvalidInput as exc:
            raise ConsolePageError(400, "Choose a realm", str(exc), me=me) from None
        except Forbidden as exc:
            raise _forbidden(me, exc) from None
        return RedirectResponse("/console/", status_code=303)

    @router.post("/realms/{realm_id}/rename")
    async def rename_realm(request: Request, realm_id: int, me: SignedIn = Depends(signed_in())):
        name = _text(await request.form(), "name")
        try:
            with unit(request) as session:
                realms.rename_realm(session, user_id=me.user_id, realm_id=realm_id, name=name)
        except Forbidden as exc:
            raise _forbidden(me, exc) from None
        except InvalidInput as exc:
            return _realms_page(request, me, status=400, rename_id=realm_id, rename_error=str(exc),
                                rename_name=name)
        return RedirectResponse(f"/console/realms?notice=renamed&realm={realm_id}", status_code=303)

    @router.get("/users")
    def realm_users(request: Request, me: SignedIn = Depends(signed_in(Role.ADMINISTRATOR))):
        return _users_page(request, me, notice=_user_notice(request, me))

    @router.post("/users")
    async def add_user(request: Request, me: SignedIn = Depends(signed_in(Role.ADMINISTRATOR))):
        form = await request.form()
        values = {"email": _text(form, "email"), "name": _text(form, "name"), "role": _text(form, "role")}
        try:
            role = users.parse_role(values["role"])
            svc = services(request)
            with unit(request) as session:
                added = members.add_member(session, realm_id=me.realm_id, actor_role=me.role,
                                           email=values["email"], role=role, name=values["name"])
                members.tell_new_member(session, box=svc.box, added=added, realm_name=me.realm_name,
                                        added_by=me.name or me.email, public_url=svc.settings.public_url,
                                        link_valid_for=timedelta(hours=svc.settings.console_signin_link_hours))
        except DomainError as exc:
            field = "role" if isinstance(exc, Forbidden) or str(exc).startswith("Role") else "email"
            return _users_page(request, me, status=_status(exc), add_error=str(exc), add_field=field, add=values)
        notice = "added-new" if added.new_account else "added"
        return RedirectResponse(_users_url(notice, added.email), status_code=303)

    @router.post("/users/{user_id}/role")
    async def change_role(request: Request, user_id: int, me: SignedIn = Depends(signed_in(Role.ADMINISTRATOR))):
        form = await request.form()
        try:
            role = users.parse_role(_text(form, "role"))
            with unit(request) as session:
                members.change_role(session, realm_id=me.realm_id, actor_role=me.role, user_id=user_id, role=role)
                email = _member_email(session, me, user_id)
        except DomainError as exc:
            return _users_page(request, me, status=_status(exc), error=str(exc))
        if user_id == me.user_id and not role.allows(Role.ADMINISTRATOR):  # this page is no longer theirs
            return RedirectResponse("/console/", status_code=303)
        return RedirectResponse(_users_url("role", email), status_code=303)

    @router.get("/users/{user_id}/remove")
    def remove_confirm(request: Request, user_id: int, me: SignedIn = Depends(signed_in(Role.ADMINISTRATOR))):
        with unit(request) as session:
            member = next((m for m in users.realm_members(session, realm_id=me.realm_id) if m.user_id == user_id), None)
        if member is None:
            raise ConsolePageError(404, "Not a member", f"This user is not a member of {me.realm_name}.", me=me)
        return render(request, "realms/remove.html", me=me, title="Remove a user", member=member)

    @router.post("/users/{user_id}/remove")
    async def remove_user(request: Request, user_id: int, me: SignedIn = Depends(signed_in(Role.ADMINISTRATOR))):
        if (await request.form()).get("confirm") != "yes":  # not the confirmation form: ask first
            return RedirectResponse(f"/console/users/{user_id}/remove", status_code=303)
        try:
            with unit(request) as session:
                email = members.remove_member(session, realm_id=me.realm_id, actor_role=me.role, user_id=user_id)
        except DomainError as exc:
            return _users_page(request, me, status=_status(exc), error=str(exc))
        if user_id == me.user_id:  # they left the realm: its pages are no longer theirs
            return RedirectResponse("/console/realms", status_code=303)
        return RedirectResponse(_users_url("removed", email), status_code=303)

    return router


def _member_email(session, me: SignedIn, user_id: int) -> str:
    return next((m.email for m in users.realm_members(session, realm_id=me.realm_id) if m.user_id == user_id), "")


def _users_url(notice: str, email: str) -> str:
    return "/console/users?" + urlencode({"notice": notice, "email": email})
