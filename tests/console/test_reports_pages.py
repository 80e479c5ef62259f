"""The report pages in Chromium (issue 20, R2): a fresh application whose registrations were made
through the official client and whose results came through the player's commit endpoint over HTTP.
The charts (Chart.getChart(canvas).data) equal the tables beside them and what GetRegistrations /
GetRegistrationProgress say; the drill-down overview -> course -> question -> learner response ->
registration is clicked through; the CSV and XLSX of a table parse back equal to the table shown;
Learner 403, another realm's application 404, bad filter values 400 naming the field, report links
within their permission. axe-core clean and photographed at 1280 and 390 px (check_page)."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import openpyxl
import pytest
import rustici_software_cloud_v2 as cloud
from sqlalchemy import event

from coursehost.domain.reports import tables
from tests.builders.cmi5 import AU, cmi5_zip
from tests.builders.xapi import tincan_zip
from tests.console.support import check_page, http_session, make_user, sign_in
from tests.contract.courses import upload
from tests.contract.helpers import LrsClient, new_child_app
from tests.contract.player_http import commit, import_one_sco, open_launch
from tests.contract.test_cmi5_launch import Launched
from tests.e2e.support import import_course

NO_VALUE = "—"


@dataclass
class Data:
    app_id: str
    creds: object
    course_id: str
    regs: dict[str, str]  # learner id -> registration id


def _interaction(qid: str, response: str, result: str, latency: str) -> dict:
    return {"id": qid, "type": "choice", "student_response": response, "result": result, "latency": latency,
            "time": "12:00:00"}


@pytest.fixture(scope="module")
def data(live_server, tmp_path_factory) -> Data:
    """ada passes (80) after answering q1 right and q2 wrong; bob fails (40), q1 wrong; cy never launches."""
    app_id, creds = new_child_app(live_server)
    client = live_server.client(creds)
    course_id = f"rp-{uuid.uuid4().hex[:8]}"
    import_one_sco(client, tmp_path_factory.mktemp("course"), course_id)
    api = cloud.RegistrationApi(client)
    regs = {}
    for learner in ("ada", "bob", "cy"):
        regs[learner] = f"rp-{learner}-{uuid.uuid4().hex[:6]}"
        api.create_registration(cloud.CreateRegistrationSchema(
            course_id=course_id, registration_id=regs[learner],
            learner=cloud.LearnerSchema(id=f"{learner}-{app_id[:6]}", first_name=learner, last_name="L")))
    results = {"ada": ("passed", "80", "00:05:00", [_interaction("q1", "a", "correct", "0000:00:04.00"),
                                                    _interaction("q2", "t", "wrong", "0000:00:10.00")]),
               "bob": ("failed", "40", "00:10:00", [_interaction("q1", "b", "wrong", "0000:00:06.00")])}
    for learner, (status, raw, session_time, interactions) in results.items():
        token = open_launch(live_server.content_url, client, regs[learner])
        commit(live_server.content_url, token, 1,
               {"lesson_status": status, "score": {"raw": raw, "min": "0", "max": "100"}, "session_time": session_time},
               interactions=interactions)
    return Data(app_id, creds, course_id, regs)


def _url(live_server, path: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{live_server.service_url}{path}" + (f"?{query}" if query else "")


def _table(page, table_id: str) -> list[list[str]]:
    """The table as shown: header then rows; a dash (empty) read back as the CSV's empty cell."""
    rows = page.eval_on_selector(f"#table-{table_id}", """t => Array.from(t.rows).map(
        r => Array.from(r.cells).map(c => c.textContent.trim()))""")
    return [["" if c == NO_VALUE else c for c in row] for row in rows]


def _chart(page, canvas_id: str) -> dict:
    page.wait_for_selector(f"#{canvas_id}[data-drawn=true]", state="attached")
    return page.evaluate("""id => { const d = Chart.getChart(document.getElementById(id)).data;
        return {labels: d.labels, datasets: d.datasets.map(s => ({label: s.label, data: s.data}))}; }""", canvas_id)


def _values(rows: list[list]) -> list[list]:
    """Cells compared as values: numbers as floats, text as text."""
    def value(cell):
        try:
            return float(cell)
        except (TypeError, ValueError):
            return cell
    return [[value(c) for c in row] for row in rows]


def _column(rows: list[list[str]], index: int) -> list[float]:
    return [float(r[index]) for r in rows[1:]]


