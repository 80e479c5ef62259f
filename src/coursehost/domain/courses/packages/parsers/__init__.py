"""Parsers for each learning standard: SCORM (scorm.py), AICC, cmi5, xAPI."""
