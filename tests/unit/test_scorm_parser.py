"""The SCORM 1.2 / 2004 manifest parser (importer/scorm.py)."""

from __future__ import annotations

import itertools
import json
import posixpath
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from coursehost.domain.courses.errors import PackageError
from coursehost.domain.courses.importer.scorm import parse_scorm
from coursehost.domain.courses.importer.scorm_sequencing import SEQUENCING_DEFAULTS, with_defaults
from coursehost.domain.courses.model import (
    AGGREGATION,
    ASSET,
    SCO,
    SCORM11,
    SCORM12,
    SCORM2004_2ND,
    SCORM2004_3RD,
    SCORM2004_4TH,
    Activity,
    ParsedCourse,
)
from coursehost.domain.courses.package import PackageReader
from tests.adl_suite import suite_dir
from tests.builders.scorm import (
    NS12,
    NS2004,
    PAGE,
    Item,
    scorm12_manifest,
    scorm12_zip,
    scorm2004_manifest,
    scorm2004_zip,
    zip_bytes,
)

_counter = itertools.count()


def parse(tmp_path: Path, data: bytes) -> ParsedCourse:
    path = tmp_path / f"pkg{next(_counter)}.zip"
    path.write_bytes(data)
    with PackageReader(path) as reader:
        found = reader.find_descriptor("imsmanifest.xml")
        assert found, "builder made no manifest"
        return parse_scorm(reader, found)


def find(act: Activity, ident: str) -> Activity:
    if act.id == ident:
        return act
    for child in act.children:
        try:
            return find(child, ident)
        except KeyError:
            pass
    raise KeyError(ident)


def warned(course: ParsedCourse, *fragments: str) -> str:
    """The one warning that holds every fragment (fails listing all warnings otherwise)."""
    hits = [w for w in course.warnings if all(f in w for f in fragments)]
    assert hits, f"no warning with {fragments}: {course.warnings}"
    return hits[0]


def manifest_2004(body: str, schemaversion: str = "2004 4th Edition", ident: str = "m") -> str:
    sv = f"<schemaversion>{schemaversion}</schemaversion>" if schemaversion else ""
    return (f'<?xml version="1.0"?>\n<manifest identifier="{ident}" {NS2004}>'
            f"<metadata><schema>ADL SCORM</schema>{sv}</metadata>{body}</manifest>")


def manifest_12(body: str, schemaversion: str = "1.2", ident: str = "m") -> str:
    sv = f"<schemaversion>{schemaversion}</schemaversion>" if schemaversion else ""
    return (f'<?xml version="1.0"?>\n<manifest identifier="{ident}" {NS12}>'
            f"<metadata><schema>ADL SCORM</schema>{sv}</metadata>{body}</manifest>")


# ====================================================================== SCORM 1.2
def test_scorm12_single_sco(tmp_path):
    course = parse(tmp_path, scorm12_zip("My Course", scos=[("sco1", "Lesson 1", "index.html")],
                                         masteryscore=80))
    assert course.learning_standard == SCORM12
    assert course.title == "My Course"
    assert course.activity_id == "course_12"
    assert course.warnings == []
    assert course.root.id == "org" and course.root.activity_type == AGGREGATION
    [leaf] = course.root.leaves()
    assert (leaf.id, leaf.title, leaf.href, leaf.activity_type) == ("sco1", "Lesson 1", "index.html", SCO)
    assert leaf.resource_id == "res_sco1"
    assert leaf.data == {"masteryscore": "80"}
    assert leaf.scaled_passing_score == pytest.approx(0.8)
    assert leaf.sequencing is None and leaf.presentation is None
    assert "objectivesGlobalToSystem" not in course.extra


def test_scorm12_multi_sco_nested_with_adlcp_fields(tmp_path):
    adlcp = ("<adlcp:prerequisites type=\"aicc_script\">sco1</adlcp:prerequisites>"
             "<adlcp:maxtimeallowed>00:30:00</adlcp:maxtimeallowed>"
             "<adlcp:timelimitaction>exit,message</adlcp:timelimitaction>"
             "<adlcp:datafromlms>launch data</adlcp:datafromlms>")
    scos = [
        Item("sco1", "One", "one.html"),
        Item("module", "Module", children=[
            Item("sco2", "Two", "two/two.html", inner_xml=adlcp),
            Item("sub", "Sub", children=[Item("sco3", "Three", "three.html", scorm_type="asset",
                                               item_attrs='isvisible="false"')]),
        ]),
    ]
    course = parse(tmp_path, scorm12_zip("Nested", scos=scos, masteryscore=75))
    assert [a.id for a in course.root.leaves()] == ["sco1", "sco2", "sco3"]
    module = find(course.root, "module")
    assert module.activity_type == AGGREGATION and module.href is None
    two = find(course.root, "sco2")
    assert two.href == "two/two.html"
    assert two.data == {
        "masteryscore": "75", "prerequisites": {"value": "sco1", "type": "aicc_script"},
        "maxtimeallowed": "00:30:00", "timelimitaction": "exit,message", "datafromlms": "launch data",
    }
    three = find(course.root, "sco3")
    assert three.activity_type == ASSET and three.visible is False
    assert course.warnings == []