@pytest.fixture
def admin_page(context, live_server):
    page = context.new_page()
    sign_in(page, live_server, make_user(live_server, "administrator"))
    return page


def test_overview_charts_and_tables_agree_with_the_registration_api(admin_page, live_server, data):
    page = admin_page
    page.goto(_url(live_server, "/console/reports", app=data.app_id))
    assert page.locator("nav[aria-label=Console] a[aria-current=page]").inner_text() == "Reports"
    summary = dict(_table(page, "summary")[1:])
    api = cloud.RegistrationApi(live_server.client(data.creds))
    regs = api.get_registrations(course_id=data.course_id).registrations
    assert int(summary["Registered"]) == len(regs) == 3
    assert int(summary["Completed"]) == sum(r.registration_completion == "COMPLETED" for r in regs) == 2
    assert int(summary["Passed"]) == sum(r.registration_success == "PASSED" for r in regs) == 1
    assert int(summary["Failed"]) == sum(r.registration_success == "FAILED" for r in regs) == 1
    assert int(summary["Started"]) == 2 and float(summary["Pass rate (%)"]) == 50.0
    assert float(summary["Completion rate (%)"]) == round(200 / 3, 2)
    scores = [r.score.scaled for r in regs if r.score and r.score.scaled is not None]
    assert float(summary["Average score (%)"]) == sum(scores) / len(scores) == 60.0
    assert float(summary["Total time (seconds)"]) == sum(r.total_seconds_tracked for r in regs) == 900.0
    assert float(summary["Median time (seconds)"]) == 450.0
    days = _table(page, "days")
    assert days[0] == ["Day", "Registered", "Started", "Completed", "Passed", "Failed", "Active learners"]
    assert [r[1:] for r in days[1:]] == [["3", "2", "2", "1", "1", "2"]]
    active, registered = _chart(page, "active-chart"), _chart(page, "registrations-chart")
    assert active["labels"] == registered["labels"] == [r[0] for r in days[1:]]
    assert active["datasets"] == [{"label": "Active learners", "data": _column(days, 6)}]
    assert [d["label"] for d in registered["datasets"]] == ["Registered", "Completed", "Passed"]
    assert [d["data"] for d in registered["datasets"]] == [_column(days, 1), _column(days, 3), _column(days, 4)]
    check_page(page, "reports-overview")


