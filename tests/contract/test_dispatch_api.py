"""DispatchApi (the data operations) through the official client on a live server: destinations and
dispatches created in bulk (all or nothing), read, listed with paging and filters, updated one by one
and by filter, enabled, hashed, instanced, counted and reset, tagged, deleted; tenancy; bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException
from sqlalchemy import select

from coursehost.api.v2.schemas import dispatch as wire
from coursehost.db.models.dispatch import Destination, Dispatch
from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from coursehost.domain.dispatch.access import FarLearner, registration_for
from tests.contract.helpers import message
from tests.contract.registrations import reg_app, stored_registration


@pytest.fixture
def app(live_server, tmp_path):
    a = reg_app(live_server, tmp_path, with_2004=True)
    a.dispatch = cloud.DispatchApi(live_server.client(a.creds))
    return a


def _uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _destinations(app, *ids: str, **data) -> None:
    data.setdefault("name", "Acme LMS")
    app.dispatch.create_destinations(cloud.DestinationListSchema(destinations=[
        cloud.DestinationIdSchema(id=i, data=cloud.DestinationSchema(**data)) for i in ids]))


def _dispatches(app, destination_id: str, *pairs: tuple[str, str], **data) -> None:
    app.dispatch.create_dispatches(cloud.CreateDispatchListSchema(dispatches=[
        cloud.CreateDispatchIdSchema(id=i, data=cloud.CreateDispatchSchema(destination_id=destination_id,
                                                                           course_id=c, **data))
        for i, c in pairs]))


def _row(live_server, model, **where):
    with unit_of_work(live_server.services.session_factory) as session:
        stmt = select(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        row = session.scalars(stmt).first()
        if row is not None:
            session.expunge(row)
        return row


def _launch(live_server, app, dispatch_id: str, learner: str) -> str:
    """A far-side learner's first launch, the path every dispatch launch takes (access.registration_for)."""
    with unit_of_work(live_server.services.session_factory) as session:
        app_pk = session.scalar(select(Application.pk).where(Application.app_id == app.creds.app_id))
        d = session.scalars(select(Dispatch).where(Dispatch.application_pk == app_pk,
                                                   Dispatch.dispatch_id == dispatch_id)).one()
        reg = registration_for(session, instance_key=live_server.services.instance_key, dispatch=d,
                               learner=FarLearner(learner, "Ada", "Lovelace"), via="scorm12")
        return reg.registration_id


def _status(call) -> tuple[int, str]:
    with pytest.raises(ApiException) as exc:
        call()
    return exc.value.status, message(exc.value)


def test_client_models_have_every_field_we_read_and_write():
    pairs = [(wire.DestinationIn, cloud.DestinationSchema), (wire.CreateDispatchIn, cloud.CreateDispatchSchema),
             (wire.UpdateDispatchIn, cloud.UpdateDispatchSchema), (wire.LaunchAuthIn, cloud.LaunchAuthSchema),
             (wire.LaunchAuthOptionsIn, cloud.LaunchAuthOptionsSchema),
             (wire.Lti13PlatformIn, cloud.Lti13PlatformConfigurationSchema), (wire.EnabledIn, cloud.EnabledSchema)]
    for ours, theirs in pairs:
        declared = {f.alias or name for name, f in ours.model_fields.items()}
        assert declared >= set(theirs.attribute_map.values()), ours.__name__
    for ours, theirs in [(wire.DestinationInfoSchema, cloud.DestinationInfoSchema),
                         (wire.DispatchSchema, cloud.DispatchSchema),
                         (wire.DispatchRegistrationCountSchema, cloud.DispatchRegistrationCountSchema),
                         (wire.LaunchAuthSchema, cloud.LaunchAuthSchema),
                         (wire.LaunchAuthOptionsSchema, cloud.LaunchAuthOptionsSchema),
                         (wire.Lti13PlatformConfigurationSchema, cloud.Lti13PlatformConfigurationSchema),
                         (wire.IntegerResultSchema, cloud.IntegerResultSchema)]:
        assert set(ours.model_fields) == set(theirs.swagger_types), ours.__name__


