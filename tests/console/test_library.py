"""The Library, Add Content and the import job pages in Chromium: a real SCORM 1.2 package dropped on
the page and uploaded with a byte progress bar that reaches 100%, its job followed live to COMPLETE;
an import by URL from a local file server; a broken zip ending in ERROR with its message; a new
version when the course id exists; the list's search, filters, order and pages checked against the
official client's GetCourses; the plain form without JavaScript; the realm's storage limit and the
upload size limit; and who may use these pages (roles, sessions, other realms and applications)."""

from __future__ import annotations

import base64
import html
import http.server
import os
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from coursehost.db.base import utcnow
from coursehost.db.migrate import upgrade
from coursehost.db.models.courses import Course, ImportJob
from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from coursehost.domain import limits
from coursehost.domain.applications import service as apps
from tests.builders.cmi5 import cmi5_zip
from tests.builders.scorm import scorm12_zip, scorm2004_zip
from tests.builders.xapi import tincan_zip
from tests.console.support import ConsoleUser, check_page, csrf_of, http_session, make_user, sign_in
from tests.contract.courses import course_api, upload, wait_for_job
from tests.databases import create_pg_database, drop_pg_database
from tests.e2e.support import create_registration
from tests.servers import AppCreds, file_servers, running_live_server

JOB_URL = re.compile(r"/console/library/imports/([0-9a-f-]{36})\?app=")


@dataclass
class Realm:
    realm_id: int
    app: AppCreds  # the realm's default application
    admin: ConsoleUser


def _new_realm(live_server, label: str = "Library") -> Realm:
    """A realm of its own (one application, an administrator), so that lists and screenshots show only this test's data."""
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        realm, creds = apps.create_realm(session, box=svc.box, name=f"{label} {uuid.uuid4().hex[:6]}")
        realm_id, app = realm.id, AppCreds(creds.app_id, creds.secret_key)
    return Realm(realm_id, app, make_user(live_server, "administrator", name="Ada Admin", realm_id=realm_id))


def _new_app(live_server, realm_id: int, name: str) -> AppCreds:
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        app, secret = apps.create_application(session, box=svc.box, realm_id=realm_id, name=name)
        return AppCreds(app.app_id, secret)


def _import_jobs(live_server, app_id: str) -> int:
    with unit_of_work(live_server.services.session_factory) as session:
        return session.scalar(select(func.count()).select_from(ImportJob).join(
            Application, Application.pk == ImportJob.application_pk).where(Application.app_id == app_id))


def _courses(live_server, creds: AppCreds, **kw) -> list:
    """Every course GetCourses lists (following `more`), through the official client."""
    api, found, more = course_api(live_server, creds), [], None
    while True:
        # The include* switches are not filters: they go with every page.
        includes = {k: v for k, v in kw.items() if k.startswith("include_")}
        answer = api.get_courses(more=more, **includes) if more else api.get_courses(**kw)
        found += answer.courses
        more = answer.more
        if not more:
            return found


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


@contextmanager
def gated_server(body: bytes) -> Iterator[tuple[str, threading.Event]]:
    """An HTTP server that answers GET /package.zip with BODY once the test sets the event it returns."""
    release = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            release.wait(60)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/package.zip", release
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def drop_file(page, data: bytes, name: str, mime: str = "application/zip") -> None:
    """Drag and drop a file named NAME holding DATA onto the page's drop zone (a DataTransfer with a
    real File, as the browser builds one when a file is dropped from the desktop)."""
    transfer = page.evaluate_handle("""([b64, name, type]) => {
        const text = atob(b64);
        const bytes = new Uint8Array(text.length);
        for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type}));
        return transfer;
    }""", [base64.b64encode(data).decode(), name, mime])
    zone = page.locator("[data-drop-zone]")
    for event in ("dragenter", "dragover", "drop"):
        zone.dispatch_event(event, {"dataTransfer": transfer})


