"""InvitationsApi through the official client (public and private invitations, the people who registered through
them, every invitation, tags), and the public page's sign-up over HTTP: refusals in words, resume by
e-mail, the honeypot, the per-address limit, and the cap under 50 concurrent sign-ups."""

from __future__ import annotations

import contextlib
import re
import threading
import typing
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
import rustici_software_cloud_v2.models as cloud_models
from fastapi.routing import APIRoute
from pydantic import BaseModel
from rustici_software_cloud_v2.rest import ApiException
from sqlalchemy import select

from coursehost.api.v2.schemas import invitations as wire
from coursehost.app import create_app
from coursehost.db.migrate import upgrade
from coursehost.db.models.invitations import Invitation
from coursehost.db.session import unit_of_work
from coursehost.domain.invitations import private
from coursehost.settings import Settings
from tests.builders.scorm import scorm12_zip
from tests.console.support import http_session, make_user
from tests.contract.courses import upload
from tests.contract.helpers import message, new_child_app
from tests.contract.lms import Inbox, wait_until
from tests.contract.official_client import official_operations
from tests.contract.registrations import reg_app
from tests.contract.test_realm_limits import imported, limits, new_realm, registration_ids
from tests.databases import create_pg_database, drop_pg_database
from tests.servers import running_live_server, smtp_server


@pytest.fixture(scope="module")
def inbox():
    """A real SMTP server (aiosmtpd) keeping every message."""
    with smtp_server(Inbox()) as served:
        yield served


@pytest.fixture(scope="module")
def live_server(database_url, tmp_path_factory, inbox):
    """A service of its own, on a database of its own of this backend, sending e-mail to INBOX, whose
    per-address sign-up limit lets one test make 50 sign-ups from 127.0.0.1 (the limit itself is
    tested on a server allowing 3)."""
    folder = tmp_path_factory.mktemp("invdata")
    url = f"sqlite:///{folder / 'inv.db'}" if database_url.startswith("sqlite") else create_pg_database()
    upgrade(url)
    try:
        with running_live_server(url, folder / "data", invite_signups_per_address_per_minute=10_000,
                                 smtp_url=f"smtp://127.0.0.1:{inbox[1]}") as server:
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


def _nested_model(annotation) -> type[BaseModel] | None:
    """The pydantic model inside ANNOTATION (X, X | None, list[X]), or None for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


#: Fields of the client's models we leave out on purpose: a postback's password is write-only (we
#: keep it encrypted and never send it back, as SCORM Cloud does not).
WRITE_ONLY = {("PostBackSchema", "password")}


def _client_model(type_name: str):
    """The official client's model class a swagger type names ("X", "list[X]", "dict(str, X)"), or None
    for a plain value (an enum model such as RegistrationCompletion is a string on the wire)."""
    inner = re.fullmatch(r"(?:list\[|dict\(str, )?(\w+)[\])]?", type_name).group(1)
    model = getattr(cloud_models, inner, None)
    return model if model is not None and model.swagger_types else None


def _compare(ours: type[BaseModel], theirs, path: str, seen: set[str]) -> list[str]:
    """Every difference between our response model and the client's, walking nested models both sides."""
    seen.add(theirs.__name__)
    their_keys = {theirs.attribute_map[attr]: type_name for attr, type_name in theirs.swagger_types.items()
                  if (theirs.__name__, theirs.attribute_map[attr]) not in WRITE_ONLY}
    our_fields = {f.alias or name: f for name, f in ours.model_fields.items()}
    problems = [f"{path}: the client reads {k}, which we never send" for k in sorted(set(their_keys) - set(our_fields))]
    problems += [f"{path}: we send {k}, which the client's {theirs.__name__} drops"
                 for k in sorted(set(our_fields) - set(their_keys))]
    for key, type_name in sorted(their_keys.items()):
        if key not in our_fields:
            continue
        their_nested, our_nested = _client_model(type_name), _nested_model(our_fields[key].annotation)
        if their_nested is None and our_nested is None:
            continue
        if their_nested is None or our_nested is None:
            problems.append(f"{path}.{key}: the client expects {type_name}, we send {our_fields[key].annotation}")
            continue
        problems += _compare(our_nested, their_nested, f"{path}.{key}", seen)
    return problems


