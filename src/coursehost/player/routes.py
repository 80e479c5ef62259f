"""Player routes: the launch page, the run-time endpoints the player's JavaScript calls, course
content, and our static files. Runtime calls are authenticated by the per-launch runtime token
(header X-Player-Token or query t, the latter for sendBeacon), never by console cookies."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from coursehost.db.models.courses import CourseVersion
from coursehost.db.models.registrations import Launch, Registration, RegistrationInstance
from coursehost.db.session import unit_of_work
from coursehost.domain.courses import assets
from coursehost.domain.errors import DomainError, InvalidInput, NotFound
from coursehost.domain.registrations import core
from coursehost.player import content, navigation, page, runtime_port
from coursehost.player.tokens import (
    TokenExpired, TokenInvalid, make_runtime_token, read_launch_token, read_runtime_token,
)

router = APIRouter(include_in_schema=False)
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
router.routes.append(Mount("/static", app=StaticFiles(directory=STATIC_DIR, check_dir=False), name="static"))
MAX_COMMIT_BYTES = 4 * 1024 * 1024


def _services(request: Request):
    return request.app.state.services


def _unit(request: Request):
    return unit_of_work(_services(request).session_factory)


# ---------------------------------------------------------------- launch


@router.get("/player/launch")
def launch(request: Request, token: str | None = None) -> Response:
    """Check the launch link, start a Launch and serve the player page."""
    svc = _services(request)
    try:
        req = read_launch_token(svc.instance_key, token)
    except TokenExpired:
        return page.message_page("Launch link expired", "This launch link has expired. Ask for a new link.", 410)
    except TokenInvalid:
        return page.message_page("Launch link not valid",
                                 "This launch link is not valid. Ask for a new link.", 403)
    with _unit(request) as session:
        reg = session.get(Registration, req.registration_pk)
        if reg is None or reg.application_pk != req.application_pk:
            return page.message_page("Registration not found", "This registration no longer exists.", 404)
        try:
            inst = core.get_instance(session, registration=reg, instance=req.instance)
            course, version = core.instance_course(session, inst)
        except NotFound as exc:
            return page.message_page("Course not found", str(exc), 404)
        family = page.scorm_family(version.learning_standard)
        if family is None:
            return page.message_page("Not supported yet",
                                     f"This player cannot run {version.learning_standard} courses yet.", 501)
        launch_row = runtime_port.start_launch(
            session, registration=reg, instance=inst, tracking=req.tracking, options=req.options,
            user_agent=(request.headers.get("user-agent") or "")[:1000])
        settings = core.effective_settings(session, registration=reg, setting_ids=page.PLAYER_SETTINGS, instance=inst)
        title = version.title or course.title
        mode = str(settings.get("PlayerLaunchType") or "FRAMESET").upper()
        if mode in page.NEW_WINDOW_MODES:
            # PlayerLaunchType: this page opens the player in a window of its own (settings.md).
            token = make_runtime_token(svc.instance_key, launch_id=launch_row.launch_id)
            return page.launcher_page(title=title, mode=mode, player_url=f"/player/window?t={token}",
                                      exit_url=f"/player/runtime/exit?t={token}",
                                      redirect=page.redirect_target(req.options), settings=settings)
        config = _player_config(svc, reg, version, launch_row, family, req.options, settings)
    return page.player_page(config, title=title)


@router.get("/player/window")
def player_window(request: Request, t: str | None = None) -> Response:
    """The player in its own window, for a launch the launcher page started (PlayerLaunchType)."""
    svc = _services(request)
    try:
        launch_id = read_runtime_token(svc.instance_key, t)
    except TokenExpired:
        return page.message_page("Session expired", "This session has expired. Launch the course again.", 410)
    except TokenInvalid:
        return page.message_page("Not valid", "This player link is not valid. Launch the course again.", 403)
    with _unit(request) as session:
        row = session.scalars(select(Launch).where(Launch.launch_id == launch_id)).first()
        if row is None or row.exit_time is not None:
            return page.message_page("Session ended", "This session has ended. Launch the course again.", 410)
        inst = session.get(RegistrationInstance, row.instance_pk)
        reg = inst.registration
        course, version = core.instance_course(session, inst)
        settings = core.effective_settings(session, registration=reg, setting_ids=page.PLAYER_SETTINGS, instance=inst)
        config = _player_config(svc, reg, version, row, page.scorm_family(version.learning_standard),
                                row.options or {}, settings)
        config["inWindow"] = True
        title = version.title or course.title
    return page.player_page(config, title=title)


def _player_config(svc, reg, version, launch_row, family, options, settings) -> dict:
    items = navigation.leaves(version.structure)
    learner = reg.learner or {}
    return {
        "launchId": launch_row.launch_id,
        "runtimeToken": make_runtime_token(svc.instance_key, launch_id=launch_row.launch_id),
        "runtimeBase": "/player/runtime",
        "contentBase": f"/content/{page.content_key(svc.instance_key, version.pk)}/",
        "scorm": family, "standard": version.learning_standard, "title": version.title,
        "items": [{"id": i["id"], "title": i["title"], "href": navigation.launch_href(i), "visible": i["visible"],
                   "hide": i["hide"]} for i in items],
        "sequenced": navigation.sequenced.uses_engine(version),
        "tracking": bool(launch_row.tracking), "sandbox": bool(reg.sandbox),
        "learner": {"id": reg.learner_id, "firstName": learner.get("firstName"), "lastName": learner.get("lastName")},
        "redirect": page.redirect_target(options), "culture": options.get("culture"),
        "cssUrl": options.get("cssUrl"), "settings": settings,
    }


# ---------------------------------------------------------------- run-time API (the player's JavaScript)


def _token_launch_id(request: Request) -> str:
    token = request.headers.get("x-player-token") or request.query_params.get("t")
    return read_runtime_token(_services(request).instance_key, token)


def _launch_for(request: Request, session) -> Launch:
    row = session.scalars(select(Launch).where(Launch.launch_id == _token_launch_id(request))).first()
    if row is None:
        raise NotFound("This launch no longer exists")
    return row


def _runtime_errors(fn):
    """Map token and domain errors to small JSON answers the player understands."""
    import functools

    @functools.wraps(fn)
    async def wrapper(request: Request, *args, **kwargs):
        try:
            return await fn(request, *args, **kwargs)
        except TokenExpired:
            return JSONResponse({"message": "The session has expired; relaunch the course"}, status_code=401)
        except TokenInvalid:
            return JSONResponse({"message": "Not a valid player session"}, status_code=403)
        except NotFound as exc:
            return JSONResponse({"message": str(exc)}, status_code=404)
        except InvalidInput as exc:
            return JSONResponse({"message": str(exc)}, status_code=400)
        except DomainError as exc:
            return JSONResponse({"message": str(exc)}, status_code=409)
    return wrapper


async def _json_body(request: Request) -> dict:
    """The JSON body whatever its content type (sendBeacon sends text/plain, a CORS-simple request)."""
    raw = await request.body()
    if len(raw) > MAX_COMMIT_BYTES:
        raise InvalidInput("commit too large")
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise InvalidInput("body is not JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("body must be a JSON object")
    return body


def _in_thread(fn, *args):
    from starlette.concurrency import run_in_threadpool

    return run_in_threadpool(fn, *args)


@router.get("/player/runtime/start")
@_runtime_errors
async def runtime_start(request: Request) -> Response:
    """What the SCO's run-time starts with: stored data and LMS-supplied values."""
    activity_id = request.query_params.get("activityId") or ""

    def work():
        with _unit(request) as session:
            row = _launch_for(request, session)
            return runtime_port.sco_start_data(session, launch=row, activity_id=activity_id)
    data = await _in_thread(work)
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


