"""LMS results survive `kill -9` (issue 17): while the LMS (a second `coursehost serve`) is down, a
learner's results change three times and the sending server is killed with -9 and started again;
when the LMS is back every waiting result arrives exactly once, in order, soon: a delivery that
succeeds re-runs the configuration's backed-off ones at once, and an attempt that -9 cut off is taken
up again when its lease ends."""

from __future__ import annotations

import pytest
import rustici_software_cloud_v2 as cloud

from tests.contract.lms import agent, ext_api, lrs_endpoint, statements, wait_until
from tests.contract.player_http import commit, import_one_sco, open_launch
from tests.contract.server_process import ServerProcess, fresh_database
from tests.databases import BACKENDS


def _register(client, registration_id: str, learner: str) -> None:
    cloud.RegistrationApi(client).create_registration(cloud.CreateRegistrationSchema(
        course_id="lms-restart-course", registration_id=registration_id,
        learner=cloud.LearnerSchema(id=learner, first_name="A", last_name="B")))


@pytest.mark.parametrize("backend", BACKENDS)
def test_waiting_results_survive_kill_9_and_arrive_once_in_order(tmp_path, backend):
    send_url, send_cleanup = fresh_database(backend, tmp_path / "s")
    recv_url, recv_cleanup = fresh_database(backend, tmp_path / "r")
    (tmp_path / "s").mkdir(exist_ok=True)
    (tmp_path / "r").mkdir(exist_ok=True)
    # A short job lease: a delivery that -9 cut off mid-attempt is taken up again within seconds.
    sender = ServerProcess(send_url, tmp_path / "s" / "data", env={"COURSEHOST_JOB_LEASE_SECONDS": "3"})
    lms = ServerProcess(recv_url, tmp_path / "r" / "data")
    try:
        lms.start()
        lms.default_app = lms.creds
        endpoint, key = lrs_endpoint(lms)
        sender.start()
        client = sender.client()
        import_one_sco(client, tmp_path, "lms-restart-course")
        with ext_api(sender, sender.creds) as api:
            config = api.post("/lmsConfigurations", json={
                "name": "Restarted", "contactEmail": "ops@example.com", "type": "xapi", "xapiUrl": endpoint,
                "xapiKey": key, "xapiSecret": "lms-delivery-secret-long-enough"}).json()
            assert api.put("/courses/lms-restart-course/lmsConfiguration",
                           json={"configurationId": config["id"]}).status_code == 204

            lms.stop()  # the LMS is down
            _register(client, "r-grace", "grace@example.com")
            token = open_launch(sender.content_url, client, "r-grace")
            commit(sender.content_url, token, 1, {"lesson_status": "failed", "score": {"raw": "40"}})
            wait_until(lambda: api.get(f"/lmsConfigurations/{config['id']}").json()["status"] == "CANT_CONNECT",
                       what="CANT_CONNECT")
            commit(sender.content_url, token, 2, {"lesson_status": "passed", "score": {"raw": "85"}})
            wait_until(lambda: api.get(f"/lmsConfigurations/{config['id']}").json()["pendingResults"] == 3,
                       what="three waiting results")

        sender.kill9()
        sender.start()
        client = sender.client()
        with ext_api(sender, sender.creds) as api:
            health = api.get(f"/lmsConfigurations/{config['id']}").json()
            assert health["status"] == "CANT_CONNECT" and health["pendingResults"] == 3  # kept across kill -9
            lms.start()  # the LMS is back, on the same port, with the same key
            # Another learner's result goes out at once; its success re-runs Grace's if it is backed off.
            _register(client, "r-linus", "linus@example.com")
            token = open_launch(sender.content_url, client, "r-linus")
            commit(sender.content_url, token, 1, {"lesson_status": "passed", "score": {"raw": "70"}})
            wait_until(lambda: api.get(f"/lmsConfigurations/{config['id']}").json()["pendingResults"] == 0,
                       timeout=30, what="the waiting results' delivery")
            assert api.get(f"/lmsConfigurations/{config['id']}").json()["status"] == "OK"
            grace = statements(endpoint, key, agent=agent("grace@example.com"))
            assert [(s["verb"]["display"]["en-US"], s["result"]["score"]["raw"]) for s in grace] == \
                [("completed", 40), ("failed", 40), ("passed", 85)]
            results = api.get("/registrations/r-grace/lmsResults").json()["results"]
            assert [r["statementId"] for r in results] == [s["id"] for s in grace]
            assert {r["status"] for r in results} == {"DELIVERED"}
            assert len(statements(endpoint, key, agent=agent("linus@example.com"))) == 2
    finally:
        sender.stop()
        lms.stop()
        send_cleanup()
        recv_cleanup()
