"""cmi5 (Quartz) launches: launch data, the one-time fetch of the AU's auth token, the LMS's own
statements, the statement rules an AU must follow, and results into the registration."""
