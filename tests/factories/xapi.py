"""xAPI statements for tests. Each fresh actor, verb and activity is unique, so a query by any of
them sees only the test's own statements; pass keyword arguments to set or replace any property."""

from __future__ import annotations

import uuid

EXPERIENCED = {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}}


def mbox() -> str:
    """A mailto IRI no other test uses."""
    return f"mailto:{uuid.uuid4().hex}@example.com"


def agent(**extra) -> dict:
    """An Agent identified by a fresh mbox."""
    return {"objectType": "Agent", "mbox": mbox(), **extra}


def statement(**extra) -> dict:
    """A minimal valid statement (no id: the LRS assigns one) with a fresh actor, verb and activity."""
    return {"actor": agent(),
            "verb": {"id": f"http://example.com/verbs/{uuid.uuid4().hex}", "display": {"en-US": "did"}},
            "object": {"objectType": "Activity", "id": f"http://example.com/a/{uuid.uuid4().hex}"}, **extra}


def numbered_statement(n: int, **extra) -> dict:
    """Statement N of a series: its own id, one of seven learners, activity N (for pipes and paging)."""
    return statement(id=str(uuid.uuid4()),
                     actor={"objectType": "Agent", "mbox": f"mailto:learner{n % 7}@example.com"},
                     verb=EXPERIENCED, object={"objectType": "Activity", "id": f"http://example.com/activities/{n}"},
                     **extra)
