"""The cmi5 exchanges of a launch in its debug log (launch history "historyLog"), beside what the
SCORM player records: the launch, the fetch, and each AU statement with its answer."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Launch
from coursehost.domain.runtime.debuglog import append_log


def entry(method: str, *, activity_id: str, args: list[str], result: str, message: str | None = None) -> dict:
    """One debug-log entry of a cmi5 exchange (the shape of the player's "runtime" entries)."""
    out = {"type": "cmi5", "activityId": activity_id, "method": method, "args": [a[:200] for a in args],
           "result": result, "timestamp": datetime.now(UTC).isoformat()}
    if message:
        out["message"] = message[:500]
    return out


def log(session: Session, *, launch_id: str, entries: list[dict]) -> None:
    """Append ENTRIES to launch LAUNCH_ID's debug log (nothing when the launch is gone)."""
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id)).first()
    if launch is not None and entries:
        append_log(session, launch, entries)


def statement_entries(statements: list[dict], *, activity_id: str, result: str, message: str | None = None) -> list[dict]:
    """One entry per statement of a write: its verb and object, and the LRS's answer."""
    return [entry("POST statements", activity_id=activity_id,
                  args=[str((s.get("verb") or {}).get("id")), str((s.get("object") or {}).get("id"))],
                  result=result, message=message) for s in statements if isinstance(s, dict)]
