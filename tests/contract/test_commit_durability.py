"""A run-time commit the server acknowledged survives `kill -9` of the server process."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile

import httpx
import pytest
import rustici_software_cloud_v2 as cloud

from tests.conftest import BACKENDS
from tests.contract.server_process import ServerProcess, fresh_database

MANIFEST = """<?xml version="1.0"?>
<manifest identifier="dur" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Durability</title>
    <item identifier="sco1" identifierref="r1"><title>Only SCO</title></item></organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="index.html">
    <file href="index.html"/></resource></resources>
</manifest>"""


def _package(tmp_path):
    path = tmp_path / "dur.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("imsmanifest.xml", MANIFEST)
        z.writestr("index.html", "<html><body>sco</body></html>")
    return path


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_right_after_an_acknowledged_commit_loses_nothing(tmp_path, backend):
    url, cleanup = fresh_database(backend, tmp_path)
    server = ServerProcess(url, tmp_path / "data")
    try:
        server.start()
        client = server.client()
        courses, regs = cloud.CourseApi(client), cloud.RegistrationApi(client)
        job = courses.create_upload_and_import_course_job("dur", file=str(_package(tmp_path)))
        while courses.get_import_job_status(job.result).status == "RUNNING":
            time.sleep(0.1)
        regs.create_registration(cloud.CreateRegistrationSchema(
            course_id="dur", registration_id="dur-reg", learner=cloud.LearnerSchema(id="l1", first_name="A", last_name="B")))
        link = regs.build_registration_launch_link("dur-reg", cloud.LaunchLinkRequestSchema(redirect_on_exit_url="blank"))
        page = httpx.get(link.launch_link if link.launch_link.startswith("http") else server.base_url + link.launch_link)
        token = re.search(r'"runtimeToken":\s*"([^"]+)"', page.text).group(1)
        body = {"seq": 1, "activityId": "sco1", "terminated": False, "runtime": {
            "core": {"lesson_status": "passed", "score": {"raw": "91", "min": "0", "max": "100"},
                     "lesson_location": "page-7", "exit": "suspend", "session_time": "00:02:05"},
            "suspend_data": "state-after-commit",
        }}
        resp = httpx.post(server.base_url + "/player/runtime/commit", content=json.dumps(body),
                          headers={"x-player-token": token, "content-type": "application/json"})
        assert resp.status_code == 200, resp.text
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
