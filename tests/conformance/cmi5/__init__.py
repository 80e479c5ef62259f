"""ADL's CATAPULT LMS Test Suite (cmi5) against Coursehost: `python -m tests.conformance.cmi5`."""
