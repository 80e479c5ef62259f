"""The activities resource's answer: the LRS's canonical Activity object (xAPI 1.0.3
Communication §2.5; IEEE 9274.1.1 4.1.6.4)."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.lrs import XapiActivity


def get_activity(session: Session, *, app_pk: int, activity_id: str) -> dict:
    """The Activity object for ACTIVITY_ID with the definition the statements left (9274.1.1
    4.1.6.4: with no canonical definition the LRS still returns an Activity with just the id)."""
    definition = session.execute(
        select(XapiActivity.definition).where(XapiActivity.application_pk == app_pk,
                                              XapiActivity.activity_id == activity_id)
    ).scalar_one_or_none()
    activity: dict = {"objectType": "Activity", "id": activity_id}
    try:
        parsed = json.loads(definition) if definition else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed:
        activity["definition"] = parsed
    return activity
