"""AICC, xAPI (tincan.xml), cmi5 parsers and the single-media-file course."""

from __future__ import annotations

import json
import re

import pytest

from coursehost.domain.courses.errors import PackageError
from coursehost.domain.courses.model import AGGREGATION, AICC, CMI5, SCO, XAPI, Activity
from coursehost.domain.courses.packages.parsers.aicc import find_aicc_descriptor, parse_aicc
from coursehost.domain.courses.packages.parsers.cmi5 import parse_cmi5
from coursehost.domain.courses.packages.parsers.media import build_media_course, detect_media, launch_parameters
from coursehost.domain.courses.packages.parsers.xapi import parse_tincan
from coursehost.domain.courses.packages.reader import PackageReader
from tests.builders.aicc import AU as AiccAU
from tests.builders.aicc import aicc_files, aicc_zip, csv_text, zip_bytes
from tests.builders.cmi5 import AU, COURSE_ID, Block, cmi5_xml, cmi5_zip
from tests.builders.media import mp3_bytes, mp4_bytes, pdf_bytes
from tests.builders.xapi import MODULE, OBJECTIVE, Act, tincan_xml, tincan_zip


@pytest.fixture
def open_zip(tmp_path):
    readers = []

    def _open(data: bytes) -> PackageReader:
        path = tmp_path / f"pkg{len(readers)}.zip"
        path.write_bytes(data)
        reader = PackageReader(path)
        readers.append(reader)
        return reader

    yield _open
    for r in readers:
        r.close()


# ================================================================================== AICC


def test_aicc_pre_rows_of_one_element_all_hold_and_cst_extra_columns_are_not_members(open_zip):
    """Shapes seen in the field (elearning-module-parser's aicc/complex and pre-ort modules): a .pre
    with one prerequisite per row and its own column names, a .cst with prerequisites / attributes
    columns, an .ort with one objective relationship per row."""
    files = aicc_files(aus=[AiccAU("A1", "One", "a1.html"), AiccAU("A2", "Two", "a2.html"),
                            AiccAU("A3", "Three", "a3.html")], root_members=["B1"], replace={
        ".cst": csv_text([["block", "member", "prerequisites", "attributes"], ["root", "B1", "", ""],
                          ["B1", "A1", "", "MANDATORY=Y"], ["B1", "A2", "A1", "CA=A1"], ["B1", "A3", "", ""]]),
        ".pre": csv_text([["pre_from", "post_to", "type"], ["A2", "A1", "requires"], ["A3", "A1", "requires"],
                          ["A3", "A2", "requires"], ["B1", "", ""]]),
        ".ort": csv_text([["objective_id", "description", "au_system_id"], ["OBJ1", "Intro", "A1"],
                          ["OBJ1", "Intro", "A2"], ["OBJ2", "Final", "A3"]]),
    })
    reader = open_zip(zip_bytes(files))
    course = parse_aicc(reader, find_aicc_descriptor(reader))
    [block] = course.root.children
    assert [(a.id, a.data["prerequisites"]) for a in block.children] == [
        ("A1", None), ("A2", "A1"), ("A3", "(A1) & (A2)")]
    assert course.warnings == ["course.des has no title for block 'B1'; its System_ID is used instead"]
    assert course.extra["aicc"]["objectives_relationships"] == {"A1": ["OBJ1"], "A2": ["OBJ1"], "A3": ["OBJ2"]}


def test_aicc_ort_in_the_guidelines_form(open_zip):
    files = aicc_files(aus=[AiccAU("A1", "One", "a1.html")], replace={
        ".ort": csv_text([["course_element", "member", "member"], ["A1", "J1", "J2"], ["A1", "J3", ""]])})
    reader = open_zip(zip_bytes(files))
    assert parse_aicc(reader, find_aicc_descriptor(reader)).extra["aicc"]["objectives_relationships"] == {
        "A1": ["J1", "J2", "J3"]}

def _aicc(open_zip, **kwargs):
    reader = open_zip(aicc_zip(**kwargs))
    crs = find_aicc_descriptor(reader)
    assert crs is not None
    return parse_aicc(reader, crs)