def test_destinations_create_read_update_tag_delete(app, live_server):
    d1, d2 = _uid("dest"), _uid("dest")
    lti = cloud.Lti13PlatformConfigurationSchema(
        client_id="cid", platform_issuer_identifier="https://lms.example.org", deployment_id="dep-1",
        oidc_authorization_endpoint="https://lms.example.org/auth", json_web_key_set_url="https://lms.example.org/jwks",
        access_token_url="https://lms.example.org/token")
    auth = cloud.LaunchAuthSchema(type="cookies", options=cloud.LaunchAuthOptionsSchema(
        ip_address=True, fingerprint=False, expiry=3600, sliding_expiry=600))
    _destinations(app, d1, d2, email="ops@example.org", notes="first", tags=["east"], launch_auth=auth, lti13_data=lti)
    got = app.dispatch.get_destination(d1, include_dispatch_count=True)
    assert (got.name, got.email, got.notes, got.tags, got.dispatch_count) == \
        ("Acme LMS", "ops@example.org", "first", ["east"], 0)
    assert got.lti13_data == lti and got.launch_auth == auth
    raw = app.http().get(f"/dispatch/destinations/{d1}", params={"includeDispatchCount": "true"}).json()
    assert set(raw) == set(cloud.DestinationInfoSchema.attribute_map.values())  # no field missing

    # SetDestination changes only what is given, and creates when the id is new (name required)
    app.dispatch.set_destination(d1, cloud.DestinationSchema(name="Acme LMS 2", notes="second"))
    got = app.dispatch.get_destination(d1)
    assert (got.name, got.notes, got.email, got.lti13_data.client_id) == ("Acme LMS 2", "second", "ops@example.org", "cid")
    d3 = _uid("dest")
    status, msg = _status(lambda: app.dispatch.set_destination(d3, cloud.DestinationSchema(notes="x")))
    assert status == 400 and "name" in msg
    app.dispatch.set_destination(d3, cloud.DestinationSchema(name="Third", tags=["west"]))
    assert app.dispatch.get_destination(d3).tags == ["west"]

    app.dispatch.put_destination_tags(d1, cloud.TagListSchema(tags=["a", "b"]))
    app.dispatch.delete_destination_tags(d1, cloud.TagListSchema(tags=["a", "nope"]))
    assert app.dispatch.get_destination_tags(d1).tags == ["b"]
    app.dispatch.put_destination_tags_batch(cloud.BatchTagsSchema(ids=[d1, d2], tags=["batch"]))
    assert app.dispatch.get_destination_tags(d2).tags == ["batch"]
    status, _ = _status(lambda: app.dispatch.put_destination_tags_batch(
        cloud.BatchTagsSchema(ids=[d1, "missing"], tags=["z"])))
    assert status == 404 and app.dispatch.get_destination_tags(d1).tags == ["batch"]  # all or nothing

    _dispatches(app, d2, (_uid("x"), app.course12))
    app.dispatch.delete_destination(d2)
    assert _status(lambda: app.dispatch.get_destination(d2))[0] == 404
    assert app.dispatch.get_destination_dispatches(d1).dispatches == []
    assert app.dispatch.get_dispatches(course_id=app.course12).dispatches == []  # its dispatches went with it


def test_destination_list_pages_and_filters(app):
    ids = [_uid("pd") for _ in range(12)]
    _destinations(app, *ids[:6], tags=["even"])
    _destinations(app, *ids[6:], tags=["odd"])
    _dispatches(app, ids[0], (_uid("x"), app.course12))
    first = app.dispatch.get_destinations_with_http_info(include_total_count=True, include_dispatch_count=True)
    page, _, headers = first
    assert headers["X-Total-Count"] == "12" and len(page.destinations) == 10 and page.more
    rest = app.dispatch.get_destinations(more=page.more)
    assert rest.more is None
    assert sorted(d.id for d in page.destinations + rest.destinations) == sorted(ids)
    assert {d.id: d.data.dispatch_count for d in page.destinations + rest.destinations}[ids[0]] == 1
    assert {d.id for d in app.dispatch.get_destinations(tags=["odd"]).destinations} == set(ids[6:])
    assert [d.id for d in app.dispatch.get_destinations(course_id=app.course12).destinations] == [ids[0]]
    assert [d.id for d in app.dispatch.get_destinations(filter=ids[3], filter_by="destination_id").destinations] \
        == [ids[3]]
    oldest = app.dispatch.get_destinations(order_by="created_asc").destinations[0]
    assert oldest.id == ids[0]
    assert app.dispatch.get_destinations(since=datetime.now(UTC) + timedelta(hours=1)).destinations == []
    assert _status(lambda: app.dispatch.get_destinations(order_by="sideways"))[0] == 400


