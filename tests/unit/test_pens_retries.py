"""A PENS target that cannot be reached: the publication says it is retrying and why after each
attempt, and failed with the reason once the last attempt is spent (not "queued" forever)."""

from __future__ import annotations

import pytest

from coursehost.domain import outbox
from coursehost.domain.dispatch import pens
from tests.servers import free_port
from tests.unit.test_dispatch_access import _dispatch
from tests.unit.test_postback_delivery import BOX


def _publication(session):
    d = _dispatch(session)
    pub = pens.publish(session, box=BOX, application_pk=d.application_pk, dispatch_id=d.dispatch_id,
                       target=pens.PensTarget(url=f"http://127.0.0.1:{free_port()}/pens", system_user_id="u"))
    session.commit()  # send_collect ends the read transaction before it calls the target
    return pub.pk


def _send(session, pk, attempt):
    pens.send_collect(session, publication_pk=pk, box=BOX, public_url="http://coursehost.test",
                      instance_key="k", allow_private_urls=True, attempt=attempt)


def test_an_unreachable_target_is_retried_with_the_reason_then_failed(db_session):
    pk = _publication(db_session)
    with pytest.raises(outbox.RetryJob):
        _send(db_session, pk, 1)
    [pub] = [p for p in pens.history(db_session, application_pk=_app(db_session, pk), dispatch_id=_id(db_session, pk))]
    assert pub.status == "retrying" and pub.error.startswith(f"Attempt 1 of {pens.MAX_ATTEMPTS}: ")
    assert "could not be reached" in pub.error
    _send(db_session, pk, pens.MAX_ATTEMPTS)  # the last attempt: no retry, the publication says so
    db_session.commit()  # as the worker does when the handler returns
    db_session.refresh(pub)
    assert pub.status == "failed" and pub.error.startswith(f"Gave up after {pens.MAX_ATTEMPTS} attempts: ")


def _app(session, pk):
    return session.get(pens.PensPublication, pk).application_pk


def _id(session, pk):
    return session.get(pens.Dispatch, session.get(pens.PensPublication, pk).dispatch_pk).dispatch_id
