"""An application's registration overview: how many registrations were created in each calendar
month (UTC) of the last 13, the current month last, counted in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.registrations import Registration

MONTHS = 13


@dataclass(frozen=True)
class MonthCount:
    month: str  # "2025-03"
    label: str  # "Mar 2025"
    count: int


def _month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instant of each of the last MONTHS months (oldest first), and of the next month."""
    year, month = now.year, now.month
    starts = []
    for back in range(months - 1, -2, -1):  # ..., this month (0), next month (-1)
        index = year * 12 + (month - 1) - back
        starts.append(datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC))
    return starts


def registrations_per_month(session: Session, *, app_pk: int, now: datetime | None = None,
                            months: int = MONTHS) -> list[MonthCount]:
    """Registrations of the application created in each of the last MONTHS months, oldest first."""
    starts = _month_starts(now or utcnow(), months)
    columns = [
        func.coalesce(func.sum(case((and_(Registration.created >= lo, Registration.created < hi), 1), else_=0)), 0)
        for lo, hi in zip(starts, starts[1:], strict=False)
    ]
    row = session.execute(
        select(*columns).where(Registration.application_pk == app_pk, Registration.created >= starts[0],
                               Registration.created < starts[-1])
    ).one()
    return [MonthCount(start.strftime("%Y-%m"), start.strftime("%b %Y"), int(count))
            for start, count in zip(starts, row, strict=False)]
