"""An LTI13 course's launch (a content connector's tool): the launch link opened the Launch as for
any course; instead of the player page the browser goes to the tool's OIDC login URL, and the
platform flow continues on the service origin (lti_http/platform.py)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from coursehost.domain.lti import platform
from coursehost.domain.runtime.player_launch import PlayerLaunch
from coursehost.player import page
from coursehost.web import services, unit


def launch_tool(request: Request, started: PlayerLaunch) -> Response:
    """303 to the tool's login initiation URL for STARTED, or a page saying why it cannot launch."""
    svc = services(request)
    try:
        with unit(request) as session:
            url = platform.login_initiation_url(session, launch_id=started.launch_id, instance_key=svc.instance_key,
                                                issuer=(svc.settings.public_url or "").rstrip("/"))
    except platform.LtiRefused as exc:
        return page.message_page("Cannot launch", str(exc), exc.status)
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
