"""AICC, xAPI, cmi5 and single media files imported through the official client (upload, fetch,
noUpload), checked by title, learning standard, activity tree and warnings; cmi5.xml that the
spec says an LMS must reject is an ERROR that leaves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import rustici_software_cloud_v2 as cloud

from tests.builders.aicc import AU as AiccAU
from tests.builders.aicc import aicc_zip
from tests.builders.cmi5 import AU as Cmi5AU
from tests.builders.cmi5 import Block, cmi5_xml, cmi5_zip
from tests.builders.media import mp3_bytes, mp4_bytes, pdf_bytes
from tests.builders.xapi import MODULE, Act, tincan_zip
from tests.contract.courses import course_api, tree_titles, upload, wait_for_job
from tests.contract.helpers import new_child_app

AICC = aicc_zip(title="AICC course", aus=[AiccAU("A1", "Lesson 1", "a1.html", mastery=80),
                                          AiccAU("A2", "Lesson 2", "a2.html")],
                blocks={"B1": ("Block 1", ["A1", "A2"])})
XAPI = tincan_zip([Act("http://example.com/course/x", "Tin Can course", "index.html"),
                   Act("http://example.com/module/2", "Module two", "two.html", MODULE)])
CMI5 = cmi5_zip([Block("https://example.com/block/1", "Block one", [
    Cmi5AU("https://example.com/au/1", "AU one", "au1/index.html", attrs={"moveOn": "Passed", "masteryScore": "0.8"}),
    Cmi5AU("https://example.com/au/2", "AU two", "https://content.example.com/au2")])], title="cmi5 course")

CASES = {  # name: (bytes, filename, standard, title, tree, warning fragments)
    "aicc": (AICC, "aicc.zip", "AICC", "AICC course",
             ["AICC course", [["Block 1", [["Lesson 1", []], ["Lesson 2", []]]]]], []),
    "aicc with a missing launch file": (
        aicc_zip(title="Missing", aus=[AiccAU("A1", "One", "a1.html"), AiccAU("A2", "Two", "a2.html")],
                 omit_files=["a2.html"]), "aicc.zip", "AICC", "Missing",
        ["Missing", [["One", []], ["Two", []]]], ["a2.html"]),
    "xapi": (XAPI, "tincan.zip", "XAPI", "Tin Can course", None, []),
    "cmi5": (CMI5, "cmi5.zip", "CMI5", "cmi5 course",
             ["cmi5 course", [["Block one", [["AU one", []], ["AU two", []]]]]], []),
    "pdf": (pdf_bytes(), "Safety handbook.pdf", "CMI5", "Safety handbook", None, []),
    "mp4": (mp4_bytes(), "intro-video.mp4", "CMI5", "intro video", None, []),
    "mp3": (mp3_bytes(), "podcast.mp3", "CMI5", "podcast", None, []),
}


@pytest.fixture(scope="module")
def api_app(live_server):
    app_id, creds = new_child_app(live_server)
    return app_id, course_api(live_server, creds)


def _check(status, case):
    _, _, standard, title, tree, warnings = CASES[case]
    assert status.status == "COMPLETE", status.message
    course = status.import_result.course
    assert (course.title, course.course_learning_standard) == (title, standard)
    if tree is not None:
        assert tree_titles(course.root_activity) == tree
    text = " ".join(status.import_result.parser_warnings)
    for fragment in warnings:
        assert fragment in text, status.import_result.parser_warnings
    if not warnings:
        assert status.import_result.parser_warnings == []
    return course


@pytest.mark.parametrize("case", list(CASES))
def test_upload(case, api_app, tmp_path):
    _, api = api_app
    data, filename = CASES[case][:2]
    _check(upload(api, tmp_path, data, course_id=f"u-{case}", filename=filename), case)


@pytest.mark.parametrize("case", list(CASES))
def test_fetch(case, api_app, http_files):
    _, api = api_app
    data, filename = CASES[case][:2]
    base = http_files({"/" + filename.replace(" ", "%20"): data})
    job = api.create_fetch_and_import_course_job(
        f"f-{case}", cloud.ImportFetchRequestSchema(url=base + "/" + filename.replace(" ", "%20")))
    _check(wait_for_job(api, job.result), case)


def test_aicc_au_details_and_cmi5_au_fields(api_app, tmp_path):
    _, api = api_app
    aicc = upload(api, tmp_path, AICC, course_id="aicc-detail", filename="a.zip").import_result.course
    lesson = aicc.root_activity.children[0].children[0]
    assert (lesson.href, lesson.scaled_passing_score, lesson.activity_type) == ("a1.html", "0.8", "SCO")
    cmi5 = upload(api, tmp_path, CMI5, course_id="cmi5-detail", filename="c.zip").import_result.course
    au1, au2 = cmi5.root_activity.children[0].children
    assert (au1.href, au1.scaled_passing_score) == ("au1/index.html", "0.8")
    assert au2.href == "https://content.example.com/au2"
    assert cmi5.activity_id == "https://example.com/course/1"


def test_media_course_is_cmi5_with_our_viewer_page(api_app, tmp_path):
    _, api = api_app
    status = upload(api, tmp_path, mp4_bytes(), course_id="video", filename="intro.mp4")
    course = status.import_result.course
    (au,) = course.root_activity.children
    assert au.href == "index.html" and au.activity_type == "SCO"
    files = {f.path for f in api.get_course_file_list("video").files}
    assert files == {"index.html", "intro.mp4"}
    viewer = Path(api.get_course_asset("video", "index.html")).read_bytes().decode()
    assert "<video" in viewer and "intro.mp4" in viewer


def test_no_upload_media_reference_stays_at_its_url(api_app):
    _, api = api_app
    url = "https://media.example.com/talks/keynote.mp3"
    job = api.create_no_upload_and_import_course_job("ref", cloud.ImportMediaFileReferenceRequestSchema(
        url=url, content_type="audio/mpeg",
        media_file_metadata=cloud.MediaFileMetadataSchema(title="Keynote", description="The talk")))
    status = wait_for_job(api, job.result)
    assert status.status == "COMPLETE", status.message
    assert status.import_result.course.title == "Keynote"
    assert status.import_result.course.course_learning_standard == "CMI5"
    assert [f.path for f in api.get_course_file_list("ref").files] == ["index.html"]
    assert url in Path(api.get_course_asset("ref", "index.html")).read_bytes().decode()
    bad = api.create_no_upload_and_import_course_job("ref-bad", cloud.ImportMediaFileReferenceRequestSchema(
        url="https://media.example.com/file.docx", content_type="application/msword"))
    failed = wait_for_job(api, bad.result)
    assert failed.status == "ERROR" and "PDF, MP4 or MP3" in failed.message


@pytest.mark.parametrize("xml, fragment", [
    (cmi5_xml(course_id="not-an-iri"), "IRI"),
    (cmi5_xml([Cmi5AU("https://example.com/au/1", "A", attrs={"masteryScore": "1.5"})]), "masteryScore"),
    (cmi5_xml([Cmi5AU("https://example.com/au/1", "A", "index.html?endpoint=http://x")]), "endpoint"),
    (cmi5_xml([Cmi5AU("https://example.com/au/1", "A"), Cmi5AU("https://example.com/au/1", "B")]), "already used"),
])
def test_cmi5_the_spec_rejects_is_an_error_and_leaves_nothing(xml, fragment, api_app, tmp_path, live_server):
    app_id, api = api_app
    before = {c.id for c in api.get_courses().courses}
    status = upload(api, tmp_path, cmi5_zip(xml=xml), course_id="cmi5-bad", filename="bad.zip")
    assert status.status == "ERROR" and fragment in status.message, status.message
    assert {c.id for c in api.get_courses().courses} == before
    assert not [k for k in live_server.services.store.list(f"courses/{app_id}/") if "cmi5-bad" in k]
