"""Report links in Chromium (issue 20, ReportingApi): a link from GetReportageLink opened with no
session lands on the reports page within its permission; a tampered or expired link is the 403
page; a signed-in administrator opens the same page and downloads the export; a learner is refused.
axe-core clean and photographed (tests/console/support.py)."""

from __future__ import annotations

import csv
import io
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import rustici_software_cloud_v2 as cloud

from coursehost.domain.reports import access
from tests.builders.scorm import scorm12_zip
from tests.console.support import check_page, http_session, make_user, sign_in
from tests.contract.courses import upload


def _link(live_server, nav: str, *, admin: bool) -> str:
    api = cloud.ReportingApi(live_server.client())
    auth = api.get_reportage_auth_token(nav, admin=admin).query_string
    return api.get_reportage_link(auth, f"{live_server.service_url}/console/reports").reportage_link


def test_report_link_opens_without_a_session(context, live_server):
    page = context.new_page()
    link = _link(live_server, "FREENAV", admin=True)
    page.goto(link)
    assert urlsplit(page.url).path == "/console/reports"
    assert page.locator("h1").inner_text() == "Reports"
    assert "FREENAV, admin" in page.locator("#report-permission").inner_text()
    assert context.cookies() == []  # a link works without any cookie, and sets none
    check_page(page, "reports-link")
    # the export link keeps the token; the download parses back
    with page.expect_download() as got:
        page.locator("#export-csv").click()
    data = Path(got.value.path()).read_text(encoding="utf-8-sig")
    assert next(csv.reader(io.StringIO(data)))[0] == "Registration ID"


def test_tampered_and_expired_links_are_the_403_page(context, live_server):
    page = context.new_page()
    link = _link(live_server, "NONAV", admin=False)
    token = parse_qs(urlsplit(link).query)["token"][0]
    response = page.goto(f"{live_server.service_url}/console/reports/link?token={token[:-3]}xyz")
    assert response.status == 403 and "not valid" in page.locator("h1").inner_text()
    check_page(page, "reports-link-tampered")
    grant = access.read_link_token(live_server.services.instance_key, token)
    old = access.make_link_token(live_server.services.instance_key, grant, path="/console/reports",
                                 now=time.time() - access.LINK_TTL - 1)
    response = page.goto(f"{live_server.service_url}/console/reports/link?token={old}")
    assert response.status == 403 and "expired" in page.locator("h1").inner_text()


def test_administrators_see_reports_learners_do_not(context, live_server):
    page = context.new_page()
    sign_in(page, live_server, make_user(live_server, "administrator"))
    response = page.goto(f"{live_server.service_url}/console/reports")
    assert response.status == 200 and page.locator("#export-xlsx").is_visible()
    check_page(page, "reports-admin")
    learner_page = context.browser.new_context().new_page()
    try:
        sign_in(learner_page, live_server, make_user(live_server, "learner"))
        assert learner_page.goto(f"{live_server.service_url}/console/reports").status == 403
    finally:
        learner_page.context.close()


def test_signed_in_administrator_downloads_the_realms_export(live_server, tmp_path):
    """With a session (no token) the export is the realm's: the registration made through the API is
    in it; another realm's application id is a 404."""
    course_id, reg_id = f"console-export-{uuid.uuid4().hex[:8]}", f"console-export-{uuid.uuid4().hex[:8]}"
    upload(cloud.CourseApi(live_server.client()), tmp_path, scorm12_zip("Console export"), course_id=course_id)
    regs = cloud.RegistrationApi(live_server.client())
    regs.create_registration(cloud.CreateRegistrationSchema(course_id=course_id, registration_id=reg_id,
                                                            learner=cloud.LearnerSchema(id="console-learner")))
    with http_session(live_server, make_user(live_server, "administrator")) as client:
        resp = client.get("/console/reports/export/registrations.csv",
                          params={"app": live_server.default_app.app_id, "learner": "console-learner"})
        assert resp.status_code == 200, resp.text
        rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
        assert reg_id in {r[0] for r in rows[1:]}
        assert client.get("/console/reports/export/registrations.csv",
                          params={"app": live_server.other_management_app.app_id}).status_code == 404
