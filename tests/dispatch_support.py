"""Destinations and dispatches made straight through the models, for the dispatch protocol tests
written before the DispatchApi create operations exist (kept tiny on purpose)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from coursehost.db.models.courses import Course
from coursehost.db.models.dispatch import Destination, Dispatch
from coursehost.db.models.tenancy import Application
from coursehost.db.session import unit_of_work
from coursehost.domain.crypto import random_secret


@dataclass
class MadeDispatch:
    destination_id: str
    dispatch_id: str
    dispatch_key: str
    pk: int


def make_dispatch(live_server, course_id: str, *, app_id: str | None = None, lti13: dict | None = None,
                  **fields) -> MadeDispatch:
    """A destination (with LTI13 platform settings) and a dispatch of COURSE_ID in the live server's
    application APP_ID (default: its default application)."""
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        app = session.scalars(select(Application).where(
            Application.app_id == (app_id or live_server.default_app.app_id))).one()
        course = session.scalars(select(Course).where(Course.application_pk == app.pk,
                                                      Course.course_id == course_id)).one()
        dest = Destination(application_pk=app.pk, destination_id=f"dest-{uuid.uuid4().hex[:8]}", name="Peer LMS",
                           lti13=dict(lti13 or {}))
        session.add(dest)
        session.flush()
        d = Dispatch(application_pk=app.pk, dispatch_id=f"disp-{uuid.uuid4().hex[:8]}", destination_pk=dest.pk,
                     course_pk=course.pk, course_id=course_id, dispatch_key=uuid.uuid4().hex,
                     secret=svc.box.encrypt(random_secret()), **fields)
        session.add(d)
        session.flush()
        return MadeDispatch(dest.destination_id, d.dispatch_id, d.dispatch_key, d.pk)
