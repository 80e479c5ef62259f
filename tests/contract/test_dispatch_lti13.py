"""LTI 1.3 dispatch launches from a real platform (lti1p3platform, tests/contract/lti13_platform.py)
against the live server: OIDC login, form_post launch into the course, the score back through AGS
(our client assertion verified by the platform with our /lti/jwks); refusals (bad signature, wrong
audience, expired token, replayed state or nonce, unknown deployment) with nothing created; the three
LTI 1.3 DispatchApi operations through the official client; our key set and its rotation by the CLI."""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException
from sqlalchemy import func, select

from coursehost.db.base import utcnow
from coursehost.db.models.dispatch import Dispatch, DispatchRegistration
from coursehost.db.models.jobs import Job
from coursehost.db.models.registrations import Registration
from coursehost.db.session import unit_of_work
from tests.console.test_cli_users import coursehost
from tests.contract.lti13_platform import rsa_pems, running_platform
from tests.contract.player_http import commit, import_one_sco
from tests.dispatch_support import make_dispatch

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def course_id(live_server, tmp_path_factory) -> str:
    cid = f"lti13-{uuid.uuid4().hex[:8]}"
    import_one_sco(live_server.client(), tmp_path_factory.mktemp("lti13"), cid)
    return cid


@pytest.fixture(scope="module")
def platform(live_server):
    with running_platform(live_server.base_url + "/lti/jwks", live_server.base_url + "/dispatch/lti13/login") as p:
        yield p


@pytest.fixture
def dispatch(live_server, course_id, platform):
    return make_dispatch(live_server, course_id=course_id, lti13=platform.lti13_config())


def dispatch_api(live_server) -> cloud.DispatchApi:
    return cloud.DispatchApi(live_server.client())


def target_of(live_server, dispatch) -> str:
    return dispatch_api(live_server).get_lti13_dispatch(dispatch.dispatch_id).target_link_uri


def authorize(live_server, platform, dispatch, user: str) -> dict:
    """The platform's login initiation to our login URL; the authorization request we redirect to."""
    resp = httpx.get(platform.login_url(target_of(live_server, dispatch), user=user))
    assert resp.status_code == 302, resp.text
    location = resp.headers["location"]
    assert location.startswith(platform.url + "/auth?")
    return dict(parse_qsl(urlsplit(location).query))


def counts(live_server, dispatch) -> tuple[int, int]:
    """(registration rows through the dispatch, its registrationCount)."""
    with unit_of_work(live_server.services.session_factory) as session:
        rows = session.scalar(select(func.count()).select_from(DispatchRegistration)
                              .where(DispatchRegistration.dispatch_pk == dispatch.pk))
        return rows, session.get(Dispatch, dispatch.pk).registration_count


def post_launch(data: dict) -> httpx.Response:
    return httpx.post(data["launch_url"], data={"id_token": data["id_token"], "state": data["state"]})


def test_a_platform_launch_opens_the_course_and_the_score_reaches_the_platform(live_server, platform, dispatch):
    auth = authorize(live_server, platform, dispatch, "learner-1")
    assert {k: auth[k] for k in ("scope", "response_type", "response_mode", "prompt", "client_id", "login_hint",
                                 "redirect_uri")} == {
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
        "client_id": platform.client_id, "login_hint": "learner-1",
        "redirect_uri": live_server.base_url + "/dispatch/lti13/launch"}
    launched = post_launch(platform.launch(auth, user="learner-1"))
    assert launched.status_code == 303, launched.text
    player = launched.headers["location"]
    assert player.startswith(live_server.content_url + "/player/launch?token=")
    page = httpx.get(player)
    assert page.status_code == 200 and '"runtimeToken"' in page.text  # the course opens
    assert counts(live_server, dispatch) == (1, 1)

    with unit_of_work(live_server.services.session_factory) as session:
        row = session.scalars(select(DispatchRegistration).where(DispatchRegistration.dispatch_pk == dispatch.pk)).one()
        reg = session.scalars(select(Registration).where(Registration.registration_id == row.registration_id)).one()
        assert (row.via, row.learner_key, reg.learner["firstName"], reg.learner["lastName"]) == \
            ("lti13", "learner-1", "Ada", "Lovelace")
        assert row.outcome["lineitem"] == platform.url + "/lineitems/1" and row.outcome["sub"] == "learner-1"

    token = page.text.split('"runtimeToken":', 1)[1].split('"')[1]
    commit(live_server.content_url, token, 1, {"lesson_status": "passed", "score": {"raw": "80", "min": "0",
                                                                                     "max": "100"}})
    deadline = time.monotonic() + 30
    while not any(s.get("scoreGiven") == 80 for s in platform.scores):
        assert time.monotonic() < deadline, f"no score reached the platform: {platform.scores} {platform.errors}"
        time.sleep(0.2)
    score = next(s for s in platform.scores if s.get("scoreGiven") == 80)
    assert (score["userId"], score["scoreMaximum"], score["activityProgress"], score["gradingProgress"],
            score["lineitem"], score["contentType"]) == (
        "learner-1", 100, "Completed", "FullyGraded", "1", "application/vnd.ims.lis.v1.score+json")
    assertion = platform.assertions[-1]  # verified by the library against our /lti/jwks; its claims:
    assert (assertion["iss"], assertion["sub"], assertion["aud"]) == \
        (platform.client_id, platform.client_id, platform.url + "/token")

    again = post_launch(platform.launch(authorize(live_server, platform, dispatch, "learner-1"), user="learner-1"))
    assert again.status_code == 303  # the same learner resumes: still one registration
    assert counts(live_server, dispatch) == (1, 1)


