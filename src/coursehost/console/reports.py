"""/console/reports: the report pages (issue 20, Reportage's equivalent), the entry point of report
links (/console/reports/link?token=...) and the streamed exports.

Pages: the overview (History; also per invitation and per dispatch destination, through ?invitation=
and ?destination=), a course (funnel, histograms, SCO / AU completion, question analysis, objectives,
xAPI statements), one question (its response distribution and the learners' responses, paged), a
learner (registrations and launch timeline). Every filter lives in the URL. Every page asks
report_access(request) first; every table is a domain/reports/tables.py Table, exported as CSV / XLSX
at /console/reports/export/<table>.<fmt> with the page's own filters."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from coursehost.console.pages import ConsolePageError, render
from coursehost.console.report_access import REPORT_HEADERS, ReportAccess, link_target, refused, report_access
from coursehost.console.reports_views import ROOT, Links, chart, pivot_chart, presets, table_view
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.reports import export, tables
from coursehost.domain.reports.filters import ReportFilter
from coursehost.web import read_unit

EXPORT_PATH = f"{ROOT}/export/registrations"
FORMATS = {"csv": ("text/csv; charset=utf-8", export.csv_stream),
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", export.xlsx_stream)}


def _path(*parts: str) -> str:
    """A report page's path, ids quoted (course, learner and interaction ids may hold any character)."""
    return "/".join([ROOT, *(quote(p, safe="") for p in parts)])


def _bad(field: str, message: str, seen: ReportAccess) -> ConsolePageError:
    return ConsolePageError(400, f"Invalid {field}", message, me=seen.me, headers=REPORT_HEADERS)


def _missing(title: str, message: str, seen: ReportAccess) -> ConsolePageError:
    return ConsolePageError(404, title, message, me=seen.me, headers=REPORT_HEADERS)


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
        raise _missing("Application not found", f"There is no application {app_id} here.", seen)
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


class _Page:
    """One report request: who sees it, its filter, its links, and the tables read in one session."""

    def __init__(self, request: Request, **fixed: str):
        self.request = request
        self.seen = report_access(request)
        flt = report_filter(request, self.seen)
        if "course" in fixed:
            flt = dataclasses.replace(flt, course_id=fixed["course"])
        if "learner" in fixed:
            flt = dataclasses.replace(flt, learner_id=fixed["learner"])
        self.flt = flt
        params = dict(request.query_params)
        params.update(fixed, start=flt.start.isoformat(), end=flt.end.isoformat())
        self.links = Links(self.seen, params, quote(request.url.path))
        self.app_id = request.query_params.get("app") or self.seen.applications[0][1]

    def fail(self, exc: Exception) -> ConsolePageError:
        if isinstance(exc, NotFound):
            return _missing("Not found", f"{exc}.", self.seen)
        field = str(exc).split(" ", 1)[0]
        return _bad(field, f"{exc}.", self.seen)

    def table(self, session, name: str, **ids: str | None):
        try:
            return tables.build(session, name, self.flt, **ids)
        except (InvalidInput, NotFound) as exc:
            raise self.fail(exc) from None

    def course_link(self, course_id: str) -> str | None:
        return self.links.to(_path("courses", course_id), course=None)

    def learner_link(self, learner_id: str) -> str | None:
        return self.links.to(_path("learners", learner_id), learner=None)

    def render(self, template: str, title: str, **context) -> Response:
        apps = [(aid, name) for _, aid, name in self.seen.applications]
        return render(self.request, template, me=self.seen.me, headers=REPORT_HEADERS, title=title, seen=self.seen,
                      flt=self.flt, links=self.links, apps=apps, app_id=self.app_id,
                      presets=presets(self.links, self.flt, datetime.now(UTC).date()),
                      overview_link=self.links.to(ROOT, course=None, learner=None), **context)


def _registration_exports(page: _Page) -> dict[str, str]:
    """The every-registration export links, when this access may download them (none, or both)."""
    found = {fmt: page.links.to(f"{EXPORT_PATH}.{fmt}") for fmt in FORMATS} if page.seen.admin else {}
    return found if all(found.values()) else {}