# Every change of the <progress> element's value or max, kept in sessionStorage so that the test reads
# it after the page has gone on to the job page.
RECORD_PROGRESS = """() => {
    const bar = document.querySelector("progress");
    const log = [];
    new MutationObserver(() => {
        log.push({value: bar.value, max: bar.max, text: document.querySelector(".progress-text").textContent});
        sessionStorage.setItem("progress-log", JSON.stringify(log));
    }).observe(bar, {attributes: true, attributeFilter: ["value", "max"]});
}"""


def _job_id(page) -> str:
    match = JOB_URL.search(page.url)
    assert match, page.url
    return match.group(1)


# ------------------------------------------------------------------------------ Add Content

def test_drag_and_drop_upload_shows_its_progress_and_the_job_completes(live_server, page, context):
    """A real SCORM 1.2 package (with a 3 MB file, so the upload takes a while at 1 MB/s) is dropped on
    the page; the progress bar follows the bytes sent, ends at 100%, and the job page follows the
    import to COMPLETE, listing the course and the parser's warning in words."""
    shop = _new_realm(live_server)
    sign_in(page, live_server, shop.admin)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", name="This library is empty")).to_be_visible()
    check_page(page, "library-empty")
    add = page.get_by_role("link", name="Add content").first
    expect(add).to_have_class(re.compile("add-content"))
    add.click()
    expect(page.get_by_role("heading", name="Add content", level=1)).to_be_visible()
    expect(page.get_by_text("Drag and drop the file here")).to_be_visible()
    check_page(page, "library-add")

    package = scorm12_zip(title="Safety at work", schemaversion=None,
                          extra_files={"media/film.bin": os.urandom(3 * 1024 * 1024)})
    drop_file(page, package, "Safety at work.zip")
    expect(page.locator(".drop-zone .chosen")).to_contain_text("Safety at work.zip")
    expect(page.get_by_label("Course ID")).to_have_value("Safety-at-work")
    page.evaluate(RECORD_PROGRESS)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": 1024 * 1024})
    page.get_by_role("button", name="Import").click()
    expect(page.locator("progress")).to_be_visible()
    page.wait_for_url(JOB_URL, timeout=60_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    log = page.evaluate("() => JSON.parse(sessionStorage.getItem('progress-log'))")
    final = log[-1]
    assert final["value"] == final["max"] and final["max"] > len(package), log[-3:]  # the whole body was sent
    assert "100%" in final["text"]
    assert any(0 < entry["value"] < entry["max"] for entry in log), log  # and the bar moved on the way
    values = [entry["value"] for entry in log if entry["max"] == final["max"]]
    assert values == sorted(values)

    expect(page.get_by_role("heading", name="Import of Safety-at-work")).to_be_visible()
    status = page.locator(".job-status")
    expect(status).to_have_attribute("data-status", "COMPLETE", timeout=30_000)
    expect(status).to_contain_text("Complete")
    expect(status.get_by_role("link", name="Safety at work")).to_have_attribute(
        "href", f"/console/courses/{shop.app.app_id}/Safety-at-work")
    expect(status.get_by_role("list")).to_contain_text("<schemaversion> is missing")
    check_page(page, "library-job-complete")

    answer = course_api(live_server, shop.app).get_import_job_status(_job_id(page))
    assert answer.status == "COMPLETE"
    assert answer.import_result.course.title == "Safety at work"
    assert answer.import_result.parser_warnings == [status.get_by_role("listitem").inner_text()]

    page.get_by_role("link", name="Back to the library").click()
    row = page.get_by_role("row", name=re.compile("Safety at work"))
    expect(row).to_contain_text("Safety-at-work")
    expect(row).to_contain_text("SCORM 1.2")
    check_page(page, "library-list-one")


def test_url_import_from_a_file_server_completes(live_server, page):
    shop = _new_realm(live_server)
    sign_in(page, live_server, shop.admin)
    with file_servers() as serve:
        base = serve({"/courses/first-aid.zip": scorm2004_zip(title="First aid")})
        page.goto(f"{live_server.service_url}/console/library/add?app={shop.app.app_id}")
        page.get_by_label("Import from a web address (URL)").fill(f"{base}/courses/first-aid.zip")
        expect(page.get_by_label("Course ID")).to_have_value("first-aid")
        page.get_by_role("button", name="Import").click()
        page.wait_for_url(JOB_URL)
        expect(page.locator(".facts")).to_contain_text(f"{base}/courses/first-aid.zip")
        expect(page.locator(".job-status")).to_have_attribute("data-status", "COMPLETE", timeout=30_000)
    expect(page.locator(".job-status").get_by_role("link", name="First aid")).to_be_visible()
    assert [(c.id, c.title, c.course_learning_standard) for c in _courses(live_server, shop.app)] == [
        ("first-aid", "First aid", "SCORM20044THEDITION")]


def test_a_broken_zip_is_followed_live_to_error_with_its_message(live_server, page):
    """The job page polls while the server waits for the package (RUNNING), then shows ERROR and the
    import's message without a reload; the official client reads the same message."""
    shop = _new_realm(live_server)
    sign_in(page, live_server, shop.admin)
    broken = scorm12_zip(title="Broken")[:-60]  # the end of its central directory cut off
    with gated_server(broken) as (url, release):
        page.goto(f"{live_server.service_url}/console/library/add?app={shop.app.app_id}")
        page.get_by_label("Import from a web address (URL)").fill(url)
        expect(page.get_by_label("Course ID")).to_have_value("package")  # suggested from the address
        page.get_by_label("Course ID").fill("broken-course")
        page.get_by_role("button", name="Import").click()
        page.wait_for_url(JOB_URL)
        expect(page.get_by_role("heading", name="Import of broken-course")).to_be_visible()
        status = page.locator(".job-status")
        expect(status).to_have_attribute("data-status", "RUNNING")
        expect(status).to_contain_text("Importing")
        check_page(page, "library-job-running")
        page.evaluate("() => { window.sameDocument = true; }")
        release.set()
        expect(status).to_have_attribute("data-status", "ERROR", timeout=30_000)
    assert page.evaluate("() => window.sameDocument === true")  # updated in place by polling
    answer = course_api(live_server, shop.app).get_import_job_status(_job_id(page))
    assert answer.status == "ERROR" and answer.message
    expect(status.get_by_text("The import failed")).to_contain_text(answer.message)
    assert "The zip file is damaged or incomplete" in answer.message
    expect(status.get_by_role("link", name="add it again")).to_be_visible()
    check_page(page, "library-job-error")
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/status" in r.url else None)
    page.wait_for_timeout(2500)
    assert polls == []  # a finished job is not polled any more
    assert _courses(live_server, shop.app) == []


def test_an_existing_course_id_is_refused_or_imported_as_a_new_version(live_server, page, tmp_path):
    shop = _new_realm(live_server)
    api = course_api(live_server, shop.app)
    upload(api, tmp_path, scorm12_zip(title="Onboarding"), course_id="onboarding")
    sign_in(page, live_server, shop.admin)
    page.goto(f"{live_server.service_url}/console/library/add?app={shop.app.app_id}")
    page.locator("#package-file").set_input_files(files=[{
        "name": "onboarding.zip", "mimeType": "application/zip", "buffer": scorm12_zip(title="Onboarding 2")}])
    expect(page.get_by_label("Course ID")).to_have_value("onboarding")
    expect(page.get_by_label("Do not import it")).to_be_checked()
    page.get_by_role("button", name="Import").click()
    course_id = page.get_by_label("Course ID")
    expect(course_id).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("A course with the ID onboarding already exists")
    expect(course_id).to_have_value("onboarding")
    expect(page.locator(".drop-zone .chosen")).to_contain_text("onboarding.zip")  # the script kept the file
    check_page(page, "library-add-exists")
    assert len(api.get_course_versions("onboarding").courses) == 1

    page.get_by_label("Import it as a new version of that course").check()
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(JOB_URL)
    status = page.locator(".job-status")
    expect(status).to_have_attribute("data-status", "COMPLETE", timeout=30_000)
    expect(status).to_contain_text("as version 1 of course")
    assert [c.title for c in api.get_course_versions("onboarding").courses] == ["Onboarding", "Onboarding 2"]
    page.get_by_role("link", name="Back to the library").click()
    expect(page.get_by_role("row", name=re.compile("Onboarding 2")).locator("td").nth(3)).to_have_text("2")


def test_the_form_names_each_problem_and_keeps_what_was_typed(live_server):
    shop = _new_realm(live_server)
    with http_session(live_server, shop.admin) as client:
        token = csrf_of(client)
        action = f"/console/library/add?app={shop.app.app_id}"
        nothing = client.post(action, data={"csrf_token": token, "course_id": "kept-id", "existing": "refuse"})
        assert nothing.status_code == 400
        assert "Choose a file to upload, or give the web address (URL) of one." in nothing.text
        assert 'value="kept-id"' in nothing.text
        bad_url = client.post(action, data={"csrf_token": token, "url": "ftp://example.com/x.zip",
                                             "course_id": "", "existing": "version"})
        assert bad_url.status_code == 400
        assert "url must be an http or https URL" in html.unescape(bad_url.text)
        assert 'value="ftp://example.com/x.zip"' in bad_url.text and 'value="x"' in bad_url.text
        assert re.search(r'value="version"\s+checked', bad_url.text)
        both = client.post(action, data={"csrf_token": token, "url": "http://example.com/a.zip"},
                           files={"file": ("a.zip", scorm12_zip(), "application/zip")})
        assert both.status_code == 400 and "Choose a file or give a web address, not both." in both.text
        empty = client.post(action, data={"csrf_token": token, "existing": "refuse"},
                            files={"file": ("empty.zip", b"", "application/zip")})
        assert empty.status_code == 400 and "The file empty.zip is empty (0 bytes)" in empty.text
        long_id = client.post(action, data={"csrf_token": token, "course_id": "x" * 256, "existing": "refuse"},
                              files={"file": ("a.zip", scorm12_zip(), "application/zip")})
        assert long_id.status_code == 400 and "Course ID is longer than 255 characters." in long_id.text
    assert _import_jobs(live_server, shop.app.app_id) == 0


def test_the_plain_form_uploads_without_javascript(live_server, browser):
    shop = _new_realm(live_server)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        sign_in(page, live_server, shop.admin)
        page.goto(f"{live_server.service_url}/console/library?app={shop.app.app_id}")
        page.get_by_role("link", name="Add content").first.click()
        expect(page.get_by_text("Drag and drop the file here")).to_be_hidden()  # no script, no drop zone
        page.get_by_role("button", name="Import").click()  # nothing chosen: the field's message
        expect(page.get_by_role("alert")).to_contain_text("Choose a file to upload")
        expect(page.get_by_label("Upload a file")).to_have_attribute("aria-invalid", "true")
        # (no check_page here: axe-core runs as a script, which this context does not run)
        page.get_by_label("Upload a file").set_input_files(files=[{
            "name": "Plain Form Course.zip", "mimeType": "application/zip",
            "buffer": scorm12_zip(title="Plain form course")}])
        page.get_by_role("button", name="Import").click()
        page.wait_for_url(JOB_URL)
        wait_for_job(course_api(live_server, shop.app), _job_id(page))
        refresh = page.get_by_role("link", name="Refresh the status")
        if refresh.count():
            refresh.click()
        expect(page.locator(".job-status")).to_have_attribute("data-status", "COMPLETE")
        expect(page.get_by_role("link", name="Plain form course")).to_be_visible()
    finally:
        context.close()
    assert [(c.id, c.title) for c in _courses(live_server, shop.app)] == [("Plain-Form-Course", "Plain form course")]


# --------------------------------------------------------------------------------- the list

@dataclass
class Catalog:
    realm: Realm
    empty_app: AppCreds


TITLES = ["Fire safety", "First aid basics", "Forklift driving", "Data privacy", "Anti-bribery", "Code of conduct",
          "Welcome aboard", "Cyber security", "Fire drill", "Ergonomics", "Harassment prevention"]


@pytest.fixture(scope="module")
def catalog(live_server, tmp_path_factory) -> Catalog:
    """13 courses of four standards, some tagged, some with registrations, four last updated 30 days
    ago; and a second, empty application in the same realm."""
    realm = _new_realm(live_server, "Catalog")
    api = course_api(live_server, realm.app)
    tmp = tmp_path_factory.mktemp("catalog")
    for n, title in enumerate(TITLES, start=1):
        data = scorm2004_zip(title=title) if n % 4 == 0 else scorm12_zip(title=title)
        upload(api, tmp, data, course_id=f"course-{n:02d}")
    upload(api, tmp, cmi5_zip(title="Welcome to cmi5"), course_id="special-xyz")
    upload(api, tmp, tincan_zip(), course_id="tin-can")
    for course_id in ("course-01", "course-09", "special-xyz"):
        api.put_course_tags(course_id, cloud.TagListSchema(tags=["safety"]))
    for course_id, count in (("course-01", 3), ("course-05", 1), ("special-xyz", 2)):
        for _ in range(count):
            create_registration(live_server, course_id, realm.app)
    with unit_of_work(live_server.services.session_factory) as session:
        app_pk = session.scalar(select(Application.pk).where(Application.app_id == realm.app.app_id))
        session.execute(update(Course).where(
            Course.application_pk == app_pk, Course.course_id.in_(["course-02", "course-03", "course-04", "tin-can"])
        ).values(updated=utcnow() - timedelta(days=30)))
    return Catalog(realm, _new_app(live_server, realm.realm_id, "Empty application"))


def _console_rows(client: httpx.Client, query: str) -> tuple[list[dict], list[str]]:
    """Every row of the library for QUERY, following its Next page links; and each page's count line."""
    rows, counts, url = [], [], f"/console/library?{query}"
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text[:500]
        text = answer.text
        for row in re.findall(r"<tr>(.*?)</tr>", text[text.find("<tbody>"):], re.S):
            cells = dict(re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', row, re.S))
            rows.append({"id": html.unescape(re.sub(r"<[^>]+>", "", cells["Course ID"])),
                         "registrations": int(cells["Registrations"]), "versions": int(cells["Versions"]),
                         "standard": cells["Standard"]})
        counts.append(" ".join(re.search(r'class="spaced count"[^>]*>(.*?)</p>', text, re.S).group(1).split()))
        nxt = re.search(r'<a href="([^"]+)" rel="next">', text)
        url = html.unescape(nxt.group(1)) if nxt else None
    return rows, counts


def test_search_filters_order_and_pages_agree_with_get_courses(live_server, catalog):
    app = catalog.realm.app
    q = f"app={app.app_id}"
    with http_session(live_server, catalog.realm.admin) as client:
        for order in ("updated_desc", "title_asc", "title_desc", "created_asc"):
            rows, counts = _console_rows(client, f"{q}&sort={order}")
            assert [r["id"] for r in rows] == [c.id for c in _courses(live_server, app, order_by=order)], order
        # Pages of 10 (the live server's page size), as GetCourses pages.
        assert counts == ["Courses 1 to 10 of 13.", "Courses 11 to 13 of 13."]
        first = client.get(f"/console/library?{q}&sort=title_asc").text
        second = client.get(html.unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))).text
        assert "First page" in second and "First page" not in first

        fire, _ = _console_rows(client, f"{q}&q=FIRE&sort=title_asc")
        assert [r["id"] for r in fire] == [c.id for c in _courses(live_server, app, filter="fire", filter_by="title",
                                                                   order_by="title_asc")] == ["course-09", "course-01"]
        by_id, _ = _console_rows(client, f"{q}&q=special&sort=title_asc")
        assert [r["id"] for r in by_id] == [c.id for c in _courses(live_server, app, filter="special",
                                                                    filter_by="course_id")] == ["special-xyz"]
        tagged, counts = _console_rows(client, f"{q}&tag=safety&sort=created_asc")
        assert [r["id"] for r in tagged] == [c.id for c in _courses(live_server, app, tags=["safety"],
                                                                     order_by="created_asc")]
        assert counts == ["3 courses matching the filters."]
        since = (utcnow() - timedelta(days=10)).date().isoformat()
        recent, _ = _console_rows(client, f"{q}&since={since}&sort=updated_desc")
        api_recent = _courses(live_server, app, since=f"{since}T00:00:00Z", datetime_filter="updated",
                              order_by="updated_desc")
        assert [r["id"] for r in recent] == [c.id for c in api_recent] and len(recent) == 9
        scorm2004, _ = _console_rows(client, f"{q}&standard=SCORM20044THEDITION&sort=title_asc")
        assert [r["id"] for r in scorm2004] == [c.id for c in _courses(live_server, app, order_by="title_asc")
                                                if c.course_learning_standard == "SCORM20044THEDITION"]
        assert {r["standard"] for r in scorm2004} == {"SCORM 2004 4th Edition"}

        counted = {c.id: c.registration_count for c in _courses(live_server, app, include_registration_count=True)}
        busiest, _ = _console_rows(client, f"{q}&sort=registrations_desc")
        assert {r["id"]: r["registrations"] for r in busiest} == counted
        assert [r["id"] for r in busiest][:3] == ["course-01", "special-xyz", "course-05"]
        quietest, _ = _console_rows(client, f"{q}&sort=registrations_asc")
        assert [r["id"] for r in quietest][-3:] == ["course-05", "special-xyz", "course-01"]
        assert {r["versions"] for r in busiest} == {1}

        bad = client.get(f"/console/library?{q}&since=31/12/2024")
        assert bad.status_code == 400 and "Enter the date as year-month-day" in bad.text