@router.post("/player/runtime/commit")
@_runtime_errors
async def runtime_commit(request: Request) -> Response:
    """Apply one commit (idempotent by seq) in one transaction."""
    body = await _json_body(request)
    seq, activity_id, runtime = body.get("seq"), body.get("activityId"), body.get("runtime")
    log, terminated = body.get("log"), body.get("terminated", False)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise InvalidInput("seq must be a positive integer")
    if not isinstance(activity_id, str) or not activity_id:
        raise InvalidInput("activityId is required")
    if not isinstance(runtime, dict):
        raise InvalidInput("runtime must be an object")
    if log is not None and not (isinstance(log, list) and all(isinstance(e, dict) for e in log)):
        raise InvalidInput("log must be a list of objects")

    launch_id = _token_launch_id(request)

    def work():
        with _unit(request) as session:
            return runtime_port.apply_commit(session, launch_id=launch_id, activity_id=activity_id, seq=seq,
                                             runtime=runtime, log=log, terminated=bool(terminated))
    result = await _in_thread(work)
    return JSONResponse({"lastSeq": result.get("lastSeq"), "applied": result.get("applied")})


@router.post("/player/runtime/navigate")
@_runtime_errors
async def runtime_navigate(request: Request) -> Response:
    """The one navigation decision point: {request, activityId, target} -> the next activity (or exit)."""
    body = await _json_body(request)
    nav = body.get("request") or "continue"
    if nav not in navigation.REQUESTS:
        raise InvalidInput(f"unknown navigation request [{nav}]")

    def work():
        with _unit(request) as session:
            row = _launch_for(request, session)
            inst = session.get(RegistrationInstance, row.instance_pk)
            version = session.get(CourseVersion, inst.course_version_pk)
            if navigation.sequenced.uses_engine(version):
                return navigation.sequenced_decision(inst, version, row, request=nav, target=body.get("target"),
                                                      lookahead=body.get("lookahead", True) is not False)
            items = navigation.leaves(version.structure)
            status = navigation.statuses(session, inst.pk)
            start_at = (row.options or {}).get("startSco") or inst.registration.suspended_activity_id
            decision = navigation.decide(items, status, request=nav, current=body.get("activityId"),
                                         target=body.get("target"), start_at=start_at)
            return {"activityId": decision.activity_id, "message": decision.message,
                    "toc": navigation.toc(items, status)}
    return JSONResponse(await _in_thread(work))


