"""Report auth and link tokens (domain/reports/access.py): what each navigation permission opens,
which report addresses a link may point to, and that an altered, expired or re-purposed token is
refused. Pure functions: no database."""

from __future__ import annotations

import pytest

from coursehost.domain.errors import InvalidInput
from coursehost.domain.reports import access
from coursehost.domain.reports.access import NavPermission

KEY = "unit-test-instance-key"
PUBLIC = "https://learn.example.org"


def _link_grant(nav: NavPermission, path: str, *, admin: bool = False) -> access.ReportGrant:
    auth = access.make_auth_token(KEY, realm_id=7, application_pk=42, nav=nav, admin=admin)
    grant = access.read_auth_token(KEY, auth)
    return access.read_link_token(KEY, access.make_link_token(KEY, grant, path=path))


def test_auth_token_round_trip_and_query_string_form():
    token = access.make_auth_token(KEY, realm_id=7, application_pk=42, nav=NavPermission.DOWNONLY, admin=True)
    for sent in (token, f"token={token}", f"?token={token}"):
        grant = access.read_auth_token(KEY, sent)
        assert (grant.realm_id, grant.application_pk, grant.nav, grant.admin) == (7, 42, NavPermission.DOWNONLY, True)


@pytest.mark.parametrize(("nav", "linked", "path", "allowed"), [
    (NavPermission.NONAV, "/console/reports/courses/c1?start=2026-01-01", "/console/reports/courses/c1", True),
    (NavPermission.NONAV, "/console/reports/courses/c1", "/console/reports/courses/c1/questions", False),
    (NavPermission.NONAV, "/console/reports/courses/c1", "/console/reports", False),
    (NavPermission.DOWNONLY, "/console/reports/courses/c1", "/console/reports/courses/c1/questions", True),
    (NavPermission.DOWNONLY, "/console/reports/courses/c1", "/console/reports/courses/c10", False),
    (NavPermission.DOWNONLY, "/console/reports/courses/c1", "/console/reports", False),
    (NavPermission.FREENAV, "/console/reports/courses/c1", "/console/reports/learners/l1", True),
    (NavPermission.FREENAV, "/console/reports", "/console/reportsx", False),
    (NavPermission.FREENAV, "/console/reports", "/console/apps", False),
])
def test_navigation_permissions(nav, linked, path, allowed):
    assert _link_grant(nav, linked).allows(path) is allowed


def test_altered_expired_and_wrong_purpose_tokens_are_refused():
    auth = access.make_auth_token(KEY, realm_id=7, application_pk=42, nav=NavPermission.FREENAV, admin=False)
    link = access.make_link_token(KEY, access.read_auth_token(KEY, auth), path="/console/reports")
    body, mac = link.split(".")
    with pytest.raises(access.TokenInvalid):
        access.read_link_token(KEY, body[:-1] + ("A" if body[-1] != "A" else "B") + "." + mac)
    with pytest.raises(access.TokenInvalid):
        access.read_link_token("another-instance", link)
    with pytest.raises(access.TokenInvalid):  # an auth token is not a link (different subkey)
        access.read_link_token(KEY, auth)
    with pytest.raises(access.TokenInvalid):
        access.read_auth_token(KEY, link)
    with pytest.raises(access.TokenExpired):
        access.read_auth_token(KEY, auth, now=1e12)
    old = access.make_link_token(KEY, access.read_auth_token(KEY, auth), path="/console/reports", now=1000.0)
    with pytest.raises(access.TokenExpired):
        access.read_link_token(KEY, old, now=1000.0 + access.LINK_TTL + 1)
    assert access.read_link_token(KEY, old, now=1000.0 + access.LINK_TTL - 1).path == "/console/reports"


@pytest.mark.parametrize(("url", "path"), [
    ("/console/reports", "/console/reports"),
    ("/console/reports/", "/console/reports"),
    (f"{PUBLIC}/console/reports/courses/c1?start=2026-01-01", "/console/reports/courses/c1?start=2026-01-01"),
    ("https://cloud.scorm.com/Reportage/reportage.php?appId=ABC", "/console/reports"),
])
def test_report_path_accepts_our_reports(url, path):
    assert access.report_path(url, public_url=PUBLIC) == path


@pytest.mark.parametrize("url", ["", "https://evil.example/console/reports", "/console/apps", "/console/reports/../apps", "/console/reports/%2e%2e/apps", "/console/reports/./x",
                                 "//evil.example/console/reports", "/console/reportsx", "x" * 3000])
def test_report_path_refuses_anything_else_naming_the_field(url):
    with pytest.raises(InvalidInput, match="reportUrl"):
        access.report_path(url, public_url=PUBLIC)


def test_nav_permission_parsing():
    assert access.parse_nav_permission(" freenav ") is NavPermission.FREENAV
    with pytest.raises(InvalidInput, match="navPermission"):
        access.parse_nav_permission("SIDEWAYS")
