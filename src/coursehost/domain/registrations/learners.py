"""The learners of an application as the console's People tab lists them. Learners are not stored on
their own (lifecycle.py): a learner is the learner data on their registrations, so a learner's name
and e-mail are those of their most recently updated registration (UpdateLearnerInfo sets them on
every one). Sandbox (preview) registrations are not counted: they are listed apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Registration
from coursehost.domain.errors import NotFound

PAGE_SIZE = 25


@dataclass(frozen=True)
class LearnerSummary:
    """One learner of an application: who, and how many registrations they have."""

    learner_id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    registrations: int
    last_updated: datetime | None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class LearnerPage:
    learners: list[LearnerSummary]
    total: int  # learners matching the search, over every page
    page: int
    pages: int


def _field(name: str):
    # A JSON member as text: JSON_EXTRACT on SQLite, ->> on PostgreSQL (SQLAlchemy's JSON type).
    return Registration.learner[name].as_string()


def _matching(application_pk: int, text: str | None):
    """The application's (non-sandbox) registrations whose learner id, names or e-mail contain TEXT."""
    conditions = [Registration.application_pk == application_pk, Registration.sandbox == false()]
    words = (text or "").strip().lower()
    if words:
        conditions.append(or_(*(func.lower(column).contains(words, autoescape=True) for column in (
            Registration.learner_id, _field("firstName"), _field("lastName"), _field("email"),
            func.coalesce(_field("firstName"), "") + " " + func.coalesce(_field("lastName"), "")))))
    return conditions


def _summaries(session: Session, application_pk: int, counts: list[tuple[str, int, datetime]]) -> list[LearnerSummary]:
    """LearnerSummary of each (learner id, count, last update), names from their newest registration."""
    ids = [row[0] for row in counts]
    newest: dict[str, dict] = {}
    if ids:
        for learner_id, learner in session.execute(
                select(Registration.learner_id, Registration.learner)
                .where(Registration.application_pk == application_pk, Registration.learner_id.in_(ids))
                .order_by(Registration.updated.desc(), Registration.pk.desc())):
            newest.setdefault(learner_id, learner or {})
    return [LearnerSummary(learner_id, newest.get(learner_id, {}).get("firstName"),
                           newest.get(learner_id, {}).get("lastName"), newest.get(learner_id, {}).get("email"),
                           count, updated)
            for learner_id, count, updated in counts]


def search_learners(session: Session, *, application_pk: int, text: str | None = None, page: int = 1,
                    page_size: int = PAGE_SIZE) -> LearnerPage:
    """The application's learners whose id, name or e-mail contains TEXT (any case), most recently
    active first, one page of PAGE_SIZE, with each one's number of registrations."""
    conditions = _matching(application_pk, text)
    total = session.scalar(select(func.count(func.distinct(Registration.learner_id))).where(*conditions)) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    last = func.max(Registration.updated)
    counts = session.execute(
        select(Registration.learner_id, func.count(), last).where(*conditions)
        .group_by(Registration.learner_id).order_by(last.desc(), Registration.learner_id)
        .limit(page_size).offset((page - 1) * page_size)).all()
    return LearnerPage(_summaries(session, application_pk, [tuple(r) for r in counts]), total, page, pages)


def get_learner(session: Session, *, application_pk: int, learner_id: str) -> LearnerSummary:
    """LEARNER_ID of the application (sandbox registrations included), or NotFound."""
    row = session.execute(
        select(func.count(), func.max(Registration.updated))
        .where(Registration.application_pk == application_pk, Registration.learner_id == learner_id)).one()
    if not row[0]:
        raise NotFound(f"Learner [{learner_id}] not found")
    return _summaries(session, application_pk, [(learner_id, row[0], row[1])])[0]
