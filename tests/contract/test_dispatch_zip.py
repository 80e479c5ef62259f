"""GetDispatchZip / GetDestinationDispatchZip through the official client, and the shell's signed
launch on the content origin over HTTP: the package a client downloads launches (303 to the player,
one registration per learner), while a bad signature, a bad origin, an unknown key or a disabled
dispatch gets a message page and creates nothing."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from urllib.parse import urlencode

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from tests.builders.scorm import scorm12_zip
from tests.contract.helpers import message, new_child_app
from tests.dispatch_support import dispatch_registrations, make_dispatch, update_dispatch
from tests.e2e.support import import_course

SHELL_ORIGIN = "http://127.0.0.1:9"  # the receiving LMS's content origin (nothing listens: only its name counts)


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory) -> str:
    return import_course(live_server, tmp_path_factory.mktemp("dz"), scorm12_zip("Golf explained", masteryscore=80))


def _zip(path: str) -> dict[str, bytes]:
    with open(path, "rb") as fh, zipfile.ZipFile(io.BytesIO(fh.read())) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _config(html: bytes) -> dict:
    return json.loads(re.search(r'id="coursehost-dispatch">(.*?)</script>', html.decode()).group(1))


def test_the_dispatch_zip_downloads_with_the_signed_key_for_each_type(live_server, course):
    made = make_dispatch(live_server, course_id=course)
    api = cloud.DispatchApi(live_server.client())
    files = _zip(api.get_dispatch_zip(made.dispatch_id, type="SCORM_12", css_url="https://cdn.example.org/a.css"))
    assert set(files) == {"imsmanifest.xml", "index.html", "shell.js"}
    assert b"<schemaversion>1.2</schemaversion>" in files["imsmanifest.xml"]
    assert b"<title>Golf explained</title>" in files["imsmanifest.xml"]
    config = _config(files["index.html"])
    assert config["dispatchKey"] == made.dispatch_key and config["contentUrl"] == live_server.content_url
    assert config["via"] == "scorm12" and config["cssUrl"] == "https://cdn.example.org/a.css"
    assert set(_zip(api.get_dispatch_zip(made.dispatch_id))) == {"imsmanifest.xml", "index.html", "shell.js"}
    assert {n.rsplit(".", 1)[1] for n in _zip(api.get_dispatch_zip(made.dispatch_id, type="AICC"))} == {
        "crs", "au", "des", "cst", "html", "js"}
    assert b"2004 3rd Edition" in _zip(api.get_dispatch_zip(made.dispatch_id, type="SCORM_2004_3RD"))["imsmanifest.xml"]


def test_a_destination_zip_holds_each_dispatch_or_those_tagged(live_server, course, tmp_path):
    other = import_course(live_server, tmp_path, scorm12_zip("Golf advanced"))  # one dispatch per course and destination
    first = make_dispatch(live_server, course_id=course)
    second = make_dispatch(live_server, course_id=other, destination_id=first.destination_id, tags=["spring"])
    api = cloud.DispatchApi(live_server.client())
    files = _zip(api.get_destination_dispatch_zip(first.destination_id, type="SCORM_12"))
    keys = [_config(files[n])["dispatchKey"] for n in sorted(files) if n.endswith(".html")]
    assert keys == [first.dispatch_key, second.dispatch_key]
    assert files["imsmanifest.xml"].count(b"<item ") == 2
    tagged = _zip(api.get_destination_dispatch_zip(first.destination_id, tags=["spring"]))
    assert [_config(tagged[n])["dispatchKey"] for n in tagged if n.endswith(".html")] == [second.dispatch_key]


def test_unknown_ids_other_applications_and_bad_types_are_refused(live_server, course):
    made = make_dispatch(live_server, course_id=course)
    api = cloud.DispatchApi(live_server.client())
    with pytest.raises(ApiException) as exc:
        api.get_dispatch_zip("no-such-dispatch")
    assert exc.value.status == 404
    with pytest.raises(ApiException) as exc:
        api.get_destination_dispatch_zip("no-such-destination")
    assert exc.value.status == 404
    with pytest.raises(ApiException) as exc:
        api.get_dispatch_zip(made.dispatch_id, type="SCORM_2004_4TH")
    assert exc.value.status == 400 and "type must be one of SCORM_12" in message(exc.value)
    with pytest.raises(ApiException) as exc:
        api.get_dispatch_zip(made.dispatch_id, css_url="ftp://x")
    assert exc.value.status == 400 and "cssUrl" in message(exc.value)
    _, creds = new_child_app(live_server)
    other = cloud.DispatchApi(live_server.client(creds))
    with pytest.raises(ApiException) as exc:
        other.get_dispatch_zip(made.dispatch_id)
    assert exc.value.status == 404
    with pytest.raises(ApiException) as exc:
        other.get_destination_dispatch_zip(made.destination_id)
    assert exc.value.status == 404


def _launch(live_server, made, *, sig=None, learner="lms-7", origin=SHELL_ORIGIN, via="scorm12"):
    """The shell's launch request, with the signature from the downloaded package unless SIG."""
    if sig is None:
        files = _zip(cloud.DispatchApi(live_server.client()).get_dispatch_zip(made.dispatch_id))
        sig = _config(files["index.html"])["sig"]
    query = urlencode({"via": via, "sig": sig, "learner": learner, "name": "Lovelace, Ada", "origin": origin})
    return httpx.get(f"{live_server.content_url}/dispatch/launch/{made.dispatch_key}?{query}")


