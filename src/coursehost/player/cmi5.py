"""cmi5 on the content origin: the launch hand-over to the AU and the AU's fetch URL (cmi5 §8.2).

The fetch URL lives here, on the content origin, next to the AU's own files: a packaged AU fetches
its token same-origin, so no preflight and no credential-bearing CORS on the service origin; the
spec lets the fetch URL be anywhere (§8.1.2). It answers cross-origin too (no cookies are involved)
for AUs hosted elsewhere. The token it hands out only opens the LRS, on the service origin."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from coursehost.domain.cmi5 import journal
from coursehost.domain.cmi5 import launch as cmi5_launch
from coursehost.domain.cmi5 import results as cmi5_results
from coursehost.domain.cmi5.launch import FetchRefused
from coursehost.domain.runtime.player_launch import PlayerLaunch
from coursehost.player import page
from coursehost.web import services, unit

router = APIRouter(include_in_schema=False)
CORS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}


def _origin(request: Request) -> str:
    settings = services(request).settings
    return (settings.content_url or f"{request.url.scheme}://{request.url.netloc}").rstrip("/")


def launch_au(request: Request, started: PlayerLaunch) -> Response:
    """Hand a started cmi5 launch to its AU: launch data written, then the browser sent to the AU (§8.1)."""
    svc = services(request)
    origin = _origin(request)
    with unit(request) as session:
        url = cmi5_results.start_session(
            session, launch_id=started.launch_id, base_url=svc.settings.base_url.rstrip("/"),
            content_base=f"{origin}/content/{page.content_key(svc.instance_key, started.version_pk)}/",
            fetch_url=f"{origin}/player/cmi5/fetch",
            return_url=f"{origin}/player/cmi5/returned?l={started.launch_id}")
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


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