def test_aicc_good_package(open_zip):
    parsed = _aicc(
        open_zip, title="Safety Basics", course_id="SAFE-1",
        aus=[AiccAU("A1", "Intro", "intro/start.html", mastery=80, web_launch="lang=en&x=1",
                    max_time="00:30:00", time_limit_action="exit,message", core_vendor="cv"),
             AiccAU("A2", "Quiz", "quiz.html"),
             AiccAU("A3", "Remote", "https://cdn.example.com/au3/index.html")],
        blocks={"B1": ("Part One", ["A1", "A2"])},
        pre=[("A2", "A1")], cmp=[("A2", "passed", "A1", "completed")],
    )
    assert parsed.warnings == []
    assert parsed.learning_standard == AICC
    assert parsed.title == "Safety Basics"
    assert parsed.activity_id == "SAFE-1"
    assert parsed.metadata.description == "A course."
    root = parsed.root
    assert root.activity_type == AGGREGATION and root.id == "SAFE-1"
    assert [c.id for c in root.children] == ["B1", "A3"]
    block = root.children[0]
    assert block.activity_type == AGGREGATION and block.title == "Part One"
    a1, a2 = block.children
    assert (a1.activity_type, a1.title, a1.href) == (SCO, "Intro", "intro/start.html")
    assert a1.scaled_passing_score == pytest.approx(0.8)
    assert a1.data["mastery_score"] == 80
    assert a1.data["web_launch"] == "lang=en&x=1"
    assert a1.data["file_name"] == "intro/start.html"
    assert a1.data["max_time_allowed"] == "00:30:00"
    assert a1.data["time_limit_action"] == "exit,message"
    assert a1.data["system_vendor"] == "Vendor" and a1.data["core_vendor"] == "cv"
    assert a2.data["prerequisites"] == "A1"
    assert a2.data["completion"] == [{"status": "passed", "requirement": "A1", "next_status": "completed"}]
    assert a2.scaled_passing_score is None
    assert root.children[1].href == "https://cdn.example.com/au3/index.html"
    assert [leaf.id for leaf in root.leaves()] == ["A1", "A2", "A3"]
    assert parsed.extra["aicc"]["max_normal"] == "99"
    Activity.from_dict(json.loads(json.dumps(root.to_dict())))  # JSON-serialisable


def test_aicc_descriptor_one_folder_down_and_case(open_zip):
    files = aicc_files(stem="MyCourse", folder="pkg/")
    renamed = {k.replace("MyCourse.au", "MYCOURSE.AU"): v for k, v in files.items()}
    reader = open_zip(zip_bytes(renamed))
    crs = find_aicc_descriptor(reader)
    assert crs == "pkg/MyCourse.crs"
    parsed = parse_aicc(reader, crs)
    assert parsed.warnings == []
    assert parsed.root.leaves()[0].href == "pkg/a1.html"


def test_aicc_no_descriptor(open_zip):
    assert find_aicc_descriptor(open_zip(zip_bytes({"index.html": b"x"}))) is None


def test_aicc_csv_quirks_bom_crlf_spaces_embedded_commas_quotes_blank_lines(open_zip):
    au = ('\ufeff"System_ID", "Type" ,"File_Name","Mastery_Score","Web_Launch"\r\n'
          '"A1", "", "a1.html", "75", "a=1,b=2"\r\n\r\n\r\n')
    des = ('"System_ID","Developer_ID","Title","Description"\r\n'
           '"A1","d","Lesson ""One"", with comma","x"\r\n\r\n')
    parsed = _aicc(open_zip, replace={".au": au.encode("utf-8"), ".des": des})
    assert parsed.warnings == []
    leaf = parsed.root.leaves()[0]
    assert leaf.title == 'Lesson "One", with comma'
    assert leaf.data["web_launch"] == "a=1,b=2"
    assert leaf.scaled_passing_score == pytest.approx(0.75)


def test_aicc_header_order_and_case_come_from_the_header(open_zip):
    au = '"file_name","MASTERY_SCORE","system_id"\r\n"a1.html","50","A1"\r\n'
    parsed = _aicc(open_zip, replace={".au": au})
    leaf = parsed.root.leaves()[0]
    assert (leaf.id, leaf.href, leaf.scaled_passing_score) == ("A1", "a1.html", 0.5)


