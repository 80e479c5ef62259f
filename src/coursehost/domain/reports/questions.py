"""Question analysis of a course from its interaction facts, one interaction's learner responses
(paged, each naming its registration), and objectives met per objective id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select, union_all
from sqlalchemy.orm import Session

from coursehost.db.models.registrations import Registration, RegistrationInstance
from coursehost.db.models.report_facts import ReportInteraction, ReportObjective
from coursehost.domain.reports.filters import ReportFilter
from coursehost.domain.reports.scope import course_pk, registration_conditions

TOP_RESPONSES = 10  # distinct learner responses listed per question; the rest are summed as "other"
MAX_PAGE = 500


@dataclass(frozen=True)
class ResponseCount:
    """How many answers gave one learner response, and whether it was judged correct."""

    response: str | None
    count: int
    correct: bool | None


@dataclass
class QuestionStats:
    """One interaction id of a course: Reportage's question analysis row."""

    interaction_id: str
    description: str | None
    type: str
    answered: int
    correct: int
    incorrect: int
    percent_correct: float | None  # correct / answered x 100, None when never answered
    average_latency_seconds: float | None
    responses: list[ResponseCount] = field(default_factory=list)
    other_responses: int = 0  # answers beyond the TOP_RESPONSES listed


@dataclass(frozen=True)
class LearnerResponse:
    """One learner's answer to one interaction, with what the drill-down to the registration needs."""

    registration_id: str
    learner_id: str
    instance: int
    activity_id: str
    learner_response: str | None
    result: str | None
    correct: bool | None
    latency_seconds: float | None
    day: date


@dataclass
class ResponsePage:
    """A page of learner responses, newest first; pass NEXT_BEFORE back to get the next page."""

    responses: list[LearnerResponse]
    next_before: int | None


@dataclass(frozen=True)
class ObjectiveStats:
    """One objective id of a course: how many learners' activities met it, did not, or left it unknown."""

    objective_id: str
    met: int
    not_met: int
    unknown: int
    average_score: float | None


def _facts_where(flt: ReportFilter, model, course: int) -> list:
    # COURSE was looked up in the filter's application, so its pk alone keeps tenants apart (and the
    # condition stays inside the covering index)
    return [model.course_pk == course, model.day >= flt.start, model.day <= flt.end,
            *registration_conditions(flt, model.registration_pk)]


def _judged(correct: int, incorrect: int) -> bool | None:
    return True if correct else (False if incorrect else None)


def question_analysis(session: Session, flt: ReportFilter, *, course_id: str | None = None) -> list[QuestionStats]:
    """Every interaction id of the course answered in the range, most answered first: times answered,
    % correct, average latency and the distribution of learner responses (one grouped scan of the
    covering index; descriptions and types from each question's newest answer)."""
    f, course = ReportInteraction, course_pk(session, flt, course_id)
    where = _facts_where(flt, f, course)
    rows = session.execute(
        select(f.interaction_id, f.learner_response, func.count(), func.sum(case((f.correct.is_(True), 1), else_=0)),
               func.sum(case((f.correct.is_(False), 1), else_=0)), func.sum(f.latency_seconds),
               func.count(f.latency_seconds))
        .where(*where).group_by(f.interaction_id, f.learner_response)).all()
    stats: dict[str, QuestionStats] = {}
    latency: dict[str, tuple[float, int]] = {}
    for qid, response, count, correct, incorrect, lat_sum, lat_count in rows:
        item = stats.setdefault(qid, QuestionStats(qid, None, "Other", 0, 0, 0, None, None))
        item.answered += count
        item.correct += int(correct or 0)
        item.incorrect += int(incorrect or 0)
        item.responses.append(ResponseCount(response, count, _judged(int(correct or 0), int(incorrect or 0))))
        total, n = latency.get(qid, (0.0, 0))
        latency[qid] = (total + float(lat_sum or 0.0), n + int(lat_count or 0))
    for qid, item in stats.items():
        item.percent_correct = round(100.0 * item.correct / item.answered, 2) if item.answered else None
        total, n = latency[qid]
        item.average_latency_seconds = round(total / n, 3) if n else None
        item.responses.sort(key=lambda r: (-r.count, r.response is None, r.response or ""))
        item.other_responses = sum(r.count for r in item.responses[TOP_RESPONSES:])
        del item.responses[TOP_RESPONSES:]
    for qid, description, kind in _labels(session, course, list(stats)):
        stats[qid].description, stats[qid].type = description, kind
    return sorted(stats.values(), key=lambda s: (-s.answered, s.interaction_id))


def _labels(session: Session, course: int, ids: list[str], batch: int = 100) -> list[tuple[str, str | None, str]]:
    """(interaction id, description, type) of each id's newest answer: one statement per BATCH ids,
    each part a backward step on ix_report_interaction_question."""
    f, out = ReportInteraction, []
    for at in range(0, len(ids), batch):
        parts = [select(f.interaction_id, f.description, f.type).where(f.course_pk == course, f.interaction_id == qid)
                 .order_by(f.pk.desc()).limit(1).subquery() for qid in ids[at:at + batch]]
        out += session.execute(union_all(*(select(*p.c) for p in parts))).all()
    return out


def interaction_responses(session: Session, flt: ReportFilter, *, interaction_id: str, course_id: str | None = None,
                          limit: int = 50, before: int | None = None) -> ResponsePage:
    """The learner responses to one interaction of the course, newest first, LIMIT a page (keyset on
    BEFORE, the NEXT_BEFORE of the previous page: stable while new answers arrive)."""
    f = ReportInteraction
    limit = max(1, min(limit, MAX_PAGE))
    query = (select(f.pk, Registration.registration_id, Registration.learner_id, RegistrationInstance.instance,
                    f.activity_id, f.learner_response, f.result, f.correct, f.latency_seconds, f.day)
             .join(Registration, Registration.pk == f.registration_pk)
             .join(RegistrationInstance, RegistrationInstance.pk == f.instance_pk)
             .where(*_facts_where(flt, f, course_pk(session, flt, course_id)), f.interaction_id == interaction_id)
             .order_by(f.pk.desc()).limit(limit + 1))
    if before is not None:
        query = query.where(f.pk < before)
    rows = session.execute(query).all()
    page = [LearnerResponse(*r[1:]) for r in rows[:limit]]
    return ResponsePage(page, rows[limit - 1][0] if len(rows) > limit else None)


def objectives_met(session: Session, flt: ReportFilter, *, course_id: str | None = None) -> list[ObjectiveStats]:
    """Per objective id of the course: activities (of registrations in range) that met it (success
    PASSED), did not (FAILED), or left it unknown, and the average scaled score (percent)."""
    f = ReportObjective
    rows = session.execute(
        select(f.objective_id, func.sum(case((f.success == "PASSED", 1), else_=0)),
               func.sum(case((f.success == "FAILED", 1), else_=0)), func.count(), func.avg(f.score_scaled))
        .where(*_facts_where(flt, f, course_pk(session, flt, course_id))).group_by(f.objective_id).order_by(f.objective_id)).all()
    return [ObjectiveStats(oid, int(met or 0), int(failed or 0), total - int(met or 0) - int(failed or 0),
                           None if avg is None else round(float(avg), 2))
            for oid, met, failed, total, avg in rows]
