"""A public invitation in Chromium, opened by a stranger (a fresh browser context, nobody signed in):
the course title and description, field errors, "Start course", the SCORM 1.2 course plays, and the
registration appears in GetPublicUserInvitations with its progress; a closed invitation says so."""

from __future__ import annotations

import time

import pytest
import rustici_software_cloud_v2 as cloud

from tests.builders.scorm import scorm12_zip
from tests.console.support import check_page
from tests.e2e.support import import_course

DESCRIPTION = "Everything a new colleague needs on day one."
LOM_12 = ('<lom xmlns="http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"><general><description>'
          f'<langstring xml:lang="en">{DESCRIPTION}</langstring></description></general></lom>')

SCO = """() => {
  const api = window.parent.API;
  const r = {init: api.LMSInitialize(""), id: api.LMSGetValue("cmi.core.student_id"),
             name: api.LMSGetValue("cmi.core.student_name")};
  api.LMSSetValue("cmi.core.score.raw", "85");
  api.LMSSetValue("cmi.core.lesson_status", "passed");
  api.LMSSetValue("cmi.core.session_time", "00:02:00");
  r.finish = api.LMSFinish("");
  return r;
}"""


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("inv"), scorm12_zip(
        "Welcome aboard", scos=[("sco1", "Lesson one", "one.html")], metadata_xml=LOM_12))


def _invitations(live_server) -> cloud.InvitationsApi:
    return cloud.InvitationsApi(live_server.client())


def _content_frame(page, name: str):
    deadline = time.time() + 15
    while time.time() < deadline:
        for frame in page.frames:
            if frame.url.endswith("/" + name):
                frame.wait_for_load_state()
                return frame
        page.wait_for_timeout(50)
    raise AssertionError(f"{name} never loaded; frames: {[f.url for f in page.frames]}")


def test_a_stranger_signs_up_plays_the_course_and_is_listed_with_progress(live_server, course, context):
    api = _invitations(live_server)
    inv = api.create_public_invitation(cloud.CreatePublicInvitationSchema(
        course_id=course, creating_user_email="owner@example.org", registration_cap=5))
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(inv.url)
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome aboard"
    assert DESCRIPTION in page.inner_text("main")
    check_page(page, "invite")

    page.get_by_label("Last name").fill("Curie")
    page.get_by_label("Email").fill("marie at example")
    page.get_by_role("button", name="Start course").click()
    assert page.get_by_text("First name is required").is_visible()
    assert page.get_by_text("Email must be an e-mail address").is_visible()
    assert page.get_by_label("Last name").input_value() == "Curie"  # the form kept filled in
    check_page(page, "invite-errors")
    assert api.get_public_user_invitations(inv.id).user_invitations == []

    page.get_by_label("First name").fill("Marie")
    page.get_by_label("Email").fill("marie@example.org")
    page.get_by_role("button", name="Start course").click()
    page.wait_for_function("window.API && typeof window.API.LMSInitialize === 'function'")
    result = _content_frame(page, "one.html").evaluate(SCO)
    assert result == {"init": "true", "id": "marie@example.org", "name": "Curie, Marie", "finish": "true"}
    page.wait_for_url(inv.url, timeout=15000)  # exit: back to the invitation's page

    deadline = time.time() + 10
    while True:
        (user,) = api.get_public_user_invitations(inv.id, include_registration_report=True).user_invitations
        report = user.registration_report
        if report.complete == "COMPLETED" or time.time() > deadline:
            break
        time.sleep(0.1)
    assert (user.email, user.is_started) == ("marie@example.org", True)
    assert (report.complete, report.success, report.score.scaled, report.total_seconds_tracked) == \
        ("COMPLETED", "PASSED", 85.0, 120)
    assert api.get_public_invitation(inv.id).registration_count == 1


def test_a_closed_invitation_says_so(live_server, course, context):
    api = _invitations(live_server)
    inv = api.create_public_invitation(cloud.CreatePublicInvitationSchema(
        course_id=course, creating_user_email="owner@example.org"))
    api.update_public_invitation(inv.id, cloud.PublicInvitationUpdateSchema(allow_launch=False))
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(inv.url)
    assert page.get_by_role("alert").inner_text().startswith("This course cannot be started")
    assert page.get_by_role("button", name="Start course").count() == 0
    check_page(page, "invite-closed")


def test_pages_for_a_wrong_address_and_a_refused_private_link(live_server, course, context):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.goto(f"{live_server.service_url}/invite/no-such-invitation").status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Invitation not found"
    check_page(page, "invite-missing")

    api = _invitations(live_server)
    created = api.create_private_invitation(cloud.CreatePrivateInvitationSchema(
        course_id=course, creating_user_email="owner@example.org",
        invitation_email=cloud.InvitationEmailSchema(addresses=["pat@example.org"])))
    deadline = time.time() + 30
    while api.get_private_invitation_job_status(created.id).status == "STARTED" and time.time() < deadline:
        time.sleep(0.1)
    (user,) = api.get_private_user_invitations(created.id).user_invitations
    api.update_private_invitation(created.id, cloud.PrivateInvitationUpdateSchema(allow_launch=False))
    assert page.goto(user.url).status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Invitation closed"
    assert "cannot be started" in page.inner_text("main")
    check_page(page, "invite-link-refused")
