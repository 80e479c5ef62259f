"""ReportFilter: what every report query takes besides the session.

One frozen value so the console (filters kept in the URL), the exports and the ReportingApi ask the
same question the same way. Dates are whole UTC days, both ends inclusive, because a person picks
"1 March to 31 March" and means all of 31 March."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from coursehost.domain.errors import InvalidInput

DEFAULT_DAYS = 90  # Reportage opens on the last 90 days
MAX_DAYS = 3660  # ten years: a bound on per-day rows a page or an export may ask for


def _today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class ReportFilter:
    """One application's registrations whose report day falls in [start, end], optionally narrowed
    to one course, learner, invitation or dispatch destination (ids as the integrator chose them)."""

    application_pk: int
    start: date = field(default_factory=lambda: _today() - timedelta(days=DEFAULT_DAYS - 1))
    end: date = field(default_factory=_today)
    course_id: str | None = None
    learner_id: str | None = None
    invitation_id: str | None = None
    destination_id: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput("end must not be before start")
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise InvalidInput(f"the date range (start to end) must not exceed {MAX_DAYS} days")

    @classmethod
    def last_days(cls, application_pk: int, days: int = DEFAULT_DAYS, *, today: date | None = None,
                  **narrow: str | None) -> ReportFilter:
        """The last `days` days up to and including today (UTC), the reports' default range."""
        if days < 1:
            raise InvalidInput("days must be at least 1")
        end = today or _today()
        return cls(application_pk, end - timedelta(days=days - 1), end, **narrow)

    @property
    def days(self) -> int:
        """How many days the range covers (both ends counted)."""
        return (self.end - self.start).days + 1

    @property
    def start_at(self) -> datetime:
        """The first instant of the range (UTC), for columns holding timestamps."""
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_before(self) -> datetime:
        """The first instant after the range (UTC): timestamps compare with `<` against it."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)
