"""Postbacks survive a server restart: while the receiver is down the learner's results change twice
and the server is killed and started again; once the receiver is back it gets the newest state."""

from __future__ import annotations

import json
import time

import pytest
import rustici_software_cloud_v2 as cloud

from tests.contract.player_http import commit, import_one_sco, open_launch
from tests.contract.receiver import Receiver
from tests.contract.server_process import ServerProcess, fresh_database
from tests.databases import BACKENDS


@pytest.mark.parametrize("kill", [True, False], ids=["kill-9", "sigterm"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_newest_state_is_delivered_after_outage_and_restart(tmp_path, backend, kill):
    url, cleanup = fresh_database(backend, tmp_path)
    server = ServerProcess(url, tmp_path / "data")
    receiver = Receiver()  # not started: the far side is down from the beginning
    try:
        server.start()
        client = server.client()
        import_one_sco(client, tmp_path, "pb-course")
        cloud.RegistrationApi(client).create_registration(cloud.CreateRegistrationSchema(
            course_id="pb-course", registration_id="pb-reg",
            learner=cloud.LearnerSchema(id="l1", first_name="A", last_name="B"),
            post_back=cloud.PostBackSchema(url=receiver.url, auth_type="HTTPBASIC", user_name="u",
                                           password="p", results_format="COURSE")))
        token = open_launch(server.content_url, client, "pb-reg")
        commit(server.content_url, token, 1, {"lesson_status": "incomplete", "session_time": "00:00:30"})
        time.sleep(1.5)  # the first delivery is tried and fails (connection refused)
        commit(server.content_url, token, 2, {"lesson_status": "passed", "score": {"raw": "87", "min": "0", "max": "100"},
                                           "session_time": "00:01:00"})
        time.sleep(0.5)
        if kill:
            server.kill9()
        else:
            server.stop()
        assert receiver.requests == []
        server.start()
        receiver.start()
        first = receiver.wait_for(1, timeout=60)[0]
        time.sleep(3)  # anything else still queued has had its chance to arrive
        assert first.basic_auth() == ("u", "p")
        for req in receiver.requests:  # every delivery carries the state as it is when sent: the newest
            data = json.loads(req.body)
            assert data["id"] == "pb-reg"
            assert (data["registrationCompletion"], data["registrationSuccess"]) == ("COMPLETED", "PASSED")
            assert data["score"]["scaled"] == 87 and data["totalSecondsTracked"] == 60
        assert len(receiver.requests) <= 2  # the newest state wins; the superseded one is not sent as well
    finally:
        receiver.stop()
        server.stop()
        cleanup()
