"""Registrations: learners on courses, their instances, progress and launch history."""