def test_the_list_in_chromium_filters_and_switches_application(live_server, catalog, page):
    sign_in(page, live_server, catalog.realm.admin)
    page.goto(f"{live_server.service_url}/console/library")
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(11)  # the header and 10 courses
    expect(page.get_by_text("Courses 1 to 10 of 13.")).to_be_visible()
    check_page(page, "library-list")
    page.get_by_label("Search by title or course ID").fill("fire")
    page.get_by_label("Tag").select_option("safety")
    page.get_by_label("Sort by").select_option("title_asc")
    page.get_by_role("button", name="Show courses").click()
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("Fire drill")
    expect(rows.nth(2)).to_contain_text("Fire safety")
    expect(page.get_by_label("Search by title or course ID")).to_have_value("fire")
    expect(page.get_by_role("columnheader", name="Title")).to_have_attribute("aria-sort", "ascending")
    check_page(page, "library-list-filtered")
    page.get_by_label("Search by title or course ID").fill("nothing like this")
    page.get_by_role("button", name="Show courses").click()
    expect(page.get_by_text("No course matches these filters.")).to_be_visible()
    page.get_by_role("link", name="Clear filters").click()
    expect(page.get_by_text("Courses 1 to 10 of 13.")).to_be_visible()
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_text("Courses 11 to 13 of 13.")).to_be_visible()
    page.get_by_label("Application", exact=True).select_option(label="Empty application")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("heading", name="This library is empty")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("link", name="Add content").last).to_have_attribute(
        "href", f"/console/library/add?app={catalog.empty_app.app_id}")