def test_scorm12_invalid_masteryscore_is_a_warning(tmp_path):
    item = Item("sco1", "One", "one.html", inner_xml="<adlcp:masteryscore>eighty</adlcp:masteryscore>")
    course = parse(tmp_path, scorm12_zip(scos=[item]))
    assert course.root.leaves()[0].scaled_passing_score is None
    warned(course, "imsmanifest.xml", "sco1", "masteryscore", "eighty")


def test_scorm11_schemaversion(tmp_path):
    course = parse(tmp_path, scorm12_zip(schemaversion="1.1"))
    assert course.learning_standard == SCORM11


# ====================================================================== editions
@pytest.mark.parametrize("edition, expected", [
    ("2nd", SCORM2004_2ND), ("3rd", SCORM2004_3RD), ("4th", SCORM2004_4TH),
])
def test_scorm2004_editions_from_schemaversion(tmp_path, edition, expected):
    course = parse(tmp_path, scorm2004_zip(edition))
    assert course.learning_standard == expected
    assert course.warnings == []
    assert course.extra["objectivesGlobalToSystem"] is True
    assert course.extra["sharedDataGlobalToSystem"] is True


def test_missing_schemaversion_2004_defaults_to_3rd_with_warning(tmp_path):
    course = parse(tmp_path, scorm2004_zip(schemaversion=None))
    assert course.learning_standard == SCORM2004_3RD
    warned(course, "imsmanifest.xml", "schemaversion", "missing", "SCORM 2004 3rd Edition")


def test_missing_schemaversion_with_4th_edition_feature(tmp_path):
    item = Item("a", "A", "a.html", inner_xml='<adlcp:data><adlcp:map targetID="t1"/></adlcp:data>')
    course = parse(tmp_path, scorm2004_zip(schemaversion=None, items=[item]))
    assert course.learning_standard == SCORM2004_4TH
    warned(course, "schemaversion", "missing")


def test_missing_schemaversion_12_namespaces(tmp_path):
    course = parse(tmp_path, scorm12_zip(schemaversion=None))
    assert course.learning_standard == SCORM12
    warned(course, "imsmanifest.xml", "<metadata><schemaversion> is missing", "SCORM 1.2")


def test_unknown_schemaversion_falls_back_to_namespaces(tmp_path):
    course = parse(tmp_path, scorm2004_zip(schemaversion="banana"))
    assert course.learning_standard == SCORM2004_3RD
    warned(course, "banana")


# ====================================================================== hrefs
def test_manifest_one_folder_down(tmp_path):
    course = parse(tmp_path, scorm12_zip(scos=[("s", "S", "pages/index.html")], folder="sub"))
    assert course.root.leaves()[0].href == "sub/pages/index.html"
    assert course.extra["manifestBase"] == "sub/"
    assert course.warnings == []


def test_xml_base_on_manifest_resources_and_resource(tmp_path):
    body = ('<organizations default="o"><organization identifier="o"><title>T</title>'
            '<item identifier="i1" identifierref="r1"><title>1</title></item>'
            '<item identifier="i2" identifierref="r2"><title>2</title></item>'
            '<item identifier="i3" identifierref="r3"><title>3</title></item>'
            '</organization></organizations>'
            '<resources xml:base="res">'
            '<resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="a.html" xml:base="one/">'
            '<file href="a.html"/></resource>'
            '<resource identifier="r2" type="webcontent" adlcp:scormType="sco" href="../b.html">'
            '<file href="../b.html"/></resource>'
            '<resource identifier="r3" type="webcontent" adlcp:scormType="sco" href="c.html" '
            'xml:base="https://cdn.example.com/course/"/>'
            '</resources>')
    manifest = manifest_2004(body).replace('identifier="m"', 'identifier="m" xml:base="content/"')
    course = parse(tmp_path, zip_bytes({
        "imsmanifest.xml": manifest, "content/res/one/a.html": PAGE, "content/b.html": PAGE,
    }))
    hrefs = {a.id: a.href for a in course.root.leaves()}
    assert hrefs == {"i1": "content/res/one/a.html", "i2": "content/b.html",
                     "i3": "https://cdn.example.com/course/c.html"}
    assert course.warnings == []


def test_parameters_kept_apart_from_href(tmp_path):
    course = parse(tmp_path, scorm2004_zip(items=[Item("a", "A", "index.html", parameters="?x=1&y=2")]))
    leaf = course.root.leaves()[0]
    assert leaf.href == "index.html" and leaf.parameters == "?x=1&y=2"


def test_absolute_url_href_stays_absolute(tmp_path):
    course = parse(tmp_path, scorm2004_zip(items=[Item("a", "A", "https://example.com/x/start.html?y=1")]))
    assert course.root.leaves()[0].href == "https://example.com/x/start.html?y=1"


def test_dependencies_are_just_files(tmp_path):
    body = ('<organizations default="o"><organization identifier="o"><title>T</title>'
            '<item identifier="i1" identifierref="r1"><title>1</title></item></organization></organizations>'
            '<resources>'
            '<resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="index.html">'
            '<file href="index.html"/><dependency identifierref="common"/>'
            '<dependency identifierref="nowhere"/></resource>'
            '<resource identifier="common" type="webcontent" adlcp:scormType="asset">'
            '<file href="js/api.js"/><file href="js/gone.js"/></resource>'
            '</resources>')
    course = parse(tmp_path, zip_bytes({"imsmanifest.xml": manifest_2004(body), "index.html": PAGE,
                                        "js/api.js": b""}))
    assert [a.id for a in course.root.leaves()] == ["i1"]
    warned(course, "imsmanifest.xml", "'r1'", "'nowhere'")
    warned(course, "imsmanifest.xml", "js/gone.js", "not in the package")
    assert not any("api.js" in w for w in course.warnings)


