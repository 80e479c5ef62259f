"""Basic Outcomes sending (domain/dispatch/lti11_outcomes.py) against a real HTTP receiver: which score
is reported, and how the consumer's failures map to the job queue (retry vs. give up)."""

from __future__ import annotations

import pytest

from coursehost.db.models.dispatch import Dispatch, DispatchRegistration
from coursehost.db.models.registrations import Registration
from coursehost.domain.crypto import SecretBox
from coursehost.domain.dispatch.lti11_outcomes import result_score, send_outcome
from coursehost.domain.dispatch.outcomes import Outcome
from coursehost.domain.outbox import PermanentJobError, RetryJob
from tests.contract.receiver import Receiver
from tests.servers import free_port

BOX = SecretBox("an-instance-key-for-these-tests-only-0123456789")


@pytest.mark.parametrize(("fields", "score"), [
    ({"score_scaled": 72.5, "success": "FAILED", "completion": "COMPLETED"}, 0.725),
    ({"score_scaled": None, "success": "PASSED", "completion": "INCOMPLETE"}, 1.0),
    ({"score_scaled": None, "success": "FAILED", "completion": "COMPLETED"}, 0.0),
    ({"score_scaled": None, "success": "UNKNOWN", "completion": "COMPLETED"}, 1.0),
    ({"score_scaled": None, "success": "UNKNOWN", "completion": "INCOMPLETE"}, None),
])
def test_the_reported_score(fields, score):
    assert result_score(Registration(**fields)) == score


def _outcome(url: str) -> Outcome:
    return Outcome(dispatch=Dispatch(dispatch_key="k" * 32, secret=BOX.encrypt("shh")),
                   row=DispatchRegistration(outcome={"lis_outcome_service_url": url, "lis_result_sourcedid": "s1"}),
                   registration=Registration(score_scaled=50.0, success="UNKNOWN", completion="UNKNOWN"))


def test_a_consumer_that_is_down_or_fails_is_retried_and_one_that_refuses_is_not():
    with Receiver(path="/outcomes") as receiver:
        receiver.answer(503, 401, default=200)
        with pytest.raises(RetryJob, match="HTTP 503"):
            send_outcome(None, _outcome(receiver.url), box=BOX, allow_private_urls=True)
        with pytest.raises(PermanentJobError, match="HTTP 401"):
            send_outcome(None, _outcome(receiver.url), box=BOX, allow_private_urls=True)
        send_outcome(None, _outcome(receiver.url), box=BOX, allow_private_urls=True)
        assert b"<textString>0.5000</textString>" in receiver.requests[-1].body
    with pytest.raises(RetryJob):
        send_outcome(None, _outcome(f"http://127.0.0.1:{free_port()}/gone"), box=BOX, allow_private_urls=True)


def test_private_addresses_are_refused_unless_allowed():
    with Receiver(path="/outcomes") as receiver, pytest.raises(PermanentJobError, match="refused"):
        send_outcome(None, _outcome(receiver.url), box=BOX, allow_private_urls=False)
    assert receiver.requests == []
