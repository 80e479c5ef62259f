"""ReportingApi wire models (ReportageAccountInfoSchema, ReportageAuthTokenSchema, ReportageLinkSchema),
field for field the official client's."""

from __future__ import annotations

from datetime import datetime

from coursehost.api.v2.schemas.common import Wire


class ReportageAccountInfoUsageSchema(Wire):
    month_start: datetime
    reg_count: int
    total_registrations: int
    total_courses: int


class ReportageAccountInfoSchema(Wire):
    email: str
    first_name: str
    last_name: str
    company: str
    account_type: str
    reg_limit: int
    strict_limit: bool
    create_date: datetime
    usage: ReportageAccountInfoUsageSchema


class ReportageAuthTokenSchema(Wire):
    auth_enabled: bool
    query_string: str


class ReportageLinkSchema(Wire):
    reportage_link: str
