"""Dispatch: destinations, dispatches, the one way a far-side learner gets in (access.py)."""
