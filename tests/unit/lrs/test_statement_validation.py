"""Statement validation against the xAPI rules ADL's LRS conformance suite checks (ids are its)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from coursehost.domain.errors import InvalidInput
from coursehost.domain.lrs.validation import (
    agent_key,
    is_iri,
    is_language_tag,
    is_uuid,
    normalize_statement,
    parse_timestamp,
    validate_agent,
    validate_statement,
    validate_statements,
)

BOTH = ("1.0.3", "2.0.0")
V1 = ("1.0.3",)
V2 = ("2.0.0",)
MISSING = object()

AGENT = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"}
AGENT_B = {"mbox": "mailto:bob@example.com"}
ACTIVITY = {"objectType": "Activity", "id": "http://example.com/activities/a"}
VERB = {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended"}}
REF = {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}
GROUP = {"objectType": "Group", "name": "G", "member": [AGENT, AGENT_B]}
CHOICE = {
    "interactionType": "choice",
    "correctResponsesPattern": ["golf[,]tetris"],
    "choices": [{"id": "golf", "description": {"en-US": "Golf"}}, {"id": "tetris"}],
}


def base() -> dict:
    """A minimal valid statement."""
    return {"actor": dict(AGENT), "verb": dict(VERB), "object": dict(ACTIVITY)}


def sub() -> dict:
    """A valid statement whose object is a SubStatement."""
    s = base()
    s["object"] = {"objectType": "SubStatement", **base()}
    return s


def put(stmt: dict, path: str, value: object) -> dict:
    """A copy of stmt with the dotted path set to value (or removed when value is MISSING)."""
    out = copy.deepcopy(stmt)
    keys = path.split(".")
    node = out
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    if value is MISSING:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = copy.deepcopy(value)
    return out


def ctx(**kw) -> dict:
    """A statement with the given context."""
    return put(base(), "context", kw)


def res(**kw) -> dict:
    """A statement with the given result."""
    return put(base(), "result", kw)


def defn(**kw) -> dict:
    """A statement whose activity has the given definition."""
    return put(base(), "object.definition", kw)


def att(**kw) -> dict:
    """A statement with one attachment: a valid one overridden by kw (MISSING removes)."""
    a = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain; charset=ascii",
        "length": 27,
        "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
        "fileUrl": "http://over.there.com/file.txt",
    }
    for k, v in kw.items():
        if v is MISSING:
            a.pop(k)
        else:
            a[k] = v
    return put(base(), "attachments", [a])


# (case id, versions, statement, valid?)
CASES = [
    # Formatting (Data 2.2)
    ("XAPI-00003 actor required", BOTH, put(base(), "actor", MISSING), False),
    ("XAPI-00004 verb required", BOTH, put(base(), "verb", MISSING), False),
    ("XAPI-00005 object required", BOTH, put(base(), "object", MISSING), False),
    ("XAPI-00001 null value", BOTH, put(base(), "actor.name", None), False),
    ("XAPI-00001 null timestamp", BOTH, put(base(), "timestamp", None), False),
    ("XAPI-00001 null in language map", BOTH, put(base(), "verb.display", {"en-US": None}), False),
    ("XAPI-00006 wrong type verb", BOTH, put(base(), "verb", "attended"), False),
    ("XAPI-00008 unknown top-level key", BOTH, put(base(), "dummy", "dummy"), False),
    ("XAPI-00009 wrong key case", BOTH, put(put(base(), "Actor", AGENT), "actor", MISSING), False),
    ("XAPI-00010 enum value case", BOTH, put(base(), "object.objectType", "activity"), False),
    ("XAPI-00011 verb id without scheme", BOTH,
     put(base(), "verb.id", "adlnet.gov/expapi/verbs/attended"), False),
    ("XAPI-00011 moreInfo without scheme", BOTH, defn(moreInfo="example.com/more"), False),
    ("XAPI-00007 empty IRI", BOTH, put(base(), "verb.id", ""), False),
    ("XAPI-00013 bad language tag", BOTH, put(base(), "verb.display", {"a12345678": "x"}), False),
    ("not a statement", BOTH, [], False),
    # Actor (Data 2.4.2)
    ("XAPI-00031 actor objectType", BOTH, put(base(), "actor.objectType", "Activity"), False),
    ("XAPI-00032 objectType not string", BOTH, put(base(), "actor.objectType", 1), False),
    ("XAPI-00033 name not string", BOTH, put(base(), "actor.name", 123), False),
    ("XAPI-00034 agent without ifi", BOTH, put(base(), "actor", {"name": "x"}), False),
    ("XAPI-00034 agent with two ifis", BOTH,
     put(base(), "actor.openid", "http://openid.example.org/1"), False),
    ("XAPI-00034 agent without objectType ok", BOTH, put(base(), "actor", AGENT_B), True),
    ("agent with member", BOTH, put(base(), "actor.member", [AGENT_B]), False),
    ("XAPI-00035 anonymous group without member", BOTH,
     put(base(), "actor", {"objectType": "Group"}), False),
    ("XAPI-00035 anonymous group", BOTH, put(base(), "actor", GROUP), True),
    ("XAPI-00035 anonymous group empty member", BOTH,
     put(base(), "actor", {"objectType": "Group", "member": []}), True),
    ("XAPI-00036 group member is a group", BOTH,
     put(base(), "actor", {"objectType": "Group", "member": [GROUP]}), False),
    ("XAPI-00036 member not an array", BOTH,
     put(base(), "actor", {"objectType": "Group", "member": AGENT}), False),
    ("XAPI-00037 identified group without member", BOTH,
     put(base(), "actor", {"objectType": "Group", "mbox": "mailto:g@example.com"}), True),
    ("XAPI-00037 identified group two ifis", BOTH,
     put(base(), "actor", {**GROUP, "mbox": "mailto:g@example.com",
                           "openid": "http://openid.example.org/g"}), False),
    ("XAPI-00038 mbox without mailto", BOTH, put(base(), "actor.mbox", "ann@example.com"), False),
    ("XAPI-00038 mbox not an email", BOTH, put(base(), "actor.mbox", "mailto:ann"), False),
    ("XAPI-00039 sha1sum not a string", BOTH,
     put(base(), "actor", {"mbox_sha1sum": 12345}), False),
    ("XAPI-00039 sha1sum uppercase ok", BOTH,
     put(base(), "actor", {"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"}), True),
    ("XAPI-00040 openid not a URI", BOTH, put(base(), "actor", {"openid": "open.id.com/u"}), False),
    ("XAPI-00041 account not an object", BOTH, put(base(), "actor", {"account": "x"}), False),
    ("XAPI-00042 account without homePage", BOTH,
     put(base(), "actor", {"account": {"name": "u"}}), False),
    ("XAPI-00042 homePage not an IRL", BOTH,
     put(base(), "actor", {"account": {"homePage": "homePage.com/u", "name": "u"}}), False),
    ("XAPI-00043 account without name", BOTH,
     put(base(), "actor", {"account": {"homePage": "http://example.com"}}), False),
    ("XAPI-00043 account ok", BOTH,
     put(base(), "actor", {"account": {"homePage": "http://example.com", "name": "u"}}), True),
    # Verb (Data 2.4.3)
    ("XAPI-00044 verb without id", BOTH, put(base(), "verb.id", MISSING), False),
    ("XAPI-00044 verb id not IRI", BOTH, put(base(), "verb.id", "should fail"), False),
    ("XAPI-00045 display not a map", BOTH, put(base(), "verb.display", "attended"), False),
    ("XAPI-00045 display without objects ok", BOTH, put(base(), "verb.display", {}), True),
    ("verb unknown key", BOTH, put(base(), "verb.name", "x"), False),
    # Object (Data 2.4.4)
    ("XAPI-00046 object objectType", BOTH, put(base(), "object.objectType", "Thing"), False),
    ("XAPI-00047 activity without id", BOTH, put(base(), "object.id", MISSING), False),
    ("XAPI-00047 activity id not IRI", BOTH, put(base(), "object.id", "not an iri"), False),
    ("XAPI-00047 activity objectType optional", BOTH,
     put(base(), "object.objectType", MISSING), True),
    ("XAPI-00048 definition not an object", BOTH, put(base(), "object.definition", "x"), False),
    ("XAPI-00056 name not a language map", BOTH, defn(name="x"), False),
    ("XAPI-00059 description bad tag", BOTH, defn(description={"a12345": "x"}), False),
    ("XAPI-00060 type not IRI", BOTH, defn(type="meeting"), False),
    ("XAPI-00061 moreInfo not IRL", BOTH, defn(moreInfo="should fail"), False),
    ("XAPI-00062 interactionType unknown", BOTH, defn(interactionType="Choice"), False),
    ("XAPI-00062 interactionType object", BOTH, defn(interactionType={"a": 1}), False),
    ("XAPI-00063 correctResponsesPattern not array", BOTH,
     defn(interactionType="other", correctResponsesPattern="x"), False),
    ("XAPI-00063 correctResponsesPattern non-string", BOTH,
     defn(interactionType="other", correctResponsesPattern=[1]), False),
    ("XAPI-00064 pattern without interactionType", BOTH,
     defn(correctResponsesPattern=["true"]), False),
    ("XAPI-00064 choices without interactionType", BOTH,
     defn(choices=[{"id": "a"}]), False),
    ("XAPI-00064 choice activity ok", BOTH, defn(**CHOICE), True),
    ("XAPI-00064 choices on true-false", BOTH,
     defn(interactionType="true-false", choices=[{"id": "a"}]), False),
    ("XAPI-00064 likert scale", BOTH,
     defn(interactionType="likert", scale=[{"id": "1", "description": {"en-US": "x"}}]), True),
    ("XAPI-00064 matching source target", BOTH,
     defn(interactionType="matching", source=[{"id": "a"}], target=[{"id": "b"}]), True),
    ("XAPI-00064 performance steps", BOTH,
     defn(interactionType="performance", steps=[{"id": "a"}]), True),
    ("XAPI-00064 sequencing choices", BOTH,
     defn(interactionType="sequencing", choices=[{"id": "a"}]), True),
    ("component without id", BOTH,
     defn(interactionType="choice", choices=[{"description": {"en-US": "x"}}]), False),
    ("component duplicate id", BOTH,
     defn(interactionType="choice", choices=[{"id": "a"}, {"id": "a"}]), False),
    ("component unknown key", BOTH,
     defn(interactionType="choice", choices=[{"id": "a", "name": {}}]), False),
    ("XAPI-00057 extensions not object", BOTH, defn(extensions="x"), False),
    ("definition unknown key", BOTH, defn(title={"en-US": "x"}), False),
    ("empty definition ok", BOTH, defn(), True),
    ("XAPI-00065 agent object without objectType", BOTH, put(base(), "object", AGENT_B), False),
    ("XAPI-00065 agent object", BOTH,
     put(base(), "object", {"objectType": "Agent", **AGENT_B}), True),
    ("XAPI-00065 group object", BOTH, put(base(), "object", GROUP), True),
    ("XAPI-00072 statementref without id", BOTH,
     put(base(), "object", {"objectType": "StatementRef"}), False),
    ("XAPI-00072 statementref id not UUID", BOTH,
     put(base(), "object", {"objectType": "StatementRef", "id": "x"}), False),
    ("XAPI-00073 statementref", BOTH, put(base(), "object", REF), True),
    ("statementref unknown key", BOTH, put(base(), "object", {**REF, "definition": {}}), False),
    ("XAPI-00066 substatement", BOTH, sub(), True),
    ("XAPI-00066 substatement without verb", BOTH, put(sub(), "object.verb", MISSING), False),
    ("XAPI-00066 substatement bad actor", BOTH, put(sub(), "object.actor.mbox", "x"), False),
    ("XAPI-00067 substatement authority", BOTH, put(sub(), "object.authority", AGENT), False),
    ("XAPI-00068 substatement version", BOTH, put(sub(), "object.version", "1.0.0"), False),
    ("XAPI-00069 substatement stored", BOTH,
     put(sub(), "object.stored", "2013-05-18T05:32:34.804Z"), False),
    ("XAPI-00070 substatement id", BOTH,
     put(sub(), "object.id", "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"), False),
    ("XAPI-00071 nested substatement", BOTH, put(sub(), "object.object", sub()["object"]), False),
    ("substatement with statementref ok", BOTH, put(sub(), "object.object", REF), True),
    # Result (Data 2.4.5)
    ("XAPI-00074 success not boolean", BOTH, res(success="true"), False),
    ("XAPI-00075 completion not boolean", BOTH, res(completion=1), False),
    ("XAPI-00076 response not string", BOTH, res(response=12345), False),
    ("XAPI-00076 empty response ok", BOTH, res(response=""), True),
    ("XAPI-00077 duration invalid", BOTH, res(duration="PA1H0M0S"), False),
    ("XAPI-00077 duration number", BOTH, res(duration=12345), False),
    ("XAPI-00078 extensions not object", BOTH, res(extensions=["x"]), False),
    ("XAPI-00079 score not object", BOTH, res(score=1), False),
    ("XAPI-00083 scaled above 1", BOTH, res(score={"scaled": 1.01}), False),
    ("XAPI-00083 scaled -1 ok", BOTH, res(score={"scaled": -1}), True),
    ("XAPI-00083 scaled not number", BOTH, res(score={"scaled": "0.5"}), False),
    ("XAPI-00083 scaled boolean", BOTH, res(score={"scaled": True}), False),
    ("XAPI-00082 raw above max", BOTH, res(score={"raw": 11, "min": 0, "max": 10}), False),
    ("XAPI-00082 raw below min", BOTH, res(score={"raw": -1, "min": 0, "max": 10}), False),
    ("XAPI-00082 raw unbounded ok", BOTH, res(score={"raw": -1000.5}), True),
    ("XAPI-00081 min above max", BOTH, res(score={"min": 10, "max": 0}), False),
    ("XAPI-00002 precise score ok", BOTH,
     res(score={"min": 0.12123434, "raw": 12.125, "max": 45.45, "scaled": 0.12123434}), True),
    ("score NaN", BOTH, res(score={"raw": float("nan")}), False),
    ("result unknown key", BOTH, res(score={}, grade="A"), False),
    # Durations (Data 4.6, XAPI-00124)
    ("XAPI-00124 PT1H0M0.1S", BOTH, res(duration="PT1H0M0.1S"), True),
    ("XAPI-00124 P3Y1M29DT4H35M59.14S", BOTH, res(duration="P3Y1M29DT4H35M59.14S"), True),
    ("XAPI-00124 PT16559.14S", BOTH, res(duration="PT16559.14S"), True),
    ("XAPI-00124 P4W", BOTH, res(duration="P4W"), True),
    ("XAPI-00124 P4W1D", BOTH, res(duration="P4W1D"), False),
    ("XAPI-00124 P alone", BOTH, res(duration="P"), False),
    ("XAPI-00124 PT alone", BOTH, res(duration="PT"), False),
    ("XAPI-00124 alternative format", BOTH, res(duration="P0003-01-29T04:35:59"), False),
    ("4.2.7 duration finer than 0.01s ok", BOTH, res(duration="P1DT12H36M0.12567S"), True),
    # Context (Data 2.4.6)
    ("XAPI-00087-1 registration not UUID", BOTH, ctx(registration="x"), False),
    ("XAPI-00087-2 instructor not agent", BOTH, ctx(instructor={"name": "x"}), False),
    ("XAPI-00087-2 instructor group ok", BOTH, ctx(instructor=GROUP), True),
    ("XAPI-00088 team is an agent", BOTH, ctx(team=AGENT), False),
    ("XAPI-00088 team group ok", BOTH, ctx(team=GROUP), True),
    ("XAPI-00086 contextActivities not object", BOTH, ctx(contextActivities=[ACTIVITY]), False),
    ("XAPI-00093 contextActivities bad key", BOTH, ctx(contextActivities={"parents": ACTIVITY}),
     False),
    ("XAPI-00094 contextActivities single activity", BOTH,
     ctx(contextActivities={"parent": ACTIVITY, "grouping": [ACTIVITY],
                            "category": [], "other": {"id": "http://example.com/o"}}), True),
    ("XAPI-00094 contextActivities not an activity", BOTH,
     ctx(contextActivities={"other": AGENT}), False),
    ("XAPI-00094 contextActivities string", BOTH, ctx(contextActivities={"other": "x"}), False),
    ("XAPI-00089 revision not string", BOTH, ctx(revision=1), False),
    ("XAPI-00089 revision with agent object", BOTH,
     put(put(base(), "object", {"objectType": "Agent", **AGENT_B}), "context",
         {"revision": "r1"}), False),
    ("XAPI-00090 platform with statementref object", BOTH,
     put(put(base(), "object", REF), "context", {"platform": "p"}), False),
    ("XAPI-00090 platform with activity ok", BOTH, ctx(platform="p", revision="r"), True),
    ("XAPI-00091 language not a tag", BOTH, ctx(language="a12345678"), False),
    ("XAPI-00091 language tlh ok", BOTH, ctx(language="tlh"), True),
    ("XAPI-00092 statement not a ref", BOTH, ctx(statement=ACTIVITY), False),
    ("XAPI-00092 statement ref ok", BOTH, ctx(statement=REF), True),
    ("context unknown key", BOTH, ctx(registrations="x"), False),
    # Extensions (Data 4.1)
    ("XAPI-00118 extension key not IRI", BOTH,
     ctx(extensions={"example.com/extension/wrong": 1}), False),
    ("XAPI-00119 extension value null ok", BOTH,
     res(extensions={"http://example.com/ex": None}), True),
    ("XAPI-00119 extension value empty ok", BOTH,
     defn(extensions={"http://example.com/ex": "", "http://example.com/o": {"a": None}}), True),
    ("XAPI-00120 extensions empty ok", BOTH, ctx(extensions={}), True),
    # Timestamp (Data 2.4.7, 4.5)
    ("XAPI-00022 timestamp invalid string", BOTH, put(base(), "timestamp", "should fail"), False),
    ("XAPI-00022 timestamp invalid date", BOTH, put(base(), "timestamp", "01/011/2015"), False),
    ("XAPI-00022 timestamp future ok", BOTH,
     put(base(), "timestamp", "2031-11-23T10:27:46.042Z"), True),
    ("XAPI-00123 offset -00", BOTH,
     put(base(), "timestamp", "2008-09-15T15:53:00.601-00"), False),
    ("XAPI-00123 offset -0000", BOTH,
     put(base(), "timestamp", "2008-09-15T15:53:00.601-0000"), False),
    ("XAPI-00123 offset -00:00", BOTH,
     put(base(), "timestamp", "2008-09-15T15:53:00.601-00:00"), False),
    ("XAPI-00123 offset +00:00 ok", BOTH,
     put(base(), "timestamp", "2008-09-15T15:53:00.601+00:00"), True),
    ("XAPI-00123 offset -05:00 ok", BOTH, put(base(), "timestamp", "2023-05-04T12:00:00-05:00"),
     True),
    ("XAPI-00123 February 30", BOTH, put(base(), "timestamp", "2015-02-30T10:00:00Z"), False),
    ("XAPI-00123 timestamp number", BOTH, put(base(), "timestamp", 12345), False),
    # Id (Data 2.4.1)
    ("XAPI-00027 id too many digits", BOTH,
     put(base(), "id", "AA97B177-9383-4934-8543-0F91A7A028368"), False),
    ("XAPI-00030 id non-hex", BOTH, put(base(), "id", "MA97B177-9383-4934-8543-0F91A7A02836"),
     False),
    ("XAPI-00028 id number", BOTH, put(base(), "id", 12345), False),
    ("XAPI-00029 id uppercase ok", BOTH, put(base(), "id", "AA97B177-9383-4934-8543-0F91A7A02836"),
     True),
    # Authority (Data 2.4.9)
    ("XAPI-00024 authority agent ok", BOTH, put(base(), "authority", AGENT), True),
    ("XAPI-00024 authority not an agent", BOTH, put(base(), "authority", ACTIVITY), False),
    ("XAPI-00098 authority group of two ok", BOTH, put(base(), "authority", GROUP), True),
    ("XAPI-00098 authority group of three", BOTH,
     put(base(), "authority", {**GROUP, "member": [AGENT, AGENT_B, {"openid": "http://o.x/1"}]}),
     False),
    ("XAPI-00100 authority identified group", BOTH,
     put(base(), "authority", {**GROUP, "mbox": "mailto:g@example.com"}), False),
    # Version (Data 2.4.10)
    ("XAPI-00101 version 1.0 ok", BOTH, put(base(), "version", "1.0"), True),
    ("XAPI-00101 version 1.0.9 ok", BOTH, put(base(), "version", "1.0.9"), True),
    ("XAPI-00101 version 1.1.0", BOTH, put(base(), "version", "1.1.0"), False),
    ("XAPI-00101 version 0.9.9", BOTH, put(base(), "version", "0.9.9"), False),
    ("XAPI-00101 version string", BOTH, put(base(), "version", "should fail"), False),
    ("XAPI-00332 version 2.0.0 under 2.0", V2, put(base(), "version", "2.0.0"), True),
    ("version 2.0.0 under 1.0.3", V1, put(base(), "version", "2.0.0"), False),
    # Attachments (Data 2.4.11)
    ("XAPI-00025 attachments not array", BOTH, put(base(), "attachments", {}), False),
    ("attachment ok", BOTH, att(), True),
    ("attachment not an object", BOTH, put(base(), "attachments", ["x"]), False),
    ("XAPI-00107 usageType not IRI", BOTH, att(usageType="example.com/usage"), False),
    ("XAPI-00107 usageType missing", BOTH, att(usageType=MISSING), False),
    ("XAPI-00105 contentType invalid", BOTH, att(contentType=12345), False),
    ("XAPI-00102 length not integer", BOTH, att(length="27"), False),
    ("XAPI-00102 length float", BOTH, att(length=27.5), False),
    ("XAPI-00103 sha2 not string", BOTH, att(sha2=12345), False),
    ("XAPI-00104 fileUrl not IRL", BOTH, att(fileUrl="over.there.com/file.txt"), False),
    ("XAPI-00104 fileUrl optional", BOTH, att(fileUrl=MISSING), True),
    ("XAPI-00106 display not language map", BOTH, att(display="x"), False),
    ("attachment description bad tag", BOTH, att(description={"a12345678": "x"}), False),
    # Voiding (Data 2.3.2)
    ("XAPI-00017 voiding with StatementRef ok", BOTH,
     put(put(base(), "verb.id", "http://adlnet.gov/expapi/verbs/voided"), "object", REF), True),
    ("XAPI-00020 voiding an activity", BOTH,
     put(base(), "verb.id", "http://adlnet.gov/expapi/verbs/voided"), False),
    # Stored (Data 2.4.8): accepted when sent, the LRS overwrites it
    ("stored ok", BOTH, put(base(), "stored", "2013-05-18T05:32:34.804Z"), True),
    # IEEE 9274.1.1 §4.2.2.5 contextAgents / contextGroups
    ("contextAgents ok", V2, ctx(contextAgents=[{
        "objectType": "contextAgent", "agent": AGENT,
        "relevantTypes": ["https://example.com/types/player"]}]), True),
    ("contextAgents without relevantTypes ok", V2,
     ctx(contextAgents=[{"objectType": "contextAgent", "agent": AGENT}]), True),
    ("contextAgents bad objectType", V2,
     ctx(contextAgents=[{"objectType": "Should fail", "agent": AGENT}]), False),
    ("contextAgents bad agent", V2,
     ctx(contextAgents=[{"objectType": "contextAgent", "agent": {"key": "x"}}]), False),
    ("contextAgents empty relevantTypes", V2,
     ctx(contextAgents=[{"objectType": "contextAgent", "agent": AGENT, "relevantTypes": []}]),
     False),
    ("contextAgents relevantTypes not IRI", V2,
     ctx(contextAgents=[{"objectType": "contextAgent", "agent": AGENT,
                         "relevantTypes": ["abc"]}]), False),
    ("contextAgents not array", V2,
     ctx(contextAgents={"objectType": "contextAgent", "agent": AGENT}), False),
    ("contextGroups ok", V2, ctx(contextGroups=[{
        "objectType": "contextGroup", "group": GROUP,
        "relevantTypes": ["https://example.com/types/team"]}]), True),
    ("contextGroups member beside group", V2,
     ctx(contextGroups=[{"objectType": "contextGroup", "group": GROUP, "member": [AGENT]}]),
     False),
    ("contextGroups agent as group", V2,
     ctx(contextGroups=[{"objectType": "contextGroup", "group": AGENT}]), False),
    ("contextGroups empty relevantTypes", V2,
     ctx(contextGroups=[{"objectType": "contextGroup", "group": GROUP, "relevantTypes": []}]),
     False),
    ("contextAgents under 1.0.3", V1,
     ctx(contextAgents=[{"objectType": "contextAgent", "agent": AGENT}]), False),
    ("contextGroups under 1.0.3", V1,
     ctx(contextGroups=[{"objectType": "contextGroup", "group": GROUP}]), False),
    ("substatement contextAgents bad", V2,
     put(sub(), "object.context", {"contextAgents": [{"objectType": "x", "agent": AGENT}]}),
     False),
]


@pytest.mark.parametrize(
    ("version", "statement", "valid"),
    [pytest.param(v, s, ok, id=f"{v} {cid}") for cid, versions, s, ok in CASES for v in versions],
)
def test_statement_rule(version: str, statement: object, valid: bool) -> None:
    if valid:
        validate_statement(statement, version=version)
    else:
        with pytest.raises(InvalidInput):
            validate_statement(statement, version=version)


@pytest.mark.parametrize(
    "tag",
    ["en", "en-US", "tlh", "zh-Hant-TW", "sl-rozaj-biske", "de-CH-1901", "en-a-bbb-x-a-ccc",
     "x-whatever", "i-klingon", "zh-yue-HK", "es-419", "EN-gb"],
)
def test_language_tags_accepted(tag: str) -> None:
    assert is_language_tag(tag)


@pytest.mark.parametrize("tag", ["", "a12345678", "a12345", "en_US", "en-", "-en", "e", "en--US"])
def test_language_tags_rejected(tag: str) -> None:
    assert not is_language_tag(tag)


def test_iri_and_uuid_helpers() -> None:
    assert is_iri("http://example.com/a b") is False
    assert is_iri("urn:uuid:6690e6c9-3ef0-4ed3-8b37-7f3964730bee")
    assert is_iri("http://例え.テスト/パス")
    assert not is_iri("not.a.valid.iri.com/verb")
    assert is_uuid("6690e6c9-3ef0-4ed3-8b37-7f3964730bee")
    assert not is_uuid("6690e6c93ef04ed38b377f3964730bee")
    assert not is_uuid(None)


def test_parse_timestamp() -> None:
    utc = UTC
    assert parse_timestamp("2023-05-04T12:00:00-05:00") == datetime(2023, 5, 4, 17, tzinfo=utc)
    assert parse_timestamp("2008-09-15T15:53:00.601Z").microsecond == 601000
    naive = parse_timestamp("2008-09-15T15:53:00")
    assert naive.tzinfo is not None and naive.utcoffset() == timedelta(0)
    assert parse_timestamp("20080915T155300+0130").utcoffset() == timedelta(hours=1, minutes=30)
    assert parse_timestamp("2008-09-15T15:53:00.123456789Z").microsecond == 123456
    for bad in ("2008-09-15", "2008-13-01T00:00:00Z", "2008-09-15T25:00:00Z", "x", ""):
        with pytest.raises(InvalidInput):
            parse_timestamp(bad)


def test_error_message_names_the_path() -> None:
    with pytest.raises(InvalidInput, match=r"^statement\.actor\.mbox: must be a mailto: IRI$"):
        validate_statement(put(base(), "actor.mbox", "x"), version="1.0.3")
    body = [base(), base(), base(), put(base(), "verb.id", "nope")]
    with pytest.raises(InvalidInput, match=r"^statements\[3\]\.verb\.id: "):
        validate_statements(body, version="2.0.0")
    with pytest.raises(InvalidInput, match=r"^statement\.object\.definition\.choices\[1\]\.id: "):
        validate_statement(defn(interactionType="choice", choices=[{"id": "a"}, {}]),
                           version="2.0.0")


def test_validate_statements_shapes() -> None:
    one = base()
    assert validate_statements(one, version="1.0.3") == [one]
    many = [base(), sub()]
    assert validate_statements(many, version="2.0.0") is many
    assert validate_statements([], version="2.0.0") == []
    for bad in ("x", 1, None, [base(), "x"]):
        with pytest.raises(InvalidInput):
            validate_statements(bad, version="1.0.3")


def test_unsupported_version_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        validate_statement(base(), version="0.95")


@pytest.mark.parametrize("version", BOTH)
def test_validate_agent(version: str) -> None:
    validate_agent(AGENT, version=version)
    validate_agent({"account": {"homePage": "http://example.com", "name": "u"}}, version=version)
    validate_agent({"objectType": "Group", "mbox": "mailto:g@example.com"}, version=version)
    for bad in ({"objectType": "Agent"}, GROUP, "wrong", {"mbox": "x"}, {**AGENT, "openid": "a:b"}):
        with pytest.raises(InvalidInput, match=r"^agent"):
            validate_agent(bad, version=version)
    with pytest.raises(InvalidInput, match=r"^params\.agent"):
        validate_agent({}, version=version, path="params.agent")


def test_agent_key() -> None:
    assert agent_key(AGENT) == "mbox:mailto:ann@example.com"
    assert agent_key({"mbox_sha1sum": "ABCDEF" + "0" * 34}) == "mbox_sha1sum:abcdef" + "0" * 34
    assert agent_key({"openid": "http://o.example/1"}) == "openid:http://o.example/1"
    assert agent_key({"account": {"homePage": "http://h", "name": "n"}}) == "account:http://h|n"
    assert agent_key(GROUP) is None


@pytest.mark.parametrize("version", BOTH)
def test_normalize_wraps_single_context_activities(version: str) -> None:
    stmt = ctx(contextActivities={"parent": ACTIVITY, "grouping": [ACTIVITY]})
    stmt = put(stmt, "object", {**sub()["object"],
                                "context": {"contextActivities": {"other": ACTIVITY}}})
    before = copy.deepcopy(stmt)
    out = normalize_statement(stmt, version=version)
    assert stmt == before  # pure: the input is not changed
    assert out["context"]["contextActivities"] == {"parent": [ACTIVITY], "grouping": [ACTIVITY]}
    assert out["object"]["context"]["contextActivities"] == {"other": [ACTIVITY]}
    # Nothing else is added (format=exact returns what was sent, XAPI-00170).
    plain = put(base(), "object.objectType", MISSING)
    assert normalize_statement(plain, version=version) == plain