# ------------------------------------------------------------------------------------ limits

def test_a_realm_at_its_storage_limit_is_told_so(live_server, page, tmp_path):
    shop = _new_realm(live_server, "Full")
    upload(course_api(live_server, shop.app), tmp_path, scorm12_zip(), course_id="first")
    with unit_of_work(live_server.services.session_factory) as session:
        limits.set_limits(session, realm_id=shop.realm_id, storage_bytes=10)
    sign_in(page, live_server, shop.admin)
    page.goto(f"{live_server.service_url}/console/library/add?app={shop.app.app_id}")
    page.locator("#package-file").set_input_files(files=[{
        "name": "second.zip", "mimeType": "application/zip", "buffer": scorm12_zip()}])
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("Storage limit reached")
    expect(page.get_by_role("alert")).to_contain_text("may store 10 bytes of course content")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported")
    check_page(page, "library-add-storage-limit")
    assert [c.id for c in _courses(live_server, shop.app)] == ["first"]
    assert _import_jobs(live_server, shop.app.app_id) == 1


@pytest.fixture(scope="module")
def small_server(database_url, tmp_path_factory):
    """A live server of its own whose packages may be at most 64 KB (over a database of its own)."""
    url = (f"sqlite:///{tmp_path_factory.mktemp('smalldb') / 'small.db'}" if database_url.startswith("sqlite")
           else create_pg_database())
    upgrade(url)
    try:
        with running_live_server(url, tmp_path_factory.mktemp("smalldata"), import_max_package_bytes=65536) as server:
            yield server
    finally:
        if not url.startswith("sqlite"):
            drop_pg_database(url)


