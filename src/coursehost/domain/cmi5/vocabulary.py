"""The cmi5 IRIs (cmi5 Quartz §9: verbs, the category, the context extensions)."""

from __future__ import annotations

CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"
EXT_SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
EXT_MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
EXT_LAUNCHMODE = "https://w3id.org/xapi/cmi5/context/extensions/launchmode"
EXT_LAUNCHURL = "https://w3id.org/xapi/cmi5/context/extensions/launchurl"
EXT_MOVEON = "https://w3id.org/xapi/cmi5/context/extensions/moveon"
EXT_LAUNCHPARAMS = "https://w3id.org/xapi/cmi5/context/extensions/launchparameters"

ADL = "http://adlnet.gov/expapi/verbs/"
LAUNCHED, INITIALIZED, COMPLETED = ADL + "launched", ADL + "initialized", ADL + "completed"
PASSED, FAILED, TERMINATED = ADL + "passed", ADL + "failed", ADL + "terminated"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
VOIDED = ADL + "voided"
ABANDONED, WAIVED = "https://w3id.org/xapi/adl/verbs/abandoned", "https://w3id.org/xapi/adl/verbs/waived"
# §9.3: the verbs a cmi5-defined statement of an AU may use.
AU_VERBS = {INITIALIZED, COMPLETED, PASSED, FAILED, TERMINATED}
DISPLAY = {LAUNCHED: "Launched", ABANDONED: "Abandoned", WAIVED: "Waived", SATISFIED: "Satisfied", INITIALIZED: "Initialized", COMPLETED: "Completed",
           PASSED: "Passed", FAILED: "Failed", TERMINATED: "Terminated"}
# Activity types of the LMS's satisfied statements about a block and the course (§9.5.6.2) of the LMS's statements about a block and the course
COURSE_TYPE = "https://w3id.org/xapi/cmi5/activitytype/course"
BLOCK_TYPE = "https://w3id.org/xapi/cmi5/activitytype/block"
