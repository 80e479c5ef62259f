"""ContentConnectorsApi and Coursehost as an LTI 1.3 platform, with a real tool (PyLTI1p3, Flask):
connectors per application, the connector import (learning standard LTI13), a launch in Chromium
that the tool's library validates, the score it posts through AGS in the registration's progress,
and what our token and score endpoints refuse."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import jwt
import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from tests.browser import close_context
from tests.contract.courses import course_api, wait_for_job
from tests.contract.helpers import message, new_child_app
from tests.contract.lti_tool import _key_pair, running_tool
from tests.contract.receiver import Receiver


@pytest.fixture(scope="module")
def tool():
    with running_tool() as t:
        yield t


def _connectors(live_server, creds=None) -> cloud.ContentConnectorsApi:
    return cloud.ContentConnectorsApi(live_server.client(creds))


def _create(live_server, tool, creds=None, **config) -> str:
    configuration = {"clientId": tool.client_id, **tool.urls, "deploymentId": "dep-1", "name": "Quiz tool", **config}
    return _connectors(live_server, creds).create_connector(
        cloud.CreateConnectorSchema(content_connector_type="LTI13", configuration=configuration)).result


def _import(live_server, connector_id: str, creds=None, title: str = "Tool quiz",
            **metadata) -> cloud.ImportJobResultSchema:
    api = course_api(live_server, creds)
    course_id = f"lti-{uuid.uuid4().hex[:8]}"
    job = api.create_no_upload_and_import_course_job(course_id, cloud.ImportRequestSchema(
        connector_reference_request=cloud.ImportConnectorRequestSchema(
            connector_id=connector_id, connector_id_for_content="quiz-7",
            metadata_for_connector={"title": title, "description": "A quiz in another tool", **metadata})))
    return wait_for_job(api, job.result)


def _entry(live_server, connector_id: str, creds=None):
    listing = _connectors(live_server, creds).get_connectors_list(include_additional_instance_information=True)
    return next(e for e in listing.connector_entries if e.connector_id == connector_id)


def test_connectors_are_listed_updated_deleted_and_kept_per_application(live_server, tool):
    cid = _create(live_server, tool)
    entry = _entry(live_server, cid)
    assert entry.content_connector_type == "LTI13" and entry.enabled is True
    assert entry.configuration["launchUrl"] == tool.base_url + "/launch"
    info = entry.additional_instance_information
    assert info["issuer"] == live_server.base_url and info["clientId"] == tool.client_id
    assert info["authenticationRequestUrl"] == live_server.base_url + "/lti/platform/auth"
    assert info["jwksUrl"] == live_server.base_url + "/lti/jwks" and info["deploymentId"] == "dep-1"
    assert httpx.get(info["jwksUrl"]).json()["keys"]

    _connectors(live_server).update_connector(cid, cloud.UpdateConnectorSchema(enabled=False))
    assert _entry(live_server, cid).enabled is False

    _, other = new_child_app(live_server)
    assert all(e.connector_id != cid for e in _connectors(live_server, other).get_connectors_list().connector_entries)
    for call in (lambda a: a.delete_connector(cid),
                 lambda a: a.update_connector(cid, cloud.UpdateConnectorSchema(enabled=True))):
        with pytest.raises(ApiException) as err:
            call(_connectors(live_server, other))
        assert err.value.status == 404
    assert _entry(live_server, cid).enabled is False  # untouched by the other application

    _connectors(live_server).delete_connector(cid)
    assert all(e.connector_id != cid for e in _connectors(live_server).get_connectors_list().connector_entries)


@pytest.mark.parametrize(("config", "field"), [
    ({"launchUrl": "ftp://x/launch"}, "configuration.launchUrl"),
    ({"clientId": ""}, "configuration.clientId"),
    ({"jwksUrl": "not a url"}, "configuration.jwksUrl"),
    ({"secret": "x"}, "configuration.secret"),
])
def test_bad_configurations_are_refused_naming_the_field(live_server, tool, config, field):
    with pytest.raises(ApiException) as err:
        _create(live_server, tool, **config)
    assert err.value.status == 400 and field in message(err.value)


def test_unknown_connector_type_is_refused(live_server, tool):
    with pytest.raises(ApiException) as err:
        _connectors(live_server).create_connector(cloud.CreateConnectorSchema(
            content_connector_type="DROPBOX", configuration={"clientId": "x", **tool.urls}))
    assert err.value.status == 400 and "contentConnectorType" in message(err.value)


def test_connector_import_makes_an_lti13_course_and_refuses_another_applications_connector(live_server, tool):
    cid = _create(live_server, tool)
    job = _import(live_server, cid, title="Tool quiz")
    assert job.status == "COMPLETE", job.message
    course = job.import_result.course
    assert course.course_learning_standard == "LTI13" and course.title == "Tool quiz"
    assert [a.title for a in course.root_activity.children] == ["Tool quiz"]

    _, other = new_child_app(live_server)
    with pytest.raises(ApiException) as err:
        _import(live_server, cid, creds=other)
    assert err.value.status == 400 and "connectorId" in message(err.value)


def _registration(live_server, course_id: str, postback_url: str | None = None) -> tuple[str, str]:
    regs = cloud.RegistrationApi(live_server.client())
    reg_id = f"reg-{uuid.uuid4().hex[:8]}"
    postback = cloud.PostBackSchema(url=postback_url, auth_type="FORM", results_format="COURSE") if postback_url \
        else None
    regs.create_registration(cloud.CreateRegistrationSchema(
        course_id=course_id, registration_id=reg_id, post_back=postback,
        learner=cloud.LearnerSchema(id=f"learner-{uuid.uuid4().hex[:6]}", first_name="Ada", last_name="Lovelace")))
    link = regs.build_registration_launch_link(
        reg_id, cloud.LaunchLinkRequestSchema(redirect_on_exit_url="blank")).launch_link
    return reg_id, link if link.startswith("http") else live_server.content_url + link


def test_a_connector_course_launches_the_tool_which_posts_its_score(live_server, tool, context):
    cid = _create(live_server, tool)
    tool.configure(_entry(live_server, cid).additional_instance_information)
    job = _import(live_server, cid)
    receiver = Receiver()
    with receiver:
        reg_id, link = _registration(live_server, job.import_result.course.id, postback_url=receiver.url)
        _launch_in_chromium(context, tool, link)
        posted = receiver.wait_for(1)[0].text  # the registration's postback, as after a SCORM commit
    assert "COMPLETED" in posted.upper() and reg_id in posted
    _check_launch_and_score(live_server, tool, reg_id)


def _launch_in_chromium(context, tool, link: str) -> None:
    page = context.new_page()
    try:
        page.goto(link)
        page.wait_for_selector("#graded, h1:text('Tool error')", timeout=20_000)
        assert not tool.errors, tool.errors
        assert page.url.startswith(tool.base_url + "/launch")
        assert page.text_content("#who") == "Ada Lovelace"
    finally:
        close_context(context)
    assert not tool.errors, tool.errors


def _check_launch_and_score(live_server, tool, reg_id: str) -> None:
    claims = tool.launches[-1]
    assert claims["iss"] == live_server.base_url and claims["aud"] == tool.client_id
    assert claims["https://purl.imsglobal.org/spec/lti/claim/resource_link"]["id"] == "quiz-7"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == "dep-1"

    progress = cloud.RegistrationApi(live_server.client()).get_registration_progress(reg_id, include_child_results=True)
    assert (progress.registration_completion, progress.registration_success) == ("COMPLETED", "PASSED")
    assert progress.score.scaled == 80
    quiz = progress.activity_details.children[0]
    assert (quiz.id, quiz.activity_completion, quiz.activity_success) == ("quiz-7", "COMPLETED", "PASSED")

    # Our AGS endpoints refuse what the tool's library did not get from us.
    scores = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"] + "/scores"
    body = {"userId": claims["sub"], "scoreGiven": 1, "scoreMaximum": 10, "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", "timestamp": "2026-01-01T00:00:00Z"}
    for headers in ({}, {"Authorization": "Bearer forged.token"}, {"Authorization": "Basic eDp5"}):
        answer = httpx.post(scores, json=body, headers=headers)
        assert answer.status_code == 401, answer.text
    forged_line = scores.replace("/lineitems/", "/lineitems/x")
    assert httpx.post(forged_line, json=body, headers={"Authorization": "Bearer x"}).status_code in (401, 404)
    progress = cloud.RegistrationApi(live_server.client()).get_registration_progress(reg_id)
    assert progress.score.scaled == 80  # nothing changed


def _assertion(private_pem: str, client_id: str, aud: str, **over) -> str:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + 60,
              "jti": uuid.uuid4().hex, **over}
    return jwt.encode(claims, private_pem, algorithm="RS256")


def test_token_endpoint_refuses_assertions_not_signed_by_the_tools_key(live_server, tool):
    _create(live_server, tool)
    token_url = live_server.base_url + "/lti/platform/token"
    scope = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

    def ask(assertion: str) -> httpx.Response:
        return httpx.post(token_url, data={
            "grant_type": "client_credentials", "scope": scope, "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})

    stranger, _ = _key_pair()
    assert ask(_assertion(stranger, tool.client_id, token_url)).status_code == 401
    assert ask(_assertion(tool.private_pem, tool.client_id, "https://elsewhere/token")).status_code == 401
    assert ask(_assertion(tool.private_pem, tool.client_id, token_url, exp=int(time.time()) - 120)).status_code == 401
    assert ask(_assertion(tool.private_pem, "no-such-client", token_url)).status_code == 401
    good = ask(_assertion(tool.private_pem, tool.client_id, token_url))
    assert good.status_code == 200, good.text
    assert good.json()["token_type"] == "Bearer" and good.json()["scope"] == scope


def _login(link: str) -> dict:
    """The launch link opened without a browser: the tool's OIDC login initiation parameters."""
    answer = httpx.get(link, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    url = httpx.URL(answer.headers["location"])
    return dict(url.params)


def _auth_request(login: dict, tool, **over) -> dict:
    params = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
              "client_id": login["client_id"], "redirect_uri": tool.base_url + "/launch",
              "login_hint": login["login_hint"], "lti_message_hint": login["lti_message_hint"],
              "state": "s-1", "nonce": uuid.uuid4().hex}
    params.update(over)
    return {k: v for k, v in params.items() if v is not None}