def test_aicc_wrong_column_count_row_is_skipped_with_warning(open_zip):
    au = csv_text([["System_ID", "File_Name"], ["A1", "a1.html"], ["A2", "a2.html", "extra", "more"]])
    parsed = _aicc(open_zip, aus=[AiccAU("A1", "L1", "a1.html"), AiccAU("A2", "L2", "a2.html")],
                   replace={".au": au})
    assert [a.id for a in parsed.root.leaves()] == ["A1"]
    assert any("course.au: row 3 has 4 values" in w for w in parsed.warnings)


def test_aicc_missing_title_falls_back_to_system_id(open_zip):
    parsed = _aicc(open_zip, aus=[AiccAU("A1", None, "a1.html")], blocks={"B1": (None, ["A1"])})
    block = parsed.root.children[0]
    assert block.title == "B1" and block.children[0].title == "A1"
    assert any("no title for AU 'A1'" in w and "course.des" in w for w in parsed.warnings)
    assert any("no title for block 'B1'" in w for w in parsed.warnings)


def test_aicc_missing_course_title_and_missing_launch_file(open_zip):
    parsed = _aicc(open_zip, title=None, omit_files=["a1.html"])
    assert parsed.title == "COURSE1"
    assert any("Course_Title" in w for w in parsed.warnings)
    assert any("'a1.html', which is not in the package" in w for w in parsed.warnings)
    assert parsed.root.leaves()[0].href == "a1.html"


def test_aicc_bad_mastery_score_is_a_warning(open_zip):
    parsed = _aicc(open_zip, aus=[AiccAU("A1", "L", "a1.html", mastery="lots")])
    assert parsed.root.leaves()[0].scaled_passing_score is None
    assert any("Mastery_Score 'lots'" in w for w in parsed.warnings)


def test_aicc_cst_problems(open_zip):
    parsed = _aicc(open_zip, aus=[AiccAU("A1", "L1", "a1.html"), AiccAU("A2", "L2", "a2.html")],
                   root_members=["A1", "GHOST"])
    assert [a.id for a in parsed.root.leaves()] == ["A1", "A2"]
    assert any("member 'GHOST'" in w for w in parsed.warnings)
    assert any("does not place AU 'A2'" in w for w in parsed.warnings)


@pytest.mark.parametrize("ext", [".au", ".des", ".cst"])
def test_aicc_missing_required_file_is_rejected(open_zip, ext):
    with pytest.raises(PackageError, match=re.escape(f"course{ext}")):
        _aicc(open_zip, drop=[ext])


def test_aicc_cst_without_header_and_file_name_with_query(open_zip):
    cst = csv_text([["root", "A1"]])
    parsed = _aicc(open_zip, aus=[AiccAU("A1", "L1", "sub\\start.html?x=1")], replace={".cst": cst},
                   folder="pkg/")
    assert parsed.root.leaves()[0].href == "pkg/sub/start.html?x=1"
    assert parsed.warnings == ["course.cst has no header row; its first row was read as data"]


def test_aicc_au_without_system_id_column_is_rejected(open_zip):
    with pytest.raises(PackageError, match="System_ID"):
        _aicc(open_zip, replace={".au": '"Id","File_Name"\r\n"A1","a1.html"\r\n'})


def test_aicc_no_au_is_rejected(open_zip):
    with pytest.raises(PackageError, match="no assignable unit"):
        _aicc(open_zip, replace={".au": csv_text([["System_ID", "File_Name"]])})


# ================================================================================== xAPI
def _tincan(open_zip, **kwargs):
    reader = open_zip(tincan_zip(**kwargs))
    return parse_tincan(reader, reader.find_descriptor("tincan.xml"))


