"""SCORM packages of every edition and the common author mistakes, imported through the official
client (upload and fetch), checked by title, learning standard, activity tree and warnings."""

from __future__ import annotations

import pytest
import rustici_software_cloud_v2 as cloud

from tests.builders.scorm import PAGE, Item, scorm12_manifest, scorm12_zip, scorm2004_zip
from tests.contract.courses import course_api, tree_titles, upload, wait_for_job
from tests.contract.helpers import new_child_app

SEQ = """<imsss:sequencing><imsss:controlMode choice="false" flow="true"/>
<imsss:objectives><imsss:primaryObjective objectiveID="p" satisfiedByMeasure="true">
<imsss:minNormalizedMeasure>0.7</imsss:minNormalizedMeasure></imsss:primaryObjective></imsss:objectives>
</imsss:sequencing>"""

NESTED = [Item("m1", "Module 1", children=[Item("l1", "Lesson 1", "l1.html"), Item("l2", "Lesson 2", "l2.html")]),
          Item("m2", "Module 2", children=[Item("l3", "Lesson 3", "m2/l3.html")])]

# name: (package, standard, title, tree (titles), launch hrefs, warning fragments)
CASES = {
    "scorm12 multi-SCO nested": (
        scorm12_zip("Nested 1.2", scos=NESTED), "SCORM12", "Nested 1.2",
        ["Nested 1.2", [["Module 1", [["Lesson 1", []], ["Lesson 2", []]]], ["Module 2", [["Lesson 3", []]]]]],
        ["l1.html", "l2.html", "m2/l3.html"], []),
    "scorm2004 2nd edition": (
        scorm2004_zip("2nd", "Second edition", items=[("a", "A", "a.html")]), "SCORM20042NDEDITION",
        "Second edition", ["Second edition", [["A", []]]], ["a.html"], []),
    "scorm2004 3rd edition": (
        scorm2004_zip("3rd", "Third edition", items=[("a", "A", "a.html"), ("b", "B", "b.html")]),
        "SCORM20043RDEDITION", "Third edition", ["Third edition", [["A", []], ["B", []]]], ["a.html", "b.html"], []),
    "scorm2004 4th edition with sequencing": (
        scorm2004_zip("4th", "Fourth edition", items=[Item("a", "A", "a.html", inner_xml=SEQ)]),
        "SCORM20044THEDITION", "Fourth edition", ["Fourth edition", [["A", []]]], ["a.html"], []),
    "manifest one folder down": (
        scorm12_zip("Down", scos=[("s", "S", "index.html")], folder="course"), "SCORM12", "Down",
        ["Down", [["S", []]]], ["course/index.html"], []),
    "wrong case in a file name": (
        scorm12_zip("Case", scos=[("s", "S", "Pages/Index.HTML")], omit_files=["Pages/Index.HTML"],
                    extra_files={"pages/index.html": PAGE}), "SCORM12", "Case", ["Case", [["S", []]]],
        ["pages/index.html"], ["case"]),
    "missing schemaversion": (
        scorm2004_zip("3rd", "No version", items=[("a", "A", "a.html")], schemaversion=None),
        "SCORM20043RDEDITION", "No version", ["No version", [["A", []]]], ["a.html"], ["schemaversion"]),
    "a BOM before the XML": (
        scorm12_zip(manifest_override="\ufeff" + scorm12_manifest("BOM course")), "SCORM12", "BOM course",
        ["BOM course", [["SCO 1", []]]], ["index.html"], []),
    "href with spaces": (
        scorm12_zip("Spaces", scos=[("s", "S", "my page.html")]), "SCORM12", "Spaces", ["Spaces", [["S", []]]],
        ["my%20page.html"], ["spaces"]),
    "href with a query string": (
        scorm12_zip("Query", scos=[("s", "S", "index.html?lang=en")]), "SCORM12", "Query", ["Query", [["S", []]]],
        ["index.html?lang=en"], ["query string"]),
    "files listed but absent": (
        scorm12_zip("Absent", scos=[("a", "A", "a.html"), Item("b", "B", "b.html", files=["img/x.png"])],
                    omit_files=["b.html"]), "SCORM12", "Absent", ["Absent", [["A", []], ["B", []]]],
        ["a.html", "b.html"], ["img/x.png", "b.html"]),
}


@pytest.fixture(scope="module")
def api(live_server):
    _, creds = new_child_app(live_server)
    return course_api(live_server, creds)


def _check(status, case):
    _, standard, title, tree, hrefs, warnings = CASES[case]
    assert status.status == "COMPLETE", status.message
    course = status.import_result.course
    assert (course.title, course.course_learning_standard) == (title, standard)
    assert tree_titles(course.root_activity) == tree
    leaves = []

    def walk(node):
        if node.children:
            for child in node.children:
                walk(child)
        elif node.href:
            leaves.append(node.href)

    walk(course.root_activity)
    assert leaves == hrefs
    text = " ".join(status.import_result.parser_warnings).lower()
    for fragment in warnings:
        assert fragment.lower() in text, status.import_result.parser_warnings
    if not warnings:
        assert status.import_result.parser_warnings == []


@pytest.mark.parametrize("case", list(CASES))
def test_upload(case, api, tmp_path):
    _check(upload(api, tmp_path, CASES[case][0], course_id=f"up-{abs(hash(case))}"), case)


@pytest.mark.parametrize("case", list(CASES))
def test_fetch(case, api, http_files):
    base = http_files({"/package.zip": CASES[case][0]})
    job = api.create_fetch_and_import_course_job(
        f"fetch-{abs(hash(case))}", cloud.ImportFetchRequestSchema(url=base + "/package.zip"))
    _check(wait_for_job(api, job.result), case)


def test_sequencing_and_scaled_passing_score_survive_import(api, tmp_path, live_server):
    status = upload(api, tmp_path, CASES["scorm2004 4th edition with sequencing"][0], course_id="seq")
    leaf = status.import_result.course.root_activity.children[0]
    assert leaf.scaled_passing_score == "0.7"
    from sqlalchemy import select

    from coursehost.db.models.courses import CourseVersion

    with live_server.services.session_factory() as s:
        version = s.scalars(select(CourseVersion).where(CourseVersion.content_prefix
                                                        == status.import_result.web_path_to_course)).one()
        seq = version.structure["children"][0]["sequencing"]
    assert seq["controlMode"] == {"choice": False, "flow": True}
