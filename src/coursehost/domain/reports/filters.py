"""What a report covers: one application, an inclusive date range, optionally narrowed to one course,
learner, invitation or dispatch destination."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

DEFAULT_DAYS = 90  # Reportage opens on the last 90 days


def _today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class ReportFilter:
    """The scope of one report; END is inclusive. Sandbox registrations never count."""

    application_pk: int
    start: date = field(default_factory=lambda: _today() - timedelta(days=DEFAULT_DAYS - 1))
    end: date = field(default_factory=_today)
    course_id: str | None = None
    learner_id: str | None = None
    invitation_id: str | None = None
    destination_id: str | None = None
