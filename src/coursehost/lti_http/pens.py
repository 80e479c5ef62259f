"""PENS on the service origin: the package URL a target fetches (GET /dispatch/pens/package/{token},
a signed, expiring link) and the receipt / alert callbacks it POSTs (/dispatch/pens/{kind}/{id}),
answered in PENS's name=value form (AICC CMI010 §4.3)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from coursehost.domain.dispatch import pens
from coursehost.domain.errors import NotFound
from coursehost.web import read_unit, services, unit

router = APIRouter(include_in_schema=False)


@router.get("/dispatch/pens/package/{token}")
def pens_package(request: Request, token: str) -> Response:
    """The published package, while its link is valid."""
    svc = services(request)
    try:
        with read_unit(request) as session:
            data, name = pens.package_for(session, instance_key=svc.instance_key, box=svc.box,
                                          content_url=svc.settings.content_url or "", token=token)
    except NotFound as exc:
        return PlainTextResponse(str(exc), status_code=404)
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.post("/dispatch/pens/{kind}/{publication_id}")
async def pens_callback(request: Request, kind: str, publication_id: str) -> Response:
    """A receipt or alert from the target, kept on the publication."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    try:
        form = pens.callback_form(raw)
        with unit(request) as session:
            pens.record_callback(session, publication_id=publication_id, kind=kind, form=form)
    except NotFound as exc:
        return PlainTextResponse(pens.response_text(2, str(exc)), status_code=404)
    except ValueError:
        return PlainTextResponse(pens.response_text(1, "Too many fields."), status_code=400)
    return PlainTextResponse(pens.response_text())