@router.post("/player/runtime/exit")
@_runtime_errors
async def runtime_exit(request: Request) -> Response:
    """End the launch; answers where the player goes next."""
    def work():
        with _unit(request) as session:
            row = _launch_for(request, session)
            inst = session.get(RegistrationInstance, row.instance_pk)
            version = session.get(CourseVersion, inst.course_version_pk)
            if navigation.sequenced.uses_engine(version):
                navigation.sequenced_exit(inst, version, row)
            runtime_port.exit_launch(session, launch_pk=row.pk)
            return page.redirect_target(row.options or {})
    return JSONResponse({"redirect": await _in_thread(work)})


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


@router.api_route("/content/{key}/{path:path}", methods=["GET", "HEAD"])
def course_content(request: Request, key: str, path: str) -> Response:
    """A file of a course version, same-origin with the player (SCOs reach window.parent.API)."""
    svc = _services(request)
    version_pk = page.read_content_key(svc.instance_key, key)
    if version_pk is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    with unit_of_work(svc.read_session_factory) as session:
        version = session.get(CourseVersion, version_pk)
        if version is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        try:
            clean = assets.clean_path(path, "path")
            stream, size = assets.open_asset(session, store=svc.store, version=version, path=clean)
        except (InvalidInput, NotFound):
            return Response("Not found", status_code=404, media_type="text/plain",
                            headers={"X-Content-Type-Options": "nosniff"})
    return content.file_response(stream, size, clean, request.headers.get("range"), head=request.method == "HEAD")
