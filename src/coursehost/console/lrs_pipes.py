"""Statement forwarding: the statement pipes of the realm's applications (the XapiApi's
CreateStatementPipe / SetStatementPipe / DeleteStatementPipe call the same functions of
domain/lrs/pipes.py, which check the URLs and refuse private addresses the same way). Passwords are
never shown back; a blank password field keeps the stored one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from coursehost.console.lrs_common import ADMIN, child_app_or_404, child_apps, form_of, lrs_url, see_other
from coursehost.console.pages import ConsolePageError, render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.errors import Conflict, InvalidInput, NotFound
from coursehost.domain.lrs import pipes
from coursehost.domain.lrs.pipes import Endpoint
from coursehost.web import read_unit, services, unit

BASE = "/console/lrs/pipes"
NOTICES = {
    "created": "The statement pipe was created; it starts forwarding in the background.",
    "saved": "The statement pipe was saved; it forwards every statement of the source again, from the start.",
    "deleted": "The statement pipe was deleted; forwarding has stopped.",
}
STATUSES = {
    "waiting": "Starting: the first pass has not finished yet",
    "active": "Forwarding new statements as they arrive",
    "forwarding": "Forwarding now",
    "retrying": "Failing: the next attempt waits",
}
SIDES = ("source", "target")


def _side(box, stored: dict) -> dict:
    endpoint = pipes.endpoint_of(box, stored)
    return {"url": endpoint.url or "", "user": endpoint.user_name or "", "has_password": bool(endpoint.password)}


def _row(session, box, pipe, app) -> dict:
    return {"id": pipe.pipe_id, "app_id": app.app_id, "app_name": app.name, "source": _side(box, pipe.source),
            "target": _side(box, pipe.target), "status": pipes.pipe_status(session, pipe),
            "attempts": pipe.attempts or 0, "visible_after": pipe.visible_after, "last_error": pipe.last_error,
            "forwarded": pipe.statements_forwarded or 0, "last_date": pipe.last_forwarded_statement_date,
            "url": f"{BASE}/{app.app_id}/{pipe.pipe_id}"}


def _values(row: dict) -> dict[str, str]:
    return {"app": row["app_id"], "source_url": row["source"]["url"], "source_user": row["source"]["user"],
            "target_url": row["target"]["url"], "target_user": row["target"]["user"]}


def _endpoints(values: dict[str, str], kept: dict[str, Endpoint] | None = None) -> dict[str, Endpoint]:
    """The form's source and target; a blank password keeps the one in KEPT (an edit)."""
    out = {}
    for side in SIDES:
        password = values.get(f"{side}_password", "")
        if not password and kept:
            password = kept[side].password or ""
        out[side] = Endpoint(values.get(f"{side}_url", "").strip(), values.get(f"{side}_user", "").strip(), password)
    return out


def _error_field(exc: Exception) -> tuple[str, str]:
    text = str(exc)
    if isinstance(exc, Conflict):
        return "form", "The pipe is forwarding statements right now; nothing was changed. Try again in a moment."
    for side in SIDES:
        if text.startswith(side):
            detail = text.split(":", 1)[1].strip() if ":" in text else "it must be an absolute http or https URL"
            if "must be an absolute" in text:
                detail = "it must be an absolute http or https URL (the LRS endpoint)"
            return f"{side}_url", f"The {side} URL is refused: {detail}."
    return "form", text


def _pipe_or_404(session, me: SignedIn, app_id: str, pipe_id: str):
    app = child_app_or_404(session, me, app_id)
    try:
        return pipes.get_pipe(session, app_pk=app.pk, pipe_id=pipe_id), app
    except NotFound:
        raise ConsolePageError(404, "Statement pipe not found",
                               f"Application {app_id} has no statement pipe {pipe_id}.", me=me) from None


def _list_page(request: Request, me: SignedIn, *, status: int = 200, errors: dict[str, str] | None = None,
               values: dict[str, str] | None = None, notice: str | None = None) -> Response:
    box = services(request).box
    with read_unit(request) as session:
        rows = [_row(session, box, pipe, app) for pipe, app in pipes.realm_pipes(session, realm_id=me.realm_id)]
        choices = [(a.app_id, a.name) for a in child_apps(session, me)]
    defaults = {"app": choices[0][0], "source_url": lrs_url(request, choices[0][0])}
    return render(request, "lrs/pipes.html", me=me, status=status, title="Statement forwarding", rows=rows,
                  choices=choices, statuses=STATUSES, errors=errors or {}, values=values or defaults,
                  notice=NOTICES.get(notice or ""))


