"""The Account tab (owners only): the realm's owners and administrators, its limits and what is used,
the realms it shares limits with; the usage report (chart, table, CSV); and "Clear existing
registrations" where the realm's registration count is resettable. Administrators and learners get
the 403 page and nothing is done (signed_in(Role.OWNER))."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, StreamingResponse

from coursehost.console.auth import signed_in
from coursehost.console.pages import PAGE_HEADERS, ConsolePageError, render
from coursehost.domain import limits, usage_report
from coursehost.domain.accounts import users
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.domain.errors import DomainError
from coursehost.web import read_unit, unit

NOTICES = {"registrations-cleared": "The registration count was reset to 0. No registration was deleted."}
_UNITS = ("bytes", "KB", "MB", "GB", "TB")


def size(value: int | None) -> str:
    """A byte count as a person reads it: "1.4 MB (1,468,006 bytes)"."""
    if value is None:
        return "no limit"
    amount, unit_index = float(value), 0
    while amount >= 1000 and unit_index < len(_UNITS) - 1:
        amount, unit_index = amount / 1000, unit_index + 1
    if unit_index == 0:
        return f"{value:,} bytes"
    return f"{amount:.1f} {_UNITS[unit_index]} ({value:,} bytes)"


def _not_resettable(me: SignedIn, shown: limits.Limits) -> ConsolePageError:
    owner = shown.shared_from_name or shown.realm_name
    return ConsolePageError(409, "The registration count cannot be reset",
                            f"The registration count of {owner} is not resettable; the operator sets this with "
                            f"`coursehost realm limits`. Nothing was changed.", me=me)


def _chart_data(report: usage_report.UsageReport) -> str:
    """What static/console/usage-chart.js draws (a data attribute: the page's CSP allows no inline script)."""
    months = report.months
    return json.dumps({
        "labels": [p.label for p in months],
        "registrations": [p.registrations for p in months], "launches": [p.launches for p in months],
        "statements": [p.statements for p in months], "storage": [p.storage_bytes for p in months],
    })


def _csv_lines(rows: list[list[str]]) -> Iterator[str]:
    for row in rows:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(row)
        yield buffer.getvalue()


def build_account_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    owner = Depends(signed_in(Role.OWNER))

    @router.get("/account")
    def overview(request: Request, notice: str | None = None, me: SignedIn = owner):
        with read_unit(request) as session:
            shown = limits.get_limits(session, realm_id=me.realm_id)
            staff = [m for m in users.realm_members(session, realm_id=me.realm_id) if m.role.allows(Role.ADMINISTRATOR)]
        return render(request, "account/overview.html", me=me, title="Account", limits=shown, staff=staff,
                      size=size, notice=NOTICES.get(notice or ""))

    @router.get("/account/usage")
    def usage(request: Request, me: SignedIn = owner):
        with read_unit(request) as session:
            report = usage_report.usage_report(session, realm_id=me.realm_id)
        return render(request, "account/usage.html", me=me, title="Usage report", report=report, size=size,
                      chart_data=_chart_data(report))

    @router.get("/account/usage.csv")
    def usage_csv(request: Request, me: SignedIn = owner):
        with read_unit(request) as session:
            report = usage_report.usage_report(session, realm_id=me.realm_id)
        name = f"usage-realm-{me.realm_id}-{report.generated:%Y-%m-%d}.csv"
        return StreamingResponse(_csv_lines(usage_report.csv_rows(report)), media_type="text/csv; charset=utf-8",
                                 headers={**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})

    @router.get("/account/registrations/clear")
    def clear_confirm(request: Request, me: SignedIn = owner):
        with read_unit(request) as session:
            shown = limits.get_limits(session, realm_id=me.realm_id)
        if not shown.registrations_resettable:
            raise _not_resettable(me, shown)
        return render(request, "account/clear.html", me=me, title="Clear existing registrations", limits=shown)

    @router.post("/account/registrations/clear")
    async def clear(request: Request, me: SignedIn = owner):
        form = await request.form()
        if form.get("confirm") != "yes":  # not the confirmation form: ask first, change nothing
            return RedirectResponse("/console/account/registrations/clear", status_code=303)
        try:
            with unit(request) as session:
                shown = limits.get_limits(session, realm_id=me.realm_id)
                if not shown.registrations_resettable:
                    raise _not_resettable(me, shown)
                limits.reset_registrations(session, realm_id=me.realm_id)
        except DomainError as exc:
            raise ConsolePageError(409, "The registration count cannot be reset", str(exc), me=me) from None
        return RedirectResponse("/console/account?notice=registrations-cleared", status_code=303)

    return router
