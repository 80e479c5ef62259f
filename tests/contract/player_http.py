"""Driving the player's run-time endpoints over plain HTTP (no browser), for tests that restart the
server: a one-SCO SCORM 1.2 package, opening a launch link, committing run-time data."""

from __future__ import annotations

import json
import re
import time
import zipfile
from pathlib import Path

import httpx
import rustici_software_cloud_v2 as cloud

MANIFEST = """<?xml version="1.0"?>
<manifest identifier="one" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>One SCO</title>
    <item identifier="sco1" identifierref="r1"><title>Only SCO</title></item></organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="index.html">
    <file href="index.html"/></resource></resources>
</manifest>"""


def one_sco_package(tmp_path: Path) -> Path:
    path = tmp_path / "one-sco.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("imsmanifest.xml", MANIFEST)
        z.writestr("index.html", "<html><body>sco</body></html>")
    return path


def import_one_sco(client, tmp_path: Path, course_id: str) -> None:
    courses = cloud.CourseApi(client)
    job = courses.create_upload_and_import_course_job(course_id, file=str(one_sco_package(tmp_path)))
    while (status := courses.get_import_job_status(job.result)).status == "RUNNING":
        time.sleep(0.1)
    assert status.status == "COMPLETE", status.message


def open_launch(base_url: str, client, registration_id: str) -> str:
    """Build a launch link with the official client, open it; the player's runtime token."""
    link = cloud.RegistrationApi(client).build_registration_launch_link(
        registration_id, cloud.LaunchLinkRequestSchema(redirect_on_exit_url="blank")).launch_link
    page = httpx.get(link if link.startswith("http") else base_url + link)
    assert page.status_code == 200, page.text
    return re.search(r'"runtimeToken":\s*"([^"]+)"', page.text).group(1)


def commit(base_url: str, token: str, seq: int, core: dict, **runtime) -> dict:
    """POST one commit of SCO 'sco1' the way the player sends it; the server's answer."""
    body = {"seq": seq, "activityId": "sco1", "terminated": False, "runtime": {"core": core, **runtime}}
    resp = httpx.post(base_url + "/player/runtime/commit", content=json.dumps(body),
                      headers={"x-player-token": token, "content-type": "application/json"})
    assert resp.status_code == 200, resp.text
    return resp.json()