def test_tincan_good_package(open_zip):
    parsed = _tincan(open_zip, activities=[
        Act("http://example.com/course/1", "My Tin Can", "index.html?lang=en", lang="en-US"),
        Act("http://example.com/course/1/obj", "Objective", type=OBJECTIVE),
        Act("http://example.com/course/1/m2", "Module 2", "m2/start.html", type=MODULE, lang="fr-FR"),
    ])
    assert parsed.warnings == []
    assert parsed.learning_standard == XAPI
    assert parsed.title == "My Tin Can"
    assert parsed.activity_id == "http://example.com/course/1"
    assert parsed.languages == ["en-US", "fr-FR"]
    assert parsed.metadata.description == "About it"
    root = parsed.root
    assert root.activity_type == AGGREGATION and root.id == "http://example.com/course/1"
    assert [(c.id, c.activity_type, c.href) for c in root.children] == [
        ("http://example.com/course/1", SCO, "index.html?lang=en"),
        ("http://example.com/course/1/m2", SCO, "m2/start.html"),
    ]
    assert root.children[1].title == "Module 2"


def test_tincan_first_activity_is_course_when_no_course_type(open_zip):
    parsed = _tincan(open_zip, activities=[Act("urn:x:1", "First", "a.html", type=MODULE)])
    assert parsed.activity_id == "urn:x:1" and parsed.title == "First"
    assert any("no activity has the type" in w for w in parsed.warnings)


def test_tincan_missing_launch_file_is_a_warning(open_zip):
    parsed = _tincan(open_zip, activities=[Act("urn:x:1", "C", "story.html")], omit_files=["story.html"])
    assert parsed.root.leaves()[0].href == "story.html"
    assert any("tincan.xml" in w and "'story.html', which is not in the package" in w for w in parsed.warnings)


def test_tincan_absolute_launch_and_folder(open_zip):
    parsed = _tincan(open_zip, activities=[Act("urn:x:1", "C", "https://lrs.example.com/au")], folder="sub/")
    assert parsed.root.leaves()[0].href == "https://lrs.example.com/au"
    parsed = _tincan(open_zip, activities=[Act("urn:x:1", "C", "my page.html")], folder="sub/")
    assert parsed.root.leaves()[0].href == "sub/my%20page.html"
    assert parsed.warnings == []


def test_tincan_missing_name_falls_back_to_id(open_zip):
    parsed = _tincan(open_zip, activities=[Act("urn:x:1", None, "a.html")])
    assert parsed.title == "urn:x:1"
    assert any("has no <name>" in w for w in parsed.warnings)


def test_tincan_no_launchable_activity_is_rejected(open_zip):
    with pytest.raises(PackageError, match="no activity has a <launch>"):
        _tincan(open_zip, activities=[Act("urn:x:1", "C")])


def test_tincan_not_tincan_or_broken_xml_is_rejected(open_zip):
    with pytest.raises(PackageError, match="<tincan>"):
        _tincan(open_zip, xml="<manifest/>")
    with pytest.raises(PackageError, match="not well-formed"):
        _tincan(open_zip, xml="<tincan><activities>")
    with pytest.raises(PackageError, match="no <activity>"):
        _tincan(open_zip, xml=tincan_xml([]))


# ================================================================================== cmi5
def _cmi5(open_zip, **kwargs):
    reader = open_zip(cmi5_zip(**kwargs))
    return parse_cmi5(reader, reader.find_descriptor("cmi5.xml"))


