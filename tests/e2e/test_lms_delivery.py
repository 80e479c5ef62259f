"""Results to an external LMS (issue 17), end to end: a second live server is the LMS's LRS; the
sending server runs its own worker and mails through a real SMTP server (aiosmtpd).

A learner whose id is an e-mail plays a SCORM 1.2 course in Chromium: its completed and passed
statements, with the score, arrive at the other LRS and are read back through its xAPI API. A
learner whose id is not an e-mail: nothing is sent and the registration says why. An outage
(closed port, then a wrong key) gives Can't Connect and Server Error, one alert e-mail, results
that wait; when the LMS takes results again every waiting one arrives exactly once, in order,
with a recovery e-mail."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect

from coursehost.db.migrate import upgrade
from tests.builders.scorm import scorm12_zip
from tests.console.support import check_page, make_user, sign_in
from tests.contract.lms import LRS_SECRET, Inbox, agent, ext_api, lrs_endpoint, statements, wait_until
from tests.contract.player_http import commit, import_one_sco, open_launch
from tests.databases import create_pg_database, drop_pg_database
from tests.e2e.support import create_registration, import_course, launch_link
from tests.servers import free_port, running_live_server, smtp_server

SCO = """() => {
  const api = window.parent.API;
  const r = {init: api.LMSInitialize("")};
  api.LMSSetValue("cmi.core.score.raw", "90");
  api.LMSSetValue("cmi.core.lesson_status", "passed");
  api.LMSSetValue("cmi.core.session_time", "00:01:30");
  r.finish = api.LMSFinish("");
  return r;
}"""


@pytest.fixture(scope="module")
def inbox():
    with smtp_server(Inbox()) as served:
        yield served


def _own_database(database_url: str, tmp_path_factory, name: str) -> str:
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.db'}"
    else:
        url = create_pg_database()
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def receiver(database_url, tmp_path_factory):
    """The LMS: another live service over a database of its own; its LRS takes the statements."""
    url = _own_database(database_url, tmp_path_factory, "lmsrecv")
    try:
        with running_live_server(url, tmp_path_factory.mktemp("lmsrecvdata")) as server:
            yield server
    finally:
        if not url.startswith("sqlite"):
            drop_pg_database(url)


@pytest.fixture(scope="module")
def sender(database_url, tmp_path_factory, inbox):
    """The sending service, with its own database, worker and SMTP server."""
    url = _own_database(database_url, tmp_path_factory, "lmssend")
    try:
        with running_live_server(url, tmp_path_factory.mktemp("lmssenddata"),
                                 smtp_url=f"smtp://127.0.0.1:{inbox[1]}") as server:
            yield server
    finally:
        if not url.startswith("sqlite"):
            drop_pg_database(url)


@pytest.fixture(scope="module")
def api(sender):
    """The sending server's /api/ext/v1 with its default application's credentials."""
    with ext_api(sender) as client:
        yield client


def _configuration(api, *, name: str, contact: str, url: str, key: str, secret: str) -> dict:
    resp = api.post("/lmsConfigurations", json={"name": name, "contactEmail": contact, "type": "xapi",
                                                "xapiUrl": url, "xapiKey": key, "xapiSecret": secret})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _attach(api, course_id: str, config_id: str) -> None:
    resp = api.put(f"/courses/{course_id}/lmsConfiguration", json={"configurationId": config_id})
    assert resp.status_code == 204, resp.text


def _lms_results(api, registration_id: str) -> list[dict]:
    resp = api.get(f"/registrations/{registration_id}/lmsResults")
    assert resp.status_code == 200, resp.text
    return resp.json()["results"]


def _play(context, server, registration_id: str) -> None:
    page = context.new_page()
    page.goto(launch_link(server, registration_id, redirect_on_exit_url="message"))
    page.wait_for_function("window.API && typeof window.API.LMSInitialize === 'function'")
    deadline = time.time() + 15
    frame = None
    while frame is None and time.time() < deadline:
        frame = next((f for f in page.frames if f.url.endswith("/index.html")), None)
        page.wait_for_timeout(50)
    assert frame is not None, [f.url for f in page.frames]
    frame.wait_for_load_state()
    assert frame.evaluate(SCO) == {"init": "true", "finish": "true"}
    page.wait_for_url("**/player/exit/message", timeout=15000)
    page.close()


def test_a_course_played_in_chromium_sends_its_results_to_the_lms(sender, receiver, api, context, tmp_path):
    endpoint, key = lrs_endpoint(receiver)
    config = _configuration(api, name="Campus LRS", contact="lms-admin@example.com", url=endpoint, key=key,
                            secret="lms-delivery-secret-long-enough")
    tested = api.post(f"/lmsConfigurations/{config['id']}/test")  # the configuration page's test button
    assert tested.status_code == 200, tested.text
    got = httpx.get(endpoint + "statements", params={"statementId": tested.json()["statementId"]},
                    headers={"X-Experience-API-Version": "1.0.3"}, auth=(key, LRS_SECRET))
    assert got.status_code == 200 and got.json()["actor"]["mbox"] == "mailto:lms-admin@example.com"
    course = import_course(sender, tmp_path, scorm12_zip("Fire safety basics", masteryscore=80))
    _attach(api, course, config["id"])

    reg = create_registration(sender, course, learner_id="ada.lovelace@example.com")
    _play(context, sender, reg)
    xapi_registration = cloud.RegistrationApi(sender.client()).get_registration_progress(reg).xapi_registration_id

    got = wait_until(lambda: (s := statements(endpoint, key, agent=agent("ada.lovelace@example.com")))
                     and len(s) >= 2 and s, what="the statements' arrival")
    assert [s["verb"]["id"].rsplit("/", 1)[1] for s in got] == ["completed", "passed"]
    passed = got[1]
    assert passed["actor"]["mbox"] == "mailto:ada.lovelace@example.com"
    assert passed["result"]["score"]["scaled"] == 0.9 and passed["result"]["score"]["raw"] == 90
    assert passed["result"]["success"] is True and passed["result"]["completion"] is True
    assert passed["result"]["duration"] == "PT0H1M30S"
    assert passed["object"]["id"].endswith(f"/courses/{course}")
    assert passed["object"]["definition"]["name"]["en-US"] == "Fire safety basics"
    assert all(s["context"]["registration"] == xapi_registration for s in got)
    results = _lms_results(api, reg)
    assert [(r["verb"], r["status"]) for r in results] == [("completed", "DELIVERED"), ("passed", "DELIVERED")]
    assert [r["statementId"] for r in results] == [s["id"] for s in got]
    health = api.get(f"/lmsConfigurations/{config['id']}").json()
    assert (health["status"], health["pendingResults"], health["lastError"]) == ("OK", 0, None)

    # A learner id that is not an e-mail address: nothing is sent, and the registration says why.
    before = len(statements(endpoint, key))
    other = create_registration(sender, course, learner_id="learner-7")
    _play(context, sender, other)
    results = wait_until(lambda: _lms_results(api, other), what="the result changes' record")
    assert {r["status"] for r in results} == {"NOT_SENT"}
    assert {r["reason"] for r in results} == {"the learner id is not an e-mail address"}
    time.sleep(2)
    assert len(statements(endpoint, key)) == before
    assert api.get(f"/lmsConfigurations/{config['id']}").json()["pendingResults"] == 0

    # The console's registration pages say the same in words.
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, sender, make_user(sender, "administrator"))
    app_id = sender.default_app.app_id
    page.goto(f"{sender.service_url}/console/registrations/{app_id}/{other}")
    rows = page.locator("#lms-results tbody tr")
    expect(rows).to_have_count(len(results))
    expect(rows.first).to_contain_text("Campus LRS")
    expect(rows.first).to_contain_text("Not sent: the learner id is not an e-mail address.")
    check_page(page, "people-registration-lms-not-sent")
    page.goto(f"{sender.service_url}/console/registrations/{app_id}/{reg}")
    expect(page.locator("#lms-results tbody tr")).to_have_count(2)
    expect(page.locator("#lms-results tbody tr").nth(1)).to_contain_text("Passed")
    expect(page.locator("#lms-results tbody tr").nth(1)).to_contain_text("Sent")


def _health(api, config_id: str) -> dict:
    return api.get(f"/lmsConfigurations/{config_id}").json()


def test_an_outage_alerts_once_keeps_the_results_and_delivers_each_once_in_order(sender, receiver, api, inbox,
                                                                                  tmp_path):
    handler, _ = inbox
    endpoint, key = lrs_endpoint(receiver)
    closed = f"http://127.0.0.1:{free_port()}/lrs/x/"  # nothing listens there: connection refused
    contact = f"outage-{uuid.uuid4().hex[:8]}@example.com"  # the inbox outlives one backend's run
    config = _configuration(api, name="Down LRS", contact=contact, url=closed, key=key,
                            secret="lms-delivery-secret-long-enough")
    tested = api.post(f"/lmsConfigurations/{config['id']}/test")
    assert tested.status_code == 400 and "Can't Connect" in tested.json()["message"]
    client = sender.client()
    import_one_sco(client, tmp_path, "lms-outage-course")
    _attach(api, "lms-outage-course", config["id"])

    learners = ["grace@example.com", "linus@example.com"]
    tokens = {}
    for i, learner in enumerate(learners):
        cloud.RegistrationApi(client).create_registration(cloud.CreateRegistrationSchema(
            course_id="lms-outage-course", registration_id=f"lms-outage-{i}",
            learner=cloud.LearnerSchema(id=learner, first_name="A", last_name="B")))
        tokens[learner] = open_launch(sender.content_url, client, f"lms-outage-{i}")
    # Grace: completed (a failed score), then passed with a better score, during the outage.
    commit(sender.content_url, tokens["grace@example.com"], 1,
           {"lesson_status": "failed", "score": {"raw": "40", "min": "0", "max": "100"}, "session_time": "00:00:20"})
    health = wait_until(lambda: (h := _health(api, config["id"]))["status"] != "OK" and h, what="CANT_CONNECT")
    assert health["status"] == "CANT_CONNECT" and "connect" in health["lastError"]
    assert health["errorSince"] and health["pendingResults"] == 2
    commit(sender.content_url, tokens["grace@example.com"], 2,
           {"lesson_status": "passed", "score": {"raw": "85", "min": "0", "max": "100"}, "session_time": "00:00:40"})
    commit(sender.content_url, tokens["linus@example.com"], 1,
           {"lesson_status": "passed", "score": {"raw": "70", "min": "0", "max": "100"}, "session_time": "00:00:10"})
    wait_until(lambda: _health(api, config["id"])["pendingResults"] == 5, what="five waiting results")
    alert = wait_until(lambda: handler.to(contact), what="the alert e-mail")[0]
    assert "Down LRS" in alert["Subject"] and "not accepting" in alert["Subject"]
    assert "connect" in alert.get_body(preferencelist=("plain",)).get_content()

    # The LRS answers, but the key is wrong: Server Error, still the same episode (no second alert).
    resp = api.put(f"/lmsConfigurations/{config['id']}", json={"xapiUrl": endpoint, "xapiSecret": "wrong-secret"})
    assert resp.status_code == 200, resp.text
    health = wait_until(lambda: (h := _health(api, config["id"]))["status"] == "SERVER_ERROR" and h,
                        what="SERVER_ERROR")
    assert "401" in health["lastError"] and health["pendingResults"] == 5
    assert health["errorSince"] is not None
    time.sleep(1)
    assert len(handler.to(contact)) == 1
    assert statements(endpoint, key, agent=agent("grace@example.com")) == []

    # The LMS takes results again: every waiting one, exactly once, in order; a recovery e-mail.
    resp = api.put(f"/lmsConfigurations/{config['id']}", json={"xapiSecret": "lms-delivery-secret-long-enough"})
    assert resp.status_code == 200 and "xapiSecret" not in resp.json()
    wait_until(lambda: _health(api, config["id"])["pendingResults"] == 0, timeout=60, what="the delivery")
    health = _health(api, config["id"])
    assert (health["status"], health["lastError"], health["errorSince"]) == ("OK", None, None)
    grace = statements(endpoint, key, agent=agent("grace@example.com"))
    assert [(s["verb"]["display"]["en-US"], s["result"].get("score", {}).get("raw")) for s in grace] == \
        [("completed", 40), ("failed", 40), ("passed", 85)]
    assert [s["id"] for s in grace] == [r["statementId"] for r in _lms_results(api, "lms-outage-0")]
    linus = statements(endpoint, key, agent=agent("linus@example.com"))
    assert [s["verb"]["display"]["en-US"] for s in linus] == ["completed", "passed"]
    recovered = wait_until(lambda: [m for m in handler.to(contact) if "again" in m["Subject"]],
                           what="the recovery e-mail")
    assert len(recovered) == 1 and len(handler.to(contact)) == 2
    time.sleep(2)  # nothing arrives twice
    assert len(statements(endpoint, key, agent=agent("grace@example.com"))) == 3
