"""Postbacks through the live server: TestRegistrationPostback via the official client, and queued
deliveries (form / HTTP Basic, course / activity / full, JSON / XML, retries, receiver outages)
into a real HTTP receiver."""

from __future__ import annotations

import json
import time
import uuid
import xml.etree.ElementTree as ET

import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException
from sqlalchemy import select

from coursehost.db.models.jobs import DONE, Job
from coursehost.db.session import unit_of_work
from coursehost.domain.postbacks.enqueue import dedupe_key, enqueue_postback
from coursehost.domain.registrations import core
from tests.builders.scorm import scorm12_zip
from tests.contract.helpers import message, new_child_app
from tests.contract.receiver import Receiver
from tests.e2e.support import create_registration, import_course, set_registration_settings


def app_pk(live_server, app_id: str) -> int:
    from coursehost.db.models.tenancy import Application

    with unit_of_work(live_server.services.session_factory) as session:
        return session.scalars(select(Application.pk).where(Application.app_id == app_id)).one()


@pytest.fixture(scope="module")
def setup(live_server, tmp_path_factory):
    _, creds = new_child_app(live_server)
    course_id = import_course(live_server, tmp_path_factory.mktemp("pb"), scorm12_zip(
        "Two SCOs", scos=[("sco1", "One", "one.html"), ("sco2", "Two & <Three>", "two.html")]), creds)
    return creds, course_id, app_pk(live_server, creds.app_id)


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def reg_api(live_server, creds=None) -> cloud.RegistrationApi:
    return cloud.RegistrationApi(live_server.client(creds))


# ---------------------------------------------------------------- TestRegistrationPostback


@pytest.mark.parametrize("fmt", ["COURSE", "ACTIVITY", "FULL"])
def test_postback_test_form_json(live_server, setup, receiver, fmt):
    creds = setup[0]
    reg_api(live_server, creds).test_registration_postback(cloud.PostBackSchema(
        url=receiver.url, auth_type="FORM", user_name="someone", password="s3cr&t=1", results_format=fmt))
    got = receiver.wait_for(1)
    assert len(got) == 1
    req = got[0]
    assert req.method == "POST" and req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in req.headers
    fields = req.form()
    assert fields["userName"] == "someone" and fields["password"] == "s3cr&t=1"
    data = json.loads(fields["data"])
    assert data["registrationCompletion"] == "COMPLETED" and data["registrationSuccess"] == "PASSED"
    assert ("activityDetails" in data) == (fmt != "COURSE")
    if fmt == "FULL":
        assert data["activityDetails"]["children"][0]["runtime"]["runtimeInteractions"]
    # Parses as the official client's RegistrationSchema.
    reg = live_server.client(creds).deserialize(_Resp(fields["data"]), "RegistrationSchema")
    assert reg.registration_completion == "COMPLETED"


class _Resp:
    def __init__(self, data: str):
        self.data = data


@pytest.mark.parametrize("legacy", [False, True])
def test_postback_test_httpbasic(live_server, setup, receiver, legacy):
    reg_api(live_server, setup[0]).test_registration_postback(cloud.PostBackSchema(
        url=receiver.url, auth_type="HTTPBASIC", user_name="user", password="pa:ss", results_format="COURSE",
        legacy=legacy))
    req = receiver.wait_for(1)[0]
    assert req.basic_auth() == ("user", "pa:ss")
    if legacy:
        assert req.headers["content-type"].startswith("text/xml")
        report = ET.fromstring(req.body).find("registrationreport")
        assert report.get("format") == "course"
        assert [report.find(t).text for t in ("complete", "success", "totaltime", "score")] == \
            ["complete", "passed", "326", "100"]
    else:
        assert req.headers["content-type"] == "application/json"
        assert json.loads(req.body)["totalSecondsTracked"] == 326.0


def test_postback_test_form_legacy_activity(live_server, setup, receiver):
    reg_api(live_server, setup[0]).test_registration_postback(cloud.PostBackSchema(
        url=receiver.url, auth_type="FORM", results_format="ACTIVITY", legacy=True))
    fields = receiver.wait_for(1)[0].form()
    report = ET.fromstring(fields["data"]).find("registrationreport")
    assert report.get("format") == "activity"
    assert report.find("activity/children/activity/title").text == "Postback test SCO"


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_postback_test_failing_receiver_is_400(live_server, setup, receiver, status):
    receiver.answer(status)
    with pytest.raises(ApiException) as exc:
        reg_api(live_server, setup[0]).test_registration_postback(cloud.PostBackSchema(
            url=receiver.url, auth_type="FORM", user_name="u", password="never-echoed"))
    assert exc.value.status == 400
    assert f"HTTP {status}" in message(exc.value) and "never-echoed" not in exc.value.body
    time.sleep(1.5)
    assert len(receiver.requests) == 1  # sent once, never retried


