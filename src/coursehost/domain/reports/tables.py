"""Every report table as an export.Table, built from the report queries: the console page shows the
rows of the very Table its CSV and XLSX links stream, so a download always equals what was on screen.

`build(session, name, flt, **ids)` is the one entry point (the console's table and export routes);
`TABLES` says which ids each table needs (a course, a question). Numbers are kept as the queries give
them, rounded to two decimals for display; rates and scores are percentages 0..100."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import Course
from coursehost.db.models.reports import ReportDay, ReportRegistration
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.reports import queries, questions, xapi_stats
from coursehost.domain.reports.export import Cell, Table
from coursehost.domain.reports.filters import ReportFilter

RESPONSES_PAGE = 50


@dataclass(frozen=True)
class CourseInfo:
    course_id: str
    title: str
    learning_standard: str

    @property
    def is_xapi(self) -> bool:
        """xAPI and cmi5 courses talk to the LRS: their reports show statements per verb and activity."""
        return self.learning_standard.upper() in ("XAPI", "CMI5")


def course_info(session: Session, flt: ReportFilter, course_id: str) -> CourseInfo:
    """The course COURSE_ID of the filter's application; NotFound for another application's or none."""
    row = session.execute(select(Course.course_id, Course.title, Course.learning_standard).where(
        Course.application_pk == flt.application_pk, Course.course_id == course_id)).first()
    if row is None:
        raise NotFound(f"Course [{course_id}] not found")
    return CourseInfo(*row)


def learner_known(session: Session, flt: ReportFilter) -> bool:
    """Whether the filter's learner has any (non-sandbox) registration in its application, whatever the range."""
    r = ReportRegistration
    return session.scalar(select(r.registration_pk).where(r.application_pk == flt.application_pk,
                                                         r.learner_id == flt.learner_id).limit(1)) is not None


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100.0 * value, 2)


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _summary_of(o: queries.Overview) -> Table:
    rows = [("Registered", o.registered), ("Started", o.started), ("Completed", o.completed), ("Passed", o.passed),
            ("Failed", o.failed), ("Completion rate (%)", _pct(o.completion_rate)), ("Pass rate (%)", _pct(o.pass_rate)),
            ("Average score (%)", _r(o.average_score)), ("Total time (seconds)", _r(o.total_seconds)),
            ("Median time (seconds)", _r(o.median_seconds))]
    return Table("summary", ("Measure", "Value"), rows)


def _days_of(o: queries.Overview) -> Table:
    return Table("days", ("Day", "Registered", "Started", "Completed", "Passed", "Failed", "Active learners"),
                 [(d.day.isoformat(), d.registered, d.started, d.completed, d.passed, d.failed, d.active_learners)
                  for d in o.days])


