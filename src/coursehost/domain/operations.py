"""What an operator's monitoring reads from the database: readiness, jobs per kind and status,
delivery backlogs, LRS statements stored. Each is one cheap indexed query (docs/DEPLOY.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from coursehost.db.models.jobs import FAILED, QUEUED, RUNNING, Job
from coursehost.db.models.lms import LmsResult
from coursehost.db.models.lrs import XapiStatement
from coursehost.domain.lms.configurations import PENDING as LMS_PENDING
from coursehost.domain.postbacks.enqueue import JOB_KIND as POSTBACK_JOB_KIND

#: Job statuses the metrics count (done jobs are history, not load).
WATCHED_STATUSES = (QUEUED, RUNNING, FAILED)


@dataclass(frozen=True)
class QueueFigures:
    jobs: dict[tuple[str, str], int]  # (kind, status) -> count, for the WATCHED_STATUSES
    postback_backlog: int  # postback jobs queued or running
    lms_backlog: int  # results waiting for delivery to an external LMS
    statements_stored: int  # estimate, see statements_stored()


def ping(session: Session) -> None:
    """Run SELECT 1; raises whatever the database raises when it does not answer. On SQLite the file
    must still be there: an open connection keeps answering from a deleted file, whose writes are lost."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        path = bind.url.database
        if path and path != ":memory:" and not path.startswith("file:") and not os.path.exists(path):
            raise FileNotFoundError("the SQLite database file is gone")
    session.execute(text("SELECT 1")).scalar_one()


def statements_stored(session: Session) -> int:
    """LRS statements stored, estimated as the highest statement row id (one primary-key index
    lookup, whatever the table's size): statements removed with their application still count."""
    return int(session.execute(select(func.max(XapiStatement.pk))).scalar() or 0)


def queue_figures(session: Session) -> QueueFigures:
    """The job, backlog and LRS figures /metrics publishes, read now (four indexed queries)."""
    rows = session.execute(
        select(Job.kind, Job.status, func.count()).where(Job.status.in_(WATCHED_STATUSES))
        .group_by(Job.kind, Job.status)
    ).all()
    jobs = {(kind, status): int(count) for kind, status, count in rows}
    postbacks = sum(n for (kind, status), n in jobs.items() if kind == POSTBACK_JOB_KIND and status != FAILED)
    lms = session.execute(select(func.count()).select_from(LmsResult).where(LmsResult.status == LMS_PENDING))
    return QueueFigures(jobs=jobs, postback_backlog=postbacks, lms_backlog=int(lms.scalar() or 0),
                        statements_stored=statements_stored(session))