def test_every_invitations_response_deserializes_into_the_clients_models_with_no_missing_fields(tmp_path):
    """For each of InvitationsApi's 16 operations, the client's response type (read from the client's
    own source) against the route's response model, field by field and through every nested model:
    postBack, invitationEmail, registrationReport.score, the list wrappers, the job status."""
    app = create_app(Settings(data_dir=tmp_path, run_worker=False))
    models = {r.operation_id: r.response_model for r in app.routes if isinstance(r, APIRoute)}
    ops = [o for o in official_operations() if o.api_class == "InvitationsApi"]
    assert len(ops) == 16
    seen: set[str] = set()
    problems: list[str] = []
    for op in ops:
        ours = models[op.operation_id]
        if op.response_type is None:  # 204: Put/DeleteInvitationTags, PutInvitationTagsBatch
            assert ours is None, f"{op.operation_id} answers no body, yet we declare {ours}"
            continue
        theirs = _client_model(op.response_type)
        assert theirs is not None and ours is not None, op.operation_id
        problems += _compare(ours, theirs, f"{op.operation_id} {theirs.__name__}", seen)
    assert problems == [], "\n".join(problems)
    assert seen >= {"PrivateInvitationSchema", "InvitationJobStatusSchema", "InvitationEmailSchema",
                    "PostBackSchema", "PublicInvitationList", "PrivateInvitationList", "InvitationSummaryList",
                    "UserInvitationList", "UserInvitationSchema", "UserInvitationSchemaRegistrationReport",
                    "ScoreSchema", "TagListSchema"}, seen


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


# --- private invitations -------------------------------------------------------------------------

def _create_private(app, addresses, **kw) -> cloud.InvitationSummarySchema:
    email = cloud.InvitationEmailSchema(subject=kw.pop("subject", "Your training"),
                                        body=kw.pop("body", "Please take this course this week."),
                                        addresses=addresses)
    kw.setdefault("course_id", app.course12)
    return app.invitations.create_private_invitation(cloud.CreatePrivateInvitationSchema(
        creating_user_email="owner@example.org", invitation_email=email, **kw))


def _finished(app, invitation_id: str) -> cloud.InvitationJobStatusSchema:
    status = None

    def done():
        nonlocal status
        status = app.invitations.get_private_invitation_job_status(invitation_id)
        return status.status != "STARTED"
    wait_until(done, what=f"the sending job of {invitation_id}")
    return status


def _link_in(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"(http://\S+/invite/\S+/learner/[A-Za-z0-9_-]+)", text).group(1)


def test_a_private_invitation_sends_each_address_one_email_with_its_own_link(app, live_server, inbox):
    handler = inbox[0]
    tag = uuid.uuid4().hex[:6]
    addresses = [f"{n}-{tag}@example.org" for n in ("ann", "bob", "cy")]
    expires = datetime.now(UTC) + timedelta(days=3)
    created = _create_private(app, [*addresses, addresses[0].upper()], expiration_date=expires, tags=["q3"],
                              body="Please take this course this week.\n<b>Thanks</b>")
    assert (created.course_id, created.is_public) == (app.course12, False)
    status = _finished(app, created.id)
    assert (status.status, status.errors, status.total, status.processed) == ("COMPLETE", [], 3, 3)

    wait_until(lambda: all(handler.to(a) for a in addresses), what="three e-mails")
    links = {}
    for address in addresses:
        (mail,) = handler.to(address)  # exactly one each
        assert mail["Subject"] == "Your training"
        text = mail.get_body(preferencelist=("plain",)).get_content()
        assert "Please take this course this week." in text and "Registration course" in text
        assert "&lt;b&gt;Thanks&lt;/b&gt;" in mail.get_body(preferencelist=("html",)).get_content()
        links[address] = _link_in(mail)
    assert len(set(links.values())) == 3

    users = app.invitations.get_private_user_invitations(created.id, include_registration_report=True)
    by_email = {u.email: u for u in users.user_invitations}
    assert set(by_email) == set(addresses)
    assert len({u.registration_id for u in by_email.values()}) == 3
    for address, user in by_email.items():
        assert user.url == links[address] and user.is_started is False
        assert user.registration_report.complete == "UNKNOWN"
        assert app.regs.get_registration_progress(user.registration_id).learner.id == address
        resp = httpx.get(user.url)
        assert resp.status_code == 303 and resp.headers["location"].startswith(live_server.content_url)
        assert httpx.get(resp.headers["location"]).status_code == 200  # the player page opens

    # each link launched its own registration
    assert all(u.is_started for u in app.invitations.get_private_user_invitations(created.id).user_invitations)
    inv = app.invitations.get_private_invitation(created.id, include_registration_count=True)
    assert (inv.course_title, inv.allow_launch, inv.registration_count, inv.launched_registration_count) == \
        ("Registration course", True, 3, 3)
    assert inv.invitation_email.addresses == addresses and inv.invitation_email.subject == "Your training"
    assert abs((inv.expiration_date - expires).total_seconds()) < 1
    raw = app.http().get(f"/invitations/private/{created.id}").json()
    assert set(raw) - {"postBack"} == set(cloud.PrivateInvitationSchema.attribute_map.values()) - {"postBack"}
    assert [i.id for i in app.invitations.get_private_invitations(tags=["q3"]).invitations] == [created.id]
    assert app.invitations.get_public_invitations(course_id=app.course12).invitations == []
    assert [(s.id, s.is_public) for s in app.invitations.get_all_invitations().invitations] == [(created.id, False)]

    updated = app.invitations.update_private_invitation(created.id, cloud.PrivateInvitationUpdateSchema(
        allow_launch=False, invitation_email=cloud.InvitationEmailUpdateSchema(subject="Reminder")))
    assert (updated.allow_launch, updated.invitation_email.subject, updated.invitation_email.body) == \
        (False, "Reminder", inv.invitation_email.body)
    refused = httpx.get(links[addresses[0]])
    assert refused.status_code == 403 and "cannot be started" in refused.text
    app.invitations.update_private_invitation(created.id, cloud.PrivateInvitationUpdateSchema(
        allow_launch=True, expiration_date=datetime.now(UTC) - timedelta(seconds=1)))
    expired = httpx.get(links[addresses[1]])
    assert expired.status_code == 403 and "expired" in expired.text
    assert httpx.get(links[addresses[2]][:-4] + "AAAA").status_code == 404
    assert len(handler.to(addresses[0])) == 1  # updates send nothing


