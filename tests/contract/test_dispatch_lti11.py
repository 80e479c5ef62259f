"""LTI 1.1 dispatch launches driven by a real tool consumer (the PyPI `lti` package's ToolConsumer):
GetLtiDispatch through the official client, a launch that opens the course in Chromium and whose score
comes back to a real HTTP outcome service as a replaceResult signed with OAuth 1.0a + body hash
(checked with oauthlib), and the refusals (bad signature, replayed nonce, stale timestamp, refused
dispatch) with nothing created."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from html import escape
from urllib.parse import urlsplit

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from lti import OutcomeRequest, ToolConsumer
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from rustici_software_cloud_v2.rest import ApiException

from tests.builders.scorm import scorm12_zip
from tests.contract.helpers import new_child_app
from tests.contract.receiver import Received, Receiver
from tests.dispatch_support import dispatch_counts, dispatch_registration, make_dispatch
from tests.e2e.support import import_course

SCO = """() => {
  const api = window.parent.API;
  const r = {init: api.LMSInitialize("")};
  api.LMSSetValue("cmi.core.score.raw", "85");
  api.LMSSetValue("cmi.core.lesson_status", "passed");
  api.LMSSetValue("cmi.core.session_time", "00:01:30");
  r.finish = api.LMSFinish("");
  return r;
}"""


@pytest.fixture(scope="module")
def course_id(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("lti11"), scorm12_zip("LTI 1.1 course"))


def _consumer(info, *, user_id="lms-user-1", secret=None, outcome_url=None, **extra) -> ToolConsumer:
    params = {
        "lti_message_type": "basic-lti-launch-request", "lti_version": "LTI-1p0",
        "resource_link_id": "link-1", "user_id": user_id,
        "lis_person_name_given": "Ada", "lis_person_name_family": "Lovelace",
        "lis_person_contact_email_primary": "ada@example.com", **extra,
    }
    if outcome_url:
        params.update(lis_outcome_service_url=outcome_url, lis_result_sourcedid=f"sourcedid-{user_id}")
    return ToolConsumer(info.consumer_key, secret or info.shared_secret, launch_url=info.url, params=params)


def _lti_info(live_server, dispatch_id):
    return cloud.DispatchApi(live_server.client()).get_lti_dispatch(dispatch_id)


def _post(request) -> httpx.Response:
    """POST a signed launch the way the LMS's page would, without following the redirect."""
    body = request.body.encode() if isinstance(request.body, str) else request.body
    # requests_oauthlib adds the oauth_* fields to the body after Content-Length was set: httpx sets it again
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    return httpx.post(request.url, content=body, headers=headers, follow_redirects=False)


def test_get_lti_dispatch_gives_the_launch_url_key_and_secret(live_server, course_id):
    made = make_dispatch(live_server, course_id=course_id)
    info = _lti_info(live_server, made.dispatch_id)
    assert info.url == f"{live_server.base_url}/dispatch/lti11/{made.dispatch_key}"
    assert (info.consumer_key, info.shared_secret) == (made.dispatch_key, made.secret)
    with pytest.raises(ApiException) as err:
        _lti_info(live_server, "no-such-dispatch")
    assert err.value.status == 404
    # another application does not see it
    with pytest.raises(ApiException) as err:
        cloud.DispatchApi(live_server.client(new_child_app(live_server)[1])).get_lti_dispatch(made.dispatch_id)
    assert err.value.status == 404


def _verify_outcome_signature(item: Received, *, uri: str, key: str, secret: str) -> dict[str, str]:
    """The OAuth 1.0a body-hash signature of a Basic Outcomes request, checked with oauthlib."""
    header = item.headers["authorization"]
    params = dict(oauth_signature.collect_parameters(headers={"Authorization": header},
                                                     exclude_oauth_signature=False))
    assert params["oauth_consumer_key"] == key
    assert params["oauth_body_hash"] == base64.b64encode(hashlib.sha1(item.body).digest()).decode()
    request = OAuthRequest(uri, http_method="POST", headers={"Authorization": header})
    request.params = oauth_signature.collect_parameters(uri_query=urlsplit(uri).query,
                                                        headers={"Authorization": header})
    request.signature = params["oauth_signature"]
    assert oauth_signature.verify_hmac_sha1(request, client_secret=secret)
    return params