def test_postback_test_unreachable_receiver_is_400(live_server, setup, receiver):
    url = receiver.url
    receiver.stop()
    with pytest.raises(ApiException) as exc:
        reg_api(live_server, setup[0]).test_registration_postback(cloud.PostBackSchema(url=url))
    assert exc.value.status == 400 and "connection error" in message(exc.value)


@pytest.mark.parametrize("body", [
    {"url": "ftp://example.com/x"}, {"url": "not a url"}, {},
    {"url": "http://127.0.0.1:9/x", "authType": "digest"},
    {"url": "http://127.0.0.1:9/x", "resultsFormat": "everything"},
])
def test_postback_test_bad_input_is_400(live_server, setup, body):
    import httpx

    creds = setup[0]
    res = httpx.post(live_server.api_url + "/registrations/postBackTest", json=body,
                     auth=(creds.app_id, creds.secret))
    assert res.status_code == 400 and res.json()["message"]


def test_postback_test_needs_credentials(live_server, receiver):
    import httpx

    res = httpx.post(live_server.api_url + "/registrations/postBackTest", json={"url": receiver.url})
    assert res.status_code == 401
    assert receiver.requests == []


# ---------------------------------------------------------------- queued deliveries


def new_registration(live_server, setup, postback: dict, **state) -> str:
    """A registration made with the official client with POSTBACK, then results STATE (queued)."""
    creds, course_id, _ = setup
    reg_id = f"reg-{uuid.uuid4().hex[:10]}"
    cloud.RegistrationApi(live_server.client(creds)).create_registration(cloud.CreateRegistrationSchema(
        course_id=course_id, registration_id=reg_id, learner=cloud.LearnerSchema(id="learner-1", first_name="Ada"),
        post_back=cloud.PostBackSchema(
            url=postback["url"], auth_type=postback.get("authType", "form").upper(),
            user_name=postback.get("userName"), password=postback.get("password"),
            results_format=postback.get("resultsFormat", "course").upper(), legacy=postback.get("legacy", False))))
    change(live_server, setup, reg_id, **state)
    return reg_id


def set_results(session, reg, state: dict) -> None:
    """Set summary results on REG and its current instance (what GetRegistrationProgress reads)."""
    inst = core.get_instance(session, registration=reg)
    for key, value in state.items():
        setattr(reg, key, value)
        setattr(inst, key, value)
    session.flush()


def change(live_server, setup, reg_id: str, **state) -> None:
    """Change REG_ID's results and queue its postback, as a run-time commit does."""
    with unit_of_work(live_server.services.session_factory) as session:
        reg = core.get_registration(session, application_pk=setup[2], registration_id=reg_id)
        set_results(session, reg, state)
        enqueue_postback(session, registration=reg)


def jobs_of(live_server, setup, reg_id: str) -> list[Job]:
    with live_server.services.session_factory() as session:
        reg = core.get_registration(session, application_pk=setup[2], registration_id=reg_id)
        return list(session.scalars(select(Job).where(Job.dedupe_key == dedupe_key(reg.pk)).order_by(Job.id)))


def wait_jobs(live_server, setup, reg_id, cond, timeout=30.0) -> list[Job]:
    deadline = time.monotonic() + timeout
    while True:
        jobs = jobs_of(live_server, setup, reg_id)
        if cond(jobs):
            return jobs
        assert time.monotonic() < deadline, [(j.status, j.attempts, j.last_error) for j in jobs]
        time.sleep(0.1)


@pytest.mark.parametrize("fmt", ["course", "activity", "full"])
@pytest.mark.parametrize("legacy", [False, True])
def test_delivery_form(live_server, setup, receiver, fmt, legacy):
    reg_id = new_registration(live_server, setup, {
        "url": receiver.url, "authType": "form", "userName": "pb-user", "password": "pb-pass",
        "resultsFormat": fmt, "legacy": legacy}, completion="COMPLETED", success="PASSED", score_scaled=75.0)
    req = receiver.wait_for(1)[0]
    fields = req.form()
    assert (fields["userName"], fields["password"]) == ("pb-user", "pb-pass")
    if legacy:
        report = ET.fromstring(fields["data"]).find("registrationreport")
        assert (report.get("format"), report.get("regid"), report.get("instanceid")) == (fmt, reg_id, "0")
        if fmt == "course":
            assert [report.find(t).text for t in ("complete", "success", "score")] == ["complete", "passed", "75"]
        else:
            acts = {a.get("id"): a for a in report.iter("activity")}
            assert {"sco1", "sco2"} <= set(acts)
            assert acts["sco2"].find("title").text == "Two & <Three>"
    else:
        data = json.loads(fields["data"])
        assert data["id"] == reg_id and data["registrationCompletion"] == "COMPLETED"
        assert data["score"]["scaled"] == 75.0
        assert ("activityDetails" in data) == (fmt != "course")
        if fmt != "course":
            titles = [c["title"] for c in data["activityDetails"]["children"]]
            assert titles == ["One", "Two & <Three>"]
    wait_jobs(live_server, setup, reg_id, lambda jobs: jobs and jobs[-1].status == DONE)