def test_private_invitation_bad_input_creates_nothing(app, inbox):
    before, mails = app.invitations.get_all_invitations().invitations, len(inbox[0].messages)
    cases = [
        (dict(addresses=["fine@example.org", "not an address"]), "not an address"),
        (dict(addresses=[]), "at least one"),
        (dict(addresses=["a@example.org"], subject="S" * 501), "subject"),
        (dict(addresses=["a@example.org"], subject="two\nlines"), "subject"),
        (dict(addresses=["a@example.org"], body="B" * 20_001), "body"),
        (dict(addresses=["a@example.org"], course_id="no-such-course"), "no-such-course"),
    ]
    for kw, words in cases:
        with pytest.raises(ApiException) as err:
            _create_private(app, kw.pop("addresses"), **kw)
        assert err.value.status == 400 and words in message(err.value), message(err.value)
    resp = app.http().post("/invitations/private", json={
        "courseId": app.course12, "creatingUserEmail": "o@example.org", "duplicateRegistrationOption": "MAYBE",
        "invitationEmail": {"addresses": ["a@example.org"]}})
    assert resp.status_code == 400 and "duplicateRegistrationOption" in resp.text
    assert app.invitations.get_all_invitations().invitations == before
    assert _registration_ids(app) == [] and len(inbox[0].messages) == mails
    for call in (lambda: app.invitations.get_private_invitation("missing"),
                 lambda: app.invitations.get_private_invitation_job_status("missing"),
                 lambda: app.invitations.get_private_user_invitations("missing"),
                 lambda: app.invitations.update_private_invitation("missing", cloud.PrivateInvitationUpdateSchema(
                     allow_launch=False))):
        with pytest.raises(ApiException) as err:
            call()
        assert err.value.status == 404
    public_one = _create(app).id  # a public invitation is not a private one
    with pytest.raises(ApiException) as err:
        app.invitations.get_private_invitation(public_one)
    assert err.value.status == 404


def test_duplicate_registration_options(app):
    existing = app.create(learner_id="old@example.org")
    sent = _create_private(app, ["old@example.org"])  # SEND_EXISTING: the official client's default
    _finished(app, sent.id)
    (user,) = app.invitations.get_private_user_invitations(sent.id).user_invitations
    assert user.registration_id == existing
    failing = _create_private(app, ["old@example.org", "new@example.org"], duplicate_registration_option="FAIL")
    status = _finished(app, failing.id)
    assert status.processed == 2 and len(status.errors) == 1 and status.errors[0].startswith("old@example.org")
    assert [u.email for u in app.invitations.get_private_user_invitations(failing.id).user_invitations] == \
        ["new@example.org"]
    fresh = _create_private(app, ["old@example.org"], duplicate_registration_option="CREATE_NEW")
    _finished(app, fresh.id)
    (user,) = app.invitations.get_private_user_invitations(fresh.id).user_invitations
    assert user.registration_id != existing
    again = _create_private(app, ["old@example.org"], duplicate_registration_option="INSTANCE_EXISTING")
    _finished(app, again.id)
    (user,) = app.invitations.get_private_user_invitations(again.id).user_invitations
    assert app.regs.get_registration_progress(user.registration_id).instance == 1  # a new instance of it


