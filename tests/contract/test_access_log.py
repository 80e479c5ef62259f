"""Launch and runtime tokens stay out of the access log (issue 13 item 8): the real log of a
`coursehost serve` process, after a launch, commits (header and sendBeacon style), the player
window link and exit."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import rustici_software_cloud_v2 as cloud

from tests.contract.player_http import commit, import_one_sco
from tests.contract.server_process import ServerProcess, fresh_database
from tests.databases import BACKENDS


@pytest.mark.parametrize("backend", BACKENDS)
def test_access_log_shows_no_token(tmp_path, backend):
    url, cleanup = fresh_database(backend, tmp_path)
    server = ServerProcess(url, tmp_path / "data", access_log=True)
    try:
        server.start()
        client = server.client()
        import_one_sco(client, tmp_path, "logged")
        regs = cloud.RegistrationApi(client)
        regs.create_registration(cloud.CreateRegistrationSchema(
            course_id="logged", registration_id="log-reg", learner=cloud.LearnerSchema(id="l1")))
        link = regs.build_registration_launch_link(
            "log-reg", cloud.LaunchLinkRequestSchema(redirect_on_exit_url="blank")).launch_link
        launch_token = parse_qs(urlsplit(link).query)["token"][0]
        page = httpx.get(link)
        assert page.status_code == 200
        token = json.loads(page.text.split('id="player-config">')[1].split("</script>")[0])["runtimeToken"]
        commit(server.content_url, token, 1, {"lesson_status": "incomplete"})
        beacon = {"seq": 2, "activityId": "sco1", "runtime": {"core": {"lesson_status": "incomplete"}}}
        # sendBeacon cannot set headers: the token rides in the query string (t=)
        assert httpx.post(f"{server.content_url}/player/runtime/commit?t={token}", content=json.dumps(beacon),
                          headers={"content-type": "text/plain;charset=UTF-8"}).status_code == 200
        assert httpx.get(f"{server.content_url}/player/window?t={token}").status_code == 200
        assert httpx.post(f"{server.content_url}/player/runtime/exit?activityId=x&t={token}").status_code == 200
        assert httpx.get(f"{server.content_url}/player/launch?token={launch_token}").status_code in (200, 409)
        time.sleep(0.5)  # the access log line is written after the answer is sent
    finally:
        server.stop()
        cleanup()
    log = "".join(server.output)
    assert "/player/runtime/exit?activityId=x&t=" in log and "/player/window?t=" in log  # the log is on
    assert "/player/launch?token=" in log
    assert token not in log
    assert launch_token not in log
    assert token[:20] not in log and launch_token[-20:] not in log
