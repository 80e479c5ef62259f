"""XapiStatementResult on the wire: the since / until / more of the statement operations of
CourseApi and RegistrationApi, answered from the application's LRS."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from sqlalchemy import Select
from sqlalchemy.orm import Session

from coursehost.api.v2.schemas.paging import parse_datetime
from coursehost.domain.lrs import reports


def statement_result(request: Request, session: Session, *, app_pk: int, registration_ids: Select | list[str],
                     window: tuple[datetime, datetime | None] | None = None) -> dict:
    """One page of the statements of REGISTRATION_IDS as an XapiStatementResult."""
    statements, more = reports.statements_page(
        session, app_pk=app_pk, registration_ids=registration_ids, window=window,
        since=parse_datetime("since", request.query_params.get("since")),
        until=parse_datetime("until", request.query_params.get("until")),
        more=request.query_params.get("more"))
    return {"statements": statements, "more": more}
