"""An application's registration overview: how many registrations were created in each calendar
month (UTC) of the last 13, the current month last, counted in one query; sandbox registrations are
not usage and are left out, as in the Account usage report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.registrations import Registration
from coursehost.domain.months import month_starts

MONTHS = 13


@dataclass(frozen=True)
class MonthCount:
    month: str  # "2025-03"
    label: str  # "Mar 2025"
    count: int


def registrations_per_month(session: Session, *, app_pk: int, now: datetime | None = None,
                            months: int = MONTHS) -> list[MonthCount]:
    """Registrations of the application created in each of the last MONTHS months, oldest first
    (sandbox registrations, the console's and the API's preview launches, are not counted)."""
    starts = month_starts(now or utcnow(), months)
    columns = [
        func.coalesce(func.sum(case((and_(Registration.created >= lo, Registration.created < hi), 1), else_=0)), 0)
        for lo, hi in zip(starts, starts[1:], strict=False)
    ]
    row = session.execute(
        select(*columns).where(Registration.application_pk == app_pk, Registration.sandbox.is_(False),
                               Registration.created >= starts[0],
                               Registration.created < starts[-1])
    ).one()
    return [MonthCount(start.strftime("%Y-%m"), start.strftime("%b %Y"), int(count))
            for start, count in zip(starts, row, strict=False)]
