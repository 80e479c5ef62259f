"""Report tables as CSV and XLSX, streamed: any iterator of rows in, an iterator of bytes out, so a
table of a million rows is never held in memory (bench/report_export.py measures it).

CSV: UTF-8 with a byte-order mark, because Excel (the program most people open it with) reads a
BOM-less file in the machine's legacy code page and garbles every accented name; CRLF line ends as
RFC 4180 says. A text cell starting with = + - @ (or tab / CR) gets a leading apostrophe so that a
learner's name can never run as a spreadsheet formula (OWASP "CSV injection").
XLSX: XlsxWriter in constant_memory mode (each row is flushed to a temporary file as it is written,
no shared-string table); the finished workbook is a zip, so it is streamed from that temporary file
once complete and the file is removed. Text is always written as text, never as a formula.
Times are UTC: ISO 8601 with a Z in CSV, Excel date-times in XLSX (the header says UTC)."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import xlsxwriter
from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import Course
from coursehost.db.models.dispatch import Destination, Dispatch, DispatchRegistration
from coursehost.db.models.invitations import Invitation, UserInvitation
from coursehost.db.models.registrations import Registration
from coursehost.domain.reports.filters import ReportFilter

Cell = str | int | float | datetime | None
BOM = "\ufeff"
CHUNK_BYTES = 64 * 1024
FETCH_ROWS = 2000  # rows per round trip to the database (yield_per: a server-side cursor on PostgreSQL)
_FORMULA_START = frozenset("=+-@\t\r")


@dataclass(frozen=True)
class Table:
    """A report table to export: its column headings and its rows (consumed once, lazily)."""

    name: str  # the file's base name and the worksheet's
    header: Sequence[str]
    rows: Iterable[Sequence[Cell]]


def _csv_cell(value: Cell) -> str | int | float:
    # The hot loop of a million-row export: exact type checks and isoformat (strftime is 5x slower).
    kind = type(value)
    if kind is str:
        return "'" + value if value[:1] in _FORMULA_START else value
    if value is None:
        return ""
    if kind is datetime:
        if value.utcoffset():
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return value


def csv_stream(table: Table) -> Iterator[bytes]:
    """TABLE as CSV bytes (UTF-8 with BOM, header first), in chunks of about CHUNK_BYTES."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([_csv_cell(h) for h in table.header])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _write_xlsx(path: str, table: Table) -> None:
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": os.path.dirname(path),
                                          "strings_to_formulas": False, "strings_to_urls": False,
                                          "strings_to_numbers": False})
    try:
        sheet = workbook.add_worksheet(table.name[:31])
        bold = workbook.add_format({"bold": True})
        when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for col, heading in enumerate(table.header):
            sheet.write_string(0, col, heading, bold)
        for r, row in enumerate(table.rows, start=1):
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime):
                    sheet.write_datetime(r, col, value.astimezone(UTC).replace(tzinfo=None), when)
                elif isinstance(value, bool) or not isinstance(value, (int, float)):
                    sheet.write_string(r, col, str(value))
                else:
                    sheet.write_number(r, col, value)
    finally:
        workbook.close()


def xlsx_stream(table: Table) -> Iterator[bytes]:
    """TABLE as an XLSX workbook (one worksheet, header row in bold), in chunks of CHUNK_BYTES.
    The rows are written when the first chunk is asked for; the temporary file is always removed."""
    folder = tempfile.mkdtemp(prefix="coursehost-export-")
    path = os.path.join(folder, "export.xlsx")
    try:
        _write_xlsx(path, table)
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK_BYTES):
                yield chunk
    finally:
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)


REGISTRATION_HEADER = (
    "Registration ID", "Learner ID", "Learner first name", "Learner last name", "Course ID", "Course title",
    "Completion", "Success", "Score (%)", "Time (seconds)", "Created (UTC)", "First access (UTC)",
    "Last access (UTC)", "Completed (UTC)",
)


def _registrations_query(flt: ReportFilter):
    query = (select(Registration.registration_id, Registration.learner_id, Registration.learner,
                    Registration.course_id, Course.title, Registration.completion, Registration.success,
                    Registration.score_scaled, Registration.total_seconds, Registration.created,
                    Registration.first_access, Registration.last_access, Registration.completed_date)
             .join(Course, Course.pk == Registration.course_pk)
             .where(Registration.application_pk == flt.application_pk, Registration.sandbox.is_(False),
                    Registration.created >= flt.start_at, Registration.created < flt.end_before)
             .order_by(Registration.created, Registration.pk))
    if flt.course_id is not None:
        query = query.where(Registration.course_id == flt.course_id)
    if flt.learner_id is not None:
        query = query.where(Registration.learner_id == flt.learner_id)
    if flt.invitation_id is not None:
        query = query.where(Registration.registration_id.in_(
            select(UserInvitation.registration_id).join(Invitation, Invitation.pk == UserInvitation.invitation_pk)
            .where(Invitation.invitation_id == flt.invitation_id,
                   Invitation.application_pk == flt.application_pk)))
    if flt.destination_id is not None:
        query = query.where(Registration.registration_id.in_(
            select(DispatchRegistration.registration_id)
            .join(Dispatch, Dispatch.pk == DispatchRegistration.dispatch_pk)
            .join(Destination, Destination.pk == Dispatch.destination_pk)
            .where(Destination.destination_id == flt.destination_id,
                   Destination.application_pk == flt.application_pk)))
    return query


def _registration_rows(session: Session, flt: ReportFilter) -> Iterator[tuple[Cell, ...]]:
    result = session.execute(_registrations_query(flt).execution_options(yield_per=FETCH_ROWS))
    for row in result:
        learner = row.learner if isinstance(row.learner, dict) else {}
        score = None if row.score_scaled is None else round(float(row.score_scaled), 2)
        yield (row.registration_id, row.learner_id, learner.get("firstName") or "", learner.get("lastName") or "",
               row.course_id, row.title, row.completion, row.success, score, round(float(row.total_seconds or 0), 2),
               row.created, row.first_access, row.last_access, row.completed_date)


def registrations_table(session: Session, flt: ReportFilter) -> Table:
    """Every non-sandbox registration of the filter's application created in its range (UTC days),
    oldest first, with learner, course, completion, success, score, time and dates. The rows are
    read lazily, FETCH_ROWS at a time, while SESSION stays open."""
    return Table(name="registrations", header=REGISTRATION_HEADER, rows=_registration_rows(session, flt))