def test_a_launch_opens_the_course_and_the_score_goes_back_to_the_consumer(live_server, course_id, context):
    made = make_dispatch(live_server, course_id=course_id)
    info = _lti_info(live_server, made.dispatch_id)
    with Receiver(path="/outcomes") as outcomes:
        data = _consumer(info, outcome_url=outcomes.url).generate_launch_data()
        form = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in data.items())
        page = context.new_page()
        page.set_content(f'<form id="f" method="post" action="{escape(info.url)}">{form}</form>')
        page.evaluate("document.getElementById('f').submit()")
        page.wait_for_url(f"{live_server.content_url}/player/**")
        deadline, frame = time.time() + 20, None
        while frame is None and time.time() < deadline:
            frame = next((f for f in page.frames if f.url.endswith("/index.html")), None)
            page.wait_for_timeout(100)
        assert frame is not None, [f.url for f in page.frames]
        frame.wait_for_load_state()
        assert frame.evaluate(SCO) == {"init": "true", "finish": "true"}

        item = outcomes.wait_for(1, timeout=30)[-1]
        _verify_outcome_signature(item, uri=f"http://127.0.0.1:{outcomes.port}{item.path}", key=made.dispatch_key, secret=made.secret)
        assert item.headers["content-type"].startswith("application/xml")
        request = OutcomeRequest()
        request.process_xml(item.body)
        assert request.operation == "replaceResult"
        assert str(request.lis_result_sourcedid) == "sourcedid-lms-user-1"
        assert float(request.score) == pytest.approx(0.85)

    row = dispatch_registration(live_server.services, made.dispatch_key)
    assert row.via == "lti11" and row.learner_key == "lms-user-1" and row.context_key == ""
    reg = cloud.RegistrationApi(live_server.client()).get_registration_progress(row.registration_id)
    assert reg.learner.first_name == "Ada" and reg.learner.last_name == "Lovelace"
    assert reg.registration_success == "PASSED" and reg.score.scaled == 85


def test_the_same_learner_resumes_and_instanced_dispatches_split_by_resource_link(live_server, course_id):
    made = make_dispatch(live_server, course_id=course_id)
    info = _lti_info(live_server, made.dispatch_id)
    for _ in range(2):
        response = _post(_consumer(info).generate_launch_request())
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith(f"{live_server.content_url}/player/launch?token=")
    assert dispatch_counts(live_server.services, made.dispatch_key) == (1, 1)

    instanced = make_dispatch(live_server, course_id=course_id, instanced=True)
    info = _lti_info(live_server, instanced.dispatch_id)
    for link in ("link-1", "link-2", "link-1"):
        assert _post(_consumer(info, resource_link_id=link).generate_launch_request()).status_code == 303
    assert dispatch_counts(live_server.services, instanced.dispatch_key) == (2, 2)


def test_bad_signature_replay_and_stale_timestamp_are_refused_with_nothing_created(live_server, course_id):
    made = make_dispatch(live_server, course_id=course_id)
    info = _lti_info(live_server, made.dispatch_id)

    bad = _post(_consumer(info, secret="not-the-secret").generate_launch_request())
    assert bad.status_code == 401 and "signature does not match" in bad.text
    stale = _post(_consumer(info).generate_launch_request(timestamp=str(int(time.time()) - 3600)))
    assert stale.status_code == 401 and "timestamp" in stale.text
    other_key = _consumer(info)
    other_key.consumer_key = uuid.uuid4().hex
    wrong = _post(other_key.generate_launch_request())
    assert wrong.status_code == 401 and "consumer key" in wrong.text
    assert dispatch_counts(live_server.services, made.dispatch_key) == (0, 0)

    signed = _consumer(info, user_id="replayer").generate_launch_request()
    assert _post(signed).status_code == 303
    replay = _post(signed)
    assert replay.status_code == 401 and "already used" in replay.text
    assert dispatch_counts(live_server.services, made.dispatch_key) == (1, 1)


def test_a_refused_dispatch_shows_why_and_unknown_keys_are_404(live_server, course_id):
    made = make_dispatch(live_server, course_id=course_id, enabled=False)
    info = _lti_info(live_server, made.dispatch_id)
    refused = _post(_consumer(info).generate_launch_request())
    assert refused.status_code == 403 and "disabled by its provider" in refused.text
    assert dispatch_counts(live_server.services, made.dispatch_key) == (0, 0)
    # the nonce of a refused launch was not kept either: nothing at all was written
    missing = httpx.post(f"{live_server.base_url}/dispatch/lti11/{uuid.uuid4().hex}", data={"a": "b"})
    assert missing.status_code == 404 and "no dispatch with this key" in missing.text


def test_a_launch_without_a_learner_is_a_clear_400(live_server, course_id):
    made = make_dispatch(live_server, course_id=course_id)
    info = _lti_info(live_server, made.dispatch_id)
    response = _post(_consumer(info, user_id="").generate_launch_request())
    assert response.status_code == 400 and "user_id" in response.text
    assert dispatch_counts(live_server.services, made.dispatch_key) == (0, 0)