# ====================================================================== sequencing
FULL_SEQUENCING = """
<imsss:sequencing>
  <imsss:controlMode choice="false" choiceExit="false" flow="true" forwardOnly="true"
      useCurrentAttemptObjectiveInfo="false" useCurrentAttemptProgressInfo="false"/>
  <imsss:sequencingRules>
    <imsss:preConditionRule>
      <imsss:ruleConditions conditionCombination="any">
        <imsss:ruleCondition referencedObjective="obj1" measureThreshold="0.5" operator="not" condition="satisfied"/>
        <imsss:ruleCondition condition="attempted"/>
      </imsss:ruleConditions>
      <imsss:ruleAction action="skip"/>
    </imsss:preConditionRule>
    <imsss:exitConditionRule>
      <imsss:ruleConditions><imsss:ruleCondition condition="completed"/></imsss:ruleConditions>
      <imsss:ruleAction action="exit"/>
    </imsss:exitConditionRule>
    <imsss:postConditionRule>
      <imsss:ruleConditions><imsss:ruleCondition condition="always"/></imsss:ruleConditions>
      <imsss:ruleAction action="continue"/>
    </imsss:postConditionRule>
  </imsss:sequencingRules>
  <imsss:limitConditions attemptLimit="3" attemptAbsoluteDurationLimit="PT1H"/>
  <imsss:auxiliaryResources>
    <imsss:auxiliaryResource auxiliaryResourceID="urn:aux" purpose="help"/>
  </imsss:auxiliaryResources>
  <imsss:rollupRules rollupObjectiveSatisfied="false" rollupProgressCompletion="false" objectiveMeasureWeight="0.5">
    <imsss:rollupRule childActivitySet="atLeastCount" minimumCount="2" minimumPercent="0.5">
      <imsss:rollupConditions conditionCombination="all">
        <imsss:rollupCondition operator="not" condition="satisfied"/>
      </imsss:rollupConditions>
      <imsss:rollupAction action="notSatisfied"/>
    </imsss:rollupRule>
  </imsss:rollupRules>
  <imsss:objectives>
    <imsss:primaryObjective objectiveID="prim" satisfiedByMeasure="true">
      <imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure>
      <imsss:mapInfo targetObjectiveID="g1" readSatisfiedStatus="false" readNormalizedMeasure="false"
          writeSatisfiedStatus="true" writeNormalizedMeasure="true"/>
    </imsss:primaryObjective>
    <imsss:objective objectiveID="obj1">
      <imsss:mapInfo targetObjectiveID="g2"/>
    </imsss:objective>
  </imsss:objectives>
  <imsss:randomizationControls randomizationTiming="onEachNewAttempt" selectCount="1"
      reorderChildren="true" selectionTiming="once"/>
  <imsss:deliveryControls tracked="false" completionSetByContent="true" objectiveSetByContent="true"/>
  <adlseq:constrainedChoiceConsiderations preventActivation="true" constrainChoice="true"/>
  <adlseq:rollupConsiderations requiredForSatisfied="ifAttempted" requiredForNotSatisfied="ifNotSkipped"
      requiredForCompleted="ifNotSuspended" requiredForIncomplete="always" measureSatisfactionIfActive="false"/>
  <adlseq:objectives>
    <adlseq:objective objectiveID="prim">
      <adlseq:mapInfo targetObjectiveID="g1" readRawScore="false" readMinScore="false" readMaxScore="false"
          readCompletionStatus="false" readProgressMeasure="false" writeRawScore="true" writeMinScore="true"
          writeMaxScore="true" writeCompletionStatus="true" writeProgressMeasure="true"/>
    </adlseq:objective>
  </adlseq:objectives>
</imsss:sequencing>"""

