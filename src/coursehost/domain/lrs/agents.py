"""The agents resource's answer: a Person object combining what the LRS knows of an Agent (xAPI
1.0.3 Communication §2.4; IEEE 9274.1.1 4.1.6.3)."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.lrs import XapiStatement
from coursehost.domain.lrs.validation import agent_key

IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
#: How many recent statements by the agent are read for the names it went by.
NAME_SCAN_LIMIT = 50


def _names_seen(session: Session, app_pk: int, key: str) -> list[str]:
    bodies = session.execute(
        select(XapiStatement.body).where(XapiStatement.application_pk == app_pk, XapiStatement.actor_key == key)
        .order_by(XapiStatement.pk.desc()).limit(NAME_SCAN_LIMIT)
    ).scalars()
    names = []
    for body in bodies:
        try:
            name = json.loads(body).get("actor", {}).get("name")
        except (ValueError, AttributeError):
            continue
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names


def get_person(session: Session, *, app_pk: int, agent: dict) -> dict:
    """The Person for a valid AGENT: its identifier, its name and the names its statements gave it."""
    # §2.4 "Person Object": every property an array; an agent never seen still gets a Person.
    person: dict = {"objectType": "Person"}
    names = [agent["name"]] if isinstance(agent.get("name"), str) else []
    key = agent_key(agent)
    if key is not None:
        names += [n for n in _names_seen(session, app_pk, key) if n not in names]
    if names:
        person["name"] = names
    for ifi in IFIS:
        if ifi in agent:
            person[ifi] = [agent[ifi]]
    return person