def test_a_file_over_the_size_limit_is_refused(small_server, page):
    admin = make_user(small_server, "administrator")
    big = scorm12_zip(extra_files={"big.bin": os.urandom(100_000)})
    with http_session(small_server, admin) as client:
        answer = client.post(f"/console/library/add?app={small_server.default_app.app_id}",
                             headers={"Accept": "text/html"}, data={"csrf_token": csrf_of(client)},
                             files={"file": ("big.zip", big, "application/zip")})
        assert answer.status_code == 413
        assert "larger than the 65536 bytes allowed" in answer.text and answer.headers["content-type"].startswith("text/html")
    sign_in(page, small_server, admin)
    page.goto(f"{small_server.service_url}/console/library/add")
    expect(page.get_by_text("up to 64 KB")).to_be_visible()
    requests = []
    page.on("request", lambda r: requests.append(r.url) if r.method == "POST" else None)
    drop_file(page, big, "big.zip")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("files up to 64 KB can be imported. Nothing was sent.")
    assert requests == []
    assert _courses(small_server, small_server.default_app) == []


# ------------------------------------------------------------------------------ who may do it

ROUTES = [  # (method, path, status for owners and administrators)
    ("GET", "/console/library?app={app}", 200),
    ("GET", "/console/library/add?app={app}", 200),
    ("POST", "/console/library/add?app={app}", 303),
    ("GET", "/console/library/imports/{job}?app={app}", 200),
    ("GET", "/console/library/imports/{job}/status?app={app}", 200),
]