def _overview(request: Request) -> Response:
    page = _Page(request)
    with read_unit(request) as session:
        summary, days = tables.overview_tables(session, page.flt)
        courses = page.table(session, "courses")
    context = dict(
        summary=table_view(summary, page.links, title="Summary"),
        days=table_view(days, page.links, title="Per day"),
        courses=table_view(courses, page.links, title="Courses", link=lambda _, row: page.course_link(str(row[0]))),
        active_chart=chart(days, id="active-chart", kind="line", columns=[6],
                           label="Chart of active learners per day; the numbers are in the Per day table."),
        registrations_chart=chart(days, id="registrations-chart", kind="bar", columns=[1, 3, 4],
                                  label="Chart of registrations per day; the numbers are in the Per day table."),
        exports=_registration_exports(page),
    )
    title = "Reports"
    return page.render("reports/overview.html", title, heading=title, **context)


def _course(request: Request, course_id: str) -> Response:
    page = _Page(request, course=course_id)
    with read_unit(request) as session:
        try:
            info = tables.course_info(session, page.flt, course_id)
        except NotFound as exc:
            raise page.fail(exc) from None
        names = ["summary", "funnel", "scores", "times", "activities", "questions", "objectives"]
        if info.is_xapi:
            names += ["verbs", "xapi-activities", "xapi-activity-days"]
        got = {n: page.table(session, n) for n in names}
    views = {n.replace("-", "_"): table_view(t, page.links, title=title) for n, t, title in (
        (n, got[n], title) for n, title in (("summary", "Summary"), ("funnel", "Funnel"), ("scores", "Scores"),
                                            ("times", "Time spent"), ("activities", "Completion per SCO / AU"),
                                            ("objectives", "Objectives met"), ("verbs", "xAPI statements per verb"),
                                            ("xapi-activities", "xAPI statements per activity"),
                                            ("xapi-activity-days", "xAPI statements per activity per day"))
        if n in got)}

    def question_link(_: int, row) -> str | None:
        return page.links.to(_path("courses", course_id, "questions", str(row[0])), course=None)

    views["questions"] = table_view(got["questions"], page.links, title="Question analysis", link=question_link)
    charts = {"funnel_chart": chart(got["funnel"], id="funnel-chart", kind="bar", columns=[1],
                                    label="Chart of the funnel; the numbers are in the Funnel table."),
              "scores_chart": chart(got["scores"], id="scores-chart", kind="bar", columns=[1],
                                    label="Histogram of scores; the numbers are in the Scores table."),
              "times_chart": chart(got["times"], id="times-chart", kind="bar", columns=[1],
                                   label="Histogram of time spent; the numbers are in the Time spent table.")}
    if info.is_xapi:
        charts["verbs_chart"] = pivot_chart(got["verbs"], id="verbs-chart",
                                            label="Chart of xAPI statements per verb per day; the numbers are in the table.")
        charts["activity_days_chart"] = pivot_chart(
            got["xapi-activity-days"], id="activity-days-chart",
            label="Chart of xAPI statements per activity per day; the numbers are in the table.")
    return page.render("reports/course.html", f"Report: {info.title}", info=info, **views, **charts)


def _question(request: Request, course_id: str, interaction_id: str) -> Response:
    page = _Page(request, course=course_id)
    before = request.query_params.get("before") or None
    with read_unit(request) as session:
        try:
            info = tables.course_info(session, page.flt, course_id)
            stats = tables.question(session, page.flt, interaction_id)
        except NotFound as exc:
            raise page.fail(exc) from None
        responses = page.table(session, "responses", interaction=interaction_id)
        answers = page.table(session, "learner-responses", interaction=interaction_id, before=before)
        next_before = tables.response_page(session, page.flt, interaction_id, int(before) if before else None).next_before
    ids = {"interaction": interaction_id}
    here = _path("courses", course_id, "questions", interaction_id)
    context = dict(
        info=info, stats=stats,
        responses=table_view(responses, page.links, title="Response distribution", export_params=ids),
        responses_chart=chart(responses, id="responses-chart", kind="bar", columns=[1],
                              label="Chart of the learners' responses; the numbers are in the Response distribution table."),
        answers=table_view(answers, page.links, title="Learner responses", export_params={**ids, "before": before},
                           link=lambda _, row: page.links.registration(str(row[0])),
                           extra_links={1: lambda row: page.learner_link(str(row[1]))}),
        next_page=page.links.to(here, course=None, before=str(next_before)) if next_before else None,
        first_page=page.links.to(here, course=None) if before else None,
        course_link=page.course_link(course_id),
    )
    return page.render("reports/question.html", f"Question {interaction_id}", **context)


