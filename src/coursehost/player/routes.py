"""Player routes: the launch page, the run-time endpoints the player's JavaScript calls, course
content, and our static files. Runtime calls are authenticated by the per-launch runtime token
(header X-Player-Token or query t, the latter for sendBeacon), never by console cookies."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from coursehost.domain.courses import assets
from coursehost.domain.errors import DomainError, InvalidInput, NotFound
from coursehost.domain.registrations.launch_tokens import (
    TokenExpired,
    TokenInvalid,
    make_runtime_token,
    read_launch_token,
    read_runtime_token,
)
from coursehost.domain.runtime import launch_xapi, navigation, player_launch
from coursehost.domain.runtime.commits import apply_commit
from coursehost.domain.runtime.player_launch import LaunchRefused, PlayerLaunch
from coursehost.domain.standards import LearningStandard
from coursehost.player import cmi5, content, dispatch, hacp, lti13, page
from coursehost.services import Services
from coursehost.storage import BlobNotFound
from coursehost.web import http_status, json_input, read_unit, services, unit

router = APIRouter(include_in_schema=False)
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
router.routes.append(Mount("/static", app=StaticFiles(directory=STATIC_DIR, check_dir=False), name="static"))
router.include_router(cmi5.router)
MAX_COMMIT_BYTES = 4 * 1024 * 1024
router.include_router(hacp.router)  # AICC HACP (player/hacp.py)
router.include_router(dispatch.router)  # the dispatch shell's launch (player/dispatch.py)


# ---------------------------------------------------------------- launch


@router.get("/player/launch")
def launch(request: Request, token: str | None = None) -> Response:
    """Check the launch link, start a Launch and serve the player page."""
    svc = services(request)
    try:
        req = read_launch_token(svc.instance_key, token)
    except TokenExpired:
        return page.message_page("Launch link expired", "This launch link has expired. Ask for a new link.", 410)
    except TokenInvalid:
        return page.message_page("Launch link not valid",
                                 "This launch link is not valid. Ask for a new link.", 403)
    try:
        with unit(request) as session:
            started = player_launch.start_player_launch(
                session, request=req, user_agent=(request.headers.get("user-agent") or "")[:1000],
                setting_ids=page.PLAYER_SETTINGS)
    except LaunchRefused as exc:
        return page.message_page(exc.title, str(exc), http_status(exc))
    if started.standard == LearningStandard.CMI5:  # the AU talks to the LRS: hand the launch to it
        return cmi5.launch_au(request, started)
    if started.standard == LearningStandard.LTI13:  # a content connector's tool: the LTI 1.3 platform flow
        return lti13.launch_tool(request, started)
    mode = str(started.settings.get("PlayerLaunchType") or "FRAMESET").upper()
    if mode in page.NEW_WINDOW_MODES:
        # PlayerLaunchType: this page opens the player in a window of its own (settings.md).
        token = make_runtime_token(svc.instance_key, launch_id=started.launch_id)
        return page.launcher_page(title=started.title, mode=mode, player_url=f"/player/window?t={token}",
                                  exit_url=f"/player/runtime/exit?t={token}",
                                  redirect=page.redirect_target(started.options), settings=started.settings)
    return page.player_page(_player_config(svc, started), title=started.title)


@router.get("/player/window")
def player_window(request: Request, t: str | None = None) -> Response:
    """The player in its own window, for a launch the launcher page started (PlayerLaunchType)."""
    svc = services(request)
    try:
        launch_id = read_runtime_token(svc.instance_key, t)
    except TokenExpired:
        return page.message_page("Session expired", "This session has expired. Launch the course again.", 410)
    except TokenInvalid:
        return page.message_page("Not valid", "This player link is not valid. Launch the course again.", 403)
    try:
        with unit(request) as session:
            opened = player_launch.reopen_player_launch(session, launch_id=launch_id, setting_ids=page.PLAYER_SETTINGS)
    except LaunchRefused as exc:
        return page.message_page(exc.title, str(exc), http_status(exc))
    return page.player_page(_player_config(svc, opened) | {"inWindow": True}, title=opened.title)


def _player_config(svc: Services, launched: PlayerLaunch) -> dict:
    """What the player page's JavaScript starts from (the page's JSON config)."""
    options = launched.options
    return {
        "launchId": launched.launch_id,
        "runtimeToken": make_runtime_token(svc.instance_key, launch_id=launched.launch_id),
        "runtimeBase": "/player/runtime",
        "contentBase": f"/content/{page.content_key(svc.instance_key, launched.version_pk, launched.content_generation)}/",
        "scorm": launched.family, "standard": launched.standard, "title": launched.version_title,
        "items": [{"id": i["id"], "title": i["title"], "href": _href(svc, launched, i), "visible": i["visible"],
                   "hide": i["hide"]} for i in launched.items],
        "sequenced": launched.sequenced,
        "tracking": launched.tracking, "sandbox": launched.sandbox,
        "learner": {"id": launched.learner_id, "firstName": launched.learner.get("firstName"),
                    "lastName": launched.learner.get("lastName")},
        "redirect": page.redirect_target(options), "culture": options.get("culture"),
        "cssUrl": options.get("cssUrl"), "settings": launched.settings,
        # a dispatch launch: the shell's origin (the one window results are posted to) and the
        # registration's time before this launch (player/dispatch.py)
        "shell": options.get(dispatch.SHELL_OPTION),
    }


def _href(svc: Services, launched: PlayerLaunch, item: dict) -> str:
    """The item's launch URL; an AICC AU's carries its AICC_SID and AICC_URL (player/hacp.py), xAPI
    content gets the Tin Can launch parameters (launch_xapi)."""
    if launched.xapi is None:
        return hacp.item_href(svc, launched, item)
    href = navigation.launch_href(item)
    query = launch_xapi.launch_query(launched.xapi, launch_id=launched.launch_id, instance_key=svc.instance_key,
                                     service_url=svc.settings.base_url)
    return launch_xapi.launch_href(href, query)


# ---------------------------------------------------------------- run-time API (the player's JavaScript)


def _token_launch_id(request: Request) -> str:
    token = request.headers.get("x-player-token") or request.query_params.get("t")
    return read_runtime_token(services(request).instance_key, token)


def _runtime_errors(fn):
    """Map token and domain errors to small JSON answers the player understands."""

    @functools.wraps(fn)
    async def wrapper(request: Request, *args, **kwargs):
        try:
            return await fn(request, *args, **kwargs)
        except TokenExpired:
            return JSONResponse({"message": "The session has expired; relaunch the course"}, status_code=401)
        except TokenInvalid:
            return JSONResponse({"message": "Not a valid player session"}, status_code=403)
        except DomainError as exc:
            return JSONResponse({"message": str(exc)}, status_code=http_status(exc))
    return wrapper


async def _in_unit(request: Request, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    """FN(session, **KWARGS) in one unit of work, on a worker thread (the database calls block)."""
    def work():
        with unit(request) as session:
            return fn(session, **kwargs)
    return await run_in_threadpool(work)


async def _json_body(request: Request) -> dict:
    """The JSON body whatever its content type (sendBeacon sends text/plain, a CORS-simple request)."""
    raw = await request.body()
    if len(raw) > MAX_COMMIT_BYTES:
        raise InvalidInput("commit too large")
    body = json_input.loads(raw or b"{}")
    if not isinstance(body, dict):
        raise InvalidInput("body must be a JSON object")
    return body


def _commit_args(body: dict) -> dict:
    """The arguments of apply_commit from a commit body, or InvalidInput."""
    seq, activity_id, runtime = body.get("seq"), body.get("activityId"), body.get("runtime")
    log = body.get("log")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise InvalidInput("seq must be a positive integer")
    if not isinstance(activity_id, str) or not activity_id:
        raise InvalidInput("activityId is required")
    if not isinstance(runtime, dict) and not (runtime is None and "runtime" not in body and log):
        raise InvalidInput("runtime must be an object")  # (none at all: a log-only commit)
    if log is not None and not (isinstance(log, list) and all(isinstance(e, dict) for e in log)):
        raise InvalidInput("log must be a list of objects")
    return {"seq": seq, "activity_id": activity_id, "runtime": runtime, "log": log,
            "terminated": bool(body.get("terminated", False)), "fresh": body.get("fresh") is True}


@router.get("/player/runtime/start")
@_runtime_errors
async def runtime_start(request: Request) -> Response:
    """What the SCO's run-time starts with: stored data and LMS-supplied values."""
    activity_id = request.query_params.get("activityId") or ""
    data = await _in_unit(request, player_launch.start_data, launch_id=_token_launch_id(request),
                          activity_id=activity_id)
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