def test_dispatches_create_read_update_and_flags(app, live_server):
    dest, x1, x2 = _uid("dest"), _uid("x"), _uid("x")
    _destinations(app, dest)
    expires = datetime.now(UTC) + timedelta(days=30)
    _dispatches(app, dest, (x1, app.course12), (x2, app.course2004), registration_cap=5, expiration_date=expires,
                tags=["q1"], email="sales@example.org", notes="deal 42", instanced=True,
                post_back=cloud.PostBackSchema(url="https://example.org/pb", auth_type="HTTPBASIC", user_name="u",
                                               password="p", results_format="FULL"))
    got = app.dispatch.get_dispatch(x1)
    assert (got.destination_id, got.destination_name, got.course_id, got.course_title) == \
        (dest, "Acme LMS", app.course12, "Registration course")
    assert (got.allow_new_registrations, got.enabled, got.instanced, got.registration_cap, got.registration_count) \
        == (True, True, True, 5, 0)
    assert abs((got.expiration_date - expires).total_seconds()) < 1 and got.registration_reset_date is None
    assert (got.tags, got.email, got.notes) == (["q1"], "sales@example.org", "deal 42")
    raw = app.http().get(f"/dispatch/dispatches/{x1}").json()
    assert set(raw) - {"registrationResetDate"} == set(cloud.DispatchSchema.attribute_map.values()) - \
        {"registrationResetDate"}
    row = _row(live_server, Dispatch, dispatch_id=x1)
    assert len(row.dispatch_key) == 32 and row.secret and live_server.services.box.decrypt(row.secret)
    assert row.postback["url"] == "https://example.org/pb" and "p" not in row.postback.values()  # encrypted
    assert row.dispatch_key != _row(live_server, Dispatch, dispatch_id=x2).dispatch_key

    app.dispatch.update_dispatch(x1, cloud.UpdateDispatchSchema(registration_cap=7, allow_new_registrations=False))
    got = app.dispatch.get_dispatch(x1)
    assert (got.registration_cap, got.allow_new_registrations, got.notes) == (7, False, "deal 42")

    assert app.dispatch.get_dispatch_enabled(x1).enabled is True
    app.dispatch.set_dispatch_enabled(x1, cloud.EnabledSchema(enabled=False))
    assert app.dispatch.get_dispatch_enabled(x1).enabled is False
    assert app.dispatch.get_dispatches(is_enabled=False).dispatches[0].id == x1
    assert [d.id for d in app.dispatch.get_dispatches(is_enabled=True).dispatches] == [x2]

    assert app.dispatch.get_dispatch_hash_user_info(x2).enabled is False
    app.dispatch.update_dispatch_hash_user_info(x2, cloud.EnabledSchema(enabled=True))
    assert app.dispatch.get_dispatch_hash_user_info(x2).enabled is True

    app.dispatch.put_dispatch_tags(x1, cloud.TagListSchema(tags=["a", "b"]))
    app.dispatch.delete_dispatch_tags(x1, cloud.TagListSchema(tags=["a"]))
    assert app.dispatch.get_dispatch_tags(x1).tags == ["b"]
    app.dispatch.put_dispatch_tags_batch(cloud.BatchTagsSchema(ids=[x1, x2], tags=["both"]))
    assert [sorted(d.id for d in app.dispatch.get_dispatches(tags=["both"]).dispatches)] == [sorted([x1, x2])]

    app.dispatch.delete_dispatch_postback_info(x1)
    assert _row(live_server, Dispatch, dispatch_id=x1).postback == {}
    app.dispatch.delete_dispatch(x1)
    assert _status(lambda: app.dispatch.get_dispatch(x1))[0] == 404
    assert _status(lambda: app.dispatch.get_dispatch_tags(x1))[0] == 404


