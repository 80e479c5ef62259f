"""What real cmi5 packages need of the LMS, found playing ADL CATAPULT's example courses
(tests/conformance/packages): each case here is built in code, not taken from them."""

from __future__ import annotations

import pytest

from tests.contract.helpers import new_child_app
from tests.contract.test_cmi5_launch import AU_ID, Launched, package, registration_progress, root
from tests.e2e.support import import_course

VIDEO = "https://example.com/cmi5/au/one/video/intro"


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    app_id, creds = new_child_app(live_server)
    return app_id, creds, import_course(live_server, tmp_path_factory.mktemp("cmi5"), package(), creds)


def test_a_cmi5_verb_about_something_inside_the_au_is_a_cmi5_allowed_statement(live_server, course):
    """The xAPI video profile's initialized / completed about a video in the AU carry no cmi5
    category: they are cmi5 allowed statements (§9.3), stored, and they change no AU result."""
    launched = Launched(live_server, course)
    assert launched.post(launched.statement("initialized")).status_code == 200
    for verb in ("initialized", "completed"):
        video = launched.statement(verb, category=False, result={"completion": True} if verb == "completed" else None)
        video["object"] = {"id": VIDEO, "objectType": "Activity"}
        answer = launched.post(video)
        assert answer.status_code == 200, answer.text
    assert registration_progress(live_server, launched).registration_completion != "COMPLETED"
    about_au = launched.statement("completed", category=False, result={"completion": True})
    assert launched.post(about_au).status_code == 403  # about the AU itself it must be a defined statement


def test_the_aus_registration_is_the_registrations_xapi_registration_id(live_server, course):
    """One LRS query by GetRegistrationProgress's xapiRegistrationId finds the AU's statements, as
    for every other standard."""
    launched = Launched(live_server, course)
    xapi_id = registration_progress(live_server, launched).xapi_registration_id
    assert launched.params["registration"] == xapi_id
    assert launched.post(launched.statement("initialized")).status_code == 200
    with root(live_server, launched.app_id, launched.creds) as lrs:
        found = lrs.get("statements", params={"registration": xapi_id}).json()["statements"]
    au = launched.params["activityId"]  # the LMS's own id for the AU (§8.1.5); the publisher's is AU_ID
    assert au != AU_ID
    assert {(s["verb"]["id"].rsplit("/", 1)[-1], s["object"]["id"]) for s in found} >= {
        ("launched", au), ("initialized", au)}
