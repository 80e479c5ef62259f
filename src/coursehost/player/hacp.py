"""The AICC HACP endpoint on the content origin (AICC CMI001 appendix A): an AU POSTs
application/x-www-form-urlencoded command / version / session_id / aicc_data to the aicc_url of
its launch and reads a text answer. The session id is the credential; no cookie is read."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from coursehost.domain.errors import DomainError
from coursehost.domain.registrations.launch_tokens import TokenExpired, TokenInvalid, read_runtime_token
from coursehost.domain.runtime import hacp as protocol
from coursehost.domain.runtime import launch_aicc
from coursehost.domain.runtime.navigation import launch_href
from coursehost.domain.runtime.player_launch import PlayerLaunch
from coursehost.services import Services
from coursehost.web import http_status, read_unit, services, unit

router = APIRouter(include_in_schema=False)
MAX_HACP_BYTES = 2 * 1024 * 1024
# The AU may come from another origin (an absolute File_Name): it may read the answer, which holds
# nothing but what its own session id unlocks; no credentials travel (no cookie is used).
HEADERS = {"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}


def item_href(svc: Services, launched: PlayerLaunch, item: dict) -> str:
    """ITEM's href in the player: an AICC AU's carries its AICC_SID and AICC_URL."""
    if not launch_aicc.plays(launched.standard):
        return launch_href(item)
    sid = launch_aicc.make_sid(svc.instance_key, launch_id=launched.launch_id, activity_id=item["id"])
    return launch_aicc.au_href(item, sid=sid, content_url=svc.settings.content_url or "")


def _text(body: str) -> Response:
    return Response(body, media_type="text/plain", headers=HEADERS)


@router.post(launch_aicc.HACP_PATH)
async def hacp_endpoint(request: Request) -> Response:
    """One HACP exchange: always HTTP 200, the outcome in error= / error_text= (CMI001 A.4)."""
    raw = await request.body()
    if len(raw) > MAX_HACP_BYTES:
        return _text(protocol.answer(protocol.INVALID_COMMAND, "The request is too large"))
    try:
        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    except UnicodeDecodeError:
        return _text(protocol.answer(protocol.INVALID_COMMAND, "The request is not UTF-8 form data"))
    key = services(request).instance_key

    def work() -> str:
        with unit(request) as session:
            return launch_aicc.handle(session, instance_key=key, form=form)
    return _text(await run_in_threadpool(work))


# ---------------------------------------------------------------- the player's side (runtime token)


async def _player_call(request: Request, fn, *, read_only: bool = False, **kwargs) -> Response:
    """FN(session, launch_id=..., **KWARGS) for the player's JavaScript (X-Player-Token)."""
    svc = services(request)
    try:
        # A beacon (the page closing) cannot send headers: its token rides in the query (?t=).
        launch_id = read_runtime_token(svc.instance_key, request.headers.get("x-player-token")
                                       or request.query_params.get("t"))
    except TokenExpired:
        return JSONResponse({"message": "The session has expired; relaunch the course"}, status_code=401)
    except TokenInvalid:
        return JSONResponse({"message": "Not a valid player session"}, status_code=403)

    def work():
        with (read_unit(request) if read_only else unit(request)) as session:
            return fn(session, launch_id=launch_id, **kwargs)
    try:
        answer = await run_in_threadpool(work)
    except DomainError as exc:
        return JSONResponse({"message": str(exc)}, status_code=http_status(exc))
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@router.post("/player/runtime/aicc/session")
async def au_session(request: Request, activityId: str = "") -> Response:  # noqa: N803 (the query's name)
    """A new HACP session for one delivery of an AU: its launch URL with a fresh AICC_SID."""
    svc = services(request)
    return await _player_call(request, launch_aicc.au_session_href, read_only=True, instance_key=svc.instance_key,
                              activity_id=activityId, content_url=svc.settings.content_url or "")


@router.get("/player/runtime/aicc/status")
async def au_status(request: Request, activityId: str = "", session: str = "") -> Response:  # noqa: N803
    """Whether that AU session has ended with ExitAU (the player then moves on)."""
    return await _player_call(request, launch_aicc.au_session_status, read_only=True, activity_id=activityId,
                              au_session=session)


@router.post("/player/runtime/aicc/left")
async def au_left(request: Request, activityId: str = "", session: str = "") -> Response:  # noqa: N803
    """The learner left that AU session; one that never talked HACP is completed (launch_aicc.au_session_left)."""
    return await _player_call(request, launch_aicc.au_session_left, activity_id=activityId, au_session=session)