def test_registrations_through_a_dispatch_count_and_get_its_postback(app, live_server):
    dest, x1 = _uid("dest"), _uid("x")
    _destinations(app, dest)
    _dispatches(app, dest, (x1, app.course12), registration_cap=2,
                post_back=cloud.PostBackSchema(url="https://example.org/pb", results_format="COURSE"))
    reg_id = _launch(live_server, app, x1, "lms-learner-1")
    _launch(live_server, app, x1, "lms-learner-2")
    assert stored_registration(app, reg_id)["postback"]["url"] == "https://example.org/pb"
    count = app.dispatch.get_dispatch_registration_count(x1)
    assert (count.registration_count, count.last_reset_date) == (2, None)
    assert app.dispatch.get_destination_dispatch_registration_count(dest).result == 2
    with pytest.raises(Exception, match="limit of learners"):
        _launch(live_server, app, x1, "lms-learner-3")
    app.dispatch.reset_dispatch_registration_count(x1)
    count = app.dispatch.get_dispatch_registration_count(x1)
    assert count.registration_count == 0 and count.last_reset_date is not None
    _launch(live_server, app, x1, "lms-learner-3")  # the cap counts from the reset
    app.dispatch.reset_destination_dispatch_registration_count(dest)
    assert app.dispatch.get_dispatch(x1).registration_count == 0
    assert app.regs.get_registration_progress(reg_id).id == reg_id  # the registrations stay
    app.dispatch.set_dispatch_enabled(x1, cloud.EnabledSchema(enabled=False))
    with pytest.raises(Exception, match="disabled"):
        _launch(live_server, app, x1, "lms-learner-1")
    app.dispatch.update_dispatch(x1, cloud.UpdateDispatchSchema(
        enabled=True, expiration_date=datetime.now(UTC) - timedelta(minutes=1)))
    with pytest.raises(Exception, match="expired"):
        _launch(live_server, app, x1, "lms-learner-1")


def test_dispatch_list_pages_and_filters(app):
    courses = [app.course12, app.course2004]
    for n in range(6):  # six destinations, two courses each: twelve dispatches
        other = _uid("dest")
        _destinations(app, other)
        _dispatches(app, other, *[(f"{other}-c{i}", c) for i, c in enumerate(courses)], tags=[f"n{n}"])
    page, _, headers = app.dispatch.get_dispatches_with_http_info(include_total_count=True, order_by="created_asc")
    assert headers["X-Total-Count"] == "12" and len(page.dispatches) == 10 and page.more
    rest = app.dispatch.get_dispatches(more=page.more)
    ids = [d.id for d in page.dispatches + rest.dispatches]
    assert len(set(ids)) == 12 and rest.more is None and ids[0].endswith("-c0")
    assert len(app.dispatch.get_dispatches(course_id=app.course2004).dispatches) == 6
    assert len(app.dispatch.get_dispatches(tags=["n0", "n5"]).dispatches) == 4
    assert len(app.dispatch.get_dispatches(filter="-c1", filter_by="dispatch_id").dispatches) == 6
    status, msg = _status(lambda: app.dispatch.get_dispatches(more=page.more, course_id=app.course12))
    assert status == 400 and "more" in msg
    r = app.http().get("/dispatch/dispatches", params={"isEnabled": "maybe"})
    assert r.status_code == 400 and "isEnabled" in r.json()["message"]


def test_a_destinations_dispatches(app, live_server):
    dest, other, x1, x2, x3 = _uid("dest"), _uid("dest"), _uid("x"), _uid("x"), _uid("x")
    _destinations(app, dest, other)
    _dispatches(app, dest, (x1, app.course12), (x2, app.course2004), instanced=False)
    _dispatches(app, other, (x3, app.course12), instanced=False)
    listed = app.dispatch.get_destination_dispatches(dest)
    assert sorted(d.id for d in listed.dispatches) == sorted([x1, x2])
    assert [d.id for d in app.dispatch.get_destination_dispatches(dest, course_id=app.course2004).dispatches] == [x2]

    app.dispatch.set_destination_dispatch_enabled(dest, cloud.EnabledSchema(enabled=False))
    assert [app.dispatch.get_dispatch_enabled(x).enabled for x in (x1, x2, x3)] == [False, False, True]
    assert app.dispatch.get_destination_dispatches(dest, is_enabled=True).dispatches == []

    assert app.dispatch.get_destination_hash_user_info(dest).enabled is False
    app.dispatch.update_destination_hash_user_info(dest, cloud.EnabledSchema(enabled=True))
    assert app.dispatch.get_destination_hash_user_info(dest).enabled is True
    assert app.dispatch.get_dispatch_hash_user_info(x3).enabled is False
    assert app.dispatch.get_destination_hash_user_info(other).enabled is False

    assert app.dispatch.get_dispatch(x1).instanced is False
    app.dispatch.enable_registration_instancing(dest, cloud.EnabledSchema(enabled=True))
    assert [app.dispatch.get_dispatch(x).instanced for x in (x1, x2, x3)] == [True, True, False]

    app.dispatch.delete_destination_dispatches(dest)
    assert app.dispatch.get_destination_dispatches(dest).dispatches == []
    assert app.dispatch.get_destination(dest).name == "Acme LMS"  # the destination stays
    assert app.dispatch.get_dispatch(x3).course_id == app.course12


