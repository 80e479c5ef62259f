"""A realm's usage report (the console's Account tab): per calendar month (UTC) of the last twelve,
and for the last 30 days, how many registrations were created, how many launches started, how many
LRS statements were stored, and how many bytes of course content were stored at the end of the period.

Counts are of what still exists: a deleted registration or course no longer counts. Sandbox (preview)
registrations and their launches are not usage and are not counted. The numbers are
the realm's own applications (a linked realm shares limits, not reports). Each measure is one query
with one CASE column per period, so the report costs four queries whatever the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.courses import Course, CourseVersion
from coursehost.db.models.lrs import XapiStatement
from coursehost.db.models.registrations import Launch, Registration, RegistrationInstance
from coursehost.db.models.tenancy import Application
from coursehost.domain.months import month_starts

MONTHS = 12
RECENT_DAYS = 30
COLUMNS = ("registrations", "launches", "storage_bytes", "statements")


@dataclass(frozen=True)
class Period:
    """One row of the report: a month ("2025-03") or the last 30 days."""

    key: str  # "2025-03" or "last-30-days"
    label: str  # "March 2025" or "Last 30 days"
    start: datetime
    end: datetime  # exclusive
    registrations: int = 0
    launches: int = 0
    storage_bytes: int = 0  # course content stored at the end of the period
    statements: int = 0


@dataclass(frozen=True)
class UsageReport:
    realm_id: int
    generated: datetime
    months: list[Period]  # oldest first, the current month last (up to now)
    recent: Period  # the last 30 days


def periods(now: datetime) -> list[tuple[str, str, datetime, datetime]]:
    """The twelve months up to NOW's (oldest first) and the last 30 days, as (key, label, start, end)."""
    starts = month_starts(now, MONTHS)
    rows = [(start.strftime("%Y-%m"), start.strftime("%B %Y"), start, min(end, now))  # this month ends now
            for start, end in zip(starts, starts[1:], strict=False)]
    rows.append(("last-30-days", "Last 30 days", now - timedelta(days=RECENT_DAYS), now))
    return rows


def _counts(session: Session, column, base, spans) -> list[int]:
    """COUNT of BASE's rows whose COLUMN falls in each span, in one query."""
    cols = [func.coalesce(func.sum(case((column >= start, case((column < end, 1), else_=0)), else_=0)), 0)
            for start, end in spans]
    earliest = min(start for start, _ in spans)
    row = session.execute(base.add_columns(*cols).where(column >= earliest)).one()
    return [int(v or 0) for v in row]


def _stored_bytes(session: Session, realm_id: int, spans) -> list[int]:
    """Course content stored at the end of each span (versions created before it that still exist)."""
    cols = [func.coalesce(func.sum(case((CourseVersion.created < end, CourseVersion.size_bytes), else_=0)), 0)
            for _, end in spans]
    row = session.execute(
        select(*cols).select_from(CourseVersion).join(Course, Course.pk == CourseVersion.course_pk)
        .join(Application, Application.pk == Course.application_pk)
        .where(Application.realm_id == realm_id)).one()
    return [int(v or 0) for v in row]


def usage_report(session: Session, *, realm_id: int, now: datetime | None = None) -> UsageReport:
    """REALM_ID's usage per month for the last twelve months and for the last 30 days."""
    now = now or utcnow()
    rows = periods(now)
    spans = [(start, end) for _, _, start, end in rows]
    in_realm = Application.realm_id == realm_id
    billed = Registration.sandbox.is_(False)  # sandbox (preview) registrations and their launches are free
    registrations = _counts(session, Registration.created, select().select_from(Registration).join(
        Application, Application.pk == Registration.application_pk).where(in_realm, billed), spans)
    launches = _counts(session, Launch.launch_time, select().select_from(Launch).join(
        RegistrationInstance, RegistrationInstance.pk == Launch.instance_pk).join(
        Registration, Registration.pk == RegistrationInstance.registration_pk).join(
        Application, Application.pk == Registration.application_pk).where(in_realm, billed), spans)
    statements = _counts(session, XapiStatement.stored, select().select_from(XapiStatement).join(
        Application, Application.pk == XapiStatement.application_pk).where(in_realm), spans)
    storage = _stored_bytes(session, realm_id, spans)
    made = [Period(key, label, start, end, registrations=r, launches=la, storage_bytes=s, statements=st)
            for (key, label, start, end), r, la, s, st in zip(rows, registrations, launches, storage, statements,
                                                               strict=True)]
    return UsageReport(realm_id=realm_id, generated=now, months=made[:-1], recent=made[-1])


def csv_rows(report: UsageReport) -> list[list[str]]:
    """The report as CSV rows: a header, one row per month, then the last 30 days."""
    header = ["period", "start", "end", "registrations", "launches", "storage_bytes", "lrs_statements"]
    return [header] + [[p.key, p.start.isoformat(), p.end.isoformat(), str(p.registrations), str(p.launches),
                        str(p.storage_bytes), str(p.statements)] for p in [*report.months, report.recent]]
