"""The LRS's canonical activity definitions, kept from the statements it stores (xAPI 1.0.3 Data
§2.4.4.1: "the LRS MAY update its canonical definition"): new ids are inserted, language maps
merged, other definition properties replaced by the latest statement's."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coursehost.db.models.lrs import XapiActivity
from coursehost.domain.lrs.statement_terms import activities_in

LANGUAGE_MAPS = ("name", "description")
CHUNK = 500


def merge_definition(old: dict, new: dict) -> dict:
    """OLD updated with NEW: language maps merged per language, everything else replaced."""
    out = dict(old)
    for key, value in new.items():
        if key in LANGUAGE_MAPS and isinstance(old.get(key), dict) and isinstance(value, dict):
            out[key] = {**old[key], **value}
        else:
            out[key] = value
    return out


def update_activities(session: Session, *, app_pk: int, statements: list[dict], now: datetime) -> None:
    """Insert unknown activity ids and merge the definitions the statements carry."""
    latest: dict[str, dict] = {}
    for stmt in statements:
        for activity in activities_in(stmt):
            merged = merge_definition(latest.get(activity["id"], {}), activity.get("definition") or {})
            latest[activity["id"]] = merged
    if not latest:
        return
    # Rows are inserted and updated in sorted id order: concurrent batches that share activities
    # then take their row and unique-index locks in the same order and cannot deadlock (PostgreSQL).
    ids = sorted(latest)
    known: dict[str, tuple[int, dict]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(select(XapiActivity.pk, XapiActivity.activity_id, XapiActivity.definition).where(
            XapiActivity.application_pk == app_pk, XapiActivity.activity_id.in_(ids[start:start + CHUNK])))
        known.update({aid: (pk, json.loads(d or "{}")) for pk, aid, d in rows})
    fresh = [{"application_pk": app_pk, "activity_id": aid, "definition": _dump(latest[aid]), "updated": now}
             for aid in ids if aid not in known]
    if fresh:
        _insert_ignoring_duplicates(session, fresh)
    for aid in ids:
        definition = latest[aid]
        if aid in known and definition:
            pk, old = known[aid]
            merged = merge_definition(old, definition)
            if merged != old:
                session.execute(update(XapiActivity).where(XapiActivity.pk == pk)
                                .values(definition=_dump(merged), updated=now))


def _dump(definition: dict) -> str:
    return json.dumps(definition, ensure_ascii=False, separators=(",", ":"))


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: a concurrent writer may add the same activity."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(XapiActivity).on_conflict_do_nothing(), rows[start:start + CHUNK])


def get_activity(session: Session, *, app_pk: int, activity_id: str) -> dict:
    """The Activity object for ACTIVITY_ID with its canonical definition (1.0.3 Communication §2.5)."""
    # IEEE 9274.1.1 4.1.6.4: an id never seen still gets an Activity with just the id.
    stored = session.execute(
        select(XapiActivity.definition).where(XapiActivity.application_pk == app_pk,
                                              XapiActivity.activity_id == activity_id)
    ).scalar_one_or_none()
    activity: dict = {"objectType": "Activity", "id": activity_id}
    try:
        definition = json.loads(stored) if stored else None
    except ValueError:
        definition = None
    if isinstance(definition, dict) and definition:
        activity["definition"] = definition
    return activity
