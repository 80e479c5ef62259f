"""xAPI (Tin Can) launches: the launch URL per the Tin Can launch convention, the launch-scoped LRS
credential it carries (this registration and learner only, for the launch's window), and the
registration's results from the statements that arrive."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import rustici_software_cloud_v2 as cloud

from coursehost.domain.registrations.launch_credentials import WINDOW_SECONDS, issue
from tests.builders.xapi import Act, tincan_zip
from tests.contract.helpers import new_child_app
from tests.contract.receiver import Receiver
from tests.e2e.support import create_registration, import_course, launch_history, launch_link

COURSE_ACTIVITY = "http://example.com/tincan/course-1"
XAPI = {"X-Experience-API-Version": "1.0.3"}
VERB = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture(scope="module")
def setup(live_server, tmp_path_factory):
    _, creds = new_child_app(live_server)
    course_id = import_course(live_server, tmp_path_factory.mktemp("x"), tincan_zip(
        [Act(COURSE_ACTIVITY, "Tin Can Course", "index.html?lang=en")]), creds)
    return creds, course_id


def launch_params(live_server, creds, registration_id: str) -> dict:
    """Follow the registration's launch link; the Tin Can parameters of the content's URL."""
    page = httpx.get(launch_link(live_server, registration_id, creds))
    assert page.status_code == 200, page.text
    config = json.loads(re.search(r'id="player-config">(.*?)</script>', page.text, re.S).group(1))
    href = config["items"][0]["href"]
    query = parse_qs(urlsplit(href).query)
    return {"href": href, **{k: v[0] for k, v in query.items()}}


def statement(params: dict, verb: str, *, result: dict | None = None, registration: str | None = None,
              actor: dict | None = None) -> dict:
    st = {"id": str(uuid.uuid4()), "actor": actor or json.loads(params["actor"]),
          "verb": {"id": VERB + verb, "display": {"en-US": verb}},
          "object": {"objectType": "Activity", "id": params["activity_id"]},
          "context": {"registration": registration or params["registration"]}}
    if result:
        st["result"] = result
    return st


def post(params: dict, body, auth: str | None = None) -> httpx.Response:
    return httpx.post(params["endpoint"] + "statements", json=body,
                      headers={**XAPI, "Authorization": auth or params["auth"]})


def state_url(params: dict, *, registration: str | None = None, actor: str | None = None) -> str:
    return params["endpoint"] + "activities/state?" + urlencode({
        "activityId": params["activity_id"], "agent": actor or params["actor"], "stateId": "bookmark",
        "registration": registration or params["registration"]})


def test_launch_url_carries_the_tin_can_parameters(live_server, setup):
    creds, course_id = setup
    reg = create_registration(live_server, course_id, creds, learner_id="learner-42")
    p = launch_params(live_server, creds, reg)
    assert p["href"].startswith("index.html?lang=en&")  # the package's own query is kept
    assert p["endpoint"] == f"{live_server.base_url}/lrs/{creds.app_id}/"  # the service origin's LRS
    assert p["activity_id"] == COURSE_ACTIVITY
    assert json.loads(p["actor"]) == {"objectType": "Agent", "name": "Ada Lovelace",
                                      "account": {"homePage": live_server.base_url, "name": "learner-42"}}
    xapi_reg = cloud.RegistrationApi(live_server.client(creds)).get_registration_progress(reg).xapi_registration_id
    assert p["registration"] == xapi_reg.lower() and str(uuid.UUID(p["registration"])) == p["registration"]
    assert p["auth"].startswith("Basic ")
    # the same registration instance keeps its registration UUID at the next launch
    assert launch_params(live_server, creds, reg)["registration"] == p["registration"]


def test_actor_is_an_mbox_for_an_email_learner(live_server, setup):
    creds, course_id = setup
    reg = create_registration(live_server, course_id, creds, learner_id="ada@example.com")
    actor = json.loads(launch_params(live_server, creds, reg)["actor"])
    assert actor["mbox"] == "mailto:ada@example.com" and "account" not in actor


def test_credential_reaches_this_registrations_statements_and_state(live_server, setup):
    creds, course_id = setup
    p = launch_params(live_server, creds, create_registration(live_server, course_id, creds))
    answer = post(p, statement(p, "initialized"))
    assert answer.status_code == 200, answer.text
    got = httpx.get(p["endpoint"] + "statements", params={"registration": p["registration"]},
                    headers={**XAPI, "Authorization": p["auth"]})
    assert got.status_code == 200 and [s["id"] for s in got.json()["statements"]] == answer.json()
    put = httpx.put(state_url(p), content=b'{"page": 3}',
                    headers={**XAPI, "Authorization": p["auth"], "Content-Type": "application/json"})
    assert put.status_code == 204, put.text
    assert httpx.get(state_url(p), headers={**XAPI, "Authorization": p["auth"]}).json() == {"page": 3}
    # cross-origin from the content origin, without credentials (CORS)
    assert answer.headers.get("access-control-allow-origin") == "*"


def test_credential_is_refused_for_another_registrations_data(live_server, setup):
    creds, course_id = setup
    mine = launch_params(live_server, creds, create_registration(live_server, course_id, creds))
    other = launch_params(live_server, creds, create_registration(live_server, course_id, creds,
                                                                  learner_id="someone-else"))
    auth = {**XAPI, "Authorization": mine["auth"]}
    refused = post(mine, statement(mine, "completed", registration=other["registration"]))
    assert refused.status_code == 403 and "registration" in refused.json()["message"]
    assert post(mine, [statement(mine, "initialized"), statement(other, "completed")]).status_code == 403
    assert post(mine, statement(mine, "completed", actor=json.loads(other["actor"]))).status_code == 403
    assert httpx.get(mine["endpoint"] + "statements", params={"registration": other["registration"]},
                     headers=auth).status_code == 403
    assert httpx.get(state_url(other), headers=auth).status_code == 403
    assert httpx.put(state_url(mine, registration=other["registration"]), content=b"{}",
                     headers={**auth, "Content-Type": "application/json"}).status_code == 403
    assert httpx.get(state_url(mine, actor=other["actor"]), headers=auth).status_code == 403
    assert httpx.get(mine["endpoint"] + "agents/profile", params={"agent": mine["actor"], "profileId": "p"},
                     headers=auth).status_code == 403
    # nothing of the refused writes was stored
    seen = httpx.get(other["endpoint"] + "statements", params={"registration": other["registration"]},
                     headers={**XAPI, "Authorization": other["auth"]}).json()["statements"]
    assert seen == []


def _launch_id(auth: str) -> str:
    token = base64.b64decode(auth.split(" ", 1)[1]).decode().split(":", 1)[1]
    body = token.split(".")[0]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().rpartition("|")[0]


def test_credential_is_refused_after_its_window_and_elsewhere(live_server, setup):
    creds, course_id = setup
    p = launch_params(live_server, creds, create_registration(live_server, course_id, creds))
    expired = issue(live_server.services.instance_key, launch_id=_launch_id(p["auth"]),
                    now=time.time() - WINDOW_SECONDS - 5)
    assert post(p, statement(p, "initialized"), auth=expired).status_code == 401
    forged = p["auth"][:-4] + ("AAAA" if not p["auth"].endswith("AAAA") else "BBBB")
    assert post(p, statement(p, "initialized"), auth=forged).status_code == 401
    _, other_app = new_child_app(live_server)
    elsewhere = httpx.post(f"{live_server.base_url}/lrs/{other_app.app_id}/statements",
                           json=statement(p, "initialized"), headers={**XAPI, "Authorization": p["auth"]})
    assert elsewhere.status_code == 401


def _progress(live_server, creds, registration_id: str):
    return cloud.RegistrationApi(live_server.client(creds)).get_registration_progress(
        registration_id, include_child_results=True)


def test_results_come_from_the_registrations_statements(live_server, setup):
    creds, course_id = setup
    reg = create_registration(live_server, course_id, creds)
    p = launch_params(live_server, creds, reg)
    assert post(p, statement(p, "initialized")).status_code == 200
    started = _progress(live_server, creds, reg)
    assert (started.registration_completion, started.registration_success) == ("INCOMPLETE", "UNKNOWN")
    assert post(p, [statement(p, "completed", result={"completion": True, "duration": "PT1M30S"}),
                    statement(p, "passed", result={"success": True, "score": {"scaled": 0.9},
                                                   "duration": "PT1M30S"})]).status_code == 200
    done = _progress(live_server, creds, reg)
    assert (done.registration_completion, done.registration_success) == ("COMPLETED", "PASSED")
    assert done.score.scaled == 90 and done.total_seconds_tracked == 90
    assert done.activity_details.activity_completion == "COMPLETED"


def test_a_failed_statement_fails_and_others_courses_statements_do_not_count(live_server, setup):
    creds, course_id = setup
    reg = create_registration(live_server, course_id, creds)
    p = launch_params(live_server, creds, reg)
    elsewhere = statement(p, "passed", result={"score": {"scaled": 1.0}})
    elsewhere["object"]["id"] = "http://example.com/tincan/another-activity"
    assert post(p, [elsewhere, statement(p, "failed", result={"success": False, "score": {"scaled": 0.3}})]
                ).status_code == 200
    failed = _progress(live_server, creds, reg)
    assert (failed.registration_completion, failed.registration_success) == ("INCOMPLETE", "FAILED")
    assert failed.score.scaled == 30


def test_results_from_statements_send_the_registrations_postback(live_server, setup):
    creds, course_id = setup
    with Receiver() as receiver:
        reg = f"reg-{uuid.uuid4().hex[:10]}"
        cloud.RegistrationApi(live_server.client(creds)).create_registration(cloud.CreateRegistrationSchema(
            course_id=course_id, registration_id=reg, learner=cloud.LearnerSchema(id="learner-7"),
            post_back=cloud.PostBackSchema(url=receiver.url, auth_type="FORM", results_format="COURSE")))
        p = launch_params(live_server, creds, reg)
        assert post(p, statement(p, "passed", result={"score": {"scaled": 0.8}})).status_code == 200
        deadline = time.monotonic() + 30
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        data = json.loads(receiver.requests[-1].form()["data"])
    assert (data["id"], data["registrationCompletion"], data["registrationSuccess"]) == (reg, "COMPLETED", "PASSED")
    assert data["score"]["scaled"] == 80


def test_a_later_launch_reads_what_an_earlier_one_wrote(live_server, setup):
    creds, course_id = setup
    reg = create_registration(live_server, course_id, creds)
    first = launch_params(live_server, creds, reg)
    ids = post(first, statement(first, "initialized")).json()
    second = launch_params(live_server, creds, reg)
    assert second["auth"] != first["auth"]
    got = httpx.get(second["endpoint"] + "statements", params={"registration": second["registration"]},
                    headers={**XAPI, "Authorization": second["auth"]})
    assert [s["id"] for s in got.json()["statements"]] == ids


def test_a_launch_without_tracking_records_no_results(live_server, setup):
    creds, course_id = setup
    reg = create_registration(live_server, course_id, creds)
    page = httpx.get(launch_link(live_server, reg, creds, tracking=False))
    config = json.loads(re.search(r'id="player-config">(.*?)</script>', page.text, re.S).group(1))
    p = {k: v[0] for k, v in parse_qs(urlsplit(config["items"][0]["href"]).query).items()}
    assert post(p, statement(p, "passed", result={"score": {"scaled": 1.0}})).status_code == 200
    untouched = _progress(live_server, creds, reg)
    assert (untouched.registration_completion, untouched.registration_success) == ("UNKNOWN", "UNKNOWN")


def test_the_launchs_debug_log_records_its_lrs_exchanges(live_server, setup):
    creds, course_id = setup
    reg = create_registration(live_server, course_id, creds)
    p = launch_params(live_server, creds, reg)
    assert post(p, [statement(p, "initialized"), statement(p, "completed")]).status_code == 200
    assert post(p, statement(p, "passed", registration=str(uuid.uuid4()))).status_code == 403
    assert httpx.get(state_url(p), headers={**XAPI, "Authorization": p["auth"]}).status_code == 404
    log = [e for e in launch_history(live_server, reg, creds)[-1].log if e.get("type") == "xapi"]
    assert [(e["method"], e["resource"], e["status"]) for e in log] == [
        ("POST", "statements", 200), ("POST", "statements", 403), ("GET", "activities/state", 404)]
    assert log[0]["verbs"] == [VERB + "initialized", VERB + "completed"]
    assert "registration" in log[1]["message"] and log[0]["timestamp"]