def _open_course(live_server, platform, dispatch, user: str) -> str:
    """Launch as USER from the platform; the player's runtime token."""
    launched = post_launch(platform.launch(authorize(live_server, platform, dispatch, user), user=user))
    assert launched.status_code == 303, launched.text
    page = httpx.get(launched.headers["location"])
    return page.text.split('"runtimeToken":', 1)[1].split('"')[1]


def test_a_platform_that_cannot_take_the_score_now_gets_it_on_a_later_attempt(live_server, platform, dispatch):
    token = _open_course(live_server, platform, dispatch, "learner-retry")
    platform.token_outages = 1
    commit(live_server.content_url, token, 1, {"lesson_status": "failed", "score": {"raw": "35"}})
    deadline = time.monotonic() + 30
    with unit_of_work(live_server.services.session_factory) as session:
        while (job := session.scalars(select(Job).where(Job.kind == "dispatch.outcome", Job.attempts >= 1)
                                      .order_by(Job.id.desc())).first()) is None or job.last_error is None:
            assert time.monotonic() < deadline, "the outcome job never ran"
            session.rollback()
            time.sleep(0.2)
        assert job.status == "queued" and "HTTP 503" in job.last_error  # to be retried, not dropped
        job.run_after = utcnow()  # the retry now rather than after its backoff
    while not any(s.get("userId") == "learner-retry" for s in platform.scores):
        assert time.monotonic() < deadline + 30, f"the retry never delivered: {platform.errors}"
        time.sleep(0.2)
    score = next(s for s in platform.scores if s.get("userId") == "learner-retry")
    assert (score["scoreGiven"], score["activityProgress"], score["gradingProgress"]) == (35, "Completed",
                                                                                          "FullyGraded")


def _claims(platform, auth: dict, **launch) -> tuple[dict, dict]:
    data = platform.launch(auth, user="learner-x", **launch)
    return data, jwt.decode(data["id_token"], options={"verify_signature": False})