def test_the_signed_launch_opens_the_player_and_commits_answer_with_the_rollup(live_server, course):
    made = make_dispatch(live_server, course_id=course)
    answer = _launch(live_server, made)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"{live_server.content_url}/player/launch?token=")
    count, [reg_id] = dispatch_registrations(live_server.services, made.dispatch_key)
    assert count == 1 and reg_id.startswith("dispatch-")
    learner = cloud.RegistrationApi(live_server.client()).get_registration_progress(reg_id).learner
    assert (learner.id, learner.first_name, learner.last_name) == ("lms-7", "Ada", "Lovelace")
    page = httpx.get(answer.headers["location"])
    config = json.loads(re.search(r'id="player-config">(.*?)</script>', page.text).group(1))
    assert config["shell"] == {"origin": SHELL_ORIGIN, "startSeconds": 0.0}
    assert config["redirect"] == "/player/exit/message"
    body = {"seq": 1, "activityId": config["items"][0]["id"], "terminated": False,
            "runtime": {"core": {"lesson_status": "passed", "score": {"raw": "90"}, "session_time": "00:01:30"}}}
    got = httpx.post(f"{live_server.content_url}/player/runtime/commit", json=body,
                     headers={"x-player-token": config["runtimeToken"]}).json()
    assert got["result"]["success"] == "PASSED" and got["result"]["scoreScaled"] == 90
    # the same learner again resumes: no new registration, no count
    assert _launch(live_server, made).status_code == 303
    assert dispatch_registrations(live_server.services, made.dispatch_key) == (1, [reg_id])


def test_a_bad_signature_origin_or_key_and_a_disabled_dispatch_create_nothing(live_server, course):
    made = make_dispatch(live_server, course_id=course)
    bad = _launch(live_server, made, sig="0" * 64)
    assert bad.status_code == 403 and "signature is not valid" in bad.text
    assert _launch(live_server, made, via="scorm2004").status_code == 403  # signed for SCORM 1.2 only
    no_origin = _launch(live_server, made, origin="https://lms.example.org/path")
    assert no_origin.status_code == 400 and "no valid origin" in no_origin.text
    assert _launch(live_server, made, learner="").status_code == 400
    unknown = httpx.get(f"{live_server.content_url}/dispatch/launch/{uuid.uuid4().hex}?origin={SHELL_ORIGIN}")
    assert unknown.status_code == 404
    assert dispatch_registrations(live_server.services, made.dispatch_key) == (0, [])
    update_dispatch(live_server, made.dispatch_id, enabled=False)
    off = _launch(live_server, made)
    assert off.status_code == 403 and "disabled by its provider" in off.text
    assert dispatch_registrations(live_server.services, made.dispatch_key) == (0, [])