def _id_token(live_server, page: str) -> dict:
    token = re.search(r'name="id_token" value="([^"]+)"', page).group(1)
    keys = jwt.PyJWKClient(live_server.base_url + "/lti/jwks")
    return jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=["RS256"],
                      audience="tool-client-1")


@pytest.fixture
def lti_course(live_server, tool) -> tuple[str, str]:
    """A connector of the default application and a course imported through it: (connector id, course id)."""
    cid = _create(live_server, tool)
    return cid, _import(live_server, cid).import_result.course.id


def test_the_authentication_request_is_checked_and_answered_with_a_signed_id_token(live_server, tool, lti_course):
    _, course_id = lti_course
    _, link = _registration(live_server, course_id)
    login = _login(link)
    assert login["iss"] == live_server.base_url and login["target_link_uri"] == tool.base_url + "/launch"
    assert login["client_id"] == tool.client_id and login["lti_deployment_id"] == "dep-1"
    auth = live_server.base_url + "/lti/platform/auth"

    for over, words in [({"redirect_uri": "http://127.0.0.1:1/steal"}, "redirect_uri"),
                        ({"client_id": "someone-else"}, "client_id"), ({"nonce": None}, "nonce"),
                        ({"response_type": "code"}, "response_type"), ({"scope": "profile"}, "openid"),
                        ({"lti_message_hint": login["lti_message_hint"][:-2] + "xx"}, "lti_message_hint"),
                        ({"login_hint": "another-launch"}, "login_hint")]:
        answer = httpx.post(auth, data=_auth_request(login, tool, **over))
        assert answer.status_code == 400 and words in answer.text and 'name="id_token"' not in answer.text, over

    answer = httpx.post(auth, data=_auth_request(login, tool, nonce="n-42"))
    assert answer.status_code == 200
    assert f'action="{tool.base_url}/launch"' in answer.text and 'name="state" value="s-1"' in answer.text
    claims = _id_token(live_server, answer.text)
    assert claims["nonce"] == "n-42" and claims["given_name"] == "Ada"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiResourceLinkRequest"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/roles"] == [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
    # One id_token per launch: the same hints again open nothing.
    replay = httpx.post(auth, data=_auth_request(login, tool))
    assert replay.status_code == 400 and "already" in replay.text and 'name="id_token"' not in replay.text
    # The next launch (GET works as well: the request may come either way) has the same stable sub.
    again = httpx.get(auth, params=_auth_request(_login(link), tool))
    assert again.status_code == 200 and _id_token(live_server, again.text)["sub"] == claims["sub"]

    # A connector configured not to share the learner's identity: the opaque sub only.
    configuration = {**_entry(live_server, lti_course[0]).configuration, "shareLearnerIdentity": False}
    _connectors(live_server).update_connector(lti_course[0], cloud.UpdateConnectorSchema(configuration=configuration))
    private = _id_token(live_server, httpx.post(auth, data=_auth_request(_login(link), tool)).text)
    assert private["sub"] == claims["sub"] and not {"name", "given_name", "family_name", "email"} & set(private)


def test_a_deleted_connector_s_course_says_it_cannot_launch(live_server, tool, lti_course):
    cid, course_id = lti_course
    _, link = _registration(live_server, course_id)
    _connectors(live_server).delete_connector(cid)
    answer = httpx.get(link, follow_redirects=False)
    assert answer.status_code == 404 and "deleted" in answer.text


def _access_token(live_server, tool, scope: str) -> str:
    token_url = live_server.base_url + "/lti/platform/token"
    answer = httpx.post(token_url, data={
        "grant_type": "client_credentials", "scope": scope,
        "client_assertion": _assertion(tool.private_pem, tool.client_id, token_url),
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def test_scores_are_checked_and_follow_the_documented_rule(live_server, tool, lti_course):
    _, course_id = lti_course
    reg_id, link = _registration(live_server, course_id)
    login = _login(link)
    claims = _id_token(live_server, httpx.post(live_server.base_url + "/lti/platform/auth",
                                               data=_auth_request(login, tool)).text)
    lineitem = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"]
    score_token = _access_token(live_server, tool, "https://purl.imsglobal.org/spec/lti-ags/scope/score")
    read_token = _access_token(live_server, tool, "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly")

    item = httpx.get(lineitem, headers={"Authorization": f"Bearer {read_token}"})
    assert item.status_code == 200 and item.json()["resourceLinkId"] == "quiz-7"

    def post(body: dict, token: str = score_token) -> httpx.Response:
        return httpx.post(lineitem + "/scores", json=body, headers={"Authorization": f"Bearer {token}"})

    base = {"userId": claims["sub"], "activityProgress": "InProgress", "gradingProgress": "Pending",
            "timestamp": "2026-01-01T00:00:00Z"}
    assert post(base, read_token).status_code == 403  # not granted the score scope
    for bad, words in [({"userId": "someone-else"}, "userId"), ({"activityProgress": "Done"}, "activityProgress"),
                       ({"scoreGiven": 3}, "scoreMaximum"), ({"scoreGiven": "3", "scoreMaximum": 10}, "scoreGiven")]:
        answer = post({**base, **bad})
        assert answer.status_code == 400 and words in answer.text, bad

    progress = cloud.RegistrationApi(live_server.client())
    assert post({**base, "scoreGiven": 3, "scoreMaximum": 10}).status_code == 204  # not yet graded
    now = progress.get_registration_progress(reg_id)
    assert (now.registration_completion, now.registration_success, now.score.scaled) == ("INCOMPLETE", "UNKNOWN", 30)
    assert post({**base, "scoreGiven": 6, "scoreMaximum": 10, "activityProgress": "Completed",
                 "gradingProgress": "FullyGraded"}).status_code == 204
    now = progress.get_registration_progress(reg_id)
    assert (now.registration_completion, now.registration_success, now.score.scaled) == ("COMPLETED", "PASSED", 60)


def test_a_mastery_score_given_at_import_decides_success(live_server, tool):
    course_id = _import(live_server, _create(live_server, tool), masteryScore=0.7).import_result.course.id
    reg_id, link = _registration(live_server, course_id)
    claims = _id_token(live_server, httpx.post(live_server.base_url + "/lti/platform/auth",
                                               data=_auth_request(_login(link), tool)).text)
    lineitem = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"]
    token = _access_token(live_server, tool, "https://purl.imsglobal.org/spec/lti-ags/scope/score")
    answer = httpx.post(lineitem + "/scores", headers={"Authorization": f"Bearer {token}"}, json={
        "userId": claims["sub"], "scoreGiven": 6, "scoreMaximum": 10, "activityProgress": "Completed",
        "gradingProgress": "FullyGraded", "timestamp": "2026-01-01T00:00:00Z"})
    assert answer.status_code == 204
    now = cloud.RegistrationApi(live_server.client()).get_registration_progress(reg_id)
    assert (now.registration_completion, now.registration_success, now.score.scaled) == ("COMPLETED", "FAILED", 60)


def test_a_tool_of_another_application_cannot_post_to_this_lineitem(live_server, tool, lti_course):
    _, course_id = lti_course
    _, link = _registration(live_server, course_id)
    claims = _id_token(live_server, httpx.post(live_server.base_url + "/lti/platform/auth",
                                               data=_auth_request(_login(link), tool)).text)
    lineitem = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"]
    with running_tool("other-tool") as other:
        _, creds = new_child_app(live_server)
        _create(live_server, other, creds)
        token = _access_token(live_server, other, "https://purl.imsglobal.org/spec/lti-ags/scope/score")
        answer = httpx.post(lineitem + "/scores", headers={"Authorization": f"Bearer {token}"}, json={
            "userId": claims["sub"], "scoreGiven": 10, "scoreMaximum": 10, "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", "timestamp": "2026-01-01T00:00:00Z"})
    assert answer.status_code == 403 and "another tool" in answer.text
