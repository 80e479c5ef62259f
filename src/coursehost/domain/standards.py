"""Learning standards as the official API names them (CourseSchema.courseLearningStandard), and the
run-time family each speaks. The one place that says which standard talks to which run-time."""

from __future__ import annotations

from enum import StrEnum


class RuntimeFamily(StrEnum):
    """The CMI data model a SCO (or AICC AU) writes: SCORM 1.2's (shared by SCORM 1.1 and AICC's CMI
    model, AICC CMI001 §2) or SCORM 2004's."""

    SCORM12 = "1.2"
    SCORM2004 = "2004"


class Delivery(StrEnum):
    """How the player hands a standard's content its run-time: a JavaScript API found by walking
    parents (SCORM RTE 3.3), AICC's HACP over HTTP (CMI001), or launch parameters naming our LRS
    (the Tin Can launch convention and cmi5 section 8)."""

    RUNTIME_API = "runtime-api"
    HACP = "hacp"
    LRS = "lrs"
    LTI = "lti"  # an LTI 1.3 tool launched with Coursehost as the platform (domain/lti/platform.py)


class LearningStandard(StrEnum):
    SCORM11 = "SCORM11"
    SCORM12 = "SCORM12"
    SCORM20042NDEDITION = "SCORM20042NDEDITION"
    SCORM20043RDEDITION = "SCORM20043RDEDITION"
    SCORM20044THEDITION = "SCORM20044THEDITION"
    AICC = "AICC"
    XAPI = "XAPI"
    CMI5 = "CMI5"
    LTI13 = "LTI13"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: str | None) -> LearningStandard:
        """The standard named by VALUE in any case; UNKNOWN for None or a name we do not know."""
        try:
            return cls((value or "").strip().upper())
        except ValueError:
            return cls.UNKNOWN

    @property
    def family(self) -> RuntimeFamily | None:
        """The run-time data model this standard's content writes; None for standards without one."""
        return _FAMILIES.get(self)

    @property
    def delivery(self) -> Delivery | None:
        """How the player delivers this standard's content; None where it plays none (UNKNOWN is
        never imported; an LTI13 course's launch hands over to its connector's tool)."""
        return _DELIVERIES.get(self)

    @property
    def uses_runtime_api(self) -> bool:
        """True where content finds a JavaScript run-time API (window.API / API_1484_11) by walking
        parents (SCORM RTE 3.3); AICC content talks HACP instead, though its data model is 1.2's."""
        return self.delivery is Delivery.RUNTIME_API

    @property
    def is_scorm2004(self) -> bool:
        return self.family is RuntimeFamily.SCORM2004


_FAMILIES = {
    LearningStandard.SCORM11: RuntimeFamily.SCORM12,
    LearningStandard.SCORM12: RuntimeFamily.SCORM12,
    LearningStandard.AICC: RuntimeFamily.SCORM12,
    LearningStandard.SCORM20042NDEDITION: RuntimeFamily.SCORM2004,
    LearningStandard.SCORM20043RDEDITION: RuntimeFamily.SCORM2004,
    LearningStandard.SCORM20044THEDITION: RuntimeFamily.SCORM2004,
}

# The player's one map: what each standard is played with.
_DELIVERIES = {
    **{standard: Delivery.RUNTIME_API for standard in _FAMILIES if standard is not LearningStandard.AICC},
    LearningStandard.AICC: Delivery.HACP,
    LearningStandard.XAPI: Delivery.LRS,
    LearningStandard.CMI5: Delivery.LRS,
    LearningStandard.LTI13: Delivery.LTI,
}

LEARNING_STANDARDS: tuple[str, ...] = tuple(s.value for s in LearningStandard)


def family(learning_standard: str | None) -> RuntimeFamily | None:
    """The run-time family of a standard given by name (any case); None for those without one."""
    return LearningStandard.parse(learning_standard).family