@pytest.mark.parametrize("fmt", ["course", "activity", "full"])
@pytest.mark.parametrize("legacy", [False, True])
def test_delivery_httpbasic(live_server, setup, receiver, fmt, legacy):
    reg_id = new_registration(live_server, setup, {
        "url": receiver.url, "authType": "httpbasic", "userName": "b-user", "password": "b:pass",
        "resultsFormat": fmt, "legacy": legacy}, completion="INCOMPLETE")
    req = receiver.wait_for(1)[0]
    assert req.basic_auth() == ("b-user", "b:pass")
    if legacy:
        assert req.headers["content-type"].startswith("text/xml")
        report = ET.fromstring(req.body).find("registrationreport")
        assert (report.get("format"), report.get("regid")) == (fmt, reg_id)
        if fmt == "course":
            assert report.find("complete").text == "incomplete" and report.find("score").text == "unknown"
    else:
        data = json.loads(req.body)
        assert data["id"] == reg_id and data["registrationCompletion"] == "INCOMPLETE"


def test_delivery_from_settings(live_server, setup, receiver):
    """No postback at creation: the ApiRollupRegistration* settings of the registration apply."""
    creds, course_id, pk = setup
    reg_id = create_registration(live_server, course_id, creds)
    set_registration_settings(
        live_server, reg_id, creds, ApiRollupRegistrationPostBackUrl=receiver.url,
        ApiRollupRegistrationAuthType="httpbasic", ApiRollupRegistrationAuthUser="su",
        ApiRollupRegistrationAuthPassword="sp", ApiRollupRegistrationIsJson="false")
    change(live_server, setup, reg_id, completion="COMPLETED")
    req = receiver.wait_for(1)[0]
    assert req.basic_auth() == ("su", "sp")
    assert ET.fromstring(req.body).find("registrationreport/complete").text == "complete"


def test_delivery_retried_after_500(live_server, setup, receiver):
    receiver.answer(500, 502)
    reg_id = new_registration(live_server, setup, {"url": receiver.url}, completion="COMPLETED")
    got = receiver.wait_for(3)
    assert [r.status for r in got] == [500, 502, 200]
    assert all(json.loads(r.form()["data"])["id"] == reg_id for r in got)
    jobs = wait_jobs(live_server, setup, reg_id, lambda jobs: jobs and jobs[-1].status == DONE)
    assert len(jobs) == 1 and jobs[0].attempts == 3 and jobs[0].last_error is None


def test_delivery_outage_delivers_newest_state(live_server, setup, receiver):
    receiver.stop()
    reg_id = new_registration(live_server, setup, {"url": receiver.url, "authType": "httpbasic"},
                              completion="INCOMPLETE")
    jobs = wait_jobs(live_server, setup, reg_id, lambda jobs: jobs and (jobs[0].attempts or 0) >= 2
                     and jobs[0].last_error)
    assert "connection error" in jobs[0].last_error
    change(live_server, setup, reg_id, completion="COMPLETED", success="PASSED", score_scaled=88.0)
    time.sleep(0.5)  # the newest job tries (and fails) too while the receiver is down
    receiver.start()  # the same port
    got = receiver.wait_for(1, timeout=30)
    time.sleep(2)
    for req in receiver.requests:  # every delivery carries the state as it is when sent
        data = json.loads(req.body)
        assert (data["registrationCompletion"], data["score"]["scaled"]) == ("COMPLETED", 88.0)
    assert got
    wait_jobs(live_server, setup, reg_id, lambda jobs: all(j.status == DONE for j in jobs), timeout=40)


def test_deleted_registration_finishes_quietly(live_server, setup, receiver):
    receiver.answer(500)
    reg_id = new_registration(live_server, setup, {"url": receiver.url})
    receiver.wait_for(1)
    with unit_of_work(live_server.services.session_factory) as session:
        reg = core.get_registration(session, application_pk=setup[2], registration_id=reg_id)
        reg_pk = reg.pk
        session.delete(reg)
    deadline = time.monotonic() + 20
    while True:
        with live_server.services.session_factory() as session:
            job = session.scalars(select(Job).where(Job.dedupe_key == dedupe_key(reg_pk))).first()
            if job.status == DONE:
                assert job.result == {"skipped": "registration deleted or no postback URL"}
                break
        assert time.monotonic() < deadline, (job.status, job.attempts, job.last_error)
        time.sleep(0.1)
    assert len(receiver.requests) == 1