def test_cmi5_good_package(open_zip):
    items = [
        Block("https://example.com/block/1", "Block One", [
            AU("https://example.com/au/1", "AU One", "au1/index.html?mode=a",
               attrs={"moveOn": "CompletedAndPassed", "masteryScore": " 0.85 ", "launchMethod": "OwnWindow",
                      "activityType": "http://adlnet.gov/expapi/activities/media"},
               launch_parameters='{"level": 2}', entitlement_key="xyz-123",
               objectives=["https://example.com/obj/1"]),
            Block("https://example.com/block/2", "Nested", [AU("https://example.com/au/2", "AU Two", "au2.html")]),
        ], objectives=["https://example.com/obj/1"]),
        AU("https://example.com/au/3", "AU Three", "https://cdn.example.com/au3/?x=1", lang="de-DE"),
    ]
    parsed = _cmi5(open_zip, items=items, objectives=[("https://example.com/obj/1", "Objective")])
    assert parsed.warnings == []
    assert parsed.learning_standard == CMI5
    assert parsed.title == "cmi5 Course"
    assert parsed.activity_id == COURSE_ID
    assert parsed.languages == ["en-US", "de-DE"]
    assert parsed.metadata.description == "A cmi5 course" and parsed.metadata.title_language == "en-US"
    assert parsed.extra["objectives"] == [{"id": "https://example.com/obj/1", "title": "Objective",
                                           "description": "Objective"}]
    root = parsed.root
    assert root.id == COURSE_ID and root.activity_type == AGGREGATION
    block = root.children[0]
    assert (block.id, block.title, block.activity_type) == ("https://example.com/block/1", "Block One", AGGREGATION)
    assert block.data["objectives"] == ["https://example.com/obj/1"]
    au1 = block.children[0]
    assert (au1.activity_type, au1.href) == (SCO, "au1/index.html?mode=a")
    assert au1.scaled_passing_score == pytest.approx(0.85)
    assert au1.data == {
        "moveOn": "CompletedAndPassed", "masteryScore": 0.85, "launchMethod": "OwnWindow",
        "launchParameters": '{"level": 2}', "entitlementKey": "xyz-123",
        "activityType": "http://adlnet.gov/expapi/activities/media", "url": "au1/index.html?mode=a",
        "objectives": ["https://example.com/obj/1"],
    }
    nested = block.children[1]
    assert nested.activity_type == AGGREGATION and nested.children[0].href == "au2.html"
    au2 = nested.children[0]
    assert au2.data["moveOn"] == "NotApplicable" and au2.data["launchMethod"] == "AnyWindow"
    assert au2.data["masteryScore"] is None and au2.scaled_passing_score is None
    assert root.children[1].href == "https://cdn.example.com/au3/?x=1"
    assert [a.id for a in root.leaves()] == ["https://example.com/au/1", "https://example.com/au/2",
                                            "https://example.com/au/3"]


def test_cmi5_bare_xml_with_absolute_urls(open_zip):
    reader = open_zip(zip_bytes({"cmi5.xml": cmi5_xml([AU("https://example.com/au/1", "A", "https://x.example/a")])}))
    parsed = parse_cmi5(reader, "cmi5.xml")
    assert parsed.warnings == []
    assert parsed.root.leaves()[0].href == "https://x.example/a"


def test_cmi5_whitespace_is_trimmed_and_encoded_href(open_zip):
    xml = cmi5_xml([AU("https://example.com/au/1", "  Spaced   title ", "my%20au.html")])
    xml = xml.replace('id="https://example.com/au/1"', 'id="  https://example.com/au/1  "')
    reader = open_zip(zip_bytes({"cmi5.xml": xml, "my au.html": b"x"}))
    parsed = parse_cmi5(reader, "cmi5.xml")
    leaf = parsed.root.leaves()[0]
    assert (leaf.id, leaf.title, leaf.href) == ("https://example.com/au/1", "Spaced title", "my%20au.html")


def test_cmi5_vendor_extensions_are_ignored(open_zip):
    xml = cmi5_xml().replace("</courseStructure>", '<v:extra xmlns:v="https://vendor.example/x">1</v:extra>'
                             "</courseStructure>")
    xml = xml.replace("<url>", '<v:hint xmlns:v="https://vendor.example/x"/><url>')
    parsed = _cmi5(open_zip, xml=xml)
    assert parsed.root.leaves()[0].href == "index.html"


def test_cmi5_author_mistakes_are_warnings(open_zip):
    xml = cmi5_xml([AU("https://example.com/au/1", "", attrs={"activityType": "media"},
                       objectives=["https://example.com/obj/none"])])
    parsed = _cmi5(open_zip, xml=xml)
    leaf = parsed.root.leaves()[0]
    assert leaf.title == "https://example.com/au/1"
    assert any("empty <title>" in w for w in parsed.warnings)
    assert any("activityType 'media'" in w for w in parsed.warnings)
    assert any("objective 'https://example.com/obj/none'" in w for w in parsed.warnings)


def test_cmi5_one_folder_down_is_a_warning(open_zip):
    reader = open_zip(zip_bytes({"sub/cmi5.xml": cmi5_xml(), "sub/index.html": b"x"}))
    parsed = parse_cmi5(reader, reader.find_descriptor("cmi5.xml"))
    assert parsed.root.leaves()[0].href == "sub/index.html"
    assert any("not at the package root" in w for w in parsed.warnings)


