"""ReportingApi: the realm's account information, report auth tokens, and links that open the
console's reports with such a token (domain/reports/access.py says what each token allows)."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import urlencode

from fastapi import Request

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.operations import operation
from coursehost.api.v2.paging import parse_bool
from coursehost.api.v2.schemas.reporting import (
    ReportageAccountInfoSchema,
    ReportageAccountInfoUsageSchema,
    ReportageAuthTokenSchema,
    ReportageLinkSchema,
)
from coursehost.domain.applications.auth import Principal
from coursehost.domain.reports import access
from coursehost.domain.reports.account_info import account_info
from coursehost.web import read_unit, services


def _public_url(request: Request) -> str:
    s = services(request).settings
    return (s.public_url or s.base_url or str(request.base_url)).rstrip("/")


@operation("GetAccountInfo", response_model=ReportageAccountInfoSchema)
def get_account_info(request: Request, principal: Principal = Auth) -> ReportageAccountInfoSchema:
    """The caller's realm: who holds it, its registration limit, this month's and all-time usage."""
    with read_unit(request) as session:
        info = account_info(session, realm_id=principal.realm_id)
    fields = asdict(info)
    fields["usage"] = ReportageAccountInfoUsageSchema(**fields["usage"])
    return ReportageAccountInfoSchema(**fields)


@operation("GetReportageAuthToken", response_model=ReportageAuthTokenSchema)
def get_reportage_auth_token(request: Request, principal: Principal = Auth) -> ReportageAuthTokenSchema:
    """A signed auth token (one hour) for the caller's application's reports; no row is stored."""
    nav = access.parse_nav_permission(request.query_params.get("navPermission"))
    admin = parse_bool(request, "admin")
    token = access.make_auth_token(services(request).instance_key, realm_id=principal.realm_id,
                                   application_pk=principal.app_pk, nav=nav, admin=admin)
    return ReportageAuthTokenSchema(auth_enabled=True, query_string=token)


@operation("GetReportageLink", response_model=ReportageLinkSchema)
def get_reportage_link(request: Request, principal: Principal = Auth) -> ReportageLinkSchema:
    """A link on the service origin that opens REPORTURL with the grant of the auth token AUTH."""
    key = services(request).instance_key
    try:
        grant = access.read_auth_token(key, request.query_params.get("auth"))
    except access.TokenExpired:
        raise ApiError(400, "auth has expired: get a new one from GetReportageAuthToken") from None
    except access.TokenInvalid:
        raise ApiError(400, "auth is not a token from GetReportageAuthToken") from None
    if grant.application_pk != principal.app_pk:  # another application's token: not this caller's to use
        raise ApiError(400, "auth was issued to another application")
    path = access.report_path(request.query_params.get("reportUrl"), public_url=_public_url(request))
    token = access.make_link_token(key, grant, path=path)
    return ReportageLinkSchema(reportage_link=f"{_public_url(request)}{access.REPORTS_ROOT}/link?"
                                              + urlencode({"token": token}))