def _learner(request: Request, learner_id: str) -> Response:
    page = _Page(request, learner=learner_id)
    with read_unit(request) as session:
        if not tables.learner_known(session, page.flt):
            raise _missing("Learner not found", f"Learner {learner_id} has no registration in this application.",
                           page.seen)
        regs, launches = page.table(session, "learner-registrations"), page.table(session, "launches")
    context = dict(
        learner_id=learner_id,
        registrations=table_view(regs, page.links, title="Registrations",
                                 link=lambda _, row: page.links.registration(str(row[0])),
                                 extra_links={1: lambda row: page.course_link(str(row[1]))}),
        launches=table_view(launches, page.links, title="Launch timeline", link_column=2,
                            link=lambda _, row: page.links.registration(str(row[2]))),
    )
    return page.render("reports/learner.html", f"Learner {learner_id}", **context)


def _table_export(request: Request, name: str, fmt: str) -> Response:
    seen = report_access(request)
    if fmt not in FORMATS or name not in tables.TABLES:
        raise _missing("No such export", "Exports are report tables as .csv or .xlsx.", seen)
    if not seen.admin:
        raise refused("Exports need an admin report link",
                      "This report link does not allow downloads; ask for one made with admin rights.")
    page = _Page(request)
    params = request.query_params
    with read_unit(request) as session:
        table = page.table(session, name, interaction=params.get("interaction") or None,
                           before=params.get("before") or None)
    filename = f"{name}-{page.flt.start.isoformat()}-to-{page.flt.end.isoformat()}.{fmt}"
    return StreamingResponse(FORMATS[fmt][1](table), media_type=FORMATS[fmt][0],
                             headers={**REPORT_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"',
                                      "Cache-Control": "no-store"})


def build_reports_router() -> APIRouter:
    router = APIRouter()

    @router.get("/reports/link")
    def open_link(request: Request) -> Response:
        return RedirectResponse(link_target(request), status_code=303, headers=REPORT_HEADERS)

    @router.get("/reports")
    def overview(request: Request) -> Response:
        return _overview(request)

    @router.get("/reports/courses/{course_id}")
    def course(request: Request, course_id: str) -> Response:
        return _course(request, course_id)

    @router.get("/reports/courses/{course_id}/questions/{interaction_id:path}")
    def question(request: Request, course_id: str, interaction_id: str) -> Response:
        return _question(request, course_id, interaction_id)

    @router.get("/reports/learners/{learner_id:path}")
    def learner(request: Request, learner_id: str) -> Response:
        return _learner(request, learner_id)

    @router.get("/reports/export/registrations.{fmt}")
    def export_registrations(request: Request, fmt: str) -> Response:
        seen = report_access(request)
        if fmt not in FORMATS:
            raise _missing("No such export", "Exports come as .csv or .xlsx.", seen)
        if not seen.admin:
            raise refused("Exports need an admin report link",
                          "This report link does not allow downloads; ask for one made with admin rights.")
        flt = report_filter(request, seen)
        name = f"registrations-{flt.start.isoformat()}-to-{flt.end.isoformat()}.{fmt}"
        return StreamingResponse(_rows_in_own_session(request, flt, fmt), media_type=FORMATS[fmt][0],
                                 headers={**REPORT_HEADERS, "Content-Disposition": f'attachment; filename="{name}"',
                                          "Cache-Control": "no-store"})

    @router.get("/reports/export/{name}.{fmt}")
    def export_table(request: Request, name: str, fmt: str) -> Response:
        return _table_export(request, name, fmt)

    return router
