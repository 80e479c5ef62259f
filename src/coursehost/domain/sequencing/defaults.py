"""The sequencing definition model's spec defaults (SCORM 2004 4th Ed. SN 3.x; IMS SS 1.0 / CAM
5.1 attribute defaults), filled into an activity's authored sequencing (the dict a package parser
stores on `Activity.sequencing`, holding only what the author wrote) before the tree is built.
"""

from __future__ import annotations

import copy
from typing import Any

# Spec defaults (IMS SS 1.0 / SCORM 2004 4th edition CAM) for every attribute the dict may hold.
SEQUENCING_DEFAULTS: dict[str, dict[str, Any]] = {
    "controlMode": {
        "choice": True, "choiceExit": True, "flow": False, "forwardOnly": False,
        "useCurrentAttemptObjectiveInfo": True, "useCurrentAttemptProgressInfo": True,
    },
    "ruleConditions": {"conditionCombination": "all"},
    "ruleCondition": {"operator": "noOp"},
    "limitConditions": {},
    "rollupRules": {"rollupObjectiveSatisfied": True, "rollupProgressCompletion": True,
                    "objectiveMeasureWeight": 1.0},
    "rollupRule": {"childActivitySet": "all", "minimumCount": 0, "minimumPercent": 0.0},
    "rollupConditions": {"conditionCombination": "any"},
    "rollupCondition": {"operator": "noOp"},
    "objective": {"satisfiedByMeasure": False, "minNormalizedMeasure": 1.0},
    "mapInfo": {"readSatisfiedStatus": True, "readNormalizedMeasure": True,
                "writeSatisfiedStatus": False, "writeNormalizedMeasure": False},
    "adlseqMapInfo": {"readRawScore": True, "readMinScore": True, "readMaxScore": True,
                      "readCompletionStatus": True, "readProgressMeasure": True,
                      "writeRawScore": False, "writeMinScore": False, "writeMaxScore": False,
                      "writeCompletionStatus": False, "writeProgressMeasure": False},
    "randomizationControls": {"randomizationTiming": "never", "selectionTiming": "never",
                              "reorderChildren": False},
    "deliveryControls": {"tracked": True, "completionSetByContent": False,
                         "objectiveSetByContent": False},
    "constrainedChoiceConsiderations": {"preventActivation": False, "constrainChoice": False},
    "rollupConsiderations": {"requiredForSatisfied": "always", "requiredForNotSatisfied": "always",
                             "requiredForCompleted": "always", "requiredForIncomplete": "always",
                             "measureSatisfactionIfActive": True},
}


def with_defaults(seq: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of SEQ (an `Activity.sequencing` dict as a SCORM 2004 parser stores it) with every
    spec default filled in: controlMode, rollupRules, deliveryControls, randomizationControls,
    constrainedChoiceConsiderations and rollupConsiderations always present; rule conditions,
    rollup rules, objectives and map infos completed attribute by attribute."""
    src = copy.deepcopy(seq or {})
    out: dict[str, Any] = dict(src)
    for name in ("controlMode", "randomizationControls", "deliveryControls",
                 "constrainedChoiceConsiderations", "rollupConsiderations"):
        out[name] = {**SEQUENCING_DEFAULTS[name], **src.get(name, {})}
    out["limitConditions"] = dict(src.get("limitConditions", {}))
    out["sequencingRules"] = _sequencing_rules(src.get("sequencingRules", {}))
    out["rollupRules"] = _rollup_rules(src.get("rollupRules", {}))
    objectives = src.get("objectives", {})
    out["objectives"] = {"objective": [_objective(o) for o in objectives.get("objective", [])]}
    if "primaryObjective" in objectives:
        out["objectives"]["primaryObjective"] = _objective(objectives["primaryObjective"])
    adl = src.get("adlseqObjectives", {})
    out["adlseqObjectives"] = {"objective": [
        {**o, "mapInfo": [{**SEQUENCING_DEFAULTS["adlseqMapInfo"], **m} for m in o.get("mapInfo", [])]}
        for o in adl.get("objective", [])
    ]}
    out["auxiliaryResources"] = list(src.get("auxiliaryResources", []))
    return out


def _sequencing_rules(rules: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("preConditionRule", "exitConditionRule", "postConditionRule"):
        done = []
        for rule in rules.get(name, []):
            conds = rule.get("ruleConditions", {})
            done.append({
                "ruleConditions": {
                    **SEQUENCING_DEFAULTS["ruleConditions"], **conds,
                    "ruleCondition": [{**SEQUENCING_DEFAULTS["ruleCondition"], **c}
                                      for c in conds.get("ruleCondition", [])],
                },
                "ruleAction": dict(rule.get("ruleAction", {})),
            })
        out[name] = done
    return out


def _rollup_rules(rollup: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {**SEQUENCING_DEFAULTS["rollupRules"], **rollup, "rollupRule": []}
    for rule in rollup.get("rollupRule", []):
        conds = rule.get("rollupConditions", {})
        out["rollupRule"].append({
            **SEQUENCING_DEFAULTS["rollupRule"], **rule,
            "rollupConditions": {
                **SEQUENCING_DEFAULTS["rollupConditions"], **conds,
                "rollupCondition": [{**SEQUENCING_DEFAULTS["rollupCondition"], **c}
                                    for c in conds.get("rollupCondition", [])],
            },
            "rollupAction": dict(rule.get("rollupAction", {})),
        })
    return out


def _objective(obj: dict[str, Any]) -> dict[str, Any]:
    return {**SEQUENCING_DEFAULTS["objective"], **obj,
            "mapInfo": [{**SEQUENCING_DEFAULTS["mapInfo"], **m} for m in obj.get("mapInfo", [])]}