FULL_EXPECTED = {
    "controlMode": {"choice": False, "choiceExit": False, "flow": True, "forwardOnly": True,
                    "useCurrentAttemptObjectiveInfo": False, "useCurrentAttemptProgressInfo": False},
    "sequencingRules": {
        "preConditionRule": [{
            "ruleConditions": {"conditionCombination": "any", "ruleCondition": [
                {"referencedObjective": "obj1", "measureThreshold": 0.5, "operator": "not",
                 "condition": "satisfied"},
                {"condition": "attempted"}]},
            "ruleAction": {"action": "skip"}}],
        "exitConditionRule": [{"ruleConditions": {"ruleCondition": [{"condition": "completed"}]},
                               "ruleAction": {"action": "exit"}}],
        "postConditionRule": [{"ruleConditions": {"ruleCondition": [{"condition": "always"}]},
                               "ruleAction": {"action": "continue"}}],
    },
    "limitConditions": {"attemptLimit": 3, "attemptAbsoluteDurationLimit": "PT1H"},
    "auxiliaryResources": [{"auxiliaryResourceID": "urn:aux", "purpose": "help"}],
    "rollupRules": {
        "rollupObjectiveSatisfied": False, "rollupProgressCompletion": False, "objectiveMeasureWeight": 0.5,
        "rollupRule": [{"childActivitySet": "atLeastCount", "minimumCount": 2, "minimumPercent": 0.5,
                        "rollupConditions": {"conditionCombination": "all", "rollupCondition": [
                            {"operator": "not", "condition": "satisfied"}]},
                        "rollupAction": {"action": "notSatisfied"}}],
    },
    "objectives": {
        "primaryObjective": {"objectiveID": "prim", "satisfiedByMeasure": True, "minNormalizedMeasure": 0.6,
                             "mapInfo": [{"targetObjectiveID": "g1", "readSatisfiedStatus": False,
                                          "readNormalizedMeasure": False, "writeSatisfiedStatus": True,
                                          "writeNormalizedMeasure": True}]},
        "objective": [{"objectiveID": "obj1", "mapInfo": [{"targetObjectiveID": "g2"}]}],
    },
    "randomizationControls": {"randomizationTiming": "onEachNewAttempt", "selectCount": 1,
                              "reorderChildren": True, "selectionTiming": "once"},
    "deliveryControls": {"tracked": False, "completionSetByContent": True, "objectiveSetByContent": True},
    "constrainedChoiceConsiderations": {"preventActivation": True, "constrainChoice": True},
    "rollupConsiderations": {"requiredForSatisfied": "ifAttempted", "requiredForNotSatisfied": "ifNotSkipped",
                             "requiredForCompleted": "ifNotSuspended", "requiredForIncomplete": "always",
                             "measureSatisfactionIfActive": False},
    "adlseqObjectives": {"objective": [{"objectiveID": "prim", "mapInfo": [{
        "targetObjectiveID": "g1", "readRawScore": False, "readMinScore": False, "readMaxScore": False,
        "readCompletionStatus": False, "readProgressMeasure": False, "writeRawScore": True,
        "writeMinScore": True, "writeMaxScore": True, "writeCompletionStatus": True,
        "writeProgressMeasure": True}]}]},
}


def test_sequencing_every_element_type(tmp_path):
    course = parse(tmp_path, scorm2004_zip(items=[Item("a", "A", "a.html", inner_xml=FULL_SEQUENCING)]))
    leaf = course.root.leaves()[0]
    assert leaf.sequencing == FULL_EXPECTED
    assert leaf.scaled_passing_score == pytest.approx(0.6)
    assert course.warnings == []
    json.dumps(course.root.to_dict())  # JSON-serialisable
    assert Activity.from_dict(course.root.to_dict()) == course.root


def test_organization_sequencing_and_global_flags(tmp_path):
    course = parse(tmp_path, scorm2004_zip(
        sequencing_xml='<imsss:sequencing><imsss:controlMode choice="false" flow="true"/></imsss:sequencing>',
        organization_attrs='adlseq:objectivesGlobalToSystem="false" adlcp:sharedDataGlobalToSystem="false"',
    ))
    assert course.root.sequencing == {"controlMode": {"choice": False, "flow": True}}
    assert course.extra["objectivesGlobalToSystem"] is False
    assert course.extra["sharedDataGlobalToSystem"] is False
    assert course.root.data["sharedDataGlobalToSystem"] is False


def test_sequencing_collection_idref_merge(tmp_path):
    collection = """
      <imsss:sequencing ID="common">
        <imsss:controlMode choice="false"/>
        <imsss:limitConditions attemptLimit="2"/>
        <imsss:deliveryControls tracked="false"/>
      </imsss:sequencing>"""
    own = """<imsss:sequencing IDRef="common">
        <imsss:controlMode flow="true"/>
        <imsss:objectives><imsss:primaryObjective objectiveID="p"/></imsss:objectives>
      </imsss:sequencing>"""
    items = [Item("a", "A", "a.html", inner_xml=own),
             Item("b", "B", "b.html", inner_xml='<imsss:sequencing IDRef="common"/>'),
             Item("c", "C", "c.html", inner_xml='<imsss:sequencing IDRef="nope"/>')]
    course = parse(tmp_path, scorm2004_zip(items=items, collection_xml=collection))
    a, b, c = course.root.leaves()
    assert a.sequencing == {"controlMode": {"flow": True}, "limitConditions": {"attemptLimit": 2},
                            "deliveryControls": {"tracked": False},
                            "objectives": {"primaryObjective": {"objectiveID": "p"}}}
    assert b.sequencing == {"controlMode": {"choice": False}, "limitConditions": {"attemptLimit": 2},
                            "deliveryControls": {"tracked": False}}
    assert c.sequencing is None
    warned(course, "imsmanifest.xml", "item 'c'", "nope", "sequencingCollection")


def test_bad_sequencing_values_are_warnings(tmp_path):
    seq = ('<imsss:sequencing><imsss:controlMode choice="maybe" flow="true"/>'
           '<imsss:limitConditions attemptLimit="two"/></imsss:sequencing>')
    course = parse(tmp_path, scorm2004_zip(items=[Item("a", "A", "a.html", inner_xml=seq)]))
    assert course.root.leaves()[0].sequencing == {"controlMode": {"flow": True}, "limitConditions": {}}
    warned(course, "imsmanifest.xml", "item 'a'", "choice", "maybe")
    warned(course, "item 'a'", "attemptLimit", "two")


