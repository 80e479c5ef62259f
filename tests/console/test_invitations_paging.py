"""The Invitations tab's lists, paged in Chromium by "Newer" / "Older" links (the test server shows 10
rows a page): 23 invitations of one course go over three pages, newest first, each once; the State
filter is kept and decided before paging (so its pages are full); an invitation's 13 people go over
two pages; a page link that this page did not make gets a 400 in words."""

from __future__ import annotations

import time
import uuid

import pytest
import rustici_software_cloud_v2 as cloud
from playwright.sync_api import expect

from tests.builders.scorm import scorm12_zip
from tests.console.support import check_page, make_user, sign_in
from tests.e2e.support import import_course


@pytest.fixture(scope="module")
def course(live_server, tmp_path_factory):
    return import_course(live_server, tmp_path_factory.mktemp("invp"), scorm12_zip(
        "Paging course", scos=[("sco1", "Lesson one", "one.html")]))


@pytest.fixture(scope="module")
def api(live_server) -> cloud.InvitationsApi:
    return cloud.InvitationsApi(live_server.client())


@pytest.fixture
def page(live_server, context):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, make_user(live_server, "administrator"))
    return page


def _ids_shown(page) -> list[str]:
    return [a.get_attribute("href").rsplit("/", 1)[1] for a in page.locator("table.invitations tbody a").all()]


def test_the_invitations_list_pages_newest_first_with_newer_and_older(live_server, course, api, page):
    assert live_server.services.settings.page_size == 10
    created = [api.create_public_invitation(cloud.CreatePublicInvitationSchema(
        course_id=course, creating_user_email="owner@example.org")).id for _ in range(23)]
    newest_first = created[::-1]
    page.goto(f"{live_server.service_url}/console/invitations?app={live_server.default_app.app_id}")
    page.get_by_label("Course").select_option(course)
    page.get_by_role("button", name="Filter").click()
    pager = page.get_by_role("navigation", name="Pages of invitations")

    assert _ids_shown(page) == newest_first[:10]
    expect(pager.get_by_role("link", name="Newer invitations")).to_have_count(0)
    check_page(page, "invitations-list-paged")
    pager.get_by_role("link", name="Older invitations").click()
    assert _ids_shown(page) == newest_first[10:20]
    assert f"course={course}" in page.url  # the filter is kept
    pager.get_by_role("link", name="Older invitations").click()
    assert _ids_shown(page) == newest_first[20:]
    expect(pager.get_by_role("link", name="Older invitations")).to_have_count(0)
    expect(page.locator("p.count")).to_contain_text("3 invitations on this page (the oldest)")
    pager.get_by_role("link", name="Newer invitations").click()
    assert _ids_shown(page) == newest_first[10:20]
    pager.get_by_role("link", name="Newer invitations").click()
    assert _ids_shown(page) == newest_first[:10]

    # the state filter is decided before paging: 12 closed ones are one full page and one of 2
    closed = newest_first[3:15]
    for invitation_id in closed:
        api.update_public_invitation(invitation_id, cloud.PublicInvitationUpdateSchema(allow_new_registrations=False))
    page.get_by_label("State").select_option("closed")
    page.get_by_role("button", name="Filter").click()
    assert _ids_shown(page) == closed[:10]
    pager.get_by_role("link", name="Older invitations").click()
    assert _ids_shown(page) == closed[10:]
    assert "state=closed" in page.url

    answer = page.goto(f"{live_server.service_url}/console/invitations?app={live_server.default_app.app_id}"
                       "&older=yesterday_1")
    assert answer.status == 400
    expect(page.get_by_text("This page link is not valid")).to_be_visible()


def test_an_invitations_people_page_newest_first_with_newer_and_older(live_server, course, api, page):
    tag = uuid.uuid4().hex[:6]
    addresses = [f"p{n:02d}-{tag}@example.org" for n in range(13)]
    invitation_id = api.create_private_invitation(cloud.CreatePrivateInvitationSchema(
        course_id=course, creating_user_email="owner@example.org",
        invitation_email=cloud.InvitationEmailSchema(addresses=addresses))).id
    deadline = time.time() + 30
    while api.get_private_invitation_job_status(invitation_id).status == "STARTED" and time.time() < deadline:
        time.sleep(0.1)
    page.goto(f"{live_server.service_url}/console/invitations/{live_server.default_app.app_id}/{invitation_id}")
    rows = page.locator("table.invitation-people tbody tr")
    pager = page.get_by_role("navigation", name="Pages of registrations")
    first = [r.locator("td").first.inner_text() for r in rows.all()]
    assert len(first) == 10
    expect(page.get_by_text("10 of 13 on this page, newest first.")).to_be_visible()
    expect(pager.get_by_role("link", name="Newer registrations")).to_have_count(0)
    pager.get_by_role("link", name="Older registrations").click()
    second = [r.locator("td").first.inner_text() for r in rows.all()]
    assert len(second) == 3 and sorted(first + second) == addresses
    expect(pager.get_by_role("link", name="Older registrations")).to_have_count(0)
    check_page(page, "invitations-people-paged")
    pager.get_by_role("link", name="Newer registrations").click()
    assert [r.locator("td").first.inner_text() for r in rows.all()] == first
