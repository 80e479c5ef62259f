"""Helpers for course contract tests: import through the official client and wait for the job."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import rustici_software_cloud_v2 as cloud


def course_api(live_server, creds=None) -> cloud.CourseApi:
    return cloud.CourseApi(live_server.client(creds))


def wait_for_job(api: cloud.CourseApi, job_id: str, timeout: float = 60) -> cloud.ImportJobResultSchema:
    deadline = time.monotonic() + timeout
    while True:
        status = api.get_import_job_status(job_id)
        if status.status != "RUNNING":
            return status
        assert time.monotonic() < deadline, f"import job {job_id} still RUNNING: {status.message}"
        time.sleep(0.05)


def upload(api: cloud.CourseApi, tmp_path: Path, data: bytes, *, course_id: str | None = None,
           filename: str = "package.zip", **kwargs) -> cloud.ImportJobResultSchema:
    """Upload DATA as FILENAME through CreateUploadAndImportCourseJob; the finished job status."""
    folder = tmp_path / uuid.uuid4().hex
    folder.mkdir()
    path = folder / filename
    path.write_bytes(data)
    course_id = course_id or f"course-{uuid.uuid4().hex[:10]}"
    job = api.create_upload_and_import_course_job(course_id, file=str(path), **kwargs)
    return wait_for_job(api, job.result)


def tree_titles(activity) -> list:
    """[title, [children...]] of a CourseActivitySchema, for compact assertions."""
    return [activity.title, [tree_titles(c) for c in (activity.children or [])]]