def test_with_defaults_fills_spec_defaults():
    full = with_defaults({"controlMode": {"flow": True}, "sequencingRules": {"preConditionRule": [
        {"ruleConditions": {"ruleCondition": [{"condition": "satisfied"}]}, "ruleAction": {"action": "skip"}}]}})
    assert full["controlMode"] == {**SEQUENCING_DEFAULTS["controlMode"], "flow": True}
    rule = full["sequencingRules"]["preConditionRule"][0]
    assert rule["ruleConditions"]["conditionCombination"] == "all"
    assert rule["ruleConditions"]["ruleCondition"][0]["operator"] == "noOp"
    assert full["deliveryControls"]["tracked"] is True
    assert full["rollupRules"]["rollupObjectiveSatisfied"] is True
    assert with_defaults(FULL_EXPECTED)["objectives"]["primaryObjective"]["minNormalizedMeasure"] == 0.6


def test_scaled_passing_score_2004(tmp_path):
    by_measure = ('<imsss:sequencing><imsss:objectives><imsss:primaryObjective satisfiedByMeasure="true">'
                  '<imsss:minNormalizedMeasure>0.75</imsss:minNormalizedMeasure></imsss:primaryObjective>'
                  '</imsss:objectives></imsss:sequencing>')
    not_by_measure = by_measure.replace('satisfiedByMeasure="true"', "")
    course = parse(tmp_path, scorm2004_zip(items=[Item("a", "A", "a.html", inner_xml=by_measure),
                                                  Item("b", "B", "b.html", inner_xml=not_by_measure)]))
    a, b = course.root.leaves()
    assert a.scaled_passing_score == pytest.approx(0.75)
    assert b.scaled_passing_score is None


# ====================================================================== adlcp / adlnav (2004)
def test_adlcp_2004_fields(tmp_path):
    fourth = ('<adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.8" progressWeight="0.5"/>'
              "<adlcp:timeLimitAction>exit,message</adlcp:timeLimitAction>"
              "<adlcp:dataFromLMS>hello</adlcp:dataFromLMS>"
              '<adlcp:data><adlcp:map targetID="shared1" writeSharedData="true"/>'
              '<adlcp:map targetID="shared2" readSharedData="false"/></adlcp:data>')
    third = "<adlcp:completionThreshold>0.4</adlcp:completionThreshold>"
    course = parse(tmp_path, scorm2004_zip(items=[Item("a", "A", "a.html", inner_xml=fourth),
                                                  Item("b", "B", "b.html", inner_xml=third)]))
    a, b = course.root.leaves()
    assert a.data == {
        "completionThreshold": {"completedByMeasure": True, "minProgressMeasure": 0.8, "progressWeight": 0.5},
        "timeLimitAction": "exit,message", "dataFromLMS": "hello",
        "data": [{"targetID": "shared1", "readSharedData": True, "writeSharedData": True},
                 {"targetID": "shared2", "readSharedData": False, "writeSharedData": True}],
    }
    assert b.data == {"completionThreshold": {"completedByMeasure": True, "minProgressMeasure": 0.4,
                                              "progressWeight": 1.0}}


def test_adlnav_presentation(tmp_path):
    nav = ("<adlnav:presentation><adlnav:navigationInterface>"
           "<adlnav:hideLMSUI>continue</adlnav:hideLMSUI><adlnav:hideLMSUI>previous</adlnav:hideLMSUI>"
           "<adlnav:hideLMSUI>suspendAll</adlnav:hideLMSUI><adlnav:hideLMSUI>bogus</adlnav:hideLMSUI>"
           "</adlnav:navigationInterface></adlnav:presentation>")
    course = parse(tmp_path, scorm2004_zip(items=[Item("a", "A", "a.html", inner_xml=nav)]))
    assert course.root.leaves()[0].presentation == {"hideLMSUI": ["continue", "previous", "suspendAll"]}
    warned(course, "imsmanifest.xml", "item 'a'", "hideLMSUI", "bogus")


# ====================================================================== metadata
LOM_2004 = """<lom xmlns="http://ltsc.ieee.org/xsd/LOM">
  <general>
    <title><string language="en-US">Meta title</string></title>
    <language>fr</language>
    <description><string language="en-US">About the course</string></description>
    <keyword><string language="en-US">safety</string></keyword>
    <keyword><string language="de">Sicherheit</string></keyword>
  </general>
  <technical><duration><duration>PT1H30M</duration></duration></technical>
  <educational><typicalLearningTime><duration>PT45M</duration></typicalLearningTime></educational>
</lom>"""

LOM_12 = """<lom xmlns="http://www.imsglobal.org/xsd/imsmd_rootv1p2p1">
  <general>
    <title><langstring xml:lang="en">Old style</langstring></title>
    <description><langstring xml:lang="en">Described</langstring></description>
    <keyword><langstring xml:lang="x-none">kw</langstring></keyword>
  </general>
  <technical><duration><datetime>PT10M</datetime></duration></technical>
  <educational><typicallearningtime><datetime>PT20M</datetime></typicallearningtime></educational>
</lom>"""


def test_inline_lom_metadata_2004(tmp_path):
    course = parse(tmp_path, scorm2004_zip(metadata_xml=LOM_2004))
    md = course.metadata
    assert (md.title, md.title_language) == ("Meta title", "en-US")
    assert (md.description, md.description_language) == ("About the course", "en-US")
    assert md.keywords == ["safety", "Sicherheit"]
    assert (md.duration, md.typical_time) == ("PT1H30M", "PT45M")
    assert course.languages == ["fr", "en-US", "de"]
    assert course.title == "SCORM 2004 course"  # the organization title wins for the course


