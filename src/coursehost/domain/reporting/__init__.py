"""Reporting: a registration's results, activity details, run-time data and launch history as typed
shapes (models) built from the database (progress, runtime_detail), and the one function that writes
them in the SCORM Cloud wire form (wire.to_wire), for the API and for postbacks alike."""
