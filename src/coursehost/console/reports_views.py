"""What the report templates draw: a report table (the rows of the export.Table its CSV / XLSX
links stream, cells formatted the way the CSV writes them so the two read the same), the chart
drawn from that table's columns (static/console/report-charts.js), and the links of a report page,
every one keeping the page's filters (and the link token) so any view can be bookmarked."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from coursehost.console.report_access import ReportAccess
from coursehost.domain.reports.export import Cell, Table
from coursehost.domain.reports.filters import ReportFilter

ROOT = "/console/reports"
EXPORT_FORMATS = ("csv", "xlsx")
NO_VALUE = "—"


def cell_text(value: Cell) -> str:
    """A cell as the page shows it: what the CSV holds, a dash for an empty value."""
    if value is None or value == "":
        return NO_VALUE
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return str(value)


@dataclass(frozen=True)
class CellView:
    text: str
    href: str | None = None
    numeric: bool = False


@dataclass
class TableView:
    """One table of a report page, with its export links (none when this access may not download)."""

    id: str
    title: str
    header: Sequence[str]
    rows: list[list[CellView]]
    exports: dict[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass
class ChartView:
    """A Chart.js chart of a table's columns; `data` is what the canvas's data-chart attribute holds."""

    id: str
    label: str  # the canvas's accessible name
    kind: str
    labels: list[str]
    datasets: list[dict]

    @property
    def data(self) -> str:
        return json.dumps({"type": self.kind, "labels": self.labels, "datasets": self.datasets})


class Links:
    """The links of one report page: its filters kept, the token carried, None where this access
    may not go (a NONAV link sees its report only)."""

    KEEP = ("app", "start", "end", "course", "learner", "invitation", "destination")

    def __init__(self, seen: ReportAccess, params: dict[str, str | None], path: str = ROOT):
        self.seen, self.path = seen, path
        self.params = {k: v for k, v in params.items() if k in self.KEEP and v}

    def to(self, path: str, **changes: str | None) -> str | None:
        if not self.seen.may_open(path):
            return None
        query = {**self.params, **changes}
        return self.seen.href(path, **{k: v for k, v in query.items() if v})

    def exports(self, name: str, **extra: str | None) -> dict[str, str]:
        if not self.seen.admin:
            return {}
        found = {fmt: self.to(f"{ROOT}/export/{name}.{fmt}", **extra) for fmt in EXPORT_FORMATS}
        return {fmt: href for fmt, href in found.items() if href}

    def registration(self, registration_id: str) -> str | None:
        """The registration's console page (people_registrations.py): for a signed-in administrator only."""
        if self.seen.me is None:
            return None
        return f"/console/registrations/{_app_id(self.seen, self.params.get('app'))}/{registration_id}"


def _app_id(seen: ReportAccess, app_id: str | None) -> str:
    return app_id or seen.applications[0][1]


def table_view(table: Table, links: Links, *, title: str, link: Callable[[int, Sequence[Cell]], str | None] | None = None,
               link_column: int = 0, extra_links: dict[int, Callable[[Sequence[Cell]], str | None]] | None = None,
               export_params: dict[str, str | None] | None = None, note: str = "") -> TableView:
    """TABLE's rows for the page: cells as the CSV writes them, numbers right-aligned, LINK making the
    LINK_COLUMN cell of a row a link (EXTRA_LINKS other columns)."""
    columns = {**({link_column: (lambda row: link(link_column, row))} if link else {}), **(extra_links or {})}
    rows = [[CellView(cell_text(v), columns[i](row) if i in columns else None,
                      isinstance(v, (int, float)) and not isinstance(v, bool)) for i, v in enumerate(row)]
            for row in table.rows]
    return TableView(table.name, title, table.header, rows, links.exports(table.name, **(export_params or {})), note)


PALETTE = ("#0b5cad", "#1e6b2e", "#8a4b08", "#5b2a86", "#a3123a", "#00656e", "#4d4d4d")


def chart(table: Table, *, id: str, label: str, kind: str, columns: Sequence[int], label_column: int = 0) -> ChartView:
    """A chart of TABLE: one dataset per column in COLUMNS, labelled by the LABEL_COLUMN cells."""
    rows = list(table.rows)
    datasets = [{"label": table.header[c], "data": [row[c] or 0 for row in rows], "color": PALETTE[i % len(PALETTE)]}
                for i, c in enumerate(columns)]
    return ChartView(id, label, kind, [str(row[label_column]) for row in rows], datasets)


def pivot_chart(table: Table, *, id: str, label: str) -> ChartView:
    """A stacked chart of a (day, series, count) table: one dataset per series (xAPI verbs per day)."""
    rows = list(table.rows)
    days = sorted({str(r[0]) for r in rows})
    series = sorted({str(r[1]) for r in rows})
    counts = {(str(r[0]), str(r[1])): r[2] for r in rows}
    datasets = [{"label": s, "data": [counts.get((d, s), 0) for d in days], "color": PALETTE[i % len(PALETTE)]}
                for i, s in enumerate(series)]
    return ChartView(id, label, "bar", days, datasets)


@dataclass(frozen=True)
class Preset:
    label: str
    href: str | None
    current: bool


def presets(links: Links, flt: ReportFilter, today: date) -> list[Preset]:
    """The date-range presets: last 7 / 30 / 90 days and this year, each ending today (UTC)."""
    ranges = [(f"Last {n} days", today - timedelta(days=n - 1)) for n in (7, 30, 90)]
    ranges.append(("This year", date(today.year, 1, 1)))
    return [Preset(label, links.to(links.path, start=start.isoformat(), end=today.isoformat()),
                   flt.start == start and flt.end == today) for label, start in ranges]