def test_external_lom_metadata_12(tmp_path):
    course = parse(tmp_path, scorm12_zip(
        metadata_xml="<adlcp:location>meta/course.xml</adlcp:location>",
        extra_files={"meta/course.xml": LOM_12}))
    md = course.metadata
    assert (md.title, md.description, md.keywords) == ("Old style", "Described", ["kw"])
    assert (md.duration, md.typical_time) == ("PT10M", "PT20M")
    assert course.languages == ["en"]
    assert course.warnings == []


def test_missing_external_metadata_is_a_warning(tmp_path):
    course = parse(tmp_path, scorm12_zip(metadata_xml="<adlcp:location>meta/gone.xml</adlcp:location>"))
    warned(course, "imsmanifest.xml", "adlcp:location", "meta/gone.xml", "not in the package")


def test_external_metadata_with_entities_is_refused_with_warning(tmp_path):
    evil = ('<?xml version="1.0"?><!DOCTYPE lom [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            "<lom><general><title><langstring>&xxe;</langstring></title></general></lom>")
    course = parse(tmp_path, scorm12_zip(metadata_xml="<adlcp:location>meta.xml</adlcp:location>",
                                         extra_files={"meta.xml": evil}))
    warned(course, "meta.xml", "entities")
    assert course.metadata.title == course.title == "SCORM 1.2 course"


def test_course_title_falls_back_to_lom_then_identifier(tmp_path):
    no_title = scorm2004_manifest(metadata_xml=LOM_2004).replace("<title>SCORM 2004 course</title>", "")
    course = parse(tmp_path, scorm2004_zip(manifest_override=no_title))
    assert course.title == course.root.title == "Meta title"
    bare = scorm2004_manifest().replace("<title>SCORM 2004 course</title>", "")
    course = parse(tmp_path, scorm2004_zip(manifest_override=bare))
    assert course.title == "course_2004"
    warned(course, "imsmanifest.xml", "title", "course_2004")


# ====================================================================== author mistakes
def test_wrong_case_file_name_uses_real_name(tmp_path):
    course = parse(tmp_path, scorm12_zip(scos=[("s", "S", "Pages/Index.HTML")], omit_files=["Pages/Index.HTML"],
                                         extra_files={"pages/index.html": PAGE}))
    assert course.root.leaves()[0].href == "pages/index.html"
    warned(course, "imsmanifest.xml", "resource 'res_s'", "Pages/Index.HTML", "pages/index.html", "case")


def test_bom_is_tolerated(tmp_path):
    manifest = "\ufeff" + scorm12_manifest()
    course = parse(tmp_path, scorm12_zip(manifest_override=manifest))
    assert course.learning_standard == SCORM12 and course.warnings == []


def test_href_with_spaces_is_encoded(tmp_path):
    course = parse(tmp_path, scorm12_zip(scos=[("s", "S", "my page.html")]))
    assert course.root.leaves()[0].href == "my%20page.html"
    warned(course, "imsmanifest.xml", "resource 'res_s'", "my page.html", "spaces")


def test_href_already_encoded_is_not_double_encoded(tmp_path):
    course = parse(tmp_path, scorm12_zip(scos=[("s", "S", "my%20page.html")], omit_files=["my page.html"],
                                         extra_files={"my page.html": PAGE}))
    assert course.root.leaves()[0].href == "my%20page.html"
    assert course.warnings == []


def test_href_with_query_string_keeps_it(tmp_path):
    course = parse(tmp_path, scorm12_zip(scos=[("s", "S", "index.html?lang=en&x=1")]))
    assert course.root.leaves()[0].href == "index.html?lang=en&x=1"
    warned(course, "imsmanifest.xml", "resource 'res_s'", "index.html?lang=en&x=1", "query string")


def test_listed_file_absent_from_zip(tmp_path):
    course = parse(tmp_path, scorm12_zip(scos=[Item("s", "S", "index.html", files=["img/logo.png"])]))
    warned(course, "imsmanifest.xml", "img/logo.png", "res_s", "not in the package")


def test_many_missing_files_are_summarised(tmp_path):
    files = [f"f{i}.js" for i in range(30)]
    course = parse(tmp_path, scorm12_zip(scos=[Item("s", "S", "index.html", files=files)]))
    assert len([w for w in course.warnings if "<file>" in w]) == 21
    warned(course, "10 more <file> entries")


def test_item_referencing_missing_resource(tmp_path):
    manifest = scorm12_manifest(scos=[("a", "A", "a.html"), ("b", "B", "b.html")]).replace(
        'identifierref="res_b"', 'identifierref="res_gone"')
    course = parse(tmp_path, scorm12_zip(scos=[("a", "A", "a.html")], manifest_override=manifest))
    b = find(course.root, "b")
    assert b.href is None and b.resource_id == "res_gone"
    assert [a.id for a in course.root.leaves()] == ["a"]
    warned(course, "imsmanifest.xml", "item 'b'", "missing resource 'res_gone'")


def test_sco_launch_file_missing(tmp_path):
    course = parse(tmp_path, scorm12_zip(scos=[("a", "A", "a.html"), ("b", "B", "b.html")], omit_files=["b.html"]))
    assert find(course.root, "b").href == "b.html"
    warned(course, "imsmanifest.xml", "resource 'res_b'", "launch file 'b.html'", "not in the package")


def test_duplicate_identifiers(tmp_path):
    manifest = scorm12_manifest(scos=[("a", "A", "a.html"), ("b", "B", "b.html")]).replace(
        '<item identifier="b"', '<item identifier="a"')
    course = parse(tmp_path, scorm12_zip(scos=[("a", "A", "a.html"), ("b", "B", "b.html")],
                                         manifest_override=manifest))
    assert [a.id for a in course.root.leaves()] == ["a", "a_2"]
    warned(course, "imsmanifest.xml", "'a'", "more than one item")
    dup_res = scorm12_manifest(scos=[("a", "A", "a.html"), ("b", "B", "b.html")]).replace(
        'identifier="res_b"', 'identifier="res_a"')
    course = parse(tmp_path, scorm12_zip(scos=[("a", "A", "a.html"), ("b", "B", "b.html")],
                                         manifest_override=dup_res))
    warned(course, "imsmanifest.xml", "'res_a'", "more than one <resource>")


def test_scormtype_wrong_case_for_edition(tmp_path):
    manifest = scorm12_manifest().replace("adlcp:scormtype", "adlcp:scormType")
    course = parse(tmp_path, scorm12_zip(manifest_override=manifest))
    assert course.root.leaves()[0].activity_type == SCO
    warned(course, "imsmanifest.xml", "adlcp:scormType", "adlcp:scormtype", "SCORM 1.2")
    manifest = scorm2004_manifest(items=[Item("a", "A", "a.html", scorm_type="asset")]).replace(
        "adlcp:scormType", "adlcp:scormtype")
    course = parse(tmp_path, scorm2004_zip(items=[Item("a", "A", "a.html")], manifest_override=manifest))
    assert course.root.leaves()[0].activity_type == ASSET
    warned(course, "adlcp:scormtype", "adlcp:scormType")


def test_missing_scormtype_is_a_sco(tmp_path):
    manifest = scorm12_manifest().replace(' adlcp:scormtype="sco"', "")
    course = parse(tmp_path, scorm12_zip(manifest_override=manifest))
    assert course.root.leaves()[0].activity_type == SCO
    warned(course, "imsmanifest.xml", "resource 'res_sco1'", "scormType")


def test_default_organization_missing_or_wrong(tmp_path):
    two_orgs = manifest_12(
        '<organizations{default}><organization identifier="o1"><title>First</title>'
        '<item identifier="i1" identifierref="r"><title>1</title></item></organization>'
        '<organization identifier="o2"><title>Second</title>'
        '<item identifier="i2" identifierref="r"><title>2</title></item></organization></organizations>'
        '<resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="a.html">'
        '<file href="a.html"/></resource></resources>')
    files = {"a.html": PAGE}
    course = parse(tmp_path, zip_bytes({"imsmanifest.xml": two_orgs.format(default=' default="o2"'), **files}))
    assert course.title == "Second" and course.warnings == []
    course = parse(tmp_path, zip_bytes({"imsmanifest.xml": two_orgs.format(default=""), **files}))
    assert course.title == "First"
    warned(course, "imsmanifest.xml", "<organizations>", "default", "'o1'")
    course = parse(tmp_path, zip_bytes({"imsmanifest.xml": two_orgs.format(default=' default="ox"'), **files}))
    assert course.root.id == "o1"
    warned(course, "imsmanifest.xml", "ox", "'o1'")


def test_no_organization_builds_flat_tree(tmp_path):
    manifest = manifest_12(
        "<organizations/>"
        '<resources><resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="a.html"/>'
        '<resource identifier="r2" type="webcontent" adlcp:scormtype="asset" href="b.html"/>'
        '<resource identifier="r3" type="webcontent" adlcp:scormtype="sco" href="c.html"/></resources>',
        ident="flat")
    course = parse(tmp_path, zip_bytes({"imsmanifest.xml": manifest, "a.html": PAGE, "b.html": PAGE,
                                        "c.html": PAGE}))
    assert [(a.id, a.href) for a in course.root.leaves()] == [("r1", "a.html"), ("r3", "c.html")]
    assert course.title == "flat"
    warned(course, "imsmanifest.xml", "no usable <organization>")


def test_organization_without_items_builds_flat_tree(tmp_path):
    manifest = manifest_12(
        '<organizations default="o"><organization identifier="o"><title>Empty</title></organization>'
        '</organizations><resources><resource identifier="r1" type="webcontent" adlcp:scormtype="sco" '
        'href="a.html"/></resources>')
    course = parse(tmp_path, zip_bytes({"imsmanifest.xml": manifest, "a.html": PAGE}))
    assert [a.id for a in course.root.leaves()] == ["r1"]
    warned(course, "imsmanifest.xml", "organization 'o'", "no items")
    warned(course, "no usable <organization>")


def test_item_without_title_uses_identifier(tmp_path):
    manifest = scorm12_manifest(scos=[("a", "A", "a.html")]).replace("<title>A</title>", "")
    course = parse(tmp_path, scorm12_zip(manifest_override=manifest, scos=[("a", "A", "a.html")]))
    assert course.root.leaves()[0].title == "a"
    warned(course, "item 'a'", "<title>")


def test_href_leaving_the_package_does_not_launch(tmp_path):
    course = parse(tmp_path, scorm12_zip(scos=[("a", "A", "a.html"), ("b", "B", "../../etc/passwd")],
                                         omit_files=["../../etc/passwd"]))
    assert find(course.root, "b").href is None
    warned(course, "resource 'res_b'", "outside the package")


def test_masteryscore_in_2004_is_ignored_with_warning(tmp_path):
    item = Item("a", "A", "a.html", inner_xml="<adlcp:masteryscore>80</adlcp:masteryscore>")
    course = parse(tmp_path, scorm2004_zip(items=[item]))
    leaf = course.root.leaves()[0]
    assert leaf.scaled_passing_score is None and leaf.data == {}
    warned(course, "item 'a'", "masteryscore", "SCORM 1.2")


def test_item_aggregating_a_sub_manifest(tmp_path):
    sub = ('<manifest identifier="sub1" xml:base="part2/">'
           '<organizations default="so"><organization identifier="so"><title>Part 2</title>'
           '<item identifier="s1" identifierref="sr1"><title>Sub SCO</title></item></organization></organizations>'
           '<resources><resource identifier="sr1" type="webcontent" adlcp:scormType="sco" href="start.html">'
           '<file href="start.html"/></resource></resources></manifest>')
    manifest = scorm2004_manifest(items=[Item("a", "A", "a.html"), Item("p2", "Part 2", "x")]).replace(
        'identifierref="res_p2"', 'identifierref="sub1"').replace("</resources>", "</resources>" + sub)
    course = parse(tmp_path, scorm2004_zip(items=[Item("a", "A", "a.html")], manifest_override=manifest,
                                           extra_files={"part2/start.html": PAGE}))
    p2 = find(course.root, "p2")
    assert p2.activity_type == AGGREGATION and [c.id for c in p2.children] == ["s1"]
    assert p2.children[0].href == "part2/start.html"


# ====================================================================== strict errors
def test_not_well_formed(tmp_path):
    with pytest.raises(PackageError, match=r"imsmanifest.xml is not well-formed XML at line"):
        parse(tmp_path, zip_bytes({"imsmanifest.xml": "<manifest><organizations></manifest>", "a.html": PAGE}))


def test_root_is_not_manifest(tmp_path):
    with pytest.raises(PackageError, match=r"imsmanifest.xml.*<course>.*not <manifest>"):
        parse(tmp_path, zip_bytes({"imsmanifest.xml": "<course/>"}))


def test_no_launchable_content(tmp_path):
    empty = manifest_2004("<organizations/><resources/>")
    with pytest.raises(PackageError, match="no launchable content"):
        parse(tmp_path, zip_bytes({"imsmanifest.xml": empty}))
    only_missing_refs = scorm12_manifest().replace('identifierref="res_sco1"', 'identifierref="zzz"')
    with pytest.raises(PackageError, match="no launchable content"):
        parse(tmp_path, scorm12_zip(manifest_override=only_missing_refs))


def test_every_launch_file_missing(tmp_path):
    with pytest.raises(PackageError, match="no launchable content.*index.html"):
        parse(tmp_path, scorm12_zip(omit_files=["index.html"]))


def test_entities_in_manifest_refused(tmp_path):
    evil = ('<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]>'
            + scorm12_manifest().split("?>", 1)[1].replace("SCORM 1.2 course", "&a;"))
    with pytest.raises(PackageError, match="entities"):
        parse(tmp_path, scorm12_zip(manifest_override=evil))


def test_deeply_nested_items(tmp_path):
    item = Item("leaf", "Leaf", "a.html")
    for depth in range(60):
        item = Item(f"c{depth}", f"C{depth}", children=[item])
    course = parse(tmp_path, scorm2004_zip(items=[item]))
    assert [a.id for a in course.root.leaves()] == ["leaf"]


# ====================================================================== ADL conformance corpus
CORPUS = suite_dir()
CORPUS_MANIFESTS = sorted(CORPUS.glob("**/imsmanifest.xml"))
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


def _stand_ins(manifest: bytes) -> dict[str, bytes]:
    """An empty file for every resource href and <file href> the manifest names (xml:base applied)."""
    names: set[str] = set()

    def walk(el: ET.Element, base: str) -> None:
        xb = el.get(XML_BASE)
        if xb:
            base = base + (xb if xb.endswith("/") else xb + "/")
        tag = el.tag.rsplit("}", 1)[-1]
        href = el.get("href")
        if tag in ("resource", "file") and href and "://" not in href:
            names.add(posixpath.normpath(base + href.split("?")[0].split("#")[0]))
        for child in el:
            walk(child, base)

    walk(ET.fromstring(manifest), "")
    return {n: b"" for n in names if not n.startswith("..")}


def test_corpus_has_all_manifests():
    assert len(CORPUS_MANIFESTS) == 189, f"ADL's suite not found (or incomplete) at {CORPUS}"


@pytest.mark.parametrize("manifest", CORPUS_MANIFESTS, ids=lambda p: p.parent.name)
def test_adl_conformance_manifest(tmp_path, manifest):
    data = manifest.read_bytes()
    course = parse(tmp_path, zip_bytes({"imsmanifest.xml": data, **_stand_ins(data)}))
    assert course.learning_standard in (SCORM2004_2ND, SCORM2004_3RD, SCORM2004_4TH)
    assert course.root.children and course.root.leaves()
    assert course.title.strip()
    json.dumps(course.root.to_dict())