def _edit_page(request: Request, me: SignedIn, app_id: str, pipe_id: str, *, status: int = 200,
               errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response:
    box = services(request).box
    with read_unit(request) as session:
        pipe, app = _pipe_or_404(session, me, app_id, pipe_id)
        row = _row(session, box, pipe, app)
    return render(request, "lrs/pipe.html", me=me, status=status, title=f"Statement pipe {pipe_id}", pipe=row,
                  statuses=STATUSES, errors=errors or {}, values=values or _values(row))


def build_pipes_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/lrs/pipes")
    def list_pipes(request: Request, notice: str | None = None, me: SignedIn = ADMIN):
        return _list_page(request, me, notice=notice)

    @router.post("/lrs/pipes")
    async def create_pipe(request: Request, me: SignedIn = ADMIN):
        values = await form_of(request)
        svc = services(request)
        ends = _endpoints(values)
        try:
            with unit(request) as session:
                app = child_app_or_404(session, me, values.get("app", ""))
                pipes.create_pipe(session, box=svc.box, app_pk=app.pk, source=ends["source"], target=ends["target"],
                                  allow_private_urls=svc.settings.allow_private_urls)
        except (InvalidInput, Conflict) as exc:
            field, message = _error_field(exc)
            return _list_page(request, me, status=400, errors={field: message}, values=values)
        return see_other(f"{BASE}?notice=created")

    @router.get("/lrs/pipes/{app_id}/{pipe_id}")
    def edit_pipe(request: Request, app_id: str, pipe_id: str, me: SignedIn = ADMIN):
        return _edit_page(request, me, app_id, pipe_id)

    @router.post("/lrs/pipes/{app_id}/{pipe_id}")
    async def save_pipe(request: Request, app_id: str, pipe_id: str, me: SignedIn = ADMIN):
        values = await form_of(request)
        svc = services(request)
        try:
            with unit(request) as session:
                pipe, app = _pipe_or_404(session, me, app_id, pipe_id)
                kept = {side: pipes.endpoint_of(svc.box, getattr(pipe, side)) for side in SIDES}
                ends = _endpoints(values, kept)
                pipes.set_pipe(session, box=svc.box, app_pk=app.pk, pipe_id=pipe_id, source=ends["source"],
                               target=ends["target"], allow_private_urls=svc.settings.allow_private_urls)
        except (InvalidInput, Conflict) as exc:
            field, message = _error_field(exc)
            return _edit_page(request, me, app_id, pipe_id, status=409 if isinstance(exc, Conflict) else 400,
                              errors={field: message}, values=values)
        return see_other(f"{BASE}?notice=saved")

    @router.get("/lrs/pipes/{app_id}/{pipe_id}/delete")
    def confirm_delete(request: Request, app_id: str, pipe_id: str, me: SignedIn = ADMIN):
        with read_unit(request) as session:
            pipe, _ = _pipe_or_404(session, me, app_id, pipe_id)
            source, target = (pipes.endpoint_of(services(request).box, side).url for side in (pipe.source, pipe.target))
        return render(request, "lrs/confirm.html", me=me, title=f"Delete statement pipe {pipe_id}?",
                      message=f"Statements of {source} are no longer forwarded to {target} once the pipe is "
                              "deleted; those already forwarded stay there. This cannot be undone.",
                      action=f"{BASE}/{app_id}/{pipe_id}/delete", button="Delete statement pipe", back=BASE)

    @router.post("/lrs/pipes/{app_id}/{pipe_id}/delete")
    async def delete_pipe(request: Request, app_id: str, pipe_id: str, me: SignedIn = ADMIN):
        if (await form_of(request)).get("confirm") != "yes":
            return see_other(f"{BASE}/{app_id}/{pipe_id}/delete")
        with unit(request) as session:
            _, app = _pipe_or_404(session, me, app_id, pipe_id)
            pipes.delete_pipe(session, app_pk=app.pk, pipe_id=pipe_id)
        return see_other(f"{BASE}?notice=deleted")

    return router
