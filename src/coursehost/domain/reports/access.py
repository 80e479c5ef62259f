"""Report access tokens (ReportingApi GetReportageAuthToken) and report links (GetReportageLink).

Both are signed, stateless tokens (launch_tokens.sign: HMAC-SHA256 with a subkey of the instance key
derived for this purpose only), so no database row is written and nothing needs cleaning up:
- the AUTH token says who may see reports (realm, application, navigation permission, admin) and
  lasts AUTH_TTL (one hour): it is a credential for making links, kept by the integrator's server;
- a LINK token is the auth token's grant bound to one report path; it lasts LINK_TTL (eight hours,
  a working day of browsing) from when the link was made, and rides in the URL of every report page
  it opens (`token=`, which the access log redacts), because a link must work with no cookie.

Navigation permissions are Reportage's: NONAV (only the linked report, any of its filters), DOWNONLY
(the linked report and the reports below it, i.e. drill-down), FREENAV (every report of the
application under /console/reports). The admin flag lets the holder download exports."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from coursehost.domain.errors import InvalidInput
from coursehost.domain.signed_tokens import TokenExpired, TokenInvalid, sign, verify

AUTH_PURPOSE = "reportage-auth"
LINK_PURPOSE = "reportage-link"
AUTH_TTL = 3600
LINK_TTL = 8 * 3600
REPORTS_ROOT = "/console/reports"
MAX_PATH = 2000

__all__ = ["TokenExpired", "TokenInvalid"]


class NavPermission(StrEnum):
    """How far the holder of a report link may navigate from the report it was linked to."""

    NONAV = "NONAV"
    DOWNONLY = "DOWNONLY"
    FREENAV = "FREENAV"


@dataclass(frozen=True)
class ReportGrant:
    """What a report token allows: one application's reports in one realm, how far, and whether admin."""

    realm_id: int
    application_pk: int
    nav: NavPermission
    admin: bool
    expires: float
    path: str | None = None  # the linked report (link tokens only): path and query as given

    @property
    def allowed_path_prefix(self) -> str:
        """The path every page opened with this grant must be (NONAV) or start with."""
        if self.nav is NavPermission.FREENAV or not self.path:
            return REPORTS_ROOT
        return urlsplit(self.path).path

    def allows(self, path: str) -> bool:
        """Whether a page at PATH (no query) may be shown with this grant."""
        prefix = self.allowed_path_prefix
        if self.nav is NavPermission.NONAV and self.path:
            return path == prefix
        return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def parse_nav_permission(value: str | None) -> NavPermission:
    """navPermission as the API sends it; a clear 400 naming the field otherwise."""
    try:
        return NavPermission((value or "").strip().upper())
    except ValueError:
        raise InvalidInput("navPermission must be one of NONAV, DOWNONLY, FREENAV") from None


def make_auth_token(instance_key: str, *, realm_id: int, application_pk: int, nav: NavPermission, admin: bool,
                    now: float | None = None) -> str:
    """A new auth token (valid AUTH_TTL seconds) for one application's reports."""
    exp = int((now if now is not None else time.time()) + AUTH_TTL)
    return sign(instance_key, AUTH_PURPOSE, {"r": realm_id, "a": application_pk, "n": nav.value,
                                             "adm": bool(admin), "exp": exp})


def _grant(payload: dict, *, path: str | None) -> ReportGrant:
    try:
        return ReportGrant(realm_id=int(payload["r"]), application_pk=int(payload["a"]),
                           nav=NavPermission(payload["n"]), admin=bool(payload["adm"]),
                           expires=float(payload["exp"]), path=path)
    except (KeyError, TypeError, ValueError):
        raise TokenInvalid("malformed payload") from None


def read_auth_token(instance_key: str, token: str | None, *, now: float | None = None) -> ReportGrant:
    """The grant of an auth token; TokenInvalid / TokenExpired otherwise. Accepts "token=..." too,
    since GetReportageAuthToken's field is called queryString."""
    text = (token or "").strip()
    text = text.removeprefix("?").removeprefix("token=")
    return _grant(verify(instance_key, AUTH_PURPOSE, text, now=now), path=None)


def report_path(report_url: str | None, *, public_url: str) -> str:
    """The report a link opens, as a path (and query) under /console/reports.

    Accepted: a path or an address on this service under /console/reports; a SCORM Cloud Reportage
    address (".../Reportage/reportage.php?...", what integrators moving over already send) opens the
    reports' home. Anything else is a 400 naming reportUrl: a link never points off this service."""
    text = (report_url or "").strip()
    if not text:
        raise InvalidInput("reportUrl is required")
    if len(text) > MAX_PATH:
        raise InvalidInput(f"reportUrl must not be longer than {MAX_PATH} characters")
    parts = urlsplit(text)
    ours = urlsplit(public_url)
    if parts.path.lower().endswith("/reportage/reportage.php"):
        return REPORTS_ROOT
    if (parts.scheme or parts.netloc) and (parts.scheme, parts.netloc) != (ours.scheme, ours.netloc):
        raise InvalidInput("reportUrl must be an address of this service's reports (under /console/reports)")
    path = parts.path.rstrip("/") or "/"
    # Dot segments, even percent-encoded ones, which browsers resolve (WHATWG URL), would leave the reports.
    dots = any(seg in (".", "..") for seg in unquote(path).split("/"))
    if path != REPORTS_ROOT and not path.startswith(REPORTS_ROOT + "/") or dots or "\\" in unquote(path):
        raise InvalidInput("reportUrl must be an address of this service's reports (under /console/reports)")
    return path + (f"?{parts.query}" if parts.query else "")


def make_link_token(instance_key: str, grant: ReportGrant, *, path: str, now: float | None = None) -> str:
    """A link token: GRANT bound to the report at PATH, valid LINK_TTL seconds from now."""
    exp = int((now if now is not None else time.time()) + LINK_TTL)
    return sign(instance_key, LINK_PURPOSE, {"r": grant.realm_id, "a": grant.application_pk, "n": grant.nav.value,
                                             "adm": grant.admin, "p": path, "exp": exp})


def read_link_token(instance_key: str, token: str | None, *, now: float | None = None) -> ReportGrant:
    """The grant of a link token (with its path); TokenInvalid / TokenExpired otherwise."""
    payload = verify(instance_key, LINK_PURPOSE, token, now=now)
    path = payload.get("p")
    if not isinstance(path, str):
        raise TokenInvalid("malformed payload")
    return _grant(payload, path=path)
