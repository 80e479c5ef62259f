"""xAPI statement validation (1.0.3 and IEEE 9274.1.1 / 2.0.0) and storage normalisation; pure."""

from __future__ import annotations

import re

from coursehost.domain.lrs.validation_values import (
    IFIS,
    agent_key,
    check_actor,
    check_agent,
    check_extensions,
    check_group,
    check_iri,
    check_irl,
    check_language_map,
    check_object,
    check_string,
    check_uuid,
    fail,
    is_duration,
    is_iri,
    is_language_tag,
    is_uuid,
    parse_timestamp,
)

__all__ = [
    "agent_key",
    "is_iri",
    "is_language_tag",
    "is_uuid",
    "normalize_statement",
    "parse_timestamp",
    "validate_agent",
    "validate_statement",
    "validate_statements",
]

VERSIONS = ("1.0.3", "2.0.0")
VOIDED = "http://adlnet.gov/expapi/verbs/voided"

STATEMENT_KEYS = frozenset(
    {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority",
     "version", "attachments"}
)
# xAPI 1.0.3 §2.4.4.3: a SubStatement has no id, stored, version or authority.
SUBSTATEMENT_KEYS = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
VERB_KEYS = frozenset({"id", "display"})
ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
DEFINITION_KEYS = frozenset(
    {"name", "description", "type", "moreInfo", "interactionType", "correctResponsesPattern",
     "choices", "scale", "source", "target", "steps", "extensions"}
)
COMPONENT_KEYS = frozenset({"id", "description"})
STATEMENT_REF_KEYS = frozenset({"objectType", "id"})
RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
CONTEXT_KEYS_103 = frozenset(
    {"registration", "instructor", "team", "contextActivities", "revision", "platform",
     "language", "statement", "extensions"}
)
# IEEE 9274.1.1 §4.2.2.5 adds contextAgents and contextGroups.
CONTEXT_KEYS_200 = CONTEXT_KEYS_103 | {"contextAgents", "contextGroups"}
CONTEXT_ACTIVITY_KEYS = frozenset({"parent", "grouping", "category", "other"})
CONTEXT_AGENT_KEYS = frozenset({"objectType", "agent", "relevantTypes"})
CONTEXT_GROUP_KEYS = frozenset({"objectType", "group", "relevantTypes"})
ATTACHMENT_KEYS = frozenset(
    {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
)

# xAPI 1.0.3 §2.4.4.1 interaction types, and which component lists each may carry.
INTERACTION_COMPONENTS = {
    "true-false": (),
    "choice": ("choices",),
    "fill-in": (),
    "long-fill-in": (),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "numeric": (),
    "other": (),
}
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")

# xAPI 1.0.3 §2.4.10: "1.0" or "1.0.x"; IEEE 9274.1.1 §4.2.4.3 also accepts 2.0.x.
_VERSION_103 = re.compile(r"^1\.0(?:\.\d+)?$")
_VERSION_200 = re.compile(r"^(?:1\.0|2\.0)(?:\.\d+)?$")
# RFC 6838 §4.2 media type: type "/" subtype, parameters allowed.
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][\w!#$&.+^-]*/[A-Za-z0-9][\w!#$&.+^-]*(?:\s*;.*)?$")


def _is_number(value: object) -> bool:
    """JSON number (bool is not a number even though Python says so)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_version(version: str) -> bool:
    """True for 2.0.0 rules, False for 1.0.x rules."""
    if version == "2.0.0":
        return True
    if version.startswith("1.0"):
        return False
    raise ValueError(f"unsupported xAPI version {version!r}")


def validate_statement(statement: object, *, version: str) -> None:
    """Raise InvalidInput naming the JSON path of the first rule the statement breaks."""
    _statement(statement, "statement", _check_version(version))


def validate_statements(body: object, *, version: str) -> list[dict]:
    """One statement or an array of statements, validated; returns them as a list."""
    v2 = _check_version(version)
    if isinstance(body, dict):
        _statement(body, "statement", v2)
        return [body]
    if not isinstance(body, list):
        fail("statements", "must be a statement object or an array of statements")
    for i, stmt in enumerate(body):
        _statement(stmt, f"statements[{i}]", v2)
    return body


def validate_agent(obj: object, *, version: str, path: str = "agent") -> None:
    """An Agent, or a Group identified by exactly one IFI (document and agents resources)."""
    _check_version(version)
    if isinstance(obj, dict) and obj.get("objectType") == "Group":
        check_group(obj, path)
        if not any(k in obj for k in IFIS):
            fail(path, "must be identified by one of mbox, mbox_sha1sum, openid, account")
    else:
        check_agent(obj, path)


def normalize_statement(statement: dict, *, version: str) -> dict:
    """The statement as stored: single contextActivities values become arrays (1.0.3 §2.4.6.2)."""
    _check_version(version)
    out = dict(statement)
    for holder_key in ("context",):
        if isinstance(out.get(holder_key), dict):
            out[holder_key] = _normalize_context(out[holder_key])
    obj = out.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        if isinstance(obj.get("context"), dict):
            out["object"] = {**obj, "context": _normalize_context(obj["context"])}
    return out


def _normalize_context(context: dict) -> dict:
    """Context with every contextActivities value as an array."""
    ca = context.get("contextActivities")
    if not isinstance(ca, dict) or not any(isinstance(v, dict) for v in ca.values()):
        return context
    return {
        **context,
        "contextActivities": {k: [v] if isinstance(v, dict) else v for k, v in ca.items()},
    }


def _statement(stmt: object, path: str, v2: bool) -> None:
    """A full statement (xAPI 1.0.3 §2.4)."""
    obj = check_object(stmt, STATEMENT_KEYS, path)
    _statement_core(obj, path, v2, sub=False)
    if "id" in obj:
        check_uuid(obj["id"], f"{path}.id")
    if "stored" in obj:
        parse_timestamp(obj["stored"], f"{path}.stored")
    if "authority" in obj:
        _authority(obj["authority"], f"{path}.authority")
    if "version" in obj:
        ver = obj["version"]
        pattern = _VERSION_200 if v2 else _VERSION_103
        if not isinstance(ver, str) or pattern.match(ver) is None:
            fail(f"{path}.version", "must be 1.0.x" + (" or 2.0.x" if v2 else ""))


def _statement_core(obj: dict, path: str, v2: bool, *, sub: bool) -> None:
    """What statements and sub-statements share: actor, verb, object, result, context, ..."""
    for key in ("actor", "verb", "object"):
        if key not in obj:
            fail(f"{path}.{key}", "is required")
    check_actor(obj["actor"], f"{path}.actor")
    verb = obj["verb"]
    _verb(verb, f"{path}.verb")
    target = obj["object"]
    _object(target, f"{path}.object", v2, sub=sub)
    # xAPI 1.0.3 §2.3.2: a voiding statement's object is a StatementRef.
    if verb.get("id") == VOIDED and target.get("objectType") != "StatementRef":
        fail(f"{path}.object.objectType", 'must be "StatementRef" when the verb is voided')
    if "result" in obj:
        _result(obj["result"], f"{path}.result")
    if "context" in obj:
        _context(obj["context"], f"{path}.context", v2, target)
    if "timestamp" in obj:
        parse_timestamp(obj["timestamp"], f"{path}.timestamp")
    if "attachments" in obj:
        _attachments(obj["attachments"], f"{path}.attachments")


def _verb(value: object, path: str) -> None:
    """Verb: id IRI (required), display language map (xAPI 1.0.3 §2.4.3)."""
    verb = check_object(value, VERB_KEYS, path)
    if "id" not in verb:
        fail(f"{path}.id", "is required")
    check_iri(verb["id"], f"{path}.id")
    if "display" in verb:
        check_language_map(verb["display"], f"{path}.display")


def _object(value: object, path: str, v2: bool, *, sub: bool) -> None:
    """Statement object: Activity (default), Agent, Group, StatementRef, SubStatement (§2.4.4)."""
    if not isinstance(value, dict):
        fail(path, "must be an object")
    kind = value.get("objectType", "Activity")
    if kind == "Activity":
        _activity(value, path)
    elif kind == "Agent":
        check_agent(value, path)
    elif kind == "Group":
        check_group(value, path)
    elif kind == "StatementRef":
        _statement_ref(value, path)
    elif kind == "SubStatement":
        # xAPI 1.0.3 §2.4.4.3: a SubStatement MUST NOT contain a SubStatement.
        if sub:
            fail(f"{path}.objectType", "a SubStatement cannot contain a SubStatement")
        check_object(value, SUBSTATEMENT_KEYS, path)
        _statement_core(value, path, v2, sub=True)
    else:
        fail(f"{path}.objectType", "must be Activity, Agent, Group, StatementRef or SubStatement")


def _statement_ref(value: object, path: str) -> None:
    """StatementRef: objectType "StatementRef" and a UUID id (§2.4.4.3)."""
    ref = check_object(value, STATEMENT_REF_KEYS, path)
    if ref.get("objectType") != "StatementRef":
        fail(f"{path}.objectType", 'must be "StatementRef"')
    if "id" not in ref:
        fail(f"{path}.id", "is required")
    check_uuid(ref["id"], f"{path}.id")


def _activity(value: object, path: str) -> None:
    """Activity: id IRI, optional objectType "Activity", optional definition (§2.4.4.1)."""
    act = check_object(value, ACTIVITY_KEYS, path)
    if "objectType" in act and act["objectType"] != "Activity":
        fail(f"{path}.objectType", 'must be "Activity"')
    if "id" not in act:
        fail(f"{path}.id", "is required")
    check_iri(act["id"], f"{path}.id")
    if "definition" in act:
        _definition(act["definition"], f"{path}.definition")


def _definition(value: object, path: str) -> None:
    """Activity definition, including interaction components (§2.4.4.1)."""
    d = check_object(value, DEFINITION_KEYS, path)
    for key in ("name", "description"):
        if key in d:
            check_language_map(d[key], f"{path}.{key}")
    if "type" in d:
        check_iri(d["type"], f"{path}.type")
    if "moreInfo" in d:
        check_irl(d["moreInfo"], f"{path}.moreInfo")
    if "extensions" in d:
        check_extensions(d["extensions"], f"{path}.extensions")
    itype = d.get("interactionType")
    if itype is not None and (not isinstance(itype, str) or itype not in INTERACTION_COMPONENTS):
        fail(f"{path}.interactionType", "must be a known interaction type")
    if "correctResponsesPattern" in d:
        crp = d["correctResponsesPattern"]
        if not isinstance(crp, list) or not all(isinstance(s, str) for s in crp):
            fail(f"{path}.correctResponsesPattern", "must be an array of strings")
    allowed = INTERACTION_COMPONENTS.get(itype, ()) if itype else ()
    for key in COMPONENT_LISTS:
        if key in d:
            if key not in allowed:
                fail(f"{path}.{key}", f"is not allowed for interactionType {itype!r}")
            _components(d[key], f"{path}.{key}")


def _components(value: object, path: str) -> None:
    """Interaction components: id string (distinct) and description language map (§2.4.4.1)."""
    if not isinstance(value, list):
        fail(path, "must be an array of interaction components")
    seen: set[str] = set()
    for i, comp in enumerate(value):
        p = f"{path}[{i}]"
        c = check_object(comp, COMPONENT_KEYS, p)
        if "id" not in c:
            fail(f"{p}.id", "is required")
        cid = check_string(c["id"], f"{p}.id")
        if cid in seen:
            fail(f"{p}.id", "must be distinct within the array")
        seen.add(cid)
        if "description" in c:
            check_language_map(c["description"], f"{p}.description")


def _result(value: object, path: str) -> None:
    """Result: score, success, completion, response, duration, extensions (§2.4.5)."""
    r = check_object(value, RESULT_KEYS, path)
    if "score" in r:
        _score(r["score"], f"{path}.score")
    for key in ("success", "completion"):
        if key in r and not isinstance(r[key], bool):
            fail(f"{path}.{key}", "must be a boolean")
    if "response" in r:
        check_string(r["response"], f"{path}.response")
    if "duration" in r and not is_duration(r["duration"]):
        fail(f"{path}.duration", "must be an ISO 8601 duration")
    if "extensions" in r:
        check_extensions(r["extensions"], f"{path}.extensions")


def _score(value: object, path: str) -> None:
    """Score: scaled in -1..1, min <= raw <= max, min <= max (§2.4.5.1)."""
    s = check_object(value, SCORE_KEYS, path)
    for key, num in s.items():
        if not _is_number(num):
            fail(f"{path}.{key}", "must be a number")
    if "scaled" in s and not -1 <= s["scaled"] <= 1:
        fail(f"{path}.scaled", "must be between -1 and 1")
    lo, hi, raw = s.get("min"), s.get("max"), s.get("raw")
    if lo is not None and hi is not None and lo > hi:
        fail(f"{path}.min", "must not be greater than max")
    if raw is not None:
        if lo is not None and raw < lo:
            fail(f"{path}.raw", "must not be less than min")
        if hi is not None and raw > hi:
            fail(f"{path}.raw", "must not be greater than max")


def _context(value: object, path: str, v2: bool, target: dict) -> None:
    """Context (§2.4.6); 2.0.0 adds contextAgents and contextGroups (IEEE 9274.1.1 §4.2.2.5)."""
    c = check_object(value, CONTEXT_KEYS_200 if v2 else CONTEXT_KEYS_103, path)
    if "registration" in c:
        check_uuid(c["registration"], f"{path}.registration")
    if "instructor" in c:
        check_actor(c["instructor"], f"{path}.instructor")
    if "team" in c:
        check_group(c["team"], f"{path}.team")
    if "contextActivities" in c:
        _context_activities(c["contextActivities"], f"{path}.contextActivities")
    # xAPI 1.0.3 §2.4.6: revision and platform only when the object is an Activity.
    is_activity = target.get("objectType", "Activity") == "Activity"
    for key in ("revision", "platform"):
        if key in c:
            check_string(c[key], f"{path}.{key}")
            if not is_activity:
                fail(f"{path}.{key}", "is only allowed when the object is an Activity")
    if "language" in c and not is_language_tag(c["language"]):
        fail(f"{path}.language", "must be an RFC 5646 language tag")
    if "statement" in c:
        _statement_ref(c["statement"], f"{path}.statement")
    if "extensions" in c:
        check_extensions(c["extensions"], f"{path}.extensions")
    if "contextAgents" in c:
        _context_members(c["contextAgents"], f"{path}.contextAgents", "contextAgent")
    if "contextGroups" in c:
        _context_members(c["contextGroups"], f"{path}.contextGroups", "contextGroup")


def _context_activities(value: object, path: str) -> None:
    """contextActivities: parent/grouping/category/other, each an Activity or array (§2.4.6.2)."""
    ca = check_object(value, CONTEXT_ACTIVITY_KEYS, path)
    for key, acts in ca.items():
        if isinstance(acts, list):
            for i, act in enumerate(acts):
                _activity(act, f"{path}.{key}[{i}]")
        else:
            _activity(acts, f"{path}.{key}")


def _context_members(value: object, path: str, kind: str) -> None:
    """contextAgents / contextGroups arrays (IEEE 9274.1.1 §4.2.2.5)."""
    if not isinstance(value, list):
        fail(path, f"must be an array of {kind} objects")
    agent = kind == "contextAgent"
    for i, item in enumerate(value):
        p = f"{path}[{i}]"
        o = check_object(item, CONTEXT_AGENT_KEYS if agent else CONTEXT_GROUP_KEYS, p)
        if o.get("objectType") != kind:
            fail(f"{p}.objectType", f'must be "{kind}"')
        member = "agent" if agent else "group"
        if member not in o:
            fail(f"{p}.{member}", "is required")
        if agent:
            check_agent(o["agent"], f"{p}.agent")
        else:
            check_group(o["group"], f"{p}.group")
        if "relevantTypes" in o:
            types = o["relevantTypes"]
            if not isinstance(types, list) or not types:
                fail(f"{p}.relevantTypes", "must be a non-empty array of IRIs")
            for j, t in enumerate(types):
                check_iri(t, f"{p}.relevantTypes[{j}]")


def _attachments(value: object, path: str) -> None:
    """Attachments: usageType, display, contentType, length, sha2 required (§2.4.11)."""
    if not isinstance(value, list):
        fail(path, "must be an array of attachments")
    for i, att in enumerate(value):
        p = f"{path}[{i}]"
        a = check_object(att, ATTACHMENT_KEYS, p)
        for key in ("usageType", "display", "contentType", "length", "sha2"):
            if key not in a:
                fail(f"{p}.{key}", "is required")
        check_iri(a["usageType"], f"{p}.usageType")
        check_language_map(a["display"], f"{p}.display")
        if "description" in a:
            check_language_map(a["description"], f"{p}.description")
        ctype = a["contentType"]
        if not isinstance(ctype, str) or _MEDIA_TYPE.match(ctype) is None:
            fail(f"{p}.contentType", "must be an Internet Media Type")
        if not isinstance(a["length"], int) or isinstance(a["length"], bool) or a["length"] < 0:
            fail(f"{p}.length", "must be a non-negative integer")
        check_string(a["sha2"], f"{p}.sha2")
        if "fileUrl" in a:
            check_irl(a["fileUrl"], f"{p}.fileUrl")


def _authority(value: object, path: str) -> None:
    """Authority: an Agent, or an anonymous Group of exactly two Agents (OAuth, §2.4.9)."""
    if isinstance(value, dict) and value.get("objectType") == "Group":
        check_group(value, path)
        members = value.get("member")
        if any(k in value for k in IFIS) or not isinstance(members, list) or len(members) != 2:
            fail(path, "a Group authority must be an anonymous Group of exactly two Agents")
    else:
        check_agent(value, path)