AU1 = "https://example.com/au/1"


@pytest.mark.parametrize("xml, match", [
    # CATAPULT 201: ids must be fully qualified IRIs (cmi5 3.0, 13.1)
    (cmi5_xml(course_id="example.com/course/1"), r"<course> has id 'example.com/course/1'.*IRI"),
    (cmi5_xml([Block("block-1", "B", [AU(AU1, "A")])]), r"<block> has id 'block-1'.*IRI"),
    (cmi5_xml([AU("au 1", "A")]), r"<au> has id 'au 1'.*IRI"),
    (cmi5_xml(objectives=[("obj1", "O")]), r"<objective> has id 'obj1'.*IRI"),
    # missing ids
    (cmi5_xml().replace(f'<course id="{COURSE_ID}"', "<course"), r"<course> has no id"),
    (cmi5_xml().replace(f'<au id="{AU1}"', "<au"), r"<au> has no id"),
    # CATAPULT 204: query names that collide with launch parameters (cmi5 8.1)
    (cmi5_xml([AU(AU1, "A", "index.html?endpoint=http://example.org/lrs")]), r"endpoint.*MUST NOT collide"),
    (cmi5_xml([AU(AU1, "A", "https://x.example/a?activityId=1&fetch=2")]), r"activityId, fetch"),
    # CATAPULT 205: duplicate ids (cmi5 13.1.4)
    (cmi5_xml([Block("https://e.com/b", "B", [AU(AU1, "A")]), Block("https://e.com/b", "C", [AU("https://e.com/a2", "A")])]),
     r"id 'https://e.com/b', already used by block"),
    (cmi5_xml([AU(AU1, "A"), AU(AU1, "B")]), r"already used by AU"),
    (cmi5_xml(objectives=[("https://e.com/o", "O"), ("https://e.com/o", "P")]), r"objective id 'https://e.com/o' is used twice"),
    # CATAPULT 206: an AU url that is not a URL (13.1.4, RFC 1738)
    (cmi5_xml([AU(AU1, "A", "http://example.com index.html")]), r"not a valid URL"),
    (cmi5_xml([AU(AU1, "A", "")]), r"empty <url>"),
    # CATAPULT 207: not conforming to the XSD (13.2)
    (cmi5_xml().replace("<title><langstring lang=\"en-US\">AU 1</langstring></title>"
                        "<description><langstring lang=\"en-US\">An AU</langstring></description>"
                        "<url>index.html</url>",
                        "<url>index.html</url><title><langstring>AU 1</langstring></title>"
                        "<description><langstring>d</langstring></description>"),
     r"must have a <title>"),
    (cmi5_xml().replace("<url>index.html</url>", ""), r"must have a <url>"),
    ("<courseStructure xmlns=\"https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd\">"
     f"<course id=\"{COURSE_ID}\"><title><langstring>T</langstring></title>"
     "<description><langstring>D</langstring></description></course></courseStructure>", r"no <au> or <block>"),
    ("<manifest/>", r"not <courseStructure>"),
    ('<courseStructure xmlns="http://other.example/ns"/>', r"namespace"),
    # attribute value spaces (13.1.4)
    (cmi5_xml([AU(AU1, "A", attrs={"masteryScore": "1.5"})]), r"masteryScore '1.5'.*from 0 to 1"),
    (cmi5_xml([AU(AU1, "A", attrs={"masteryScore": "-0.1"})]), r"masteryScore '-0.1'"),
    (cmi5_xml([AU(AU1, "A", attrs={"masteryScore": "80%"})]), r"masteryScore '80%'"),
    (cmi5_xml([AU(AU1, "A", attrs={"masteryScore": "1e-1"})]), r"masteryScore '1e-1'"),
    (cmi5_xml([AU(AU1, "A", attrs={"moveOn": "Finished"})]), r"moveOn 'Finished'"),
    (cmi5_xml([AU(AU1, "A", attrs={"launchMethod": "NewWindow"})]), r"launchMethod 'NewWindow'"),
])
def test_cmi5_rejects(open_zip, xml, match):
    reader = open_zip(zip_bytes({"cmi5.xml": xml, "index.html": b"x"}))
    with pytest.raises(PackageError, match=match) as exc:
        parse_cmi5(reader, "cmi5.xml")
    assert str(exc.value).startswith("cmi5.xml")


