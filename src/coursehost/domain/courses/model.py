"""What a parser makes of a package: the course and its activity tree (stored as JSON).

The player and the sequencing engine read this tree; the API shows it as CourseActivitySchema.
Everything here must stay JSON-serialisable (dicts, lists, str, int, float, bool, None).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# CourseSchema.courseLearningStandard values (official client).
SCORM11 = "SCORM11"
SCORM12 = "SCORM12"
SCORM2004_2ND = "SCORM20042NDEDITION"
SCORM2004_3RD = "SCORM20043RDEDITION"
SCORM2004_4TH = "SCORM20044THEDITION"
AICC = "AICC"
XAPI = "XAPI"
CMI5 = "CMI5"
UNKNOWN = "UNKNOWN"

# CourseActivitySchema.activityType values (official client).
AGGREGATION = "AGGREGATION"
SCO = "SCO"
ASSET = "ASSET"


@dataclass
class Activity:
    """One node of the activity tree.

    id             SCORM item identifier; AICC system_id; cmi5 AU / block id; xAPI activity id.
    title          as the author wrote it (trimmed); never empty (a parser falls back to the id).
    activity_type  AGGREGATION for clusters / blocks / organizations; SCO for launchable units
                   that talk to the run-time (SCORM SCO, AICC AU, cmi5 AU, xAPI activity); ASSET
                   for SCORM assets (launchable, no run-time).
    href           launch location of a leaf: a path relative to the package root (xml:base
                   applied, URL-encoded as it must be requested, query string kept), or an absolute
                   URL (http/https) for remote content. None for aggregations.
    resource_id    SCORM resource identifier the item references (None elsewhere).
    parameters     SCORM item parameters (appended to href by the player), else None.
    visible        SCORM isvisible (default True).
    scaled_passing_score  -1..1 as a float when the package says (SCORM 1.2 masteryscore/100,
                   2004 minNormalizedMeasure of the primary objective when satisfiedByMeasure,
                   AICC mastery_score/100, cmi5 masteryScore), else None.
    data           standard-specific run-time inputs, keys as the standards name them:
                   SCORM 1.2: masteryscore, datafromlms, maxtimeallowed, timelimitaction, prerequisites
                   SCORM 2004: dataFromLMS, completionThreshold {minProgressMeasure, progressWeight,
                   completedByMeasure}, timeLimitAction, sharedDataGlobalToSystem, data (adlcp:data map)
                   AICC: file_name, web_launch, mastery_score, max_time_allowed, time_limit_action,
                   system_vendor, core_vendor, prerequisites, completion
                   cmi5: moveOn, masteryScore, launchMethod, launchParameters, entitlementKey,
                   activityType, url
    sequencing     SCORM 2004: the imsss:sequencing of this item with IDRef already merged from the
                   sequencingCollection, as a dict (see packages/parsers/scorm.py for the shape); else None.
    presentation   SCORM 2004 adlnav:presentation: {"hideLMSUI": [...]}; else None.
    children       child activities in document order.
    """

    id: str
    title: str
    activity_type: str = AGGREGATION
    href: str | None = None
    resource_id: str | None = None
    parameters: str | None = None
    visible: bool = True
    scaled_passing_score: float | None = None
    data: dict[str, Any] = field(default_factory=dict)
    sequencing: dict[str, Any] | None = None
    presentation: dict[str, Any] | None = None
    children: list[Activity] = field(default_factory=list)

    def leaves(self) -> list[Activity]:
        """Launchable activities in tree order."""
        if not self.children:
            return [self] if self.href else []
        out: list[Activity] = []
        for child in self.children:
            out.extend(child.leaves())
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Activity:
        raw = dict(raw)
        raw["children"] = [cls.from_dict(c) for c in raw.get("children", [])]
        return cls(**raw)


@dataclass
class CourseMetadata:
    """MetadataSchema: what the package's metadata says about the course."""

    title: str | None = None
    title_language: str | None = None
    description: str | None = None
    description_language: str | None = None
    duration: str | None = None
    typical_time: str | None = None
    keywords: list[str] = field(default_factory=list)


@dataclass
class ParsedCourse:
    """A parser's result.

    learning_standard  one of the constants above.
    title              course title (manifest/organization title, AICC course_title, cmi5 course
                       title, media file title); never empty.
    root               the activity tree's root (SCORM: the default organization; others: the course).
    warnings           parser warnings, each a sentence a content author understands, naming the
                       file and the element ("imsmanifest.xml: item 'x' references missing resource 'r';
                       it will not launch").
    languages          courseLanguages (e.g. ["en-US"]), from metadata / langstring attributes.
    metadata           CourseMetadata.
    activity_id        the course's IRI/identifier: SCORM manifest identifier, cmi5 course id,
                       xAPI course activity id, AICC course_id.
    extra              standard-specific course-level data: SCORM 2004: {"objectivesGlobalToSystem":
                       bool, "sharedDataGlobalToSystem": bool, "scormType"...}; SCORM: {"manifestBase":
                       "sub/"} when the manifest is one folder down; media: {"mediaType": "video/mp4"}.
    """

    learning_standard: str
    title: str
    root: Activity
    warnings: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    metadata: CourseMetadata = field(default_factory=CourseMetadata)
    activity_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