@router.post("/player/runtime/commit")
@_runtime_errors
async def runtime_commit(request: Request) -> Response:
    """Apply one commit (idempotent by seq) in one transaction."""
    args = _commit_args(await _json_body(request))
    # One unit: the read phase (prepare_commit) runs first inside it. Run in a read-only unit before
    # the write transaction instead, it cost more CPU per commit than it saved in lock time (a second
    # transaction and three more reads; docs/PERFORMANCE.md "Run-time commits after issue 21").
    result = await _in_unit(request, apply_commit, launch_id=_token_launch_id(request),
                            public_url=services(request).settings.public_url, **args)
    answer = {"lastSeq": result.get("lastSeq"), "applied": result.get("applied")}
    if result.get("result"):  # the registration's rollup after this commit (a dispatch shell reports it)
        answer["result"] = result["result"]
    return JSONResponse(answer)


@router.post("/player/runtime/navigate")
@_runtime_errors
async def runtime_navigate(request: Request) -> Response:
    """The one navigation decision point: {request, activityId, target} -> the next activity (or exit)."""
    body = await _json_body(request)
    nav = body.get("request") or "continue"
    if nav not in navigation.REQUESTS:
        raise InvalidInput(f"unknown navigation request [{nav}]")
    decision = await _in_unit(request, player_launch.navigate, launch_id=_token_launch_id(request), request=nav,
                              current=body.get("activityId"), target=body.get("target"),
                              lookahead=body.get("lookahead", True) is not False)
    return JSONResponse(decision)


