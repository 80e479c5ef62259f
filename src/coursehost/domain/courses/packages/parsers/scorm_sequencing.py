"""SCORM 2004 imsss:sequencing (plus the adlseq extensions) as a JSON-ready dict.

The shape is documented in parsers/scorm.py (SEQUENCING SHAPE); in short: one key per element
type of <imsss:sequencing>, named as the XML names it, holding only what the author wrote.
Attribute values are typed (xs:boolean -> bool, decimals -> float, counts -> int, durations and
tokens -> str). The spec defaults are filled in by the engine (domain/sequencing/defaults.py).

Values that do not parse (choice="maybe", attemptLimit="two") are dropped with a warning: a
player can still run the course with the spec default in their place.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from coursehost.domain.courses.packages.safexml import local, namespace

# ------------------------------------------------------------------ attribute types
_BOOL = {
    "choice", "choiceExit", "flow", "forwardOnly", "useCurrentAttemptObjectiveInfo",
    "useCurrentAttemptProgressInfo", "rollupObjectiveSatisfied", "rollupProgressCompletion",
    "satisfiedByMeasure", "readSatisfiedStatus", "readNormalizedMeasure", "writeSatisfiedStatus",
    "writeNormalizedMeasure", "readRawScore", "readMinScore", "readMaxScore",
    "readCompletionStatus", "readProgressMeasure", "writeRawScore", "writeMinScore",
    "writeMaxScore", "writeCompletionStatus", "writeProgressMeasure", "reorderChildren",
    "tracked", "completionSetByContent", "objectiveSetByContent", "preventActivation",
    "constrainChoice", "measureSatisfactionIfActive",
}
_FLOAT = {"measureThreshold", "objectiveMeasureWeight", "minimumPercent", "minNormalizedMeasure"}
_INT = {"attemptLimit", "minimumCount", "selectCount"}
_RANGES = {
    "measureThreshold": (-1.0, 1.0), "minNormalizedMeasure": (-1.0, 1.0),
    "objectiveMeasureWeight": (0.0, 1.0), "minimumPercent": (0.0, 1.0),
}


Warn = Callable[[str], None]


def _kind(el: ET.Element) -> str:
    """'imsss', 'adlseq', 'adlnav', 'adlcp' or 'cp', by namespace (lenient about versions)."""
    ns = namespace(el.tag).lower()
    for k in ("adlseq", "adlnav", "adlcp", "imsss"):
        if k in ns:
            return k
    return "cp"


def _convert(name: str, raw: str, where: str, warn: Warn) -> Any:
    value = raw.strip()
    if name in _BOOL:
        low = value.lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
        warn(f"{where}: {name}=\"{raw}\" is not true or false; the default applies")
        return None
    if name in _INT:
        try:
            number = int(value)
        except ValueError:
            warn(f"{where}: {name}=\"{raw}\" is not a whole number; the default applies")
            return None
        if number < 0:
            warn(f"{where}: {name}=\"{raw}\" is negative; the default applies")
            return None
        return number
    if name in _FLOAT:
        try:
            number = float(value)
        except ValueError:
            warn(f"{where}: {name}=\"{raw}\" is not a number; the default applies")
            return None
        if number != number:  # NaN
            warn(f"{where}: {name}=\"{raw}\" is not a number; the default applies")
            return None
        low, high = _RANGES.get(name, (float("-inf"), float("inf")))
        if not low <= number <= high:
            warn(f"{where}: {name}=\"{raw}\" is outside {low:g}..{high:g}; the default applies")
            return None
        return number
    return value


def _attrs(el: ET.Element, where: str, warn: Warn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in el.attrib.items():
        if key.startswith("{"):
            continue  # xsi:*, xml:* and friends are not sequencing data
        value = _convert(key, raw, f"{where} <{local(el.tag)}>", warn)
        if value is not None:
            out[key] = value
    return out


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if isinstance(c.tag, str) and local(c.tag) == name]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    found = _children(el, name)
    return found[0] if found else None


# ------------------------------------------------------------------ element parsers
def _rule(el: ET.Element, where: str, warn: Warn) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    conds = _child(el, "ruleConditions")
    if conds is not None:
        block = _attrs(conds, where, warn)
        block["ruleCondition"] = [_attrs(c, where, warn) for c in _children(conds, "ruleCondition")]
        rule["ruleConditions"] = block
    action = _child(el, "ruleAction")
    if action is not None:
        rule["ruleAction"] = _attrs(action, where, warn)
    else:
        warn(f"{where}: a <{local(el.tag)}> has no <ruleAction>; the rule does nothing")
    return rule


def _sequencing_rules(el: ET.Element, where: str, warn: Warn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("preConditionRule", "exitConditionRule", "postConditionRule"):
        rules = [_rule(r, where, warn) for r in _children(el, name)]
        if rules:
            out[name] = rules
    return out


def _rollup_rules(el: ET.Element, where: str, warn: Warn) -> dict[str, Any]:
    out = _attrs(el, where, warn)
    rules = []
    for r in _children(el, "rollupRule"):
        rule = _attrs(r, where, warn)
        conds = _child(r, "rollupConditions")
        if conds is not None:
            block = _attrs(conds, where, warn)
            block["rollupCondition"] = [_attrs(c, where, warn) for c in _children(conds, "rollupCondition")]
            rule["rollupConditions"] = block
        action = _child(r, "rollupAction")
        if action is not None:
            rule["rollupAction"] = _attrs(action, where, warn)
        else:
            warn(f"{where}: a <rollupRule> has no <rollupAction>; the rule does nothing")
        rules.append(rule)
    if rules:
        out["rollupRule"] = rules
    return out


def _objective(el: ET.Element, where: str, warn: Warn) -> dict[str, Any]:
    obj = _attrs(el, where, warn)
    mnm = _child(el, "minNormalizedMeasure")
    if mnm is not None and (mnm.text or "").strip():
        value = _convert("minNormalizedMeasure", mnm.text or "", f"{where} <minNormalizedMeasure>", warn)
        if value is not None:
            obj["minNormalizedMeasure"] = value
    maps = [_attrs(m, where, warn) for m in _children(el, "mapInfo")]
    if maps:
        obj["mapInfo"] = maps
    return obj


def _objectives(el: ET.Element, where: str, warn: Warn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    primary = _children(el, "primaryObjective")
    if primary:
        out["primaryObjective"] = _objective(primary[0], where, warn)
        if len(primary) > 1:
            warn(f"{where}: <objectives> has more than one <primaryObjective>; the first is used")
    objectives = [_objective(o, where, warn) for o in _children(el, "objective")]
    if objectives:
        out["objective"] = objectives
    return out


def _adlseq_objectives(el: ET.Element, where: str, warn: Warn) -> dict[str, Any]:
    objectives = []
    for o in _children(el, "objective"):
        obj = _attrs(o, where, warn)
        maps = [_attrs(m, where, warn) for m in _children(o, "mapInfo")]
        if maps:
            obj["mapInfo"] = maps
        objectives.append(obj)
    return {"objective": objectives}


def _auxiliary(el: ET.Element, where: str, warn: Warn) -> list[dict[str, Any]]:
    return [_attrs(a, where, warn) for a in _children(el, "auxiliaryResource")]


_SIMPLE = {"controlMode", "limitConditions", "randomizationControls", "deliveryControls",
           "constrainedChoiceConsiderations", "rollupConsiderations"}


def parse_sequencing(el: ET.Element, where: str, warn: Warn) -> dict[str, Any]:
    """The dict for one <imsss:sequencing> element, IDRef not yet merged (see merge_sequencing).

    WHERE names the element in warnings ("imsmanifest.xml: item 'x'")."""
    out: dict[str, Any] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name, kind = local(child.tag), _kind(child)
        key = name
        if name in _SIMPLE:
            value: Any = _attrs(child, where, warn)
        elif name == "sequencingRules":
            value = _sequencing_rules(child, where, warn)
        elif name == "rollupRules":
            value = _rollup_rules(child, where, warn)
        elif name == "objectives" and kind == "adlseq":
            key, value = "adlseqObjectives", _adlseq_objectives(child, where, warn)
        elif name == "objectives":
            value = _objectives(child, where, warn)
        elif name == "auxiliaryResources":
            value = _auxiliary(child, where, warn)
        else:
            warn(f"{where}: <sequencing> holds an unknown element <{name}>; it is ignored")
            continue
        if key in out:
            warn(f"{where}: <sequencing> has more than one <{name}>; the first is used")
            continue
        out[key] = value
    return out


def merge_sequencing(collection_entry: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """An item's sequencing with IDRef applied: the collection entry's element types, each
    replaced whole by the item's own element of the same type (SCORM 2004 CAM 5.1)."""
    merged = copy.deepcopy(collection_entry)
    merged.update(copy.deepcopy(own))
    return merged


def passing_score(seq: dict[str, Any] | None) -> float | None:
    """The scaled passing score: the primary objective's minNormalizedMeasure (default 1.0)
    when its satisfiedByMeasure is true, else None."""
    primary = (seq or {}).get("objectives", {}).get("primaryObjective")
    if not primary or not primary.get("satisfiedByMeasure"):
        return None
    return float(primary.get("minNormalizedMeasure", 1.0))
