"""Calendar months (UTC) for the reports that count things per month: the Account usage report and an
application's registrations chart bucket by the same month boundaries."""

from __future__ import annotations

from datetime import UTC, datetime


def month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instant (UTC) of each of the last MONTHS months up to NOW's, oldest first, and of the
    month after NOW's: MONTHS + 1 boundaries, so month i is [starts[i], starts[i + 1])."""
    index = now.year * 12 + now.month - 1
    return [datetime((index - back) // 12, (index - back) % 12 + 1, 1, tzinfo=UTC)
            for back in range(months - 1, -2, -1)]