@router.post("/player/runtime/exit")
@_runtime_errors
async def runtime_exit(request: Request) -> Response:
    """End the launch; answers where the player goes next."""
    options = await _in_unit(request, player_launch.exit_player, launch_id=_token_launch_id(request))
    return JSONResponse({"redirect": page.redirect_target(options)})


# ---------------------------------------------------------------- exit pages


@router.get("/player/exit/message")
def exit_message() -> Response:
    return page.message_page("Course finished", "You have finished this course. You may close this window.")


@router.get("/player/exit/blank")
def exit_blank() -> Response:
    return Response("<!DOCTYPE html><html><head><title></title></head><body></body></html>",
                    media_type="text/html", headers=page.SECURITY_HEADERS)


@router.get("/player/exit/closer")
def exit_closer() -> Response:
    return page.message_page("Course finished", "You have finished this course. You may close this window.",
                             script="/static/player/closer.js")


# ---------------------------------------------------------------- course content


async def course_content(request: Request) -> Response:
    """A file of a course version, same-origin with the player (SCOs reach window.parent.API). A plain
    Starlette route: FastAPI's request handling would cost more than serving a small file."""
    svc = services(request)
    named = page.read_content_key(svc.instance_key, request.path_params["key"])
    if named is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return await run_in_threadpool(_content_answer, request, svc, *named, request.path_params["path"])


router.routes.append(Route("/content/{key}/{path:path}", course_content, methods=["GET", "HEAD"]))
# version pk -> (its content prefix and generation, when to look again), per database. The prefix
# never changes; the entry expires so that a deleted version's files stop being served within
# CONTENT_PREFIX_SECONDS even if they were left behind in the store, and a URL of a newer generation
# than the cached one looks again at once. A stale generation is harmless: content.cache_control
# calls a file written after the generation it knows of not immutable.
CONTENT_PREFIX_SECONDS = 10.0
_content_prefixes: dict[tuple[str, int], tuple[player_launch.ContentVersion, float]] = {}


def _content_answer(request: Request, svc: Services, version_pk: int, generation: int | None, path: str) -> Response:
    """(In a worker thread.) The filesystem store: the file is opened and its validators are taken
    from it, the database is asked only for the version's prefix and generation (cached); other
    stores: the database's record of the file gives size, validators and generation."""
    try:
        if hasattr(svc.store, "local_path"):
            file, found, source = _local_content(request, svc, version_pk, generation, path)
        else:
            with read_unit(request) as session:
                clean, found, size, modified = player_launch.content_file(session, version_pk=version_pk, path=path)
            file = content.ContentFile.from_row(version_pk, clean, size, modified)
            source = _store_source(svc, found.prefix + clean)
    except (InvalidInput, NotFound, BlobNotFound):
        return Response("Not found", status_code=404, media_type="text/plain",
                        headers={"X-Content-Type-Options": "nosniff"})
    cache = content.cache_control(file, requested=generation, current=found.generation, changed=found.changed)
    return content.serve(file, source, request.headers, head=request.method == "HEAD",
                         redirect=svc.settings.content_redirect == "s3", cache=cache)


def _local_content(request: Request, svc: Services, version_pk: int, generation: int | None, path: str) -> tuple:
    clean = assets.clean_path(path, "path")
    cache_key, now = (svc.settings.database_url, version_pk), time.monotonic()
    cached = _content_prefixes.get(cache_key)
    if cached is None or cached[1] < now or (generation is not None and generation > cached[0].generation):
        with read_unit(request) as session:
            found = player_launch.content_version(session, version_pk=version_pk)
        if len(_content_prefixes) > 10_000:
            _content_prefixes.clear()
        _content_prefixes[cache_key] = cached = (found, now + CONTENT_PREFIX_SECONDS)
    blob_key = cached[0].prefix + clean
    try:
        stream = open(svc.store.local_path(blob_key), "rb")  # noqa: SIM115 - the answer closes it
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ValueError):
        raise BlobNotFound(blob_key) from None
    try:
        file = content.ContentFile.from_stat(clean, os.fstat(stream.fileno()))
    except BaseException:
        stream.close()
        raise
    return file, cached[0], content.Source(open=functools.partial(svc.store.open, blob_key), opened=stream)


def _store_source(svc: Services, blob_key: str) -> content.Source:
    """How to read BLOB_KEY from a remote store (S3: ranged GETs, presigned URLs)."""
    store = svc.store
    source = content.Source(open=functools.partial(store.open, blob_key))
    if hasattr(store, "open_range"):
        source.open_range = functools.partial(store.open_range, blob_key)
    if hasattr(store, "presigned_get"):
        source.presign = lambda media: store.presigned_get(
            blob_key, expires=content.PRESIGN_SECONDS, content_type=media, cache_control=content.CACHE_CONTROL)
    return source
