"""Who may see a report page, and which data: `report_access(request)`, the one check every page
under /console/reports makes (the report pages of console/reports.py and the exports).

Two ways in, cookie-free for the second:
- a console session whose role in its realm is Administrator or Owner: every application of that
  realm, every report, exports included;
- a report link's token (ReportingApi GetReportageLink; domain/reports/access.py) in the page's
  URL as `token=`: one application, the pages its navigation permission allows, exports only with
  the admin flag. The token is a credential: the access log redacts `token=` (cli/serving.py) and
  report pages send no Referer (REPORT_HEADERS), so it does not leak to the sites they link to.
A token that was altered, expired, or names an application that no longer exists is the 403 page."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

from coursehost.console.auth import SignInRequired, session_of, signin_url
from coursehost.console.pages import ConsolePageError
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.accounts.users import Role
from coursehost.domain.applications import service as apps
from coursehost.domain.reports import access
from coursehost.web import read_unit, services

TOKEN_PARAM = "token"
# Report pages are never indexed and never send their address (which may carry a token) as a Referer.
REPORT_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True)
class ReportAccess:
    """What this request may see: the realm, its applications (pk, app id, name) in scope, the path
    prefix its pages must stay under, and whether it may use admin features (exports)."""

    realm_id: int
    applications: tuple[tuple[int, str, str], ...]
    allowed_path_prefix: str
    admin: bool
    nav: access.NavPermission
    token: str | None = None  # the link token, to be carried on by every report link (None: a session)
    me: SignedIn | None = None
    grant: access.ReportGrant | None = None  # the token's grant (None: a session, which may open every report)

    def may_open(self, path: str) -> bool:
        """Whether a report page at PATH is open to this access (pages offer only the links that are)."""
        return self.grant is None or self.grant.allows(path)

    @property
    def application_pks(self) -> tuple[int, ...]:
        return tuple(pk for pk, _, _ in self.applications)

    def href(self, path: str, **params: str) -> str:
        """A link to another report page that keeps this access (the token rides along when there is one)."""
        query = {k: v for k, v in params.items() if v not in (None, "")}
        if self.token:
            query[TOKEN_PARAM] = self.token
        return path + (f"?{urlencode(query)}" if query else "")


def refused(title: str, message: str, me: SignedIn | None = None) -> ConsolePageError:
    return ConsolePageError(403, title, message, me=me, headers=REPORT_HEADERS)


def _grant(request: Request, token: str):
    """What a report link token grants; a 403 page naming why not (expired, altered)."""
    try:
        return access.read_link_token(services(request).instance_key, token)
    except access.TokenExpired:
        raise refused("This report link has expired",
                      "Report links last eight hours. Ask whoever sent it for a new one.") from None
    except access.TokenInvalid:
        raise refused("This report link is not valid",
                      "The link was changed or cut short. Use the whole link as you received it.") from None


def _token_access(request: Request, token: str) -> ReportAccess:
    grant = _grant(request, token)
    if not grant.allows(request.url.path):
        raise refused("This report is not open to this link",
                      "The link you were given opens another report; it does not allow moving to this one.")
    with read_unit(request) as session:
        found = [a for a in apps.list_realm_applications(session, realm_id=grant.realm_id)
                 if a.pk == grant.application_pk]
    if not found:
        raise refused("This report link is not valid", "The application it showed no longer exists.")
    app = found[0]
    return ReportAccess(realm_id=grant.realm_id, applications=((app.pk, app.app_id, app.name),),
                        allowed_path_prefix=grant.allowed_path_prefix, admin=grant.admin, nav=grant.nav,
                        token=token, grant=grant)


def report_access(request: Request) -> ReportAccess:
    """The access of a report request: its link token if it has one, otherwise its console session
    (Administrator or Owner of the realm); a 403 page or a redirect to sign in otherwise."""
    token = request.query_params.get(TOKEN_PARAM)
    if token:
        return _token_access(request, token)
    me = session_of(request)
    if me is None:
        raise SignInRequired(303, "Sign in", "Sign in to continue.", headers={"Location": signin_url(request)})
    if not me.role.allows(Role.ADMINISTRATOR):
        raise refused("You do not have access to this page",
                      f"Reports are for administrators and owners of the realm; your role in {me.realm_name} "
                      f"is {me.role.label}.", me=me)
    with read_unit(request) as session:
        # the management application last: without ?app= a report shows the realm's first normal one
        found = sorted(apps.list_realm_applications(session, realm_id=me.realm_id), key=lambda a: a.is_management)
    return ReportAccess(realm_id=me.realm_id, applications=tuple((a.pk, a.app_id, a.name) for a in found),
                        allowed_path_prefix=access.REPORTS_ROOT, admin=True, nav=access.NavPermission.FREENAV,
                        me=me)


def link_target(request: Request) -> str:
    """Where /console/reports/link?token=... leads: the linked report, the token carried on."""
    token = request.query_params.get(TOKEN_PARAM) or ""
    grant = _grant(request, token)
    path = grant.path or access.REPORTS_ROOT
    return path + ("&" if "?" in path else "?") + urlencode({TOKEN_PARAM: token})