def test_a_batch_that_dies_before_its_commit_sends_nothing_and_every_address_gets_one_email(app, live_server, inbox):
    """The sending job's batches are transactions: one that dies (here: rolled back, as a killed worker's
    would be) leaves no registration, row or e-mail, and the job still gives each address one e-mail."""
    tag = uuid.uuid4().hex[:6]
    addresses = [f"p{i}-{tag}@example.org" for i in range(private.BATCH + 10)]  # two batches
    created = _create_private(app, addresses)
    with contextlib.suppress(RuntimeError), unit_of_work(live_server.services.session_factory) as session:
        inv_pk = session.scalar(select(Invitation.pk).where(Invitation.invitation_id == created.id))
        private.send_batch(session, invitation_pk=inv_pk, base_url=live_server.service_url)
        raise RuntimeError("the worker died before its commit")
    status = _finished(app, created.id)
    assert (status.status, status.processed, status.errors) == ("COMPLETE", len(addresses), [])
    wait_until(lambda: all(inbox[0].to(a) for a in addresses), what="every e-mail", timeout=60)
    assert all(len(inbox[0].to(a)) == 1 for a in addresses)
    assert len(app.invitations.get_private_user_invitations(created.id, include_total_count=True)
               .user_invitations) == 10  # the first page
    assert app.invitations.get_private_invitation(created.id).registration_count == len(addresses)


# --- the realm's registration limit ------------------------------------------------------------------

def test_invitations_count_against_the_realms_registration_limit(live_server, inbox, tmp_path):
    """A private invitation to more addresses than the realm may still register creates registrations
    up to the limit and reports each address over it, with the reason, in the job's status and on the
    console's invitation page (no e-mail goes to them); a public sign-up over the limit is refused in
    words and creates nothing."""
    realm_id, (creds,) = new_realm(live_server)
    course_id = imported(live_server, creds, tmp_path)
    invitations = cloud.InvitationsApi(live_server.client(creds))
    limits(live_server, tmp_path, realm_id, "--registrations", "3")
    tag = uuid.uuid4().hex[:6]
    addresses = [f"m{i}-{tag}@example.org" for i in range(5)]
    created = invitations.create_private_invitation(cloud.CreatePrivateInvitationSchema(
        course_id=course_id, creating_user_email="owner@example.org",
        invitation_email=cloud.InvitationEmailSchema(subject="Limited", addresses=addresses)))
    status = None

    def done():
        nonlocal status
        status = invitations.get_private_invitation_job_status(created.id)
        return status.status != "STARTED"
    wait_until(done, what="the sending job")
    realm_name = limits(live_server, tmp_path, realm_id)["realm_name"]
    reason = f"Registration limit reached: realm [{realm_name}] may create 3 registrations and 3 are used"
    assert (status.status, status.total, status.processed) == ("COMPLETE", 5, 5)
    assert status.errors == [f"{a}: {reason}" for a in addresses[3:]]
    users = invitations.get_private_user_invitations(created.id).user_invitations
    assert sorted(u.email for u in users) == addresses[:3]
    assert len(registration_ids(live_server, creds)) == 3
    assert limits(live_server, tmp_path, realm_id)["registrations_used"] == 3
    wait_until(lambda: all(inbox[0].to(a) for a in addresses[:3]), what="the three e-mails")
    assert all(inbox[0].to(a) == [] for a in addresses[3:])
    with http_session(live_server, make_user(live_server, "administrator", realm_id=realm_id)) as console:
        page = console.get(f"/console/invitations/{creds.app_id}/{created.id}")
    assert page.status_code == 200
    listed = re.search(r'<ul class="invitation-errors">(.*?)</ul>', page.text, re.S).group(1)
    for address in addresses[3:]:
        assert f"<li>{address}: {reason}</li>" in listed
    assert not any(a in listed for a in addresses[:3])

    inv = invitations.create_public_invitation(cloud.CreatePublicInvitationSchema(
        course_id=course_id, creating_user_email="owner@example.org"))
    refused = _sign_up(live_server, inv.id, f"late-{tag}@example.org")
    assert refused.status_code == 403, refused.text
    alert = re.search(r'<div class="error" role="alert" id="invite-refusal"><p>(.*?)</p>', refused.text).group(1)
    assert alert.startswith("This course cannot take more learners at the moment")  # the form stays: others resume
    assert realm_name not in refused.text  # a stranger is not told the realm's name or counts
    assert invitations.get_public_user_invitations(inv.id).user_invitations == []
    assert invitations.get_public_invitation(inv.id).registration_count == 0
    assert len(registration_ids(live_server, creds)) == 3
    limits(live_server, tmp_path, realm_id, "--registrations", "4")
    assert _sign_up(live_server, inv.id, f"late-{tag}@example.org").status_code == 303  # room again: it works
    assert len(registration_ids(live_server, creds)) == 4
