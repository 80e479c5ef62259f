"""POST /dispatch/lti11/{dispatchKey}: an LTI 1.1 launch of a dispatch, signed by the LMS with the
dispatch's consumer key and shared secret; answered with a 303 to the player on the content origin,
or a page that says why not (401 bad signature / replay, 403 refused by the dispatch, 404, 400)."""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coursehost.domain.dispatch import lti11
from coursehost.domain.errors import DomainError
from coursehost.web import http_status, services, unit

router = APIRouter(include_in_schema=False)
MAX_FORM_FIELDS = 500


def message_page(status: int, title: str, message: str) -> HTMLResponse:
    """A plain page shown in the LMS's frame or window (no script, no cookie)."""
    body = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title></head>"
            f"<body><main><h1>{escape(title)}</h1><p>{escape(message)}</p></main></body></html>")
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


_TITLES = {400: "This launch is incomplete", 401: "This launch could not be verified",
           403: "This course is not available", 404: "This course is not available"}


@router.post("/dispatch/lti11/{dispatch_key}")
async def lti11_launch(request: Request, dispatch_key: str) -> Response:
    """Check the signed launch, resume or create the learner's registration, send the browser to the player."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    try:
        form = parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        form += parse_qsl(request.url.query, keep_blank_values=True)  # signed too (RFC 5849 §3.4.1.3)
    except ValueError:
        return message_page(400, _TITLES[400], f"The launch has more than {MAX_FORM_FIELDS} fields.")
    svc = services(request)
    try:
        with unit(request) as session:
            link = lti11.launch(session, box=svc.box, instance_key=svc.instance_key,
                                content_url=svc.settings.content_url, public_url=svc.settings.public_url,
                                dispatch_key=dispatch_key, form=form)
    except DomainError as exc:
        status = http_status(exc)
        return message_page(status, _TITLES.get(status, "This launch failed"), str(exc))
    return RedirectResponse(link, status_code=303)
