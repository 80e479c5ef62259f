"""The one path into a dispatched course (domain/dispatch/access.py) and the LTI signing keys
(domain/lti/keys.py): resume vs. new, refusals in words, the cap, instancing, hashed learner ids,
and key rotation with the old key still published."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import delete, select

from coursehost.db.base import utcnow
from coursehost.db.models.courses import Course
from coursehost.db.models.dispatch import Destination, Dispatch, DispatchRegistration
from coursehost.db.models.lti import LtiKey
from coursehost.db.models.registrations import Registration
from coursehost.domain.dispatch.access import DispatchRefused, FarLearner, registration_for
from coursehost.domain.lti import keys
from tests.unit.test_postback_delivery import BOX, make_course

KEY = "instance-key-for-tests"


def _dispatch(session, **fields) -> Dispatch:
    app_pk, course_id = make_course(session)
    course = session.scalars(select(Course).where(Course.application_pk == app_pk)).one()
    dest = Destination(application_pk=app_pk, destination_id=f"d-{uuid.uuid4().hex[:6]}", name="Acme LMS")
    session.add(dest)
    session.flush()
    d = Dispatch(application_pk=app_pk, dispatch_id=f"x-{uuid.uuid4().hex[:6]}", destination_pk=dest.pk,
                 course_pk=course.pk, course_id=course_id, dispatch_key=uuid.uuid4().hex, secret=BOX.encrypt("s"),
                 **fields)
    session.add(d)
    session.flush()
    return d


def _launch(session, d, learner="lms-user-1", **kw):
    return registration_for(session, instance_key=KEY, dispatch=d, via="scorm12",
                            learner=FarLearner(learner, "Ada", "Lovelace", "ada@example.com"), **kw)


def test_a_learner_resumes_the_same_registration_and_is_counted_once(db_session):
    d = _dispatch(db_session)
    first = _launch(db_session, d)
    again = _launch(db_session, d)
    assert first.pk == again.pk
    assert d.registration_count == 1
    assert first.learner["firstName"] == "Ada" and first.learner_id == "lms-user-1"
    assert _launch(db_session, d, "lms-user-2").pk != first.pk
    assert d.registration_count == 2


def test_the_cap_refuses_new_learners_but_not_returning_ones(db_session):
    d = _dispatch(db_session, registration_cap=1)
    first = _launch(db_session, d)
    with pytest.raises(DispatchRefused, match="limit of learners"):
        _launch(db_session, d, "someone-else")
    assert _launch(db_session, d).pk == first.pk
    assert db_session.scalar(select(DispatchRegistration.pk).where(
        DispatchRegistration.learner_key == "someone-else")) is None


@pytest.mark.parametrize(("fields", "words"), [
    ({"enabled": False}, "disabled"),
    ({"expiration_date": utcnow() - timedelta(days=1)}, "expired"),
])
def test_disabled_or_expired_dispatches_refuse_everyone(db_session, fields, words):
    d = _dispatch(db_session)
    _launch(db_session, d)
    for name, value in fields.items():
        setattr(d, name, value)
    with pytest.raises(DispatchRefused, match=words):
        _launch(db_session, d)


def test_closed_to_new_registrations_still_resumes(db_session):
    d = _dispatch(db_session)
    reg = _launch(db_session, d)
    d.allow_new_registrations = False
    assert _launch(db_session, d).pk == reg.pk
    with pytest.raises(DispatchRefused, match="no new learners"):
        _launch(db_session, d, "new-person")


def test_instanced_dispatches_give_each_context_its_own_registration(db_session):
    plain = _dispatch(db_session)
    assert _launch(db_session, plain, context_key="a").pk == _launch(db_session, plain, context_key="b").pk
    inst = _dispatch(db_session, instanced=True)
    assert _launch(db_session, inst, context_key="a").pk != _launch(db_session, inst, context_key="b").pk


def test_hashed_user_info_keeps_no_name_and_no_raw_id(db_session):
    d = _dispatch(db_session, hash_user_info=True)
    reg = _launch(db_session, d, "student-42")
    assert reg.learner_id != "student-42" and len(reg.learner_id) == 64
    assert "Ada" not in str(reg.learner) and "ada@example.com" not in str(reg.learner)
    assert _launch(db_session, d, "student-42").pk == reg.pk  # the same hash finds the same learner
    stored = db_session.scalars(select(Registration).where(Registration.pk == reg.pk)).one()
    assert stored.learner == {"id": reg.learner_id}


def test_keys_sign_rotate_and_stay_published_through_the_grace_period(db_session):
    # live servers of other tests commit keys under their own instance keys: start from none (rolled back)
    db_session.execute(delete(LtiKey))
    kid, private = keys.signing_key(db_session, BOX)
    token = jwt.encode({"sub": "x"}, private, algorithm="RS256", headers={"kid": kid})
    published = keys.jwks(db_session, BOX)
    assert kid in [k["kid"] for k in published["keys"]]
    new_kid = keys.rotate(db_session, BOX, grace=timedelta(hours=1))
    assert keys.signing_key(db_session, BOX)[0] == new_kid != kid
    kids = [k["kid"] for k in keys.jwks(db_session, BOX)["keys"]]
    assert kids[0] == new_kid and kid in kids  # the old one still verifies tokens it signed
    old = jwt.PyJWK(next(k for k in keys.jwks(db_session, BOX)["keys"] if k["kid"] == kid))
    assert jwt.decode(token, old.key, algorithms=["RS256"])["sub"] == "x"
    newest = keys.rotate(db_session, BOX, grace=timedelta(seconds=-1))  # the one it replaces retires at once
    assert [k["kid"] for k in keys.jwks(db_session, BOX)["keys"]] == [newest, kid]
