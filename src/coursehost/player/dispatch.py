"""The dispatch shell's launch on the content origin: GET /dispatch/launch/{dispatch_key}.

The shell page (static/dispatch/shell.js, inside another LMS) opens this in a frame with its signature,
the LMS's learner and its own origin. We check the signature, create or resume the learner's
registration through the dispatch (domain/dispatch/access.py) and redirect to the normal player
launch link, whose options tell the player where to post results (the shell's origin, and nowhere
else). Any refusal is a message page in the LMS's frame, and nothing is written."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from coursehost.domain.dispatch import access, package
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.registrations.launch_links import EXPIRY_DEFAULT, build_launch_link, check_url
from coursehost.player import page
from coursehost.web import http_status, services, unit

router = APIRouter(include_in_schema=False)
#: the launch option the player reads to talk to a dispatch shell (player/routes.py _player_config)
SHELL_OPTION = access.SHELL_LAUNCH_OPTION


def shell_origin(value: str | None) -> str | None:
    """VALUE when it is a bare http(s) origin (scheme://host[:port]), else None."""
    parts = urlsplit((value or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query or parts.fragment:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def far_learner(learner_id: str, name: str) -> access.FarLearner:
    """The LMS's learner: SCORM names read "Last, First" (RTE 1.2 cmi.core.student_name)."""
    last, _, first = (name or "").partition(",")
    return access.FarLearner(learner_id=learner_id, first_name=first.strip(), last_name=last.strip())


@router.get("/dispatch/launch/{dispatch_key}")
def dispatch_launch(request: Request, dispatch_key: str, via: str = "", sig: str = "", learner: str = "",
                    name: str = "", origin: str = "", css: str = "") -> Response:
    """Check the shell's signed launch, then the learner's registration through the dispatch -> the player."""
    svc = services(request)
    shell = shell_origin(origin)
    if shell is None:
        return page.message_page("Launch not valid", "The course package sent no valid origin; "
                                 "import the package again.", 400)
    try:
        css_url = check_url(css or None, "cssUrl")
        with unit(request) as session:
            dispatch = access.find_by_key(session, dispatch_key)
            if not package.check_signature(svc.box, dispatch, via=via, css_url=css_url, sig=sig):
                return page.message_page("Launch not valid", "This course package's signature is not valid; "
                                         "ask its provider for a new package.", 403)
            reg = access.registration_for(session, instance_key=svc.instance_key, dispatch=dispatch,
                                          learner=far_learner(learner, name), via=via)
            options: dict = {"redirectOnExitUrl": "message",
                             SHELL_OPTION: {"origin": shell, "startSeconds": float(reg.total_seconds or 0)}}
            if css_url:
                options["cssUrl"] = css_url
            link = build_launch_link(instance_key=svc.instance_key, content_url=svc.settings.content_url or "",
                                     registration=reg, options=options, tracking=True, expiry=EXPIRY_DEFAULT)
    except NotFound as exc:
        return page.message_page("Course not found", str(exc), 404)
    except access.DispatchRefused as exc:
        return page.message_page("Course not available", str(exc), http_status(exc))
    except InvalidInput as exc:
        return page.message_page("Launch not valid", str(exc), 400)
    return RedirectResponse(link, status_code=303, headers=page.SECURITY_HEADERS)
