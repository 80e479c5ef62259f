"""Run-time data: SCORM commits applied to activity state, rollup to the registration."""