@pytest.mark.parametrize("url", ["index.html", "path/1/index.html", "index.html?abc=def",
                                 "path/1/index.html?abc=def", "/index.html"])
def test_cmi5_relative_url_without_package_is_rejected(open_zip, url):
    # CATAPULT 202-1..5: a course structure without its zip must use fully qualified URLs (cmi5 14.2)
    reader = open_zip(zip_bytes({"cmi5.xml": cmi5_xml([AU(AU1, "A", url)])}))
    with pytest.raises(PackageError, match=re.escape(f"relative url '{url}'") + ".*14.2"):
        parse_cmi5(reader, "cmi5.xml")


def test_cmi5_relative_url_naming_no_file_is_rejected(open_zip):
    # CATAPULT 203: relative URL but no such file in the zip (cmi5 14.1)
    with pytest.raises(PackageError, match=r"relative url 'missing.html'.*no such file.*14.1"):
        _cmi5(open_zip, items=[AU(AU1, "A", "missing.html")], omit_files=["missing.html"],
              extra_files={"other.html": b"x"})
    with pytest.raises(PackageError, match=r"'//cdn.example.com/a'"):
        _cmi5(open_zip, items=[AU(AU1, "A", "//cdn.example.com/a")], omit_files=["//cdn.example.com/a"],
              extra_files={"other.html": b"x"})


def test_cmi5_masteryscore_boundaries_and_old_namespace(open_zip):
    parsed = _cmi5(open_zip, items=[AU(AU1, "A", attrs={"masteryScore": "1"}),
                                    AU("https://e.com/a2", "B", "b.html", attrs={"masteryScore": "0.0"})])
    assert [a.scaled_passing_score for a in parsed.root.leaves()] == [1.0, 0.0]
    parsed = _cmi5(open_zip, xml=cmi5_xml(ns="http://www.adlnet.gov/cmi5/CourseStructure.xsd"))
    assert parsed.root.leaves()[0].href == "index.html"
    assert any("namespace" in w for w in parsed.warnings)


def test_cmi5_xxe_is_refused(open_zip):
    xml = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           + cmi5_xml().split("\n", 1)[1].replace("cmi5 Course", "&e;"))
    with pytest.raises(PackageError, match="entities"):
        _cmi5(open_zip, xml=xml)


# ================================================================================== media
@pytest.mark.parametrize("data, expected", [
    (pdf_bytes(), "application/pdf"),
    (mp4_bytes(), "video/mp4"),
    (mp3_bytes(), "audio/mpeg"),
    (mp3_bytes(id3=False), "audio/mpeg"),
    (b"PK\x03\x04rest-of-a-zip", None),
    (b"<!DOCTYPE html><html>", None),
    (b"\xff\xf1\x50\x80\x00\x1f\xfc", None),  # ADTS AAC: a sync word but layer 00
    (b"", None),
])
def test_detect_media_by_content(data, expected):
    assert detect_media(data[:64], None, None) == expected


def test_detect_media_hints_never_decide_alone():
    assert detect_media(b"hello world", "movie.mp4", "video/mp4") is None
    assert detect_media(b"\r\n\r\n%PDF-1.7 ...", "a.pdf", None) == "application/pdf"
    assert detect_media(b"\r\n\r\n%PDF-1.7 ...", None, None) is None
    assert detect_media(b"\x00\x00junk" + mp3_bytes(id3=False)[:40], None, "audio/mpeg") == "audio/mpeg"
    assert detect_media(b"\x00\x00junk" + mp3_bytes(id3=False)[:40], None, None) is None


@pytest.mark.parametrize("media_type, tag, kind", [("video/mp4", "<video", "video"), ("audio/mpeg", "<audio", "audio"),
                                                   ("application/pdf", 'class="pdf-fallback"', "pdf")])