@pytest.fixture(scope="module")
def matrix_app(live_server, tmp_path_factory) -> tuple[AppCreds, str]:
    """An application of the first realm with one imported course; (its credentials, the import's job id)."""
    with unit_of_work(live_server.services.session_factory) as session:
        realm_id = apps.ensure_realm(session).id
    app = _new_app(live_server, realm_id, f"Matrix {uuid.uuid4().hex[:6]}")
    api = course_api(live_server, app)
    folder = tmp_path_factory.mktemp("matrix")
    (folder / "p.zip").write_bytes(scorm12_zip(title="Matrix course"))
    job_id = api.create_upload_and_import_course_job("matrix-course", file=str(folder / "p.zip")).result
    assert wait_for_job(api, job_id).status == "COMPLETE"
    return app, job_id


@pytest.mark.parametrize("role", ["owner", "administrator", "learner"])
def test_role_matrix_of_the_library_pages(live_server, matrix_app, role):
    """Owners and administrators may use every Library page; a learner gets 403 on each, and no
    import is made."""
    app, job_id = matrix_app
    user = make_user(live_server, role)
    before = _import_jobs(live_server, app.app_id)
    with http_session(live_server, user) as client:
        token = csrf_of(client)
        for method, template, status in ROUTES:
            path = template.format(app=app.app_id, job=job_id)
            if method == "POST":
                answer = client.post(path, data={"csrf_token": token, "course_id": f"by-{role}", "existing": "refuse"},
                                     files={"file": ("p.zip", scorm12_zip(title=f"By {role}"), "application/zip")})
            else:
                answer = client.get(path)
            if role == "learner":
                assert answer.status_code == 403, (role, method, path)
                assert "You do not have access to this page" in answer.text
                assert "Matrix course" not in answer.text
            else:
                assert answer.status_code == status, (role, method, path, answer.text[:300])
                if method == "POST":
                    made = JOB_URL.search(answer.headers["location"]).group(1)
    if role == "learner":
        assert _import_jobs(live_server, app.app_id) == before
    else:
        assert _import_jobs(live_server, app.app_id) == before + 1
        assert wait_for_job(course_api(live_server, app), made).status == "COMPLETE"


