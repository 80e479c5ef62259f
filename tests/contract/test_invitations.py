"""InvitationsApi through the official client (public invitations, the people who registered through
them, every invitation, tags), and the public page's sign-up over HTTP: refusals in words, resume by
e-mail, the honeypot, the per-address limit, and the cap under 50 concurrent sign-ups."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from coursehost.api.v2.schemas import invitations as wire
from coursehost.db.migrate import upgrade
from tests.builders.scorm import scorm12_zip
from tests.contract.courses import upload
from tests.contract.helpers import message, new_child_app
from tests.contract.registrations import reg_app
from tests.databases import create_pg_database, drop_pg_database
from tests.servers import running_live_server


@pytest.fixture(scope="module")
def live_server(database_url, tmp_path_factory):
    """A service of its own, on a database of its own of this backend, whose per-address sign-up limit
    lets one test make 50 sign-ups from 127.0.0.1 (the limit itself is tested on a server allowing 3)."""
    folder = tmp_path_factory.mktemp("invdata")
    url = f"sqlite:///{folder / 'inv.db'}" if database_url.startswith("sqlite") else create_pg_database()
    upgrade(url)
    try:
        with running_live_server(url, folder / "data", invite_signups_per_address_per_minute=10_000) as server:
            yield server
    finally:
        if not url.startswith("sqlite"):
            drop_pg_database(url)


@pytest.fixture
def app(live_server, tmp_path):
    a = reg_app(live_server, tmp_path)
    a.invitations = cloud.InvitationsApi(live_server.client(a.creds))
    return a


def _create(app, **kw) -> cloud.PublicInvitationSchema:
    kw.setdefault("course_id", app.course12)
    kw.setdefault("creating_user_email", "owner@example.org")
    return app.invitations.create_public_invitation(cloud.CreatePublicInvitationSchema(**kw))


def _sign_up(live_server, invitation_id: str, email: str, *, first="Ada", last="Lovelace", **extra) -> httpx.Response:
    data = {"first_name": first, "last_name": last, "email": email, **extra}
    return httpx.post(f"{live_server.service_url}/invite/{invitation_id}", data=data, timeout=60)


def _registration_ids(app) -> list[str]:
    return [r.id for r in app.regs.get_registrations(course_id=app.course12).registrations]


def test_client_models_have_every_field_we_read_and_write():
    pairs = [(wire.CreatePublicInvitationIn, cloud.CreatePublicInvitationSchema),
             (wire.PublicInvitationUpdateIn, cloud.PublicInvitationUpdateSchema)]
    for ours, theirs in pairs:
        declared = {f.alias or name for name, f in ours.model_fields.items()}
        assert declared >= set(theirs.attribute_map.values()), ours.__name__
    for ours, theirs in [(wire.PublicInvitationSchema, cloud.PublicInvitationSchema),
                         (wire.UserInvitationSchema, cloud.UserInvitationSchema),
                         (wire.InvitationSummarySchema, cloud.InvitationSummarySchema),
                         (wire.UserInvitationRegistrationReport, cloud.UserInvitationSchemaRegistrationReport)]:
        assert set(ours.model_fields) == set(theirs.swagger_types), ours.__name__


def test_create_get_update_a_public_invitation(app, live_server):
    expires = datetime.now(UTC) + timedelta(days=7)
    inv = _create(app, registration_cap=5, expiration_date=expires, tags=["spring", "sales"],
                  post_back=cloud.PostBackSchema(url="https://example.org/pb", auth_type="HTTPBASIC",
                                                 user_name="u", password="p", results_format="FULL"))
    assert inv.course_id == app.course12 and inv.course_title == "Registration course"
    assert (inv.allow_launch, inv.allow_new_registrations, inv.registration_cap, inv.registration_count) == \
        (True, True, 5, 0)
    assert inv.url == f"{live_server.service_url}/invite/{inv.id}"
    assert abs((inv.expiration_date - expires).total_seconds()) < 1
    assert inv.create_date and inv.updated
    assert (inv.post_back.url, inv.post_back.auth_type, inv.post_back.results_format) == \
        ("https://example.org/pb", "HTTPBASIC", "FULL")
    assert inv.post_back.password is None  # never sent back
    raw = app.http().get(f"/invitations/public/{inv.id}").json()
    assert set(raw) == set(cloud.PublicInvitationSchema.attribute_map.values())  # no field missing
    assert app.invitations.get_invitation_tags(inv.id).tags == ["spring", "sales"]

    got = app.invitations.get_public_invitation(inv.id, include_registration_count=True)
    assert got.to_dict() == inv.to_dict()
    updated = app.invitations.update_public_invitation(inv.id, cloud.PublicInvitationUpdateSchema(
        allow_new_registrations=False, registration_cap=0))
    assert (updated.allow_launch, updated.allow_new_registrations, updated.registration_cap) == (True, False, 0)
    assert updated.post_back.url == "https://example.org/pb" and updated.expiration_date == inv.expiration_date
    assert app.invitations.get_public_invitation(inv.id).allow_new_registrations is False


def test_lists_are_paged_and_filtered(app, live_server, tmp_path):
    other_course = f"other-{uuid.uuid4().hex[:6]}"
    assert upload(app.courses, tmp_path, scorm12_zip("Other"), course_id=other_course).status == "COMPLETE"
    mine = [_create(app, tags=["even" if i % 2 == 0 else "odd"]).id for i in range(12)]
    elsewhere = _create(app, course_id=other_course).id
    first = app.invitations.get_public_invitations_with_http_info(include_total_count=True)
    assert first[2]["X-Total-Count"] == "13"
    page1 = first[0]
    assert len(page1.invitations) == 10 and page1.more
    page2 = app.invitations.get_public_invitations(more=page1.more)
    ids = [i.id for i in page1.invitations + page2.invitations]
    assert ids == [elsewhere, *reversed(mine)] and page2.more is None  # newest first
    by_course = app.invitations.get_public_invitations(course_id=other_course)
    assert [i.id for i in by_course.invitations] == [elsewhere]
    tagged = app.invitations.get_public_invitations(tags=["odd"], order_by="created_asc")
    assert [i.id for i in tagged.invitations] == mine[1::2]
    assert [i.id for i in app.invitations.get_public_invitations(filter=mine[3], filter_by="invitation_id")
            .invitations] == [mine[3]]
    summaries = app.invitations.get_all_invitations(course_id=other_course)
    assert [(s.id, s.course_id, s.is_public) for s in summaries.invitations] == [(elsewhere, other_course, True)]
    assert len(app.invitations.get_all_invitations(tags=["even"]).invitations) == 6
    raw = app.http().get("/invitations", params={"courseId": other_course}).json()["invitations"][0]
    assert set(raw) == set(cloud.InvitationSummarySchema.attribute_map.values())
    with pytest.raises(ApiException) as err:
        app.invitations.get_public_invitations(order_by="sideways")
    assert err.value.status == 400 and "orderBy" in message(err.value)
    # another application sees none of them
    _, creds = new_child_app(live_server)
    assert cloud.InvitationsApi(live_server.client(creds)).get_all_invitations().invitations == []


def test_invitation_tags(app):
    a, b = _create(app).id, _create(app).id
    app.invitations.put_invitation_tags(a, cloud.TagListSchema(tags=["x", "y", "z"]))
    app.invitations.delete_invitation_tags(a, cloud.TagListSchema(tags=["y"]))
    assert app.invitations.get_invitation_tags(a).tags == ["x", "z"]
    app.invitations.put_invitation_tags_batch(cloud.BatchTagsSchema(ids=[a, b], tags=["t"]))
    assert app.invitations.get_invitation_tags(a).tags == ["t"] == app.invitations.get_invitation_tags(b).tags
    with pytest.raises(ApiException) as err:
        app.invitations.put_invitation_tags_batch(cloud.BatchTagsSchema(ids=[a, "nope"], tags=["u"]))
    assert err.value.status == 404
    assert app.invitations.get_invitation_tags(a).tags == ["t"]  # all or nothing
    assert app.http().put(f"/invitations/{a}/tags", json={"tags": "x"}).status_code == 400


def test_bad_input_creates_nothing(app, live_server):
    before = app.invitations.get_all_invitations().invitations
    for kw, words in ((dict(creating_user_email="not an address"), "e-mail"),
                      (dict(course_id="no-such-course"), "no-such-course"),
                      (dict(registration_cap=-1), "registrationCap")):
        with pytest.raises(ApiException) as err:
            _create(app, **kw)
        assert err.value.status == 400 and words in message(err.value), message(err.value)
    resp = app.http().post("/invitations/public", json={"courseId": app.course12, "creatingUserEmail": "a@b.org",
                                                        "expirationDate": "next tuesday"})
    assert resp.status_code == 400
    resp = app.http().post("/invitations/public", json={"courseId": app.course12})
    assert resp.status_code == 400 and "creatingUserEmail" in resp.text
    assert app.invitations.get_all_invitations().invitations == before
    for call in (lambda: app.invitations.get_public_invitation("missing"),
                 lambda: app.invitations.update_public_invitation("missing", cloud.PublicInvitationUpdateSchema(
                     allow_launch=False)),
                 lambda: app.invitations.get_public_user_invitations("missing"),
                 lambda: app.invitations.get_invitation_tags("missing")):
        with pytest.raises(ApiException) as err:
            call()
        assert err.value.status == 404 and "missing" in message(err.value)
    # another application's invitation is unknown here
    theirs = _create(app).id
    _, creds = new_child_app(live_server)
    with pytest.raises(ApiException) as err:
        cloud.InvitationsApi(live_server.client(creds)).get_public_invitation(theirs)
    assert err.value.status == 404
    assert httpx.get(f"{live_server.service_url}/invite/missing").status_code == 404


def test_sign_up_creates_then_resumes_and_is_listed_with_progress(app, live_server):
    inv = _create(app)
    page = httpx.get(inv.url)
    assert page.status_code == 200 and "Registration course" in page.text and "Start course" in page.text
    for label in ("First name", "Last name", "Email"):
        assert f">{label}</label>" in page.text
    resp = _sign_up(live_server, inv.id, "Grace@Example.org", first="Grace", last="Hopper")
    assert resp.status_code == 303 and resp.headers["location"].startswith(live_server.content_url)
    again = _sign_up(live_server, inv.id, "grace@example.org", first="G", last="H")
    assert again.status_code == 303
    users = app.invitations.get_public_user_invitations(inv.id, include_registration_report=True)
    assert len(users.user_invitations) == 1
    user = users.user_invitations[0]
    assert (user.email, user.url, user.is_started) == ("grace@example.org", inv.url, False)
    assert user.registration_report.complete == "UNKNOWN" and user.registration_report.total_seconds_tracked == 0
    progress = app.regs.get_registration_progress(user.registration_id)
    assert (progress.learner.id, progress.learner.first_name, progress.learner.last_name) == \
        ("grace@example.org", "Grace", "Hopper")
    assert app.invitations.get_public_invitation(inv.id).registration_count == 1
    _sign_up(live_server, inv.id, "alan@example.org")
    listed = app.invitations.get_public_user_invitations(inv.id, filter="alan", filter_by="email")
    assert [u.email for u in listed.user_invitations] == ["alan@example.org"]
    assert listed.user_invitations[0].registration_report is None  # only on request


def test_refusals_in_words_create_nothing(app, live_server):
    inv = _create(app, registration_cap=1)
    assert _sign_up(live_server, inv.id, "first@example.org").status_code == 303
    full = _sign_up(live_server, inv.id, "second@example.org")
    assert full.status_code == 403 and "reached its limit" in full.text
    assert _sign_up(live_server, inv.id, "first@example.org").status_code == 303  # the one inside resumes

    app.invitations.update_public_invitation(inv.id, cloud.PublicInvitationUpdateSchema(
        registration_cap=0, allow_new_registrations=False))
    closed = _sign_up(live_server, inv.id, "second@example.org")
    assert closed.status_code == 403 and "closed to new learners" in closed.text
    assert _sign_up(live_server, inv.id, "first@example.org").status_code == 303

    app.invitations.update_public_invitation(inv.id, cloud.PublicInvitationUpdateSchema(allow_launch=False))
    for who in ("first@example.org", "second@example.org"):
        refused = _sign_up(live_server, inv.id, who)
        assert refused.status_code == 403 and "cannot be started" in refused.text
    assert "cannot be started" in httpx.get(inv.url).text

    app.invitations.update_public_invitation(inv.id, cloud.PublicInvitationUpdateSchema(
        allow_launch=True, allow_new_registrations=True,
        expiration_date=datetime.now(UTC) - timedelta(minutes=1)))
    expired = _sign_up(live_server, inv.id, "second@example.org")
    assert expired.status_code == 403 and "expired" in expired.text
    page = httpx.get(inv.url)
    assert page.status_code == 403 and "expired" in page.text and "Start course" not in page.text
    assert [u.email for u in app.invitations.get_public_user_invitations(inv.id).user_invitations] == \
        ["first@example.org"]
    assert len(_registration_ids(app)) == 1


def test_form_errors_and_honeypot_create_nothing(app, live_server):
    inv = _create(app)
    bad = _sign_up(live_server, inv.id, "not-an-address", first="", last="L" * 300)
    assert bad.status_code == 400
    assert "First name is required" in bad.text and "Last name must be at most 255 characters" in bad.text
    assert "Email must be an e-mail address" in bad.text and 'value="not-an-address"' in bad.text
    bot = _sign_up(live_server, inv.id, "bot@example.org", website="http://spam.example")
    assert bot.status_code == 400 and "could not be accepted" in bot.text
    assert app.invitations.get_public_user_invitations(inv.id).user_invitations == []
    assert _registration_ids(app) == []


def test_fifty_concurrent_sign_ups_against_a_cap_of_ten(app, live_server):
    inv = _create(app, registration_cap=10)
    statuses: list[int] = []
    start = threading.Barrier(50)

    def one(i: int) -> None:
        start.wait()
        statuses.append(_sign_up(live_server, inv.id, f"p{i}@example.org").status_code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303] * 10 + [403] * 40
    assert len(_registration_ids(app)) == 10
    assert app.invitations.get_public_invitation(inv.id).registration_count == 10
    users = app.invitations.get_public_user_invitations(inv.id, include_total_count=True)
    assert len(users.user_invitations) == 10


@pytest.fixture
def limited_server(tmp_path):
    """A service of its own allowing 3 sign-ups a minute from one address."""
    url = f"sqlite:///{tmp_path / 'limit.db'}"
    upgrade(url)
    with running_live_server(url, tmp_path / "data", invite_signups_per_address_per_minute=3) as server:
        yield server


def test_sign_ups_from_one_address_are_limited(limited_server, tmp_path):
    app = reg_app(limited_server, tmp_path)
    invitations = cloud.InvitationsApi(limited_server.client(app.creds))
    inv = invitations.create_public_invitation(cloud.CreatePublicInvitationSchema(
        course_id=app.course12, creating_user_email="owner@example.org"))
    codes = [_sign_up(limited_server, inv.id, f"r{i}@example.org").status_code for i in range(4)]
    assert codes == [303, 303, 303, 429]
    assert "Too many sign-ups" in _sign_up(limited_server, inv.id, "r9@example.org").text
    assert len(invitations.get_public_user_invitations(inv.id).user_invitations) == 3