def test_drill_down_from_overview_to_a_registration(admin_page, live_server, data):
    """overview -> course -> question -> learner response -> the registration's console page."""
    page = admin_page
    page.goto(_url(live_server, "/console/reports", app=data.app_id))
    page.locator("#table-courses a", has_text=data.course_id).click()
    assert urlsplit(page.url).path == f"/console/reports/courses/{data.course_id}"
    assert parse_qs(urlsplit(page.url).query)["app"] == [data.app_id]  # the filters ride along
    funnel = _table(page, "funnel")
    assert funnel[1:] == [["Registered", "3"], ["Launched", "2"], ["Completed", "2"], ["Passed", "1"]]
    chart = _chart(page, "funnel-chart")
    assert chart["labels"] == ["Registered", "Launched", "Completed", "Passed"]
    assert chart["datasets"][0]["data"] == [3, 2, 2, 1]
    # the score histogram against each registration's progress, as the official client reads it
    api = cloud.RegistrationApi(live_server.client(data.creds))
    expected = [0] * 10
    for reg_id in data.regs.values():
        progress = api.get_registration_progress(reg_id)
        if progress.score and progress.score.scaled is not None:
            expected[min(9, int(progress.score.scaled // 10))] += 1
    scores = _table(page, "scores")
    assert _column(scores, 1) == expected and _chart(page, "scores-chart")["datasets"][0]["data"] == expected
    assert expected[8] == 1 and expected[4] == 1
    times = _table(page, "times")
    assert _chart(page, "times-chart")["datasets"][0]["data"] == _column(times, 1) and sum(_column(times, 1)) == 2
    questions = _table(page, "questions")
    assert questions[0] == ["Interaction ID", "Description", "Type", "Answered", "Correct", "% correct",
                            "Average latency (seconds)"]
    assert questions[1:] == [["q1", "", "Choice", "2", "1", "50.0", "5.0"], ["q2", "", "Choice", "1", "0", "0.0", "10.0"]]
    assert _table(page, "activities")[1:] == [["sco1", "2", "2", "1", "1", "60.0"]]
    check_page(page, "reports-course")

    page.locator("#table-questions a", has_text="q1").click()
    assert urlsplit(page.url).path == f"/console/reports/courses/{data.course_id}/questions/q1"
    distribution = _table(page, "responses")
    assert distribution[1:] == [["a", "1", "correct"], ["b", "1", "incorrect"]]
    chart = _chart(page, "responses-chart")
    assert chart["labels"] == ["a", "b"] and chart["datasets"][0]["data"] == [1, 1]
    answers = _table(page, "learner-responses")
    assert {(r[0], r[4], r[5]) for r in answers[1:]} == {(data.regs["ada"], "a", "correct"),
                                                         (data.regs["bob"], "b", "incorrect")}
    check_page(page, "reports-question")

    page.locator("#table-learner-responses a", has_text=data.regs["ada"]).click()
    assert urlsplit(page.url).path == f"/console/registrations/{data.app_id}/{data.regs['ada']}"
    assert page.locator("h1").is_visible()


def test_learner_page_lists_registrations_and_launches(admin_page, live_server, data):
    page = admin_page
    learner = f"ada-{data.app_id[:6]}"
    page.goto(_url(live_server, f"/console/reports/learners/{learner}", app=data.app_id))
    regs = _table(page, "learner-registrations")
    assert [(r[0], r[1], r[5], r[6], r[7]) for r in regs[1:]] == [
        (data.regs["ada"], data.course_id, "COMPLETED", "PASSED", "80.0")]
    launches = _table(page, "launches")
    assert [r[2] for r in launches[1:]] == [data.regs["ada"]]
    check_page(page, "reports-learner")
    # another range: the learner's page, empty; a learner of no registration here: 404
    page.goto(_url(live_server, f"/console/reports/learners/{learner}", app=data.app_id, start="2020-01-01",
                   end="2020-01-31"))
    assert page.locator("#table-learner-registrations-empty").is_visible()
    assert page.goto(_url(live_server, "/console/reports/learners/nobody", app=data.app_id)).status == 404


def test_table_exports_parse_back_equal_to_the_table_shown(admin_page, live_server, data, tmp_path):
    page = admin_page
    page.goto(_url(live_server, f"/console/reports/courses/{data.course_id}", app=data.app_id))
    user = make_user(live_server, "administrator")
    with http_session(live_server, user) as client:
        for table_id in ("questions", "funnel", "summary", "activities"):
            shown = _table(page, table_id)
            csv_href = page.locator(f"#export-{table_id}-csv").get_attribute("href")
            resp = client.get(csv_href)
            assert resp.status_code == 200, resp.text
            assert list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig")))) == shown
            xlsx_href = page.locator(f"#export-{table_id}-xlsx").get_attribute("href")
            resp = client.get(xlsx_href)
            assert resp.status_code == 200
            (tmp_path / "t.xlsx").write_bytes(resp.content)
            sheet = openpyxl.load_workbook(tmp_path / "t.xlsx").active
            got = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
            assert _values(got) == _values(shown)  # XLSX keeps numbers as numbers: 50.0 reads back as 50


def test_roles_tenancy_and_bad_filters(context, live_server, data):
    page = context.new_page()
    sign_in(page, live_server, make_user(live_server, "learner"))
    assert page.goto(_url(live_server, "/console/reports", app=data.app_id)).status == 403
    assert page.goto(_url(live_server, f"/console/reports/courses/{data.course_id}", app=data.app_id)).status == 403
    with http_session(live_server, make_user(live_server, "administrator")) as client:
        other = live_server.other_management_app.app_id
        assert client.get("/console/reports", params={"app": other}).status_code == 404
        assert client.get(f"/console/reports/courses/{data.course_id}", params={"app": other}).status_code == 404
        assert client.get("/console/reports/courses/no-such-course", params={"app": data.app_id}).status_code == 404
        for params, field in (({"start": "yesterday"}, "start"), ({"end": "2026-02-30"}, "end"),
                              ({"start": "2026-03-02", "end": "2026-03-01"}, "date range")):
            resp = client.get("/console/reports", params={"app": data.app_id, **params})
            assert resp.status_code == 400 and f"Invalid {field}" in resp.text
        resp = client.get(f"/console/reports/courses/{data.course_id}/questions/q1",
                          params={"app": data.app_id, "before": "x"})
        assert resp.status_code == 400 and "Invalid before" in resp.text
        assert client.get("/console/reports/export/nothing.csv", params={"app": data.app_id}).status_code == 404
    admin = context.browser.new_context().new_page()
    try:
        sign_in(admin, live_server, make_user(live_server, "administrator"))
        admin.goto(_url(live_server, "/console/reports", app=data.app_id, start="nonsense"))
        assert "Invalid start" in admin.locator("h1").inner_text()
        check_page(admin, "reports-bad-filter")
    finally:
        admin.context.close()


def _link(live_server, data, nav: str, path: str, *, admin: bool = False) -> str:
    api = cloud.ReportingApi(live_server.client(data.creds))
    auth = api.get_reportage_auth_token(nav, admin=admin).query_string
    return api.get_reportage_link(auth, f"{live_server.service_url}{path}").reportage_link


def test_report_links_stay_within_their_permission(context, live_server, data):
    course_path = f"/console/reports/courses/{data.course_id}"
    page = context.new_page()
    page.goto(_link(live_server, data, "NONAV", course_path))
    assert urlsplit(page.url).path == course_path and page.locator("#table-funnel").is_visible()
    assert page.locator("#table-questions a").count() == 0  # NONAV: no way down to the question
    assert page.locator("#export-funnel-csv").count() == 0  # no admin flag: no download
    token = parse_qs(urlsplit(page.url).query)["token"][0]
    assert page.goto(_url(live_server, "/console/reports", token=token)).status == 403
    page.goto(_link(live_server, data, "FREENAV", "/console/reports"))
    page.locator("#table-courses a", has_text=data.course_id).click()
    page.locator("#table-questions a", has_text="q1").click()
    assert urlsplit(page.url).path == f"{course_path}/questions/q1"
    assert "token" in parse_qs(urlsplit(page.url).query)  # the token rides along each link
    assert page.locator("#table-learner-responses a").count() == 0 or \
        all("/console/registrations/" not in (a.get_attribute("href") or "")
            for a in page.locator("#table-learner-responses a").all())
    assert context.cookies() == []
    check_page(page, "reports-question-link")
    # an admin link downloads a table with no session: the export link carries the token
    page.goto(_link(live_server, data, "FREENAV", course_path, admin=True))
    href = page.locator("#export-funnel-csv").get_attribute("href")
    assert "token=" in href
    resp = httpx.get(live_server.service_url + href)
    assert resp.status_code == 200
    assert list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig")))) == _table(page, "funnel")


def test_an_invitations_report_is_the_overview_of_its_registrations(admin_page, browser, live_server, data):
    """From the invitation's console page to the overview narrowed to it: the one learner who signed
    up through it, none of the three registrations made through the API."""
    api = cloud.InvitationsApi(live_server.client(data.creds))
    inv = api.create_public_invitation(cloud.CreatePublicInvitationSchema(
        course_id=data.course_id, creating_user_email="owner@example.org"))
    stranger = browser.new_context().new_page()
    try:
        stranger.goto(inv.url)
        stranger.get_by_label("First name").fill("Grace")
        stranger.get_by_label("Last name").fill("Hopper")
        stranger.get_by_label("Email").fill(f"grace-{uuid.uuid4().hex[:6]}@example.com")
        stranger.get_by_role("button", name="Start course").click()
        stranger.wait_for_load_state()
    finally:
        stranger.context.close()
    people = api.get_public_user_invitations(inv.id).user_invitations
    page = admin_page
    page.goto(f"{live_server.service_url}/console/invitations/{data.app_id}/{inv.id}")
    page.locator("#invitation-report").click()
    assert parse_qs(urlsplit(page.url).query)["invitation"] == [inv.id]
    assert inv.id in page.locator(".report-subject").inner_text()
    summary = dict(_table(page, "summary")[1:])
    assert int(summary["Registered"]) == len(people) == 1
    assert _table(page, "courses")[1][:3] == [data.course_id, "One SCO", "1"]
    # the range form keeps the invitation
    page.locator("#report-start").fill("2020-01-01")
    page.get_by_role("button", name="Show").click()
    query = parse_qs(urlsplit(page.url).query)
    assert query["invitation"] == [inv.id] and query["start"] == ["2020-01-01"]
    assert int(dict(_table(page, "summary")[1:])["Registered"]) == 1
    check_page(page, "reports-invitation")


def test_an_xapi_courses_report_counts_its_statements_per_verb_and_activity(admin_page, live_server, tmp_path):
    """Statements sent to the application's LRS under a registration's xAPI registration id show per
    verb per day (chart = table) and per activity; a statement of no registration of the course does not."""
    app_id, creds = new_child_app(live_server)
    client = live_server.client(creds)
    course_id = f"rp-x-{uuid.uuid4().hex[:6]}"
    status = upload(cloud.CourseApi(client), tmp_path, tincan_zip(), course_id=course_id)
    assert status.status == "COMPLETE", status.message
    xreg = str(uuid.uuid4())
    cloud.RegistrationApi(client).create_registration(cloud.CreateRegistrationSchema(
        course_id=course_id, registration_id=f"rp-x-{uuid.uuid4().hex[:6]}", xapi_registration_id=xreg,
        learner=cloud.LearnerSchema(id="xl", first_name="X", last_name="L")))
    verb = "http://adlnet.gov/expapi/verbs/"

    def statement(v: str, obj: str, registration: str) -> dict:
        return {"actor": {"mbox": "mailto:xl@example.com"}, "verb": {"id": verb + v},
                "object": {"id": obj}, "context": {"registration": registration}}

    with LrsClient(live_server, "1.0.3", creds=creds) as lrs:
        resp = lrs.post("statements", json=[statement("attempted", "http://example.com/course/1", xreg),
                                            statement("answered", "http://example.com/course/1/q1", xreg),
                                            statement("answered", "http://example.com/course/1/q1", xreg),
                                            statement("answered", "http://example.com/other", str(uuid.uuid4()))])
        assert resp.status_code == 200, resp.text
    page = admin_page
    page.goto(_url(live_server, f"/console/reports/courses/{course_id}", app=app_id))
    verbs = _table(page, "verbs")
    assert [r[1:] for r in verbs[1:]] == [[verb + "answered", "2"], [verb + "attempted", "1"]]
    chart = _chart(page, "verbs-chart")
    assert chart["labels"] == [verbs[1][0]]
    assert {d["label"]: d["data"] for d in chart["datasets"]} == {verb + "answered": [2], verb + "attempted": [1]}
    assert _table(page, "xapi-activities")[1:] == [["http://example.com/course/1/q1", "2", "1"],
                                                   ["http://example.com/course/1", "1", "1"]]
    day = verbs[1][0]
    _assert_activity_days(page, {(day, "http://example.com/course/1"): 1, (day, "http://example.com/course/1/q1"): 2})
    _assert_exports_equal_shown(page, live_server, ("verbs", "xapi-activities", "xapi-activity-days"), tmp_path)
    check_page(page, "reports-course-xapi")


def _assert_activity_days(page, expected: dict[tuple[str, str], int]) -> None:
    """The per-activity-per-day table holds EXPECTED ((day, activity) -> statements), by day then
    activity, and its chart (one dataset per activity, one point per day) says the same."""
    shown = _table(page, "xapi-activity-days")
    assert shown[0] == ["Day", "Activity", "Statements"]
    assert shown[1:] == [[d, a, str(n)] for (d, a), n in sorted(expected.items())]
    chart = _chart(page, "activity-days-chart")
    days = sorted({d for d, _ in expected})
    assert chart["labels"] == days
    assert {s["label"]: s["data"] for s in chart["datasets"]} == {
        a: [expected.get((d, a), 0) for d in days] for a in {a for _, a in expected}}


def _assert_exports_equal_shown(page, live_server, table_ids, tmp_path) -> None:
    with http_session(live_server, make_user(live_server, "administrator")) as client:
        for table_id in table_ids:
            shown = _table(page, table_id)
            resp = client.get(page.locator(f"#export-{table_id}-csv").get_attribute("href"))
            assert resp.status_code == 200, resp.text
            assert list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig")))) == shown
            resp = client.get(page.locator(f"#export-{table_id}-xlsx").get_attribute("href"))
            assert resp.status_code == 200
            (tmp_path / f"{table_id}.xlsx").write_bytes(resp.content)
            sheet = openpyxl.load_workbook(tmp_path / f"{table_id}.xlsx").active
            got = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
            assert _values(got) == _values(shown)


def test_a_cmi5_courses_report_counts_its_statements_per_activity_per_day(admin_page, live_server, tmp_path):
    """A cmi5 course: the LMS's launched statement and the AU's own statements (posted with the AU
    session's token) and one the application posts with its credential under the registration show
    per verb and per activity per day; the per-day activity counts equal what the LRS returns for the
    registration, grouped by day stored and object."""
    app_id, creds = new_child_app(live_server)
    au = "https://example.com/cmi5/report/au"
    course_id = import_course(live_server, tmp_path, cmi5_zip([AU(au, "Report AU", "au/index.html")],
                                                              course_id="https://example.com/cmi5/report"), creds)
    launched = Launched(live_server, (app_id, creds, course_id))
    for verb, result in (("initialized", None), ("completed", {"completion": True}), ("terminated", None)):
        answer = launched.post(launched.statement(verb, au=au, result=result))
        assert answer.status_code == 200, answer.text
    xreg = launched.params["registration"]
    with LrsClient(live_server, "1.0.3", creds=creds) as lrs:
        note = {"actor": launched.actor, "verb": {"id": "http://adlnet.gov/expapi/verbs/commented"},
                "object": {"id": "https://example.com/cmi5/report/note"}, "context": {"registration": xreg}}
        assert lrs.post("statements", json=note).status_code == 200, "the app's own credential"
        stored = lrs.get("statements", params={"registration": xreg, "limit": 0}).json()["statements"]
    expected: dict[tuple[str, str], int] = {}
    for st in stored:
        key = (st["stored"][:10], st["object"]["id"])
        expected[key] = expected.get(key, 0) + 1
    activity = launched.params["activityId"]
    assert sum(n for (_, a), n in expected.items() if a == activity) >= 4  # launched, initialized, completed, terminated
    page = admin_page
    page.goto(_url(live_server, f"/console/reports/courses/{course_id}", app=app_id))
    assert "cmi5" in page.locator(".report-subject").inner_text().lower()
    verbs = {r[1]: int(r[2]) for r in _table(page, "verbs")[1:]}
    assert verbs["http://adlnet.gov/expapi/verbs/commented"] == 1 and verbs["http://adlnet.gov/expapi/verbs/launched"] == 1
    _assert_activity_days(page, expected)
    _assert_exports_equal_shown(page, live_server, ("xapi-activity-days",), tmp_path)
    check_page(page, "reports-course-cmi5")


def test_the_overview_page_runs_the_overview_query_once(admin_page, live_server, data):
    """The summary and per-day tables come from one overview query (its active-learners part counted)."""
    seen: list[str] = []

    def count(conn, cursor, statement, *_):
        if "report_active_day" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = live_server.services.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        admin_page.goto(_url(live_server, "/console/reports", app=data.app_id))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(seen) == 1, seen


def test_learner_responses_come_in_pages_and_each_page_exports_as_shown(admin_page, live_server, data, monkeypatch):
    """One response a page (the server runs in this process; RESPONSES_PAGE is its page size): the
    newest first, "Older responses" to the next, the page's CSV equal to the page."""
    monkeypatch.setattr(tables, "RESPONSES_PAGE", 1)
    page = admin_page
    page.goto(_url(live_server, f"/console/reports/courses/{data.course_id}/questions/q1", app=data.app_id))
    first = _table(page, "learner-responses")
    assert [r[0] for r in first[1:]] == [data.regs["bob"]]  # bob committed last
    page.locator("#next-responses").click()
    second = _table(page, "learner-responses")
    assert [r[0] for r in second[1:]] == [data.regs["ada"]] and page.locator("#next-responses").count() == 0
    with http_session(live_server, make_user(live_server, "administrator")) as client:
        resp = client.get(page.locator("#export-learner-responses-csv").get_attribute("href"))
        assert list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig")))) == second
    page.get_by_role("link", name="Newest responses").click()
    assert _table(page, "learner-responses") == first


def test_a_destinations_report_is_the_overview_narrowed_to_it(admin_page, live_server, data):
    """The destination's page links to the overview narrowed to its dispatch registrations: none here,
    although the application has three registrations made through the API."""
    dest_id = f"rp-dest-{uuid.uuid4().hex[:6]}"
    cloud.DispatchApi(live_server.client(data.creds)).create_destinations(cloud.DestinationListSchema(destinations=[
        cloud.DestinationIdSchema(id=dest_id, data=cloud.DestinationSchema(name="Report LMS"))]))
    page = admin_page
    page.goto(f"{live_server.service_url}/console/dispatch/{data.app_id}/destinations/{dest_id}")
    page.locator("#destination-report").click()
    assert parse_qs(urlsplit(page.url).query)["destination"] == [dest_id]
    assert dest_id in page.locator(".report-subject").inner_text()
    assert int(dict(_table(page, "summary")[1:])["Registered"]) == 0
    assert page.locator("#table-courses-empty").is_visible()
    page.goto(_url(live_server, "/console/reports", app=data.app_id))
    assert int(dict(_table(page, "summary")[1:])["Registered"]) >= 3
