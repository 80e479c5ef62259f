"""A launch's debug log (launch history "historyLog"): appended in chunks, one per commit, so a
commit costs the same whether the log holds ten entries or five thousand; capped at
MAX_LOG_ENTRIES (the newest kept, behind one note counting what was dropped)."""

from __future__ import annotations

import json

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Launch, LaunchLog
from coursehost.domain.errors import InvalidInput

MAX_LOG_ENTRIES = 5000
MAX_LOG_ENTRY_CHARS = 8000
TRUNCATED_EVENT = "log-truncated"


def checked_log(log: list[dict] | None) -> list[dict]:
    """LOG's entries, each a JSON object of bounded size (an oversized one is replaced by a note)."""
    if log is None:
        return []
    if not isinstance(log, list):
        raise InvalidInput("log must be a list of objects")
    out = []
    for entry in log:
        if not isinstance(entry, dict):
            raise InvalidInput("log must be a list of objects")
        try:
            size = len(json.dumps(entry))
        except (TypeError, ValueError):
            raise InvalidInput("log entries must be JSON objects") from None
        out.append(entry if size <= MAX_LOG_ENTRY_CHARS else
                   {"event": "log-entry-too-large", "chars": size, "type": str(entry.get("event") or entry.get("type"))[:80]})
    return out


def append_log(session: Session, launch: Launch, entries: list[dict]) -> None:
    """Append ENTRIES to LAUNCH's debug log (one new chunk), dropping the oldest past the cap."""
    if not entries:
        return
    if launch.pk is not None and not any(isinstance(obj, LaunchLog) for obj in session.new):
        # One Core INSERT now (no ORM object to flush); chunks keep their order (none is pending).
        session.execute(_INSERT_CHUNK, {"launch_pk": launch.pk, "entries": list(entries), "count": len(entries)})
    else:
        session.add(LaunchLog(launch_pk=launch.pk, entries=list(entries), count=len(entries)))
    launch.log_count = (launch.log_count or 0) + len(entries)
    excess = launch.log_count - (MAX_LOG_ENTRIES - 1)  # (one place is the note)
    if excess > 0:
        _drop_oldest(session, launch, excess)


_INSERT_CHUNK = insert(LaunchLog.__table__)


def _drop_oldest(session: Session, launch: Launch, excess: int) -> None:
    session.flush()
    chunks = session.execute(select(LaunchLog.pk, LaunchLog.count).where(LaunchLog.launch_pk == launch.pk)
                             .order_by(LaunchLog.pk)).all()
    whole, dropped = [], 0
    for pk, count in chunks:
        if dropped >= excess:
            break
        if dropped + count <= excess:
            whole.append(pk)
            dropped += count
        else:  # the oldest kept chunk loses its first entries (rare: only when the cap is passed)
            chunk = session.get(LaunchLog, pk)
            cut = excess - dropped
            chunk.entries, chunk.count = list(chunk.entries)[cut:], count - cut
            dropped = excess
    if whole:
        session.execute(delete(LaunchLog).where(LaunchLog.pk.in_(whole)))
    launch.log_count -= dropped
    launch.log_dropped = (launch.log_dropped or 0) + dropped


def read_log(session: Session, launch: Launch) -> list[dict]:
    """LAUNCH's whole debug log, oldest first (with the truncation note first when entries were dropped)."""
    entries = list(launch.history_log or [])  # recorded before the chunks existed
    for chunk in session.scalars(select(LaunchLog.entries).where(LaunchLog.launch_pk == launch.pk)
                                 .order_by(LaunchLog.pk)):
        entries.extend(chunk or [])
    if launch.log_dropped:
        entries.insert(0, {"event": TRUNCATED_EVENT, "dropped": launch.log_dropped,
                           "message": f"{launch.log_dropped} older log entries were dropped"})
    return entries
