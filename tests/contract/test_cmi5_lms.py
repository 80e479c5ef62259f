"""What the LMS side of cmi5 offers beyond a plain launch (found with ADL's CATAPULT LMS test suite,
`make conformance-cmi5`): a course structure imported on its own (14.2), the caller's
xapiRegistrationId as the cmi5 registration, Browse / Review launches (10.2.2), waiving an AU
(9.3.7) and abandoning a session (9.3.6) through Coursehost's own endpoints, and the learner
preferences an AU may write (11)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import rustici_software_cloud_v2 as cloud

from tests.builders.cmi5 import AU, Block, cmi5_xml, cmi5_zip
from tests.contract.courses import upload
from tests.contract.helpers import new_child_app
from tests.contract.test_cmi5_launch import COURSE, SATISFIED, Launched, root, satisfied_objects
from tests.e2e.support import course_api, create_registration, import_course, progress

FIRST, SECOND = "https://example.com/cmi5/lms/au/1", "https://example.com/cmi5/lms/au/2"
BLOCK = "https://example.com/cmi5/lms/block"
WAIVED = "https://w3id.org/xapi/adl/verbs/waived"


@pytest.fixture(scope="module")
def app(live_server):
    return new_child_app(live_server)


@pytest.fixture(scope="module")
def two_aus(live_server, app, tmp_path_factory):
    app_id, creds = app
    data = cmi5_zip([Block(BLOCK, "Block", [AU(FIRST, "One", "a/index.html", attrs={"moveOn": "Completed"}),
                                            AU(SECOND, "Two", "b/index.html", attrs={"moveOn": "Passed"})])],
                    course_id=COURSE)
    return app_id, creds, import_course(live_server, tmp_path_factory.mktemp("lms"), data, creds)


def api(live_server, creds) -> httpx.Client:
    return httpx.Client(base_url=live_server.api_url, auth=(creds.app_id, creds.secret))


# ---------------------------------------------------------------- import and registration


def test_a_course_structure_on_its_own_imports_when_every_url_is_absolute(live_server, app, tmp_path):
    _, creds = app
    xml = cmi5_xml([AU(FIRST, "Hosted elsewhere", "https://au.example.com/one/index.html")], course_id=COURSE)
    status = upload(course_api(live_server, creds), tmp_path, xml.encode(), filename="cmi5.xml")
    assert status.status == "COMPLETE", status.message
    relative = cmi5_xml([AU(FIRST, "Relative", "one/index.html")], course_id=COURSE)
    refused = upload(course_api(live_server, creds), tmp_path, relative.encode(), filename="cmi5.xml")
    assert refused.status == "ERROR" and "fully qualified" in refused.message and "14.2" in refused.message


def test_the_xapi_registration_id_is_the_cmi5_registration(live_server, two_aus):
    app_id, creds, course_id = two_aus
    xapi_registration = str(uuid.uuid4())
    cloud.RegistrationApi(live_server.client(creds)).create_registration(cloud.CreateRegistrationSchema(
        course_id=course_id, registration_id="reg-" + uuid.uuid4().hex[:8], learner=cloud.LearnerSchema(id="l-1"),
        xapi_registration_id=xapi_registration))
    reg = cloud.RegistrationApi(live_server.client(creds)).get_registrations(course_id=course_id).registrations[-1]
    launched = Launched(live_server, (app_id, creds, course_id), registration_id=reg.id, start_sco=FIRST)
    assert launched.params["registration"] == xapi_registration


def test_the_activity_id_is_the_same_for_every_launch_of_the_au(live_server, two_aus):
    app_id, creds, course_id = two_aus
    reg = create_registration(live_server, course_id, creds)
    first = Launched(live_server, (app_id, creds, course_id), registration_id=reg, start_sco=SECOND)
    again = Launched(live_server, (app_id, creds, course_id), registration_id=reg, start_sco=SECOND)
    other = Launched(live_server, (app_id, creds, course_id), registration_id=reg, start_sco=FIRST)
    assert first.params["activityId"] == again.params["activityId"] != other.params["activityId"]
    assert SECOND not in (first.params["activityId"], other.params["activityId"])


# ---------------------------------------------------------------- launch modes


@pytest.mark.parametrize("mode", ["Browse", "Review"])
def test_a_browse_or_review_launch_says_so_and_refuses_verdicts(live_server, two_aus, mode):
    app_id, creds, course_id = two_aus
    moded = Launched(live_server, (app_id, creds, course_id), start_sco=FIRST,
                     additionalvalues=[cloud.ItemValuePairSchema(item="launchMode", value=mode)])
    assert moded.state().json()["launchMode"] == mode
    assert moded.post(moded.statement("initialized", au=FIRST)).status_code == 200
    refused = moded.post(moded.statement("completed", au=FIRST, result={"completion": True}))
    assert refused.status_code == 403 and "Normal launch mode" in refused.json()["message"]
    with root(live_server, app_id, creds) as lrs:
        launched_stmt = lrs.get("statements", params={"registration": moded.params["registration"],
                                                      "verb": "http://adlnet.gov/expapi/verbs/launched"}).json()
    modes = [s["context"]["extensions"]["https://w3id.org/xapi/cmi5/context/extensions/launchmode"]
             for s in launched_stmt["statements"]]
    assert mode in modes


def test_an_unknown_launch_mode_is_refused(live_server, two_aus):
    _, creds, course_id = two_aus
    reg = create_registration(live_server, course_id, creds)
    with api(live_server, creds) as client:
        answer = client.post(f"/registrations/{reg}/launchLink",
                             json={"additionalvalues": [{"item": "launchMode", "value": "Sideways"}]})
    assert answer.status_code == 400 and "launchMode" in answer.json()["message"]


# ---------------------------------------------------------------- waive and abandon


def test_waiving_an_au_states_it_and_satisfies_what_it_completes(live_server, two_aus):
    app_id, creds, course_id = two_aus
    reg = create_registration(live_server, course_id, creds)
    launched = Launched(live_server, (app_id, creds, course_id), registration_id=reg, start_sco=FIRST)
    steps = [launched.statement("initialized", au=FIRST),
             launched.statement("completed", au=FIRST, result={"completion": True}),
             launched.statement("terminated", au=FIRST)]
    assert launched.post(steps).status_code == 200
    registration = launched.params["registration"]
    assert satisfied_objects(live_server, app_id, creds, registration) == set()
    with api(live_server, creds) as client:
        bad = client.post(f"/registrations/{reg}/cmi5/waive", json={"auId": SECOND, "reason": "Bored"})
        assert bad.status_code == 400 and "reason" in bad.json()["message"]
        done = client.post(f"/registrations/{reg}/cmi5/waive", json={"auId": SECOND, "reason": "Tested Out"})
        assert done.status_code == 200
        session_id = done.json()["sessionId"]
        again = client.post(f"/registrations/{reg}/cmi5/waive", json={"auId": SECOND, "reason": "Tested Out"})
        assert again.status_code == 409  # satisfied now: nothing left to waive
    with root(live_server, app_id, creds) as lrs:
        [waived] = lrs.get("statements", params={"registration": registration, "verb": WAIVED}).json()["statements"]
        satisfied = lrs.get("statements", params={"registration": registration, "verb": SATISFIED}).json()
    assert waived["result"]["success"] is True and waived["result"]["completion"] is True
    assert waived["result"]["extensions"]["https://w3id.org/xapi/cmi5/result/extensions/reason"] == "Tested Out"
    assert waived["context"]["contextActivities"]["grouping"] == [{"id": SECOND}] and waived["actor"] == launched.actor
    assert {s["context"]["extensions"]["https://w3id.org/xapi/cmi5/context/extensions/sessionid"]
            for s in satisfied["statements"]} == {session_id}
    assert satisfied_objects(live_server, app_id, creds, registration) == {BLOCK, COURSE}
    assert progress(live_server, reg, creds).registration_completion == "COMPLETED"


def test_abandoning_a_session_states_it_and_ends_its_token(live_server, two_aus):
    app_id, creds, course_id = two_aus
    launched = Launched(live_server, (app_id, creds, course_id), start_sco=FIRST)
    assert launched.post(launched.statement("initialized", au=FIRST)).status_code == 200
    session_id = launched.session_id
    later = launched.statement("experienced", category=False)
    _, other_creds = new_child_app(live_server)
    with api(live_server, other_creds) as client:  # another application's session is not found
        assert client.post(f"/cmi5/sessions/{session_id}/abandon").status_code == 404
    with api(live_server, creds) as client:
        assert client.post(f"/cmi5/sessions/{session_id}/abandon").status_code == 204
        assert client.post(f"/cmi5/sessions/{session_id}/abandon").status_code == 409
    assert launched.post(later).status_code == 401
    with root(live_server, app_id, creds) as lrs:
        [abandoned] = lrs.get("statements", params={
            "registration": launched.params["registration"],
            "verb": "https://w3id.org/xapi/adl/verbs/abandoned"}).json()["statements"]
    assert abandoned["result"]["duration"].startswith("PT") and abandoned["object"]["id"] == launched.params["activityId"]


# ---------------------------------------------------------------- learner preferences


@pytest.mark.parametrize(("body", "content_type"), [
    ("just some text", "text/plain"),
    ('{"audioPreference": "on"}', "application/json"),
    ('{"languagePreference": "en-US"}', "application/json"),
    ('{"languagePreference": "not comma separated", "audioPreference": "on"}', "application/json"),
    ('{"languagePreference": "", "audioPreference": "on"}', "application/json"),
    ('{"languagePreference": "en-US", "audioPreference": "loud"}', "application/json"),
])
def test_learner_preferences_an_au_writes_are_checked(live_server, two_aus, body, content_type):
    launched = Launched(live_server, two_aus, start_sco=FIRST)
    params = {"agent": json.dumps(launched.actor), "profileId": "cmi5LearnerPreferences"}
    answer = httpx.put(launched.endpoint + "agents/profile", params=params, content=body,
                       headers={**launched.auth(), "Content-Type": content_type})
    assert answer.status_code == 403 and "cmi5" in answer.json()["message"]


def test_a_document_request_without_agent_gets_the_lrss_400(live_server, two_aus):
    launched = Launched(live_server, two_aus, start_sco=FIRST)
    answer = httpx.put(launched.endpoint + "agents/profile", params={"profileId": "cmi5LearnerPreferences"},
                       json={"languagePreference": "en-US", "audioPreference": "on"}, headers=launched.auth())
    assert answer.status_code == 400


def test_initialized_before_the_learner_preferences_is_refused(live_server, two_aus):
    launched = Launched(live_server, two_aus, start_sco=FIRST)
    launched.token = launched.fetch().json()["auth-token"]  # a token, but no preferences read
    answer = launched.post(launched.statement("initialized", au=FIRST))
    assert answer.status_code == 403 and "learner preferences" in answer.json()["message"]
