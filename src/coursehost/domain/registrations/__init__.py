"""Registrations: learners on courses, their instances and the settings they see (their results are
read in domain.reporting, their launches run in domain.runtime)."""
