"""Run-time data: SCORM commits applied to activity state, rollup to the registration.

ActivityState.runtime keeps the SCO's data model in a NORMALIZED form, the form the player sends
whole with every commit: the element names without the "cmi." prefix, nested by dots; collections
(objectives, interactions, interactions.N.objectives, interactions.N.correct_responses,
comments_from_learner, comments_from_lms) are JSON lists in index order; leaf values are strings
exactly as SetValue received them. SCORM 1.2: {"core": {"lesson_status", "score": {"raw", "min",
"max"}, "lesson_location", "exit", "session_time"}, "suspend_data", "interactions": [...], ...};
SCORM 2004: {"completion_status", "success_status", "score": {"scaled", ...}, "location", "exit",
"session_time", "suspend_data", "interactions": [...], "objectives": [...], ...}.
"""