def test_media_course_shape_and_viewer(media_type, tag, kind):
    parsed, pages = build_media_course(media_href="lecture one.mp4", media_type=media_type, title="Lecture 1",
                                       description="Week 1", language="en-US", filename="lecture one.mp4")
    assert parsed.learning_standard == CMI5
    assert parsed.title == "Lecture 1"
    assert parsed.languages == ["en-US"]
    assert parsed.extra["mediaType"] == media_type
    assert parsed.activity_id == parsed.root.id and parsed.activity_id.startswith("urn:uuid:")
    (au,) = parsed.root.children
    assert (au.activity_type, au.href, au.data["moveOn"], au.data["url"]) == (SCO, "index.html", "Completed",
                                                                              "index.html")
    assert au.data["media"] == kind  # what domain/cmi5/launch.py gives the completion rule to
    assert au.id != parsed.root.id
    assert list(pages) == ["index.html"]
    page = pages["index.html"].decode("utf-8")
    assert tag in page
    assert "lecture%20one.mp4" in page
    assert '<html lang="en-US">' in page and "<title>Lecture 1</title>" in page and "Week 1" in page
    # the viewer is the shared script on the content origin; the page says what to show
    assert '<script type="module" src="/static/player/media-viewer.js"></script>' in page
    assert '<link rel="stylesheet" href="/static/player/media-viewer.css">' in page
    config = json.loads(re.search(r'<script type="application/json" id="media-config">(.*?)</script>', page).group(1))
    assert config == {"kind": kind, "src": "lecture%20one.mp4", "title": "Lecture 1", "filename": "lecture one.mp4"}
    Activity.from_dict(json.loads(json.dumps(parsed.root.to_dict())))


@pytest.mark.parametrize("kind, settings, expected", [
    ("pdf", {}, {"rule": "ALL", "percentRequired": 100}),
    ("pdf", {"MediaPdfCompletionRule": "ALL_PAGES_SEEN", "MediaPercentRequired": "50"},
     {"rule": "ALL", "percentRequired": 100}),
    ("pdf", {"MediaPdfCompletionRule": "PERCENT_OF_PAGES_SEEN", "MediaPercentRequired": "50"},
     {"rule": "PERCENT", "percentRequired": 50}),
    ("video", {}, {"rule": "PERCENT", "percentRequired": 90}),
    ("audio", {"MediaPercentRequired": "75", "MediaPdfCompletionRule": "ALL_PAGES_SEEN"},
     {"rule": "PERCENT", "percentRequired": 75}),
])
def test_media_launch_parameters_carry_the_completion_rule(kind, settings, expected):
    assert json.loads(launch_parameters(kind, settings)) == {"coursehostMedia": 1, "kind": kind, **expected}


def test_media_launch_parameters_only_for_media_aus():
    assert launch_parameters(None, {}) is None and launch_parameters("slides", {}) is None


def test_media_viewer_escapes_everything():
    evil = '</script><script>alert("x")</script>'
    parsed, pages = build_media_course(media_href='a"b<c>.mp4', media_type="video/mp4", title=evil,
                                       description="<b>bold</b> & co", language='en"><script>')
    page = pages["index.html"].decode("utf-8")
    assert "<script>alert" not in page
    assert page.count("<script") == 2 and page.count("</script>") == 2  # the config and the viewer
    config = re.search(r'<script type="application/json" id="media-config">(.*?)</script>', page).group(1)
    assert "<" not in config and json.loads(config)["title"] == evil
    assert "&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page
    assert 'src="a%22b%3Cc%3E.mp4"' in page
    assert parsed.title == evil  # the course title itself is kept as written


def test_media_remote_url_and_refusals():
    parsed, pages = build_media_course(media_href="https://cdn.example.com/v.mp4?sig=a&b=c",
                                       media_type="video/mp4", title=None)
    page = pages["index.html"].decode("utf-8")
    assert 'src="https://cdn.example.com/v.mp4?sig=a&amp;b=c"' in page
    assert parsed.title == "v.mp4"
    with pytest.raises(PackageError, match="http"):
        build_media_course(media_href="javascript:alert(1)", media_type="video/mp4", title="t")
    with pytest.raises(PackageError):
        build_media_course(media_href="../../etc/passwd", media_type="application/pdf", title="t")
    with pytest.raises(PackageError, match="PDF, an MP4 or an MP3"):
        build_media_course(media_href="a.ogg", media_type="audio/ogg", title="t")