@pytest.mark.parametrize(("method", "template"), [(m, t) for m, t, _ in ROUTES])
def test_every_library_route_needs_a_session(live_server, matrix_app, method, template):
    app, job_id = matrix_app
    before = _import_jobs(live_server, app.app_id)
    with httpx.Client(base_url=live_server.service_url) as client:
        answer = client.request(method, template.format(app=app.app_id, job=job_id), follow_redirects=False,
                                files={"file": ("p.zip", scorm12_zip(), "application/zip")} if method == "POST" else None)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/signin")
    assert _import_jobs(live_server, app.app_id) == before


def test_an_upload_without_the_forms_token_is_refused(live_server, matrix_app):
    app, _ = matrix_app
    admin = make_user(live_server, "administrator")
    before = _import_jobs(live_server, app.app_id)
    with http_session(live_server, admin) as client:
        answer = client.post(f"/console/library/add?app={app.app_id}", data={"course_id": "forged", "existing": "refuse"},
                             files={"file": ("p.zip", scorm12_zip(), "application/zip")})
        assert answer.status_code == 403 and "This form has expired" in answer.text
        wrong = client.post(f"/console/library/add?app={app.app_id}", headers={"X-CSRF-Token": "not-the-token"},
                            data={"course_id": "forged", "existing": "refuse", "csrf_token": csrf_of(client)},
                            files={"file": ("p.zip", scorm12_zip(), "application/zip")})
        assert wrong.status_code == 403
    assert _import_jobs(live_server, app.app_id) == before


