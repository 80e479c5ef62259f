"""A run-time commit the server acknowledged survives `kill -9` of the server process."""

from __future__ import annotations

import pytest
import rustici_software_cloud_v2 as cloud

from tests.contract.player_http import commit, import_one_sco, open_launch
from tests.contract.server_process import ServerProcess, fresh_database
from tests.databases import BACKENDS


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_right_after_an_acknowledged_commit_loses_nothing(tmp_path, backend):
    url, cleanup = fresh_database(backend, tmp_path)
    server = ServerProcess(url, tmp_path / "data")
    try:
        server.start()
        client = server.client()
        regs = cloud.RegistrationApi(client)
        import_one_sco(client, tmp_path, "dur")
        regs.create_registration(cloud.CreateRegistrationSchema(
            course_id="dur", registration_id="dur-reg", learner=cloud.LearnerSchema(id="l1", first_name="A", last_name="B")))
        token = open_launch(server.content_url, client, "dur-reg")
        commit(server.content_url, token, 1, {
            "lesson_status": "passed", "score": {"raw": "91", "min": "0", "max": "100"},
            "lesson_location": "page-7", "exit": "suspend", "session_time": "00:02:05"},
            suspend_data="state-after-commit")
        server.kill9()  # at once: no shutdown, no flush beyond what the commit already did
        server.start()
        progress = cloud.RegistrationApi(server.client()).get_registration_progress(
            "dur-reg", include_child_results=True, include_runtime=True)
        assert progress.registration_success == "PASSED" and progress.registration_completion == "COMPLETED"
        assert progress.score.scaled == 91 and progress.total_seconds_tracked == 125
        runtime = progress.activity_details.children[0].runtime
        assert runtime.suspend_data == "state-after-commit" and runtime.location == "page-7"
    finally:
        server.stop()
        cleanup()
