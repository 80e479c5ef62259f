"""/console/reports: the entry point of report links (/console/reports/link?token=...), a placeholder
home page until the report pages land (issue 20, R2), and the streamed exports
(/console/reports/export/registrations.csv|.xlsx). Every page asks report_access(request) first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from coursehost.console.pages import ConsolePageError, render
from coursehost.console.report_access import REPORT_HEADERS, ReportAccess, link_target, refused, report_access
from coursehost.domain.errors import InvalidInput
from coursehost.domain.reports import export
from coursehost.domain.reports.filters import ReportFilter
from coursehost.web import read_unit

EXPORT_PATH = "/console/reports/export/registrations"
FORMATS = {"csv": ("text/csv; charset=utf-8", export.csv_stream),
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", export.xlsx_stream)}


def _bad(field: str, message: str, seen: ReportAccess) -> ConsolePageError:
    return ConsolePageError(400, f"Invalid {field}", message, me=seen.me, headers=REPORT_HEADERS)


def _date(request: Request, name: str, seen: ReportAccess) -> date | None:
    raw = (request.query_params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _bad(name, f"{name} must be a date written YYYY-MM-DD, such as 2026-03-31.", seen) from None


def report_filter(request: Request, seen: ReportAccess) -> ReportFilter:
    """The filter a report URL asks for (?app=&start=&end=&course=&learner=&invitation=&destination=),
    within what SEEN may see; the last 90 days by default."""
    params = request.query_params
    app_id = params.get("app")
    chosen = next((pk for pk, aid, _ in seen.applications if aid == app_id), None) if app_id else None
    if app_id and chosen is None:
        raise ConsolePageError(404, "Application not found", f"There is no application {app_id} here.",
                               me=seen.me, headers=REPORT_HEADERS)
    if chosen is None:
        if not seen.applications:
            raise ConsolePageError(404, "No application", "This realm has no application yet.", me=seen.me)
        chosen = seen.applications[0][0]
    narrow = {k: params.get(p) or None for k, p in (("course_id", "course"), ("learner_id", "learner"),
                                                     ("invitation_id", "invitation"),
                                                     ("destination_id", "destination"))}
    start, end = _date(request, "start", seen), _date(request, "end", seen)
    try:
        base = ReportFilter.last_days(chosen, **narrow)
        return ReportFilter(chosen, start or base.start, end or base.end, **narrow)
    except InvalidInput as exc:
        raise _bad("date range", f"{exc}.", seen) from None


def _rows_in_own_session(request: Request, flt: ReportFilter, fmt: str) -> Iterator[bytes]:
    """The export's bytes, read in a session that lives as long as the response is being sent."""
    with read_unit(request) as session:
        yield from FORMATS[fmt][1](export.registrations_table(session, flt))


def build_reports_router() -> APIRouter:
    router = APIRouter()

    @router.get("/reports/link")
    def open_link(request: Request) -> Response:
        return RedirectResponse(link_target(request), status_code=303, headers=REPORT_HEADERS)

    @router.get("/reports")
    def home(request: Request) -> Response:
        seen = report_access(request)
        flt = report_filter(request, seen)
        exports = {fmt: seen.href(f"{EXPORT_PATH}.{fmt}", app=request.query_params.get("app"),
                                  start=flt.start.isoformat(), end=flt.end.isoformat()) for fmt in FORMATS}
        return render(request, "reports/home.html", me=seen.me, headers=REPORT_HEADERS, title="Reports",
                      seen=seen, flt=flt, exports=exports if seen.admin and seen.may_open(EXPORT_PATH) else {})

    @router.get("/reports/export/registrations.{fmt}")
    def export_registrations(request: Request, fmt: str) -> Response:
        seen = report_access(request)
        if fmt not in FORMATS:
            raise ConsolePageError(404, "No such export", "Exports come as .csv or .xlsx.", me=seen.me)
        if not seen.admin:
            raise refused("Exports need an admin report link",
                          "This report link does not allow downloads; ask for one made with admin rights.")
        flt = report_filter(request, seen)
        name = f"registrations-{flt.start.isoformat()}-to-{flt.end.isoformat()}.{fmt}"
        return StreamingResponse(_rows_in_own_session(request, flt, fmt), media_type=FORMATS[fmt][0],
                                 headers={**REPORT_HEADERS, "Content-Disposition": f'attachment; filename="{name}"',
                                          "Cache-Control": "no-store"})

    return router
