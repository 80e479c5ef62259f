"""Learning standards as the official API names them (CourseSchema.courseLearningStandard)."""

LEARNING_STANDARDS = (
    "SCORM11", "SCORM12", "SCORM20042NDEDITION", "SCORM20043RDEDITION", "SCORM20044THEDITION",
    "AICC", "XAPI", "CMI5", "LTI13", "UNKNOWN",
)