def _summary(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return _summary_of(queries.overview(session, flt))


def _days(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return _days_of(queries.overview(session, flt))


def overview_tables(session: Session, flt: ReportFilter) -> tuple[Table, Table]:
    """The summary and days tables from one run of the overview query (the overview page shows both)."""
    o = queries.overview(session, flt)
    return _summary_of(o), _days_of(o)


def course_rows(session: Session, flt: ReportFilter) -> list[tuple[str, str, int, int, int, int]]:
    """(course id, title, registered, completed, passed, failed) per course with registrations in
    the range, most registrations first: the overview's way down to each course. The daily
    aggregates answer for a realm; the slim rows when a learner, invitation or destination narrows."""
    if flt.learner_id is None and flt.invitation_id is None and flt.destination_id is None:
        d = ReportDay
        q = (select(d.course_id, func.sum(d.registered), func.sum(d.completed), func.sum(d.passed), func.sum(d.failed))
             .where(d.application_pk == flt.application_pk, d.day >= flt.start, d.day <= flt.end,
                    *([d.course_id == flt.course_id] if flt.course_id else []))
             .group_by(d.course_id))
    else:
        r = ReportRegistration
        q = (select(r.course_id, func.count(), queries.count_if(r.completion == "COMPLETED"),
                    queries.count_if(r.success == "PASSED"), queries.count_if(r.success == "FAILED"))
             .where(*queries.slim_row_where(flt)).group_by(r.course_id))
    counts = [(cid, int(n or 0), int(c or 0), int(p or 0), int(f or 0)) for cid, n, c, p, f in session.execute(q)]
    counts = [row for row in counts if row[1]]
    titles = dict(session.execute(select(Course.course_id, Course.title).where(
        Course.application_pk == flt.application_pk, Course.course_id.in_([c[0] for c in counts]))).all()) if counts else {}
    rows = [(cid, titles.get(cid, cid), n, c, p, f) for cid, n, c, p, f in counts]
    return sorted(rows, key=lambda row: (-row[2], row[0]))


def _courses(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return Table("courses", ("Course ID", "Course title", "Registered", "Completed", "Passed", "Failed"),
                 course_rows(session, flt))


def _funnel(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    f = queries.funnel(session, flt)
    return Table("funnel", ("Stage", "Registrations"),
                 [("Registered", f.registered), ("Launched", f.launched), ("Completed", f.completed),
                  ("Passed", f.passed)])


def _bucket_label(low: float, high: float | None, unit: str) -> str:
    return f"{low:g}{unit} or more" if high is None else f"{low:g} to {high:g}{unit}"


def _scores(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return Table("scores", ("Score (%)", "Registrations"),
                 [(_bucket_label(b.low, b.high, ""), b.count) for b in queries.score_histogram(session, flt)])


def _times(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return Table("times", ("Time spent (seconds)", "Registrations"),
                 [(_bucket_label(b.low, b.high, " s"), b.count) for b in queries.time_histogram(session, flt)])


def _activities(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return Table("activities", ("Activity ID", "Registrations", "Completed", "Passed", "Failed", "Average score (%)"),
                 [(a.activity_id, a.registrations, a.completed, a.passed, a.failed,
                   _r(a.average_score)) for a in queries.activity_completion(session, flt)])


def _questions(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return Table("questions", ("Interaction ID", "Description", "Type", "Answered", "Correct", "% correct",
                               "Average latency (seconds)"),
                 [(q.interaction_id, q.description or "", q.type, q.answered, q.correct, q.percent_correct,
                   q.average_latency_seconds) for q in questions.question_analysis(session, flt)])


def question(session: Session, flt: ReportFilter, interaction_id: str) -> questions.QuestionStats:
    """One question's row of the course's analysis; NotFound when nobody answered it in the range."""
    found = [q for q in questions.question_analysis(session, flt) if q.interaction_id == interaction_id]
    if not found:
        raise NotFound(f"Interaction [{interaction_id}] has no answer in this range")
    return found[0]


def _distribution(session: Session, flt: ReportFilter, *, interaction: str | None = None, **_: str | None) -> Table:
    q = question(session, flt, interaction or "")
    judged = {True: "correct", False: "incorrect", None: "not judged"}
    rows: list[Sequence[Cell]] = [(r.response if r.response is not None else "(no response)", r.count,
                                   judged[r.correct]) for r in q.responses]
    if q.other_responses:
        rows.append(("(other responses)", q.other_responses, ""))
    return Table("responses", ("Learner response", "Answers", "Judged"), rows)


def response_page(session: Session, flt: ReportFilter, interaction: str, before: int | None) -> questions.ResponsePage:
    return questions.interaction_responses(session, flt, interaction_id=interaction, limit=RESPONSES_PAGE,
                                           before=before)


def _answers(session: Session, flt: ReportFilter, *, interaction: str | None = None, before: str | None = None,
             **_: str | None) -> Table:
    page = response_page(session, flt, interaction or "", int(before) if before else None)
    return Table("learner-responses", ("Registration ID", "Learner ID", "Instance", "Activity ID", "Learner response",
                                       "Result", "Day"),
                 [(r.registration_id, r.learner_id, r.instance, r.activity_id, r.learner_response or "",
                   r.result or "", r.day.isoformat()) for r in page.responses])


def _objectives(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return Table("objectives", ("Objective ID", "Met", "Not met", "Unknown", "Average score (%)"),
                 [(o.objective_id, o.met, o.not_met, o.unknown, _r(o.average_score))
                  for o in questions.objectives_met(session, flt)])


def _verbs(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return Table("verbs", ("Day", "Verb", "Statements"),
                 [(v.day.isoformat(), v.verb_id, v.statements) for v in xapi_stats.statements_per_verb(session, flt)])


def _xapi_activities(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return Table("xapi-activities", ("Activity", "Statements", "Actors"),
                 [(a.activity_id, a.statements, a.actors) for a in xapi_stats.statements_per_activity(session, flt)])


def _xapi_activity_days(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return Table("xapi-activity-days", ("Day", "Activity", "Statements"),
                 [(a.day.isoformat(), a.activity_id, a.statements)
                  for a in xapi_stats.statements_per_activity_per_day(session, flt)])


def _learner_registrations(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return Table("learner-registrations", ("Registration ID", "Course ID", "Registered", "First launch", "Completed",
                                           "Completion", "Success", "Score (%)", "Time (seconds)"),
                 [(r.registration_id, r.course_id, r.registered.isoformat(),
                   r.first_launch.isoformat() if r.first_launch else "", r.completed.isoformat() if r.completed else "",
                   r.completion, r.success, _r(r.score), _r(r.seconds))
                  for r in queries.learner_registrations(session, flt)])


def _launches(session: Session, flt: ReportFilter, **_: str | None) -> Table:
    return Table("launches", ("Launched (UTC)", "Exited (UTC)", "Registration ID", "Course ID", "Instance",
                              "Completion", "Success", "Score (%)", "Time (seconds)"),
                 [(r.launch_time, r.exit_time, r.registration_id, r.course_id, r.instance, r.completion, r.success,
                   _r(r.score), _r(r.seconds)) for r in queries.launch_timeline(session, flt)])


Builder = Callable[..., Table]
# name -> (builder, what the filter must name: "course", "learner", or "" for nothing, and whether a question)
TABLES: dict[str, tuple[Builder, str, bool]] = {
    "summary": (_summary, "", False), "days": (_days, "", False), "courses": (_courses, "", False),
    "funnel": (_funnel, "course", False), "scores": (_scores, "course", False), "times": (_times, "course", False),
    "activities": (_activities, "course", False), "questions": (_questions, "course", False),
    "objectives": (_objectives, "course", False), "verbs": (_verbs, "course", False),
    "xapi-activities": (_xapi_activities, "course", False), "xapi-activity-days": (_xapi_activity_days, "course", False),
    "responses": (_distribution, "course", True), "learner-responses": (_answers, "course", True),
    "learner-registrations": (_learner_registrations, "learner", False), "launches": (_launches, "learner", False),
}


def build(session: Session, name: str, flt: ReportFilter, *, interaction: str | None = None,
          before: str | None = None) -> Table:
    """The table NAME for FLT, its rows read now (a report table is at most a page of rows or one
    row per day, course, question or bucket); NotFound for an unknown name, InvalidInput when the
    filter lacks the course, learner or question the table is about."""
    if name not in TABLES:
        raise NotFound(f"Report table [{name}] not found")
    builder, needs, per_question = TABLES[name]
    if needs == "course" and flt.course_id is None:
        raise InvalidInput("course is required for this table")
    if needs == "learner" and flt.learner_id is None:
        raise InvalidInput("learner is required for this table")
    if per_question and not interaction:
        raise InvalidInput("interaction is required for this table")
    if before is not None and not before.isdigit():
        raise InvalidInput("before must be a whole number (the next page's marker)")
    table = builder(session, flt, interaction=interaction, before=before)
    return Table(table.name, tuple(table.header), [tuple(row) for row in table.rows])