def test_another_realms_or_applications_ids_are_not_found(live_server, matrix_app):
    app, job_id = matrix_app
    outsider = _new_realm(live_server, "Outsider")
    paths = [f"/console/library?app={app.app_id}", f"/console/library/add?app={app.app_id}",
             f"/console/library/imports/{job_id}?app={app.app_id}",
             f"/console/library/imports/{job_id}/status?app={app.app_id}",
             f"/console/library/imports/{job_id}?app={outsider.app.app_id}",  # its own application, not its job
             f"/console/library/imports/{job_id}/status?app={outsider.app.app_id}"]
    before = _import_jobs(live_server, app.app_id)
    with http_session(live_server, outsider.admin) as client:
        for path in paths:
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert "Matrix course" not in answer.text and "matrix-course" not in answer.text
        posted = client.post(f"/console/library/add?app={app.app_id}",
                             data={"csrf_token": csrf_of(client), "course_id": "intruder", "existing": "version"},
                             files={"file": ("p.zip", scorm12_zip(), "application/zip")})
        assert posted.status_code == 404
    assert _import_jobs(live_server, app.app_id) == before
    # Another application of the same realm does not show this application's job either.
    admin = make_user(live_server, "administrator")
    with http_session(live_server, admin) as client:
        answer = client.get(f"/console/library/imports/{job_id}?app={live_server.default_app.app_id}")
        assert answer.status_code == 404 and "Import job not found" in answer.text
        assert client.get(f"/console/library/imports/{job_id}?app={app.app_id}").status_code == 200


def test_the_job_page_of_an_unknown_job_is_a_page_not_a_crash(live_server, page):
    shop = _new_realm(live_server)
    sign_in(page, live_server, shop.admin)
    response = page.goto(f"{live_server.service_url}/console/library/imports/{uuid.uuid4()}?app={quote(shop.app.app_id)}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Import job not found")).to_be_visible()
    check_page(page, "library-job-not-found")