def test_a_destination_that_hashes_learner_ids_gives_its_new_dispatches_the_setting(app, live_server):
    dest, x1 = _uid("dest"), _uid("x")
    _destinations(app, dest)
    app.dispatch.update_destination_hash_user_info(dest, cloud.EnabledSchema(enabled=True))
    assert app.dispatch.get_destination_hash_user_info(dest).enabled is True
    _dispatches(app, dest, (x1, app.course12))
    assert app.dispatch.get_dispatch_hash_user_info(x1).enabled is True
    learner = stored_registration(app, _launch(live_server, app, x1, "jane@lms.example"))["learner"]
    assert "jane" not in str(learner) and len(learner["id"]) == 64  # stored as a keyed hash, no name kept


def test_update_and_delete_dispatches_by_filter(app):
    dest, other = _uid("dest"), _uid("dest")
    _destinations(app, dest, other)
    ids = [_uid("x") for _ in range(3)]
    _dispatches(app, dest, (ids[0], app.course12), (ids[1], app.course2004))
    _dispatches(app, other, (ids[2], app.course12), tags=["keep"])
    assert _status(lambda: app.dispatch.update_dispatches(cloud.UpdateDispatchSchema(enabled=False)))[0] == 400
    assert _status(lambda: app.dispatch.delete_dispatches())[0] == 400
    _, _, headers = app.dispatch.update_dispatches_with_http_info(
        cloud.UpdateDispatchSchema(registration_cap=9, notes="bulk"), course_id=app.course12)
    assert headers["X-Total-Count"] == "2"
    caps = {i: app.dispatch.get_dispatch(i).registration_cap for i in ids}
    assert caps == {ids[0]: 9, ids[1]: 0, ids[2]: 9}
    app.dispatch.update_dispatches(cloud.UpdateDispatchSchema(enabled=False), tags=["keep"])
    assert [app.dispatch.get_dispatch(i).enabled for i in ids] == [True, True, False]
    app.dispatch.delete_dispatches(course_id=app.course12, tags=["keep"])
    assert _status(lambda: app.dispatch.get_dispatch(ids[2]))[0] == 404
    app.dispatch.delete_dispatches(since=datetime.now(UTC) - timedelta(hours=1))
    assert app.dispatch.get_dispatches().dispatches == []


def test_another_application_sees_and_changes_nothing(app, live_server, tmp_path):
    dest, x1 = _uid("dest"), _uid("x")
    _destinations(app, dest)
    _dispatches(app, dest, (x1, app.course12))
    intruder = reg_app(live_server, tmp_path)
    theirs = cloud.DispatchApi(live_server.client(intruder.creds))
    for call in (lambda: theirs.get_destination(dest), lambda: theirs.get_dispatch(x1),
                 lambda: theirs.set_dispatch_enabled(x1, cloud.EnabledSchema(enabled=False)),
                 lambda: theirs.put_dispatch_tags(x1, cloud.TagListSchema(tags=["x"])),
                 lambda: theirs.delete_destination(dest), lambda: theirs.delete_dispatch(x1),
                 lambda: theirs.reset_dispatch_registration_count(x1),
                 lambda: theirs.get_destination_dispatches(dest)):
        assert _status(call)[0] == 404
    assert theirs.get_destinations().destinations == [] and theirs.get_dispatches().dispatches == []
    # the intruder's own course cannot be sent to our destination, nor ours to theirs
    status, msg = _status(lambda: theirs.create_dispatches(cloud.CreateDispatchListSchema(dispatches=[
        cloud.CreateDispatchIdSchema(id=_uid("x"), data=cloud.CreateDispatchSchema(
            destination_id=dest, course_id=intruder.course12))])))
    assert status == 400 and "destinationId" in msg
    assert app.dispatch.get_dispatch_enabled(x1).enabled is True


