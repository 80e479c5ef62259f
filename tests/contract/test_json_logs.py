"""Structured JSON logs of a real `coursehost serve` process (issue 21): one JSON object per line, the
request id of a request that enqueues a job on the request's access line and on the worker's lines for
that job, and no credential anywhere in what the process logged."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest
import rustici_software_cloud_v2 as cloud

from tests.contract.player_http import one_sco_package
from tests.contract.server_process import ServerProcess, fresh_database
from tests.databases import BACKENDS

BANNER = ("Service (API, LRS):", "Content (player, course files):", "Created ", "  appId:", "  secretKey:",
          "  try: curl", "  console sign-in:")


def _wait_for_log(server: ServerProcess, needle: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while needle not in "".join(server.output):
        assert time.monotonic() < deadline, f"{needle!r} never logged"
        time.sleep(0.1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_json_logs_carry_the_request_id_to_the_job(tmp_path, backend):
    url, cleanup = fresh_database(backend, tmp_path)
    server = ServerProcess(url, tmp_path / "data", access_log=True, env={"COURSEHOST_LOG_FORMAT": "json"})
    request_id = f"ops-test.{uuid.uuid4().hex[:12]}"
    launch_secret = f"launch-secret-{uuid.uuid4().hex}"
    try:
        server.start()
        client = server.client()
        client.set_default_header("X-Request-ID", request_id)
        courses = cloud.CourseApi(client)
        job = courses.create_upload_and_import_course_job("json-logged", file=str(one_sco_package(tmp_path)))
        while (status := courses.get_import_job_status(job.result)).status == "RUNNING":
            time.sleep(0.1)
        assert status.status == "COMPLETE", status.message
        assert httpx.get(f"{server.content_url}/player/launch?token={launch_secret}").status_code >= 400
        _wait_for_log(server, "/player/launch?token=REDACTED")
        _wait_for_log(server, "course.import")
    finally:
        server.stop()
        cleanup()
    # stdout (serve's banner: URLs, the credentials shown once) and stderr (the log) share one pipe here
    banner_lines = [line for line in "".join(server.output).splitlines() if not line.startswith("{")]
    assert all(line.startswith(BANNER) for line in banner_lines if line.strip()), banner_lines
    banner = "\n".join(banner_lines)
    logged = "\n".join(line for line in "".join(server.output).splitlines() if line.startswith("{"))
    lines = [json.loads(line) for line in logged.splitlines()]  # every log line is one JSON object
    assert lines and all({"time", "level", "logger", "message", "request_id"} <= line.keys() for line in lines)
    upload = [line for line in lines if line.get("route") == "/api/v2/courses/importJobs/upload"]
    assert len(upload) == 1, upload
    assert upload[0]["request_id"] == request_id and upload[0]["logger"] == "coursehost.access"
    assert upload[0]["method"] == "POST" and upload[0]["status"] == 200 and upload[0]["duration_ms"] > 0
    job_lines = [line for line in lines if line["logger"].startswith("coursehost.jobs") and "course.import" in line["message"]]
    assert job_lines and all(line["request_id"] == request_id for line in job_lines), job_lines
    status_polls = [line for line in lines if line.get("route") == "/api/v2/courses/importJobs/{importJobId}"]
    assert status_polls and all(line["request_id"] == request_id for line in status_polls)
    # No credential in what was logged: the API secret and the owner's sign-in link (printed once in the
    # banner, on stdout), the Basic header the secret travels in, the launch token in a query string.
    secret = server.creds.secret
    assert secret in banner and secret not in logged
    signin = banner.split("/console/signin/link/")[1].split()[0]
    assert signin not in logged
    assert "Basic " not in logged and launch_secret not in logged
    launch = [line for line in lines if line.get("route") == "/player/launch"]
    assert launch and "token=REDACTED" in launch[0]["message"]
