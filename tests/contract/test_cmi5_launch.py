"""cmi5 launches over real HTTP (cmi5 Quartz §8, §9.3, §10): the launch URL's parameters, the
one-time fetch URL, LMS.LaunchData and the learner preferences before launch, the LMS's launched
statement, an auth token that opens only its own AU session, and the statement rules."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import rustici_software_cloud_v2 as cloud

from tests.builders.cmi5 import AU, Block, cmi5_zip
from tests.contract.helpers import new_child_app
from tests.contract.receiver import Receiver
from tests.e2e.support import create_registration, import_course, launch_history, launch_link
from tests.e2e.support import progress as progress_of

AU_ID = "https://example.com/cmi5/au/one"
COURSE = "https://example.com/cmi5/course/one"
V = "1.0.3"
CAT = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
SID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"


def package() -> bytes:
    return cmi5_zip([AU(AU_ID, "The AU", "au/index.html",
                        attrs={"moveOn": "CompletedAndPassed", "masteryScore": "0.8", "launchMethod": "OwnWindow"},
                        launch_parameters='{"level": 2}', entitlement_key="ent-42")], course_id=COURSE)


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    app_id, creds = new_child_app(live_server)
    course_id = import_course(live_server, tmp_path_factory.mktemp("cmi5"), package(), creds)
    return app_id, creds, course_id


class Launched:
    """One launch: its AU URL's parameters, and (after fetch) the Basic token."""

    def __init__(self, live_server, course, registration_id: str | None = None, start_sco: str | None = None,
                 **link):
        self.app_id, self.creds, course_id = course
        self.reg = registration_id or create_registration(live_server, course_id, self.creds)
        link = launch_link(live_server, self.reg, self.creds, **({"start_sco": start_sco} if start_sco else {}), **link)
        answer = httpx.get(link, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        self.url = answer.headers["location"]
        self.params = {k: v[0] for k, v in parse_qs(urlsplit(self.url).query).items()}
        self.actor = json.loads(self.params["actor"])
        self.endpoint = self.params["endpoint"]
        self.token: str | None = None

    def fetch(self) -> httpx.Response:
        return httpx.post(self.params["fetch"])

    def auth(self) -> dict:
        if self.token is None:  # as an AU starts: the token, then its learner preferences (cmi5 11.0)
            self.token = self.fetch().json()["auth-token"]
            headers = {"Authorization": f"Basic {self.token}", "X-Experience-API-Version": V}
            assert httpx.get(self.endpoint + "agents/profile", headers=headers, params={
                "agent": json.dumps(self.actor), "profileId": "cmi5LearnerPreferences"}).status_code == 200
        return {"Authorization": f"Basic {self.token}", "X-Experience-API-Version": V}

    def state(self, headers=None, **params) -> httpx.Response:
        query = {"stateId": "LMS.LaunchData", "activityId": self.params["activityId"],
                 "agent": json.dumps(self.actor), "registration": self.params["registration"], **params}
        return httpx.get(self.endpoint + "activities/state", params=query, headers=headers or self.auth())

    def statement(self, verb: str, *, result: dict | None = None, category: bool = True, session: bool = True,
                  au: str = AU_ID, **extra) -> dict:
        """A statement as a cmi5 AU sends it: about the launch's activityId, the AU's publisher id
        AU in grouping, a duration and the moveOn category on verdicts, the masteryScore beside a score."""
        context = {"registration": self.params["registration"],
                   "contextActivities": {"grouping": [{"id": au}]}, "extensions": {}}
        verdict = verb in ("completed", "passed", "failed")
        if category:
            context["contextActivities"]["category"] = [{"id": CAT}] + ([{"id": MOVEON}] if verdict else [])
        if session:
            context["extensions"][SID] = self.session_id
        if verdict or verb == "terminated":
            result = {"duration": "PT1S", **(result or {})}
        if "scaled" in ((result or {}).get("score") or {}):
            context["extensions"][MASTERY] = self.state().json().get("masteryScore")
        stmt = {"id": str(uuid.uuid4()), "timestamp": "2024-05-01T10:00:00Z", "actor": self.actor,
                "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
                "object": {"id": self.params["activityId"], "objectType": "Activity"}, "context": context, **extra}
        if result is not None:
            stmt["result"] = result
        return stmt

    @property
    def session_id(self) -> str:
        return self.state().json()["contextTemplate"]["extensions"][SID]

    def post(self, stmt) -> httpx.Response:
        return httpx.post(self.endpoint + "statements", json=stmt, headers=self.auth())


@pytest.fixture
def launched(live_server, course) -> Launched:
    return Launched(live_server, course)


def root(live_server, app_id, creds) -> httpx.Client:
    return httpx.Client(base_url=f"{live_server.base_url}/lrs/{app_id}/", auth=(creds.app_id, creds.secret),
                        headers={"X-Experience-API-Version": V})


# ---------------------------------------------------------------- slice 1: launch


def test_launch_url_carries_the_cmi5_parameters(live_server, launched):
    parts = urlsplit(launched.url)
    assert f"{parts.scheme}://{parts.netloc}" == live_server.content_url and parts.path.endswith("/au/index.html")
    assert launched.endpoint == f"{live_server.base_url}/lrs/{launched.app_id}/"  # our LRS, service origin
    assert launched.params["activityId"].startswith("urn:uuid:")  # the LMS's own, not the publisher's (8.1.5)
    assert str(uuid.UUID(launched.params["registration"])) == launched.params["registration"]
    assert launched.actor["objectType"] == "Agent" and launched.actor["account"]["name"] == "learner-1"
    assert launched.params["fetch"].startswith(live_server.content_url + "/player/cmi5/fetch?")


def test_fetch_answers_once_then_the_spec_error(launched):
    first = launched.fetch()
    assert first.status_code == 200 and set(first.json()) == {"auth-token"}
    assert first.headers["access-control-allow-origin"] == "*"
    second = launched.fetch()
    assert second.status_code == 200  # 8.2.2: 200 for a valid request, also one answered with an error
    assert second.json()["error-code"] == "1" and second.json()["error-text"] and "auth-token" not in second.json()
    bad = httpx.post(launched.params["fetch"].replace("k=", "k=x"))
    assert bad.status_code == 200 and bad.json()["error-code"] == "3"


def test_launch_data_is_in_the_state_before_launch(launched):
    answer = launched.state()
    assert answer.status_code == 200
    data = answer.json()
    assert data["launchMode"] == "Normal" and data["launchMethod"] == "OwnWindow"
    assert data["moveOn"] == "CompletedAndPassed" and data["masteryScore"] == 0.8
    assert data["launchParameters"] == '{"level": 2}' and data["entitlementKey"] == {"courseStructure": "ent-42"}
    assert "/player/cmi5/returned?" in data["returnURL"]
    template = data["contextTemplate"]
    assert template["extensions"][SID] and template["contextActivities"]["grouping"] == [{"id": AU_ID}]


def test_learner_preferences_profile_exists(launched):
    answer = httpx.get(launched.endpoint + "agents/profile", headers=launched.auth(),
                       params={"agent": json.dumps(launched.actor), "profileId": "cmi5LearnerPreferences"})
    assert answer.status_code == 200 and "languagePreference" in answer.json()


def test_the_lms_stated_launched(live_server, launched):
    with root(live_server, launched.app_id, launched.creds) as lrs:
        found = lrs.get("statements", params={"registration": launched.params["registration"],
                                              "verb": "http://adlnet.gov/expapi/verbs/launched"}).json()
    [stmt] = found["statements"]
    assert stmt["object"]["id"] == launched.params["activityId"] and stmt["context"]["extensions"][SID] == launched.session_id
    assert {"id": CAT} in stmt["context"]["contextActivities"]["category"]
    assert stmt["context"]["contextActivities"]["grouping"] == [{"id": AU_ID}]  # the publisher id (9.6.2.3)
    assert stmt["context"]["extensions"][MASTERY] == 0.8  # 9.6.3.2


def test_the_token_opens_only_its_own_session(live_server, launched, course):
    headers = {"Authorization": "Basic " + launched.fetch().json()["auth-token"], "X-Experience-API-Version": V}
    assert launched.state(headers, activityId="https://example.com/other").status_code == 403
    other = Launched(live_server, course)
    assert other.state(headers).status_code == 403  # another registration's launch data
    other_app, _ = new_child_app(live_server)
    answer = httpx.get(f"{live_server.base_url}/lrs/{other_app}/statements", headers=headers)
    assert answer.status_code == 401


def test_a_token_before_fetch_or_forged_is_refused(launched):
    forged = {"Authorization": "Basic Y21pNS4xMjM6eHh4", "X-Experience-API-Version": V}  # cmi5.123:xxx
    assert httpx.get(launched.endpoint + "statements", headers=forged).status_code == 401


# ---------------------------------------------------------------- slice 2: statement rules


def stored(live_server, launched, verb: str) -> list[dict]:
    with root(live_server, launched.app_id, launched.creds) as lrs:
        return lrs.get("statements", params={"registration": launched.params["registration"],
                                             "verb": f"http://adlnet.gov/expapi/verbs/{verb}"}).json()["statements"]


def test_a_statement_before_initialized_is_refused_and_not_stored(live_server, launched):
    answer = launched.post(launched.statement("completed", result={"completion": True}))
    assert answer.status_code == 403 and "initialized must be the session's first" in answer.json()["message"]
    assert stored(live_server, launched, "completed") == []


def test_a_statement_without_the_session_id_is_refused(launched):
    assert launched.post(launched.statement("initialized")).status_code == 200
    answer = launched.post(launched.statement("completed", result={"completion": True}, session=False))
    assert answer.status_code == 403 and "session id" in answer.json()["message"]


def test_a_passed_below_mastery_is_refused_and_does_not_count(live_server, launched):
    assert launched.post(launched.statement("initialized")).status_code == 200
    low = launched.statement("passed", result={"success": True, "score": {"scaled": 0.5}})
    answer = launched.post(low)
    assert answer.status_code == 403 and "below the masteryScore 0.8" in answer.json()["message"]
    assert stored(live_server, launched, "passed") == []
    ok = launched.statement("passed", result={"success": True, "score": {"scaled": 0.9}})
    assert launched.post(ok).status_code == 200
    again = launched.post(launched.statement("passed", result={"success": True, "score": {"scaled": 0.95}}))
    assert again.status_code == 403 and "after passed" in again.json()["message"]


def test_a_batch_with_one_bad_statement_stores_nothing(live_server, launched):
    batch = [launched.statement("initialized"), launched.statement("completed", result={"completion": False})]
    answer = launched.post(batch)
    assert answer.status_code == 403 and "completion true" in answer.json()["message"]
    assert stored(live_server, launched, "initialized") == []


def test_nothing_after_terminated(launched):
    later = launched.statement("experienced", category=False)
    assert launched.post([launched.statement("initialized"), launched.statement("terminated")]).status_code == 200
    answer = launched.post(later)
    assert answer.status_code == 401  # the session has ended: its token opens nothing any more
    assert launched.state().status_code == 401


# ---------------------------------------------------------------- slice 3: results


def test_satisfied_and_results_reach_the_registration(live_server, launched):
    steps = [launched.statement("initialized"), launched.statement("completed", result={"completion": True}),
             launched.statement("passed", result={"success": True, "score": {"scaled": 0.85}})]
    assert launched.post(steps).status_code == 200
    assert launched.post(launched.statement("terminated", result={"duration": "PT1M30S"})).status_code == 200
    with root(live_server, launched.app_id, launched.creds) as lrs:
        satisfied = lrs.get("statements", params={"registration": launched.params["registration"],
                                                  "verb": "https://w3id.org/xapi/adl/verbs/satisfied"}).json()
    assert {s["context"]["contextActivities"]["grouping"][0]["id"] for s in satisfied["statements"]} == {COURSE}
    [course] = satisfied["statements"]
    assert course["object"]["id"] != COURSE and course["object"]["definition"]["type"].endswith("/course")
    progress = registration_progress(live_server, launched)
    assert progress.registration_completion == "COMPLETED" and progress.registration_success == "PASSED"
    assert progress.score.scaled == 85.0 and progress.total_seconds_tracked == 90.0


def test_completed_alone_does_not_satisfy_completed_and_passed(live_server, launched):
    steps = [launched.statement("initialized"), launched.statement("completed", result={"completion": True})]
    assert launched.post(steps).status_code == 200
    with root(live_server, launched.app_id, launched.creds) as lrs:
        satisfied = lrs.get("statements", params={"registration": launched.params["registration"],
                                                  "verb": "https://w3id.org/xapi/adl/verbs/satisfied"}).json()
    assert satisfied["statements"] == []
    progress = registration_progress(live_server, launched)
    assert progress.registration_completion == "COMPLETED" and progress.registration_success == "UNKNOWN"


def registration_progress(live_server, launched):
    return progress_of(live_server, launched.reg, launched.creds)


def satisfied_objects(live_server, app_id, creds, registration: str) -> set[str]:
    """The publisher ids (grouping) of the blocks and course the LMS stated satisfied: the statements'
    objects are the LMS's own ids (9.3.9)."""
    with root(live_server, app_id, creds) as lrs:
        found = lrs.get("statements", params={"registration": registration, "verb": SATISFIED}).json()
    assert all(s["object"]["id"].startswith("urn:uuid:") for s in found["statements"])
    return {s["context"]["contextActivities"]["grouping"][0]["id"] for s in found["statements"]}


def test_a_statement_sent_again_is_a_no_op_not_a_violation(launched):
    first = launched.statement("initialized")
    assert launched.post(first).status_code == 200
    again = launched.post(first)  # the answer was lost; the AU sends the same statement again
    assert again.status_code == 200 and again.json() == [first["id"]]


def test_a_session_without_terminated_is_abandoned_at_the_next_launch(live_server, launched):
    assert launched.post(launched.statement("initialized")).status_code == 200
    first_session = launched.session_id
    terminated = launched.statement("terminated")
    answer = httpx.get(launch_link(live_server, launched.reg, launched.creds), follow_redirects=False)
    assert answer.status_code == 303
    with root(live_server, launched.app_id, launched.creds) as lrs:
        found = lrs.get("statements", params={"registration": launched.params["registration"],
                                              "verb": "https://w3id.org/xapi/adl/verbs/abandoned"}).json()
    [stmt] = found["statements"]
    assert stmt["context"]["extensions"][SID] == first_session and stmt["object"]["id"] == launched.params["activityId"]
    assert stmt["result"]["duration"].startswith("PT")  # 9.5.4.2
    late = launched.post(terminated)
    assert late.status_code == 401  # the abandoned session's token no longer opens the LRS


def test_not_applicable_is_satisfied_at_launch(live_server, tmp_path_factory):
    app_id, creds = new_child_app(live_server)
    data = cmi5_zip([AU(AU_ID, "Reading", "au/index.html", attrs={"moveOn": "NotApplicable"})], course_id=COURSE)
    course_id = import_course(live_server, tmp_path_factory.mktemp("na"), data, creds)
    launched = Launched(live_server, (app_id, creds, course_id))
    assert satisfied_objects(live_server, app_id, creds, launched.params["registration"]) == {COURSE}
    with root(live_server, app_id, creds) as lrs:  # earned at registration, so stated before launched (9.6.1.1)
        verbs = [s["verb"]["id"] for s in lrs.get("statements", params={
            "registration": launched.params["registration"], "ascending": "true"}).json()["statements"]]
    assert verbs == [SATISFIED, "http://adlnet.gov/expapi/verbs/launched"]


def test_results_fire_the_registration_postback(live_server, course):
    app_id, creds, course_id = course
    with Receiver() as receiver:
        reg_id = f"reg-{uuid.uuid4().hex[:10]}"
        cloud.RegistrationApi(live_server.client(creds)).create_registration(cloud.CreateRegistrationSchema(
            course_id=course_id, registration_id=reg_id, learner=cloud.LearnerSchema(id="learner-1"),
            post_back=cloud.PostBackSchema(url=receiver.url, auth_type="FORM", results_format="COURSE")))
        launched = Launched(live_server, course, registration_id=reg_id)
        steps = [launched.statement("initialized"), launched.statement("completed", result={"completion": True}),
                 launched.statement("passed", result={"success": True, "score": {"scaled": 1.0}})]
        assert launched.post(steps).status_code == 200
        got = receiver.wait_for(1, where=lambda r: json.loads(r.form()["data"])["registrationSuccess"] == "PASSED")
    data = json.loads(got[-1].form()["data"])
    assert data["id"] == reg_id and data["registrationCompletion"] == "COMPLETED" and data["score"]["scaled"] == 100


def test_the_debug_log_records_the_cmi5_exchanges(live_server, launched):
    assert launched.post(launched.statement("initialized")).status_code == 200
    assert "error-code" in launched.fetch().json()
    assert launched.post(launched.statement("passed", result={"success": True, "score": {"scaled": 0.1}})) \
        .status_code == 403
    [history] = launch_history(live_server, launched.reg, launched.creds)
    entries = [(e["method"], e["result"]) for e in history.log if e.get("type") == "cmi5"]
    assert entries == [("launch", "LMS.LaunchData written"), ("POST fetch", "200"), ("POST statements", "200"),
                       ("POST fetch", "refused"), ("POST statements", "403")]
    refused = [e for e in history.log if e.get("result") == "403"][0]
    assert refused["args"][0] == "http://adlnet.gov/expapi/verbs/passed" and "masteryScore" in refused["message"]


def test_return_url_goes_where_the_launch_link_said(live_server, course):
    app_id, creds, course_id = course
    reg = create_registration(live_server, course_id, creds)
    link = launch_link(live_server, reg, creds, redirect_on_exit_url="https://example.com/done")
    au_url = httpx.get(link, follow_redirects=False).headers["location"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(au_url).query).items()}
    token = httpx.post(params["fetch"]).json()["auth-token"]
    data = httpx.get(params["endpoint"] + "activities/state", headers={
        "Authorization": f"Basic {token}", "X-Experience-API-Version": V}, params={
        "stateId": "LMS.LaunchData", "activityId": params["activityId"], "agent": params["actor"],
        "registration": params["registration"]}).json()
    back = httpx.get(data["returnURL"], follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "https://example.com/done"


def test_the_au_may_keep_its_own_state_but_not_change_launch_data(launched):
    query = {"activityId": launched.params["activityId"], "agent": json.dumps(launched.actor),
             "registration": launched.params["registration"]}
    mine = httpx.put(launched.endpoint + "activities/state", params={**query, "stateId": "bookmark"},
                     json={"page": 3}, headers=launched.auth())
    assert mine.status_code == 204
    for method in ("PUT", "POST", "DELETE"):
        answer = httpx.request(method, launched.endpoint + "activities/state", headers=launched.auth(),
                               params={**query, "stateId": "LMS.LaunchData"},
                               json={"launchMode": "Review"} if method != "DELETE" else None)
        assert answer.status_code == 403 and "LMS.LaunchData" in answer.json()["message"]
    wipe = httpx.delete(launched.endpoint + "activities/state", params=query, headers=launched.auth())
    assert wipe.status_code == 403
    no_registration = {k: val for k, val in query.items() if k != "registration"}
    assert httpx.get(launched.endpoint + "activities/state", params={**no_registration, "stateId": "bookmark"},
                     headers=launched.auth()).status_code == 403
    assert launched.state().json()["launchMode"] == "Normal"


def test_two_aus_each_launched_by_start_sco_satisfy_the_course_together(live_server, tmp_path_factory):
    from_block = "https://example.com/cmi5/block/1"
    first, second = "https://example.com/cmi5/au/a", "https://example.com/cmi5/au/b"
    app_id, creds = new_child_app(live_server)
    data = cmi5_zip([Block(from_block, "Block", [AU(first, "A", "a/index.html", attrs={"moveOn": "Completed"}),
                                                 AU(second, "B", "b/index.html", attrs={"moveOn": "Completed"})])],
                    course_id=COURSE)
    course_id = import_course(live_server, tmp_path_factory.mktemp("two"), data, creds)
    reg = create_registration(live_server, course_id, creds)

    def play(au_id: str) -> Launched:
        launched = Launched(live_server, (app_id, creds, course_id), registration_id=reg, start_sco=au_id)
        assert launched.params["activityId"] not in (au_id, first, second) and launched.params["activityId"]
        done = [launched.statement("initialized", au=au_id),
                launched.statement("completed", au=au_id, result={"completion": True}),
                launched.statement("terminated", au=au_id)]
        assert launched.post(done).status_code == 200, launched.post(done).text
        return launched

    launched = play(second)
    registration = launched.params["registration"]
    assert satisfied_objects(live_server, app_id, creds, registration) == set()
    assert progress_of(live_server, reg, creds).registration_completion == "INCOMPLETE"
    play(first)
    assert satisfied_objects(live_server, app_id, creds, registration) == {from_block, COURSE}
    with root(live_server, app_id, creds) as lrs:
        found = lrs.get("statements", params={"registration": registration, "verb": SATISFIED}).json()
    types = {s["context"]["contextActivities"]["grouping"][0]["id"]: s["object"].get("definition", {}).get("type")
             for s in found["statements"]}
    assert types[from_block].endswith("/activitytype/block") and types[COURSE].endswith("/activitytype/course")
    assert progress_of(live_server, reg, creds).registration_completion == "COMPLETED"
