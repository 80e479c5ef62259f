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

NOTICES = {"registrations-cleared": "The registration count was reset to 0. No registration was deleted.",
           "limits-saved": "The limits were saved. Nothing was removed: a limit below what is used only refuses "
                           "further imports or registrations."}
STORAGE_UNITS = {"MB": 10**6, "GB": 10**9}
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


def _storage_form_value(limit: int | None) -> tuple[str, str]:
    """A storage limit in bytes as the form shows it: (number, unit), GB when it is whole gigabytes."""
    if limit is None:
        return "", "GB"
    if limit % STORAGE_UNITS["GB"] == 0:
        return str(limit // STORAGE_UNITS["GB"]), "GB"
    return f"{limit / STORAGE_UNITS['MB']:g}", "MB"


def _limits_form(shown: limits.Limits) -> dict[str, str]:
    storage, storage_unit = _storage_form_value(shown.storage_limit_bytes)
    return {"storage": storage, "storage_unit": storage_unit,
            "registrations": "" if shown.registration_limit is None else str(shown.registration_limit),
            "resettable": "yes" if shown.registrations_resettable else "",
            "linked_to": str(shown.shared_from_id or "")}


def _parse_limits_form(form: dict[str, str], realm_ids: set[int]) -> tuple[dict, dict[str, str]]:
    """The operator's limits form as set_limits/link_limits arguments, or the fields' messages."""
    errors: dict[str, str] = {}
    parsed: dict = {"resettable": form.get("resettable") == "yes"}
    storage, unit_name = form.get("storage", "").strip(), form.get("storage_unit", "GB")
    if unit_name not in STORAGE_UNITS:
        errors["storage"] = "Choose MB or GB."
    elif not storage:
        parsed["storage_bytes"] = None
    else:
        try:
            amount = float(storage)
            if not amount >= 0 or amount != amount or amount > 10**9:
                raise ValueError
            parsed["storage_bytes"] = round(amount * STORAGE_UNITS[unit_name])
        except ValueError:
            errors["storage"] = f"Enter a number of {unit_name} of 0 or more, or leave it empty for no limit."
    registrations = form.get("registrations", "").strip()
    if not registrations:
        parsed["registrations"] = None
    elif registrations.isdigit() and int(registrations) <= 2**31 - 1:
        parsed["registrations"] = int(registrations)
    else:
        errors["registrations"] = "Enter a whole number of registrations of 0 or more, or leave it empty for no limit."
    linked = form.get("linked_to", "").strip()
    if not linked:
        parsed["linked_to"] = None
    elif linked.isdigit() and int(linked) in realm_ids:
        parsed["linked_to"] = int(linked)
    else:
        errors["linked_to"] = "Choose a realm from the list."
    return parsed, errors


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

    def overview_page(request: Request, me: SignedIn, *, notice: str | None = None, status: int = 200,
                      form: dict[str, str] | None = None, errors: dict[str, str] | None = None):
        with read_unit(request) as session:
            shown = limits.get_limits(session, realm_id=me.realm_id)
            staff = [m for m in users.realm_members(session, realm_id=me.realm_id) if m.role.allows(Role.ADMINISTRATOR)]
            realms = [r for r in limits.realm_choices(session) if r[0] != me.realm_id] if me.operator else []
        return render(request, "account/overview.html", me=me, title="Account", limits=shown, staff=staff,
                      size=size, notice=NOTICES.get(notice or ""), status=status, realms=realms,
                      form=form or _limits_form(shown), errors=errors or {})

    @router.get("/account")
    def overview(request: Request, notice: str | None = None, me: SignedIn = owner):
        return overview_page(request, me, notice=notice)

    @router.post("/account/limits")
    async def set_limits(request: Request, me: SignedIn = owner):
        if not me.operator:
            raise ConsolePageError(403, "Only the operator sets limits",
                                   "The limits of a realm are set by the installation's operator (in the "
                                   "console, or with `coursehost realm limits`). Nothing was changed.", me=me)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        with read_unit(request) as session:
            realm_ids = {r[0] for r in limits.realm_choices(session)} - {me.realm_id}
        parsed, errors = _parse_limits_form(form, realm_ids)
        if errors:
            return overview_page(request, me, status=400, form=form, errors=errors)
        try:
            with unit(request) as session:
                limits.link_limits(session, realm_id=me.realm_id, to_realm_id=parsed["linked_to"])
                limits.set_limits(session, realm_id=me.realm_id, storage_bytes=parsed["storage_bytes"],
                                  registrations=parsed["registrations"], resettable=parsed["resettable"])
        except DomainError as exc:
            return overview_page(request, me, status=400, form=form, errors={"linked_to": str(exc)})
        return RedirectResponse("/console/account?notice=limits-saved", status_code=303)

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
