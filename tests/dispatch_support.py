"""Destinations and dispatches made directly with the models, for tests of the parts that use them
(until the DispatchApi create operations land): make_dispatch(live_server.services, ...)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from coursehost.db.models.courses import Course
from coursehost.db.models.dispatch import Destination, Dispatch, DispatchRegistration
from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from coursehost.domain.crypto import random_secret


@dataclass(frozen=True)
class MadeDispatch:
    dispatch_id: str
    dispatch_key: str
    destination_id: str
    secret: str  # the plain shared secret (LTI 1.1, signatures)
    pk: int


def make_dispatch(svc, *, app_id: str, course_id: str, destination_id: str | None = None, lti13: dict | None = None,
                  **fields) -> MadeDispatch:
    """A dispatch of COURSE_ID to DESTINATION_ID (created when new, with LTI13 platform settings) in the
    application APP_ID; FIELDS are further Dispatch columns (enabled=False, registration_cap=1, ...)."""
    with unit_of_work(svc.session_factory) as session:
        app_pk = session.scalars(select(Application.pk).where(Application.app_id == app_id)).one()
        course_pk = session.scalars(select(Course.pk).where(Course.application_pk == app_pk,
                                                            Course.course_id == course_id)).one()
        destination_id = destination_id or f"dest-{uuid.uuid4().hex[:8]}"
        dest = session.scalars(select(Destination).where(Destination.application_pk == app_pk,
                                                         Destination.destination_id == destination_id)).first()
        if dest is None:
            dest = Destination(application_pk=app_pk, destination_id=destination_id, name="Receiving LMS",
                               lti13=dict(lti13 or {}))
            session.add(dest)
            session.flush()
        secret = random_secret()
        d = Dispatch(application_pk=app_pk, dispatch_id=f"dispatch-{uuid.uuid4().hex[:8]}", destination_pk=dest.pk,
                     course_pk=course_pk, course_id=course_id, dispatch_key=uuid.uuid4().hex,
                     secret=svc.box.encrypt(secret), **fields)
        session.add(d)
        session.flush()
        return MadeDispatch(d.dispatch_id, d.dispatch_key, destination_id, secret, d.pk)


def update_dispatch(svc, dispatch_key: str, **fields) -> None:
    with unit_of_work(svc.session_factory) as session:
        d = session.scalars(select(Dispatch).where(Dispatch.dispatch_key == dispatch_key)).one()
        for name, value in fields.items():
            setattr(d, name, value)


def dispatch_registrations(svc, dispatch_key: str) -> tuple[int, list[str]]:
    """(registrationCount, the registration ids made through the dispatch)."""
    with unit_of_work(svc.session_factory) as session:
        d = session.scalars(select(Dispatch).where(Dispatch.dispatch_key == dispatch_key)).one()
        ids = session.scalars(select(DispatchRegistration.registration_id)
                              .where(DispatchRegistration.dispatch_pk == d.pk).order_by(DispatchRegistration.pk))
        return d.registration_count, list(ids)


def dispatch_counts(svc, dispatch_key: str) -> tuple[int, int]:
    """(registrationCount, rows of dispatch_registration) of the dispatch: what launches created."""
    count, ids = dispatch_registrations(svc, dispatch_key)
    return count, len(ids)


def dispatch_registration(svc, dispatch_key: str) -> DispatchRegistration:
    """The one far-side row of the dispatch (detached)."""
    with unit_of_work(svc.session_factory) as session:
        d = session.scalars(select(Dispatch).where(Dispatch.dispatch_key == dispatch_key)).one()
        row = session.scalars(select(DispatchRegistration).where(DispatchRegistration.dispatch_pk == d.pk)).one()
        session.expunge(row)
        return row