def test_bad_input_is_a_clear_400_and_writes_nothing(app, live_server):
    dest, x1, x2 = _uid("dest"), _uid("x"), _uid("x")
    _destinations(app, dest)
    status, msg = _status(lambda: _dispatches(app, dest, (x1, app.course12), (x2, "no-such-course")))
    assert status == 400 and "courseId" in msg and "no-such-course" in msg
    assert _row(live_server, Dispatch, dispatch_id=x1) is None  # all or nothing
    _dispatches(app, dest, (x1, app.course12))
    status, msg = _status(lambda: _dispatches(app, dest, (x1, app.course2004)))
    assert status == 400 and "already exists" in msg
    status, msg = _status(lambda: _dispatches(app, dest, (x2, app.course12)))
    assert status == 400 and "already dispatched" in msg

    d2, d3 = _uid("dest"), _uid("dest")
    status, msg = _status(lambda: _destinations(app, d2, d3, notes="n" * 20_000))
    assert status == 400 and "notes" in msg
    status, msg = _status(lambda: _destinations(app, d2, dest))
    assert status == 400 and dest in msg
    assert _row(live_server, Destination, destination_id=d2) is None
    status, msg = _status(lambda: _destinations(app, d2, name="n" * 300))
    assert status == 400 and "name" in msg

    http = app.http()
    r = http.post("/dispatch/dispatches", json={"dispatches": [{"id": x2, "data": {
        "destinationId": dest, "courseId": app.course2004, "registrationCap": "5"}}]})
    assert r.status_code == 400 and "registrationCap" in r.json()["message"]
    r = http.put(f"/dispatch/dispatches/{x1}", json={"registrationCap": -1})
    assert r.status_code == 400 and "registrationCap" in r.json()["message"]
    r = http.post("/dispatch/destinations", content=b'{"destinations": [', headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = http.put(f"/dispatch/destinations/{dest}", json={"name": "x", "launchAuth": {"type": "magic"}})
    assert r.status_code == 400 and "launchAuth" in r.json()["message"]
    r = http.put(f"/dispatch/dispatches/{x1}/enabled", json={"enabled": "yes"})
    assert r.status_code == 400 and "enabled" in r.json()["message"]
    r = http.post("/dispatch/dispatches", json={"dispatches": [{"id": x2, "data": {
        "destinationId": dest + "\u0000", "courseId": app.course2004}}]})
    assert r.status_code == 400 and "destinationId" in r.json()["message"]
    r = http.put(f"/dispatch/destinations/{dest}", json={"notes": "a\u0000b"})
    assert r.status_code == 400 and "notes" in r.json()["message"]
    assert http.get("/dispatch/destinations/a%00b").status_code == 404
    assert _row(live_server, Dispatch, dispatch_id=x2) is None
    assert app.dispatch.get_dispatch(x1).registration_cap == 0


def test_partial_or_bad_lti13_settings_are_refused_so_the_destination_stays_readable(app, live_server):
    import httpx  # the official client cannot even build a partial Lti13PlatformConfigurationSchema

    dest = _uid("lti")
    _destinations(app, dest)
    url = f"{live_server.api_url}/dispatch/destinations/{dest}"
    auth = (app.creds.app_id, app.creds.secret)
    partial = httpx.put(url, auth=auth, json={"name": "LMS", "lti13Data": {"clientId": "cid"}})
    assert partial.status_code == 400 and "platformIssuerIdentifier is required" in partial.text
    not_url = {"clientId": "c", "platformIssuerIdentifier": "https://lms.example", "deploymentId": "1",
               "oidcAuthorizationEndpoint": "javascript:alert(1)", "jsonWebKeySetUrl": "https://lms.example/jwks"}
    bad = httpx.put(url, auth=auth, json={"name": "LMS", "lti13Data": not_url})
    assert bad.status_code == 400 and "oidcAuthorizationEndpoint must be an absolute http(s) URL" in bad.text
    got = app.dispatch.get_destination(dest)  # still readable by the official client, settings untouched
    assert got.lti13_data is None and got.name == "Acme LMS"
