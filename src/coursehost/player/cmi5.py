"""cmi5 on the content origin: the launch hand-over to the AU and the AU's fetch URL (cmi5 §8.2).

The fetch URL lives here, on the content origin, next to the AU's own files: a packaged AU fetches
its token same-origin, so no preflight and no credential-bearing CORS on the service origin; the
spec lets the fetch URL be anywhere (§8.1.2). It answers cross-origin too (no cookies are involved)
for AUs hosted elsewhere. The token it hands out only opens the LRS, on the service origin."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from coursehost.domain.cmi5 import journal, outline
from coursehost.domain.cmi5 import launch as cmi5_launch
from coursehost.domain.cmi5 import results as cmi5_results
from coursehost.domain.cmi5.launch import FetchRefused
from coursehost.domain.errors import DomainError
from coursehost.domain.registrations.launch_tokens import (
    TokenExpired,
    TokenInvalid,
    make_runtime_token,
    read_runtime_token,
)
from coursehost.domain.runtime import player_launch
from coursehost.domain.runtime.player_launch import PlayerLaunch
from coursehost.player import page
from coursehost.web import http_status, read_unit, services, unit

router = APIRouter(include_in_schema=False)
CORS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}
NO_STORE = {"Cache-Control": "no-store"}


def _origin(request: Request) -> str:
    settings = services(request).settings
    return (settings.content_url or f"{request.url.scheme}://{request.url.netloc}").rstrip("/")


def _begin(request: Request, session, *, launch_id: str, version_pk: int, return_url: str) -> str:
    """Begin AU session LAUNCH_ID (launch data, launched) -> the AU's launch URL (§8.1)."""
    svc = services(request)
    origin = _origin(request)
    generation = player_launch.content_version(session, version_pk=version_pk).generation
    return cmi5_results.start_session(
        session, launch_id=launch_id, base_url=svc.settings.base_url.rstrip("/"),
        content_base=f"{origin}/content/{page.content_key(svc.instance_key, version_pk, generation)}/",
        fetch_url=f"{origin}/player/cmi5/fetch", return_url=return_url)


def launch_au(request: Request, started: PlayerLaunch) -> Response:
    """Hand a started cmi5 launch to its AU: launch data written, then the browser sent to the AU
    (§8.1). A course of several AUs opens its outline first, unless the launch link named the AU."""
    if len(started.items) > 1 and not started.options.get("startSco"):
        token = make_runtime_token(services(request).instance_key, launch_id=started.launch_id)
        return RedirectResponse(_outline_url(request, token), status_code=303, headers=NO_STORE)
    with unit(request) as session:
        url = _begin(request, session, launch_id=started.launch_id, version_pk=started.version_pk,
                     return_url=f"{_origin(request)}/player/cmi5/returned?l={started.launch_id}")
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


def _outline_url(request: Request, token: str) -> str:
    return f"{_origin(request)}/player/cmi5/course?t={quote(token, safe='')}"


def _outline_launch(request: Request, token: str) -> str | Response:
    """The player launch an outline token names, or the page that says why not."""
    try:
        return read_runtime_token(services(request).instance_key, token)
    except TokenExpired:
        return page.message_page("Session expired", "This session has expired. Launch the course again.", 410)
    except TokenInvalid:
        return page.message_page("Not valid", "This course link is not valid. Launch the course again.", 403)


@router.get("/player/cmi5/course")
def course_outline(request: Request, t: str = "") -> Response:
    """The course outline (domain/cmi5/outline.py), drawn afresh on every visit: where the learner
    picks an AU and where each AU's returnURL brings the learner back to."""
    launch_id = _outline_launch(request, t)
    if isinstance(launch_id, Response):
        return launch_id
    try:
        with read_unit(request) as session:
            drawn = outline.course_outline(session, launch_id=launch_id)
            options = player_launch.find_launch(session, launch_id).options or {}
    except DomainError as exc:
        return page.message_page("Course closed", str(exc), http_status(exc))
    if drawn["ended"]:
        return page.message_page("Course closed", "You have left the course. You may close this window.")
    return page.outline_page(drawn, token=t, culture=options.get("culture"), css_url=options.get("cssUrl"))


@router.post("/player/cmi5/au")
def start_au(request: Request, t: str = "", au: str = "", mode: str = "Normal") -> Response:
    """The learner picked AU AU on the outline: a new AU session, the browser sent to the AU, whose
    returnURL is the outline."""
    launch_id = _outline_launch(request, t)
    if isinstance(launch_id, Response):
        return launch_id
    try:
        with unit(request) as session:
            au_launch, version_pk = outline.start_au(
                session, launch_id=launch_id, au_id=au, mode=mode,
                user_agent=(request.headers.get("user-agent") or "")[:1000])
            url = _begin(request, session, launch_id=au_launch, version_pk=version_pk,
                         return_url=_outline_url(request, t))
    except DomainError as exc:
        return page.message_page("Cannot start this lesson", str(exc), http_status(exc))
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


@router.post("/player/cmi5/exit")
def exit_course(request: Request, t: str = "") -> Response:
    """The learner leaves the outline: the player launch ends, the browser goes where the launch
    link said (redirectOnExitUrl), as from the SCORM player."""
    launch_id = _outline_launch(request, t)
    if isinstance(launch_id, Response):
        return launch_id
    try:
        with unit(request) as session:
            options = player_launch.exit_player(session, launch_id=launch_id)
    except DomainError as exc:
        return page.message_page("Course closed", str(exc), http_status(exc))
    return RedirectResponse(page.redirect_target(options), status_code=303, headers=NO_STORE)


@router.options("/player/cmi5/fetch")
def fetch_preflight() -> Response:
    """CORS preflight for an AU hosted on another origin."""
    return Response(status_code=204, headers={**CORS, "Access-Control-Allow-Methods": "POST",
                                              "Access-Control-Allow-Headers": "Content-Type"})


@router.post("/player/cmi5/fetch")
async def fetch(request: Request, k: str = "", l: str = "") -> Response:  # noqa: E741 (the URL's names)
    """§8.2.2: one POST -> {"auth-token"}; any later one -> {"error-code", "error-text"} (§8.2.3),
    both with 200 (§8.2.2: the status is 200 for a valid request, including one that gets an error)."""
    def work() -> str:
        with unit(request) as session:
            return cmi5_launch.fetch_token(session, launch_id=l, key=k)
    try:
        token = await run_in_threadpool(work)
    except FetchRefused as exc:
        await run_in_threadpool(_log_refusal, request, l, exc)
        return JSONResponse({"error-code": exc.code, "error-text": str(exc)}, status_code=200, headers=CORS)
    return JSONResponse({"auth-token": token}, headers=CORS)


def _log_refusal(request: Request, launch_id: str, exc: FetchRefused) -> None:
    with unit(request) as session:
        journal.log(session, launch_id=launch_id, entries=[journal.entry(
            "POST fetch", activity_id="", args=[], result="refused", message=f"error-code {exc.code}: {exc}")])


@router.get("/player/cmi5/returned")
def returned(request: Request, l: str = "") -> Response:  # noqa: E741 (the URL's name)
    """Where an AU sends the learner when it is done (LaunchData returnURL): the launch link's
    redirectOnExitUrl, as the SCORM player does on exit."""
    with unit(request) as session:
        options = cmi5_launch.launch_options(session, launch_id=l)
    if options is None:
        return page.message_page("Course closed", "You have left the course. You may close this window.")
    return RedirectResponse(page.redirect_target(options), status_code=303)
