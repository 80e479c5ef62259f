"""Dispatch rows made straight through the models, for tests of the launch paths until the dispatch
API (DispatchApi's create operations) is on main. Tiny on purpose."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from coursehost.db.models.courses import Course
from coursehost.db.models.dispatch import Destination, Dispatch, DispatchRegistration
from coursehost.db.session import unit_of_work
from coursehost.domain.crypto import random_secret


@dataclass
class MadeDispatch:
    dispatch_id: str
    dispatch_key: str
    secret: str  # the plain shared secret


def make_dispatch(live_server, course_id: str, *, app_id: str | None = None, **fields) -> MadeDispatch:
    """A destination and a dispatch of COURSE_ID in the default application (or APP_ID); FIELDS are
    further Dispatch columns (enabled=False, registration_cap=1, instanced=True, ...)."""
    svc = live_server.services
    secret = random_secret()
    with unit_of_work(svc.session_factory) as session:
        course = session.scalars(select(Course).where(Course.course_id == course_id)).one()
        dest = Destination(application_pk=course.application_pk, destination_id=f"dest-{uuid.uuid4().hex[:8]}",
                           name="Acme LMS")
        session.add(dest)
        session.flush()
        d = Dispatch(application_pk=course.application_pk, dispatch_id=f"dispatch-{uuid.uuid4().hex[:8]}",
                     destination_pk=dest.pk, course_pk=course.pk, course_id=course_id,
                     dispatch_key=uuid.uuid4().hex, secret=svc.box.encrypt(secret), **fields)
        session.add(d)
        session.flush()
        return MadeDispatch(d.dispatch_id, d.dispatch_key, secret)


def dispatch_registrations(live_server, dispatch_key: str) -> tuple[int, int]:
    """(registrationCount, rows of dispatch_registration) of the dispatch: what launches created."""
    with unit_of_work(live_server.services.session_factory) as session:
        d = session.scalars(select(Dispatch).where(Dispatch.dispatch_key == dispatch_key)).one()
        rows = session.scalar(select(func.count()).select_from(DispatchRegistration)
                              .where(DispatchRegistration.dispatch_pk == d.pk))
        return d.registration_count, rows


def dispatch_registration(live_server, dispatch_key: str) -> DispatchRegistration:
    """The one far-side row of the dispatch (detached)."""
    with unit_of_work(live_server.services.session_factory) as session:
        d = session.scalars(select(Dispatch).where(Dispatch.dispatch_key == dispatch_key)).one()
        row = session.scalars(select(DispatchRegistration).where(DispatchRegistration.dispatch_pk == d.pk)).one()
        session.expunge(row)
        return row