@pytest.mark.parametrize(("case", "status", "words"), [
    ("bad signature", 401, "signature is not valid"),
    ("wrong audience", 401, "another tool"),
    ("expired", 401, "expired"),
    ("unknown deployment", 403, "deployment"),
    ("wrong nonce", 401, "nonce"),
])
def test_a_launch_that_fails_a_check_is_refused_and_creates_nothing(live_server, platform, dispatch, case, status,
                                                                    words):
    auth = authorize(live_server, platform, dispatch, "learner-x")
    data, claims = _claims(platform, auth, expiration=-300 if case == "expired" else 300)
    if case == "bad signature":
        data["id_token"] = platform.sign(claims, private_pem=rsa_pems()[0])
    elif case == "wrong audience":
        data["id_token"] = platform.sign({**claims, "aud": "another-tool", "azp": "another-tool"})
    elif case == "unknown deployment":
        data["id_token"] = platform.sign({**claims, "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "d-9"})
    elif case == "wrong nonce":
        data["id_token"] = platform.sign({**claims, "nonce": "not-ours"})
    resp = post_launch(data)
    assert resp.status_code == status, resp.text
    assert words in resp.text and "location" not in resp.headers
    assert counts(live_server, dispatch) == (0, 0)


def test_a_replayed_launch_is_refused(live_server, platform, dispatch):
    data = platform.launch(authorize(live_server, platform, dispatch, "learner-r"), user="learner-r")
    assert post_launch(data).status_code == 303
    replay = post_launch(data)  # the same state and nonce again
    assert replay.status_code == 401 and "already used" in replay.text
    assert counts(live_server, dispatch) == (1, 1)


def test_a_login_for_a_dispatch_of_another_destination_is_refused(live_server, course_id, platform, dispatch):
    other = make_dispatch(live_server, course_id=course_id, lti13={**platform.lti13_config(), "clientId": "someone-else"})
    resp = httpx.get(platform.login_url(target_of(live_server, other), user="learner-1"))
    assert resp.status_code == 403 and "not sent to this LMS" in resp.text
    unknown = httpx.get(platform.login_url(target_of(live_server, dispatch), user="u").replace(
        "iss=", "iss=x", 1))
    assert unknown.status_code == 403 and "No destination" in unknown.text
    bare = httpx.post(live_server.base_url + "/dispatch/lti13/login", data={"login_hint": "u"})
    assert bare.status_code == 400 and "iss is required" in bare.text


def test_dispatch_lti13_operations_through_the_official_client(live_server, platform, dispatch):
    api = dispatch_api(live_server)
    info = api.get_lti13_dispatch(dispatch.dispatch_id)
    assert info.target_link_uri == f"{live_server.base_url}/dispatch/lti13/dispatches/{dispatch.dispatch_key}"
    tool = api.get_lti13_tool_configuration_schema(dispatch.destination_id)
    assert tool.public_key.startswith("-----BEGIN PUBLIC KEY-----")
    assert (tool.oidc_login_initiations_url, tool.redirect_uri, tool.json_web_key_set_url) == (
        live_server.base_url + "/dispatch/lti13/login", live_server.base_url + "/dispatch/lti13/launch",
        live_server.base_url + "/lti/jwks")
    for call, arg in ((api.get_lti13_dispatch, "no-such-dispatch"),
                      (api.get_lti13_tool_configuration_schema, "no-such-destination")):
        with pytest.raises(ApiException) as err:
            call(arg)
        assert err.value.status == 404

    data = platform.launch(authorize(live_server, platform, dispatch, "learner-api"), user="learner-api")
    with pytest.raises(ApiException) as err:  # a token whose nonce no login of this dispatch sent
        api.get_lti13_dispatch_launch(dispatch.dispatch_id, "{}", platform.sign(
            {**jwt.decode(data["id_token"], options={"verify_signature": False}), "nonce": "forged"}))
    assert err.value.status == 401
    assert counts(live_server, dispatch) == (0, 0)
    # the launch's last step with the id_token in the query: redirected (and followed) into the player
    assert api.get_lti13_dispatch_launch(dispatch.dispatch_id, "{}", data["id_token"]) is None
    assert counts(live_server, dispatch) == (1, 1)
    with pytest.raises(ApiException) as err:
        api.get_lti13_dispatch_launch(dispatch.dispatch_id, "{}", data["id_token"])
    assert err.value.status == 401  # its nonce works once


def test_our_key_set_and_rotation_by_the_cli(live_server):
    before = httpx.get(live_server.base_url + "/lti/jwks")
    assert before.status_code == 200 and "max-age" in before.headers["cache-control"]
    kids = [k["kid"] for k in before.json()["keys"]]
    assert kids and all(k["kty"] == "RSA" and k["alg"] == "RS256" for k in before.json()["keys"])
    done = coursehost(live_server, "lti", "rotate-keys", "--grace-days", "3")
    assert done.returncode == 0, done.stderr
    after = httpx.get(live_server.base_url + "/lti/jwks").json()["keys"]
    new_kid = after[0]["kid"]
    assert new_kid not in kids and new_kid in done.stdout
    assert set(kids) <= {k["kid"] for k in after}  # the replaced key is still published
    bad = coursehost(live_server, "lti", "rotate-keys", "--grace-days", "-1")
    assert bad.returncode == 2 and "grace-days" in bad.stderr
