"""CourseApi import flow through the official client: jobs, status, the course it makes."""

from __future__ import annotations

import io
import zipfile

import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from tests.contract.courses import upload, wait_for_job
from tests.contract.helpers import message

MANIFEST_12 = b"""<?xml version="1.0"?>
<manifest identifier="m1" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>Basics course</title>
    <item identifier="i1" identifierref="r1"><title>Lesson one</title>
      <adlcp:masteryscore>80</adlcp:masteryscore></item>
  </organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="index.html">
    <file href="index.html"/></resource></resources>
</manifest>"""


def scorm12(manifest: bytes = MANIFEST_12) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("imsmanifest.xml", manifest)
        z.writestr("index.html", b"<html><body>lesson</body></html>")
    return buf.getvalue()


def test_upload_import_completes_with_the_course(app_api, tmp_path):
    status = upload(app_api, tmp_path, scorm12(), course_id="basics-1")
    assert status.status == "COMPLETE", status.message
    result = status.import_result
    assert result.course.id == "basics-1" and result.course.title == "Basics course"
    assert result.course.course_learning_standard == "SCORM12" and result.course.version == 0
    assert result.web_path_to_course and result.parser_warnings == []
    leaf = result.course.root_activity.children[0]
    assert (leaf.title, leaf.activity_type, leaf.href, leaf.scaled_passing_score) == \
        ("Lesson one", "SCO", "index.html", "0.8")
    fetched = app_api.get_course("basics-1")
    assert fetched.title == "Basics course" and fetched.root_activity.children[0].title == "Lesson one"
    files = {f.path: f.size for f in app_api.get_course_file_list("basics-1").files}
    assert files == {"imsmanifest.xml": len(MANIFEST_12), "index.html": 32}


def test_upload_job_returns_an_id_at_once_that_reports_running_or_complete(app_api, tmp_path):
    path = tmp_path / "direct.zip"
    path.write_bytes(scorm12())
    job = app_api.create_upload_and_import_course_job("direct-1", file=str(path))
    assert isinstance(job, cloud.StringResultSchema) and job.result
    first = app_api.get_import_job_status(job.result)
    assert first.status in ("RUNNING", "COMPLETE"), first.message
    final = wait_for_job(app_api, job.result)
    assert final.status == "COMPLETE" and final.import_result.course.id == "direct-1"
    assert app_api.get_course("direct-1").title == "Basics course"


def test_same_course_id_needs_may_create_new_version(app_api, tmp_path):
    assert upload(app_api, tmp_path, scorm12(), course_id="v").status == "COMPLETE"
    with pytest.raises(ApiException) as err:
        upload(app_api, tmp_path, scorm12(), course_id="v")
    assert err.value.status == 409 and "mayCreateNewVersion" in message(err.value)
    again = upload(app_api, tmp_path, scorm12(MANIFEST_12.replace(b"Basics course", b"Second")),
                   course_id="v", may_create_new_version=True)
    assert again.status == "COMPLETE" and again.import_result.course.version == 1
    versions = app_api.get_course_versions("v").courses
    assert [(c.version, c.title) for c in versions] == [(0, "Basics course"), (1, "Second")]
    assert app_api.get_course("v").title == "Second"
    app_api.delete_course_version("v", 1)
    assert app_api.get_course("v").title == "Basics course"


def test_not_a_zip_is_an_error_and_leaves_nothing(app_api, tmp_path):
    status = upload(app_api, tmp_path, b"hello, this is text", course_id="bad", filename="x.zip")
    assert status.status == "ERROR" and "not a zip" in status.message
    with pytest.raises(ApiException) as err:
        app_api.get_course("bad")
    assert err.value.status == 404
    assert app_api.get_courses().courses == []


def test_unknown_import_job_is_404(app_api):
    with pytest.raises(ApiException) as err:
        app_api.get_import_job_status("no-such-job")
    assert err.value.status == 404


def test_fetch_import_from_a_local_server(app_api, http_files):
    url = http_files({"/pkg.zip": scorm12()})
    job = app_api.create_fetch_and_import_course_job("fetched", cloud.ImportFetchRequestSchema(url=url + "/pkg.zip"))
    status = wait_for_job(app_api, job.result)
    assert status.status == "COMPLETE", status.message
    assert status.import_result.course.title == "Basics course"
    missing = app_api.create_fetch_and_import_course_job("nope", cloud.ImportFetchRequestSchema(url=url + "/missing.zip"))
    failed = wait_for_job(app_api, missing.result)
    assert failed.status == "ERROR" and "404" in failed.message
