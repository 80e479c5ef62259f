"""ReportingApi through the official client (GetAccountInfo, GetReportageAuthToken, GetReportageLink),
what its links open over plain HTTP (the navigation permissions, tampered and expired tokens), and
the streamed registrations export parsed back (csv, openpyxl) against what the client's
registration API says for the same registrations."""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import openpyxl
import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException
from sqlalchemy import select, update

from coursehost.cli.serving import redact
from coursehost.db.models.registrations import Registration, RegistrationInstance
from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from coursehost.domain import limits
from coursehost.domain.applications.service import create_realm
from coursehost.domain.reports import access
from tests.builders.scorm import scorm12_zip
from tests.console.support import make_user
from tests.contract.courses import upload
from tests.contract.helpers import message
from tests.servers import AppCreds

COURSE = f"rc-{uuid.uuid4().hex[:8]}"  # unique in the session, so another realm's rows cannot look like ours


@pytest.fixture(scope="module")
def realm(live_server, tmp_path_factory):
    """A realm of its own (so its counts are exact), an owner named Ada Lovelace, one course and
    three registrations whose results are set in the database (the run-time path is tested elsewhere)."""
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        made, creds = create_realm(session, box=svc.box, name=f"Reports {uuid.uuid4().hex[:6]}")
        realm_id = made.id
    make_user(live_server, "owner", realm_id=realm_id, name="Ada Lovelace")
    app = AppCreds(creds.app_id, creds.secret_key)
    client = live_server.client(app)
    upload(cloud.CourseApi(client), tmp_path_factory.mktemp("rep"), scorm12_zip("Reported course"), course_id=COURSE)
    regs = cloud.RegistrationApi(client)
    learners = [("r-1", "l-1", "Zoë", "Ørsted"), ("r-2", "l-2", "=cmd|' /C calc'!A0", "Plain"),
                ("r-3", "l-3", "Ann", "Comma, \"Quoted\"")]
    for reg_id, learner_id, first, last in learners:
        regs.create_registration(cloud.CreateRegistrationSchema(
            course_id=COURSE, registration_id=reg_id,
            learner=cloud.LearnerSchema(id=learner_id, first_name=first, last_name=last)))
    results = {"r-1": ("COMPLETED", "PASSED", 92.5, 600.0), "r-2": ("INCOMPLETE", "FAILED", 40.0, 125.5)}
    with unit_of_work(svc.session_factory) as session:
        app_pk = session.scalar(select(Application.pk).where(Application.app_id == app.app_id))
        for reg_id, (completion, success, score, seconds) in results.items():
            values = dict(completion=completion, success=success, score_scaled=score, total_seconds=seconds,
                          first_access=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
            reg_pk = select(Registration.pk).where(Registration.registration_id == reg_id,
                                                   Registration.application_pk == app_pk).scalar_subquery()
            session.execute(update(Registration).where(Registration.pk == reg_pk).values(**values))
            # the registration's current instance holds what the registration API reports
            session.execute(update(RegistrationInstance).where(RegistrationInstance.registration_pk == reg_pk)
                            .values(**values))
    return realm_id, app, client


def test_account_info_is_the_realms_account_limits_and_usage(live_server, realm):
    realm_id, _, client = realm
    info = cloud.ReportingApi(client).get_account_info()
    assert (info.email.startswith("owner-"), info.first_name, info.last_name) == (True, "Ada", "Lovelace")
    assert info.company.startswith("Reports ") and info.create_date is not None
    assert (info.account_type, info.reg_limit, info.strict_limit) == ("unlimited", 0, False)
    now = datetime.now(UTC)
    assert info.usage.month_start.replace(tzinfo=UTC) == datetime(now.year, now.month, 1, tzinfo=UTC)
    assert (info.usage.reg_count, info.usage.total_registrations, info.usage.total_courses) == (3, 3, 1)
    with unit_of_work(live_server.services.session_factory) as session:
        limits.set_limits(session, realm_id=realm_id, registrations=50)
    try:
        info = cloud.ReportingApi(client).get_account_info()
        assert (info.account_type, info.reg_limit, info.strict_limit) == ("limited", 50, True)
    finally:
        with unit_of_work(live_server.services.session_factory) as session:
            limits.set_limits(session, realm_id=realm_id, registrations=None)


def _link(client, nav: str, report_url: str, *, admin: bool = False) -> str:
    api = cloud.ReportingApi(client)
    auth = api.get_reportage_auth_token(nav, admin=admin)
    assert auth.auth_enabled is True and auth.query_string
    return api.get_reportage_link(auth.query_string, report_url).reportage_link


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def test_auth_token_and_link_open_the_reports_without_a_session(live_server, realm):
    _, _, client = realm
    link = _link(client, "FREENAV", f"{live_server.service_url}/console/reports")
    assert link.startswith(f"{live_server.service_url}/console/reports/link?token=")
    with httpx.Client(follow_redirects=True, timeout=30) as browser_like:
        page = browser_like.get(link)
    assert page.status_code == 200 and "<h1>Reports</h1>" in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and "set-cookie" not in page.headers
    assert "FREENAV" in page.text and "export-csv" not in page.text  # not admin: no downloads offered


def test_navigation_permissions_bound_what_a_link_opens(live_server, realm):
    _, _, client = realm
    base = live_server.service_url
    export = f"{base}/console/reports/export/registrations.csv"
    for nav, linked, expected in [("NONAV", "/console/reports", 403), ("DOWNONLY", "/console/reports", 200),
                                  ("FREENAV", "/console/reports/courses/rc", 200),
                                  ("DOWNONLY", "/console/reports/courses/rc", 403)]:
        token = _token(_link(client, nav, base + linked, admin=True))
        assert httpx.get(export, params={"token": token}).status_code == expected, (nav, linked)
    # NONAV opens the linked report itself, with any filter
    token = _token(_link(client, "NONAV", base + "/console/reports?start=2026-01-01"))
    opened = httpx.get(f"{base}/console/reports/link", params={"token": token}, follow_redirects=True)
    assert opened.status_code == 200 and "2026-01-01" in opened.text
    # the page offers downloads only where the link allows them
    home = f"{base}/console/reports/link"
    nonav = httpx.get(home, params={"token": _token(_link(client, "NONAV", base + "/console/reports", admin=True))},
                      follow_redirects=True)
    assert nonav.status_code == 200 and "export-csv" not in nonav.text
    freenav = httpx.get(home, params={"token": _token(_link(client, "FREENAV", base + "/console/reports", admin=True))},
                        follow_redirects=True)
    assert 'id="export-csv"' in freenav.text
    # a token without the admin flag never downloads
    token = _token(_link(client, "FREENAV", base + "/console/reports"))
    assert httpx.get(export, params={"token": token}).status_code == 403


def test_tampered_expired_and_foreign_tokens_are_refused(live_server, realm):
    _, _, client = realm
    base = live_server.service_url
    token = _token(_link(client, "FREENAV", base + "/console/reports"))
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert httpx.get(f"{base}/console/reports", params={"token": tampered}).status_code == 403
    grant = access.read_link_token(live_server.services.instance_key, token)
    old = access.make_link_token(live_server.services.instance_key, grant, path="/console/reports",
                                 now=time.time() - access.LINK_TTL - 5)
    expired = httpx.get(f"{base}/console/reports/link", params={"token": old})
    assert expired.status_code == 403 and "expired" in expired.text
    api = cloud.ReportingApi(client)
    with pytest.raises(ApiException) as err:  # an auth token of another application
        other = cloud.ReportingApi(live_server.client()).get_reportage_auth_token("FREENAV").query_string
        api.get_reportage_link(other, "/console/reports")
    assert err.value.status == 400 and "another application" in message(err.value)
    with pytest.raises(ApiException) as err:
        api.get_reportage_link(token, "/console/reports")  # a link token is not an auth token
    assert err.value.status == 400 and "auth" in message(err.value)


def test_bad_input_is_a_400_naming_the_field(realm):
    _, _, client = realm
    api = cloud.ReportingApi(client)
    with pytest.raises(ApiException) as err:
        api.get_reportage_auth_token("SIDEWAYS")
    assert err.value.status == 400 and "navPermission" in message(err.value)
    auth = api.get_reportage_auth_token("NONAV").query_string
    for bad in ("https://evil.example/console/reports", "/console/settings", "/console/reports/../apps"):
        with pytest.raises(ApiException) as err:
            api.get_reportage_link(auth, bad)
        assert err.value.status == 400 and "reportUrl" in message(err.value), bad
    # SCORM Cloud's Reportage address, which migrating integrators send, opens the reports' home
    link = api.get_reportage_link(auth, "https://cloud.scorm.com/Reportage/reportage.php?appId=X")
    assert httpx.get(link.reportage_link, follow_redirects=True).status_code == 200


def _expected_rows(client) -> dict[str, list]:
    """Each registration as the official client's GetRegistrationProgress reports it, in export columns."""
    regs = cloud.RegistrationApi(client)
    rows = {}
    for reg_id in ("r-1", "r-2", "r-3"):
        r = regs.get_registration_progress(reg_id)
        score = r.score.scaled if r.score else None
        rows[reg_id] = [r.id, r.learner.id, r.learner.first_name, r.learner.last_name, r.course.id, r.course.title,
                        r.registration_completion, r.registration_success, score, float(r.total_seconds_tracked or 0)]
    return rows


def test_registrations_export_csv_and_xlsx_equal_the_api(live_server, realm):
    _, _, client = realm
    base = live_server.service_url
    token = _token(_link(client, "FREENAV", base + "/console/reports", admin=True))
    expected = _expected_rows(client)
    resp = httpx.get(f"{base}/console/reports/export/registrations.csv", params={"token": token})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert resp.content.startswith(b"\xef\xbb\xbf") and "attachment" in resp.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["Registration ID", "Learner ID", "Learner first name"] and len(table) == 4
    got = {row[0]: row for row in table[1:]}
    for reg_id, want in expected.items():
        row = got[reg_id]
        first = want[2] if not want[2].startswith("=") else "'" + want[2]  # formulas neutralised
        assert row[:8] == [want[0], want[1], first, want[3], want[4], want[5], want[6], want[7]]
        assert (float(row[8]) if row[8] else None) == want[8] and float(row[9]) == want[9]
    assert got["r-1"][11] == "2026-01-02T03:04:05Z"

    resp = httpx.get(f"{base}/console/reports/export/registrations.xlsx", params={"token": token})
    assert resp.status_code == 200 and "spreadsheetml" in resp.headers["content-type"]
    sheet = openpyxl.load_workbook(io.BytesIO(resp.content), read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Registration ID" and len(values) == 4
    got = {row[0]: row for row in values[1:]}
    for reg_id, want in expected.items():
        row = got[reg_id]
        assert row[:8] == tuple(want[:8]) or list(row[:8]) == want[:8]  # text stays text, even "=cmd..."
        assert row[8] == want[8] and float(row[9]) == want[9]
    assert got["r-1"][11] == datetime(2026, 1, 2, 3, 4, 5)


def test_export_filters_and_bad_dates(live_server, realm):
    _, _, client = realm
    base = live_server.service_url
    token = _token(_link(client, "FREENAV", base + "/console/reports", admin=True))
    url = f"{base}/console/reports/export/registrations.csv"
    one = httpx.get(url, params={"token": token, "learner": "l-2"}).content.decode("utf-8-sig")
    assert [r[0] for r in csv.reader(io.StringIO(one))][1:] == ["r-2"]
    none = httpx.get(url, params={"token": token, "start": "2020-01-01", "end": "2020-01-31"}).content
    assert len(list(csv.reader(io.StringIO(none.decode("utf-8-sig"))))) == 1  # the header only
    bad = httpx.get(url, params={"token": token, "start": "31/01/2026"})
    assert bad.status_code == 400 and "start" in bad.text
    assert httpx.get(url, params={"token": token, "start": "2026-02-01", "end": "2026-01-01"}).status_code == 400


def test_report_tokens_stay_out_of_the_access_log():
    """The access log filter of `coursehost serve` (cli/serving.py) hides both kinds of report token."""
    assert redact("/api/v2/reporting/reportageLink?auth=SECRET1&reportUrl=%2Fconsole%2Freports") == \
        "/api/v2/reporting/reportageLink?auth=REDACTED&reportUrl=%2Fconsole%2Freports"
    assert "SECRET2" not in redact("/console/reports/export/registrations.csv?start=2026-01-01&token=SECRET2")


def test_a_link_never_shows_another_applications_data(live_server, realm):
    _, app, client = realm
    base = live_server.service_url
    token = _token(_link(client, "FREENAV", base + "/console/reports", admin=True))
    url = f"{base}/console/reports/export/registrations.csv"
    other = live_server.default_app.app_id  # an application of another realm
    assert httpx.get(url, params={"token": token, "app": other}).status_code == 404
    assert httpx.get(url, params={"token": token, "app": app.app_id}).status_code == 200
    # the default realm's own link, asked for this realm's application: 404 too, never its rows
    foreign = _token(_link(live_server.client(), "FREENAV", base + "/console/reports", admin=True))
    assert httpx.get(url, params={"token": foreign, "app": app.app_id}).status_code == 404
    rows = httpx.get(url, params={"token": foreign}).content.decode("utf-8-sig")
    assert COURSE not in {r[4] for r in list(csv.reader(io.StringIO(rows)))[1:]}
