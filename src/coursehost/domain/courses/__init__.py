"""Courses: import of learning packages, versions, tags, files and assets."""
