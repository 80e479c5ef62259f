"""The course library (the console's Library page): an application's courses searched by title and
id, filtered by tag, learning standard and update time, ordered (by registrations too), and paged
with the keyset paging GetCourses uses (domain/paging.py); each course with its counts. GetCourses
and GetCourse read their registrationCount here as well."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, with_expression

from coursehost.db.models.courses import Course, CourseVersion, Tag
from coursehost.db.models.registrations import Registration
from coursehost.domain.courses.catalog import COURSE_LIST, course_list_query
from coursehost.domain.errors import InvalidInput
from coursehost.domain.paging import ListQuery, ListSpec, contains_text, fetch_page
from coursehost.domain.standards import LearningStandard
from coursehost.domain.tags import clean_tags, tags_for

# Registrations counted for a course: sandbox (preview) registrations are not counted, as in usage.
REGISTRATIONS = (
    select(func.count(Registration.pk))
    .where(Registration.course_pk == Course.pk, Registration.sandbox.is_(False))
    .correlate(Course).scalar_subquery().label("registration_count")
)

LIBRARY_LIST = ListSpec(
    order_by={**COURSE_LIST.order_by,
              "registrations_desc": (REGISTRATIONS, True), "registrations_asc": (REGISTRATIONS, False)},
    default_order="updated_desc",
    filter_by=COURSE_LIST.filter_by,
    default_filter_by=COURSE_LIST.default_filter_by,
    datetime_fields=COURSE_LIST.datetime_fields,
    default_datetime="updated",
    tiebreak=Course.pk,
)


@dataclass(frozen=True)
class LibraryQuery:
    """What the library is asked for; every field may be left out."""

    search: str | None = None  # part of the title or of the course id, any case
    tag: str | None = None
    standard: str | None = None  # a LearningStandard value
    updated_since: datetime | None = None
    order: str = LIBRARY_LIST.default_order


@dataclass(frozen=True)
class LibraryCourse:
    course_id: str
    title: str
    learning_standard: str
    versions: int
    registrations: int
    created: datetime
    updated: datetime
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LibraryPage:
    courses: list[LibraryCourse]
    after: list | None  # the keyset of the next page, when there is one
    total: int  # courses matching the query, on every page


def library_page(session: Session, *, application_pk: int, query: LibraryQuery, after: list | None,
                 limit: int) -> LibraryPage:
    """One page of the application's courses matching QUERY, starting after the keyset AFTER."""
    if query.order not in LIBRARY_LIST.order_by:
        raise InvalidInput(f"Invalid order [{query.order}]; allowed: {', '.join(LIBRARY_LIST.order_by)}")
    if query.standard and query.standard not in {s.value for s in LearningStandard}:
        raise InvalidInput(f"Unknown learning standard [{query.standard}]")
    tags = clean_tags([query.tag], "tag") if query.tag else None
    stmt = course_list_query(application_pk, tags)
    if query.search and query.search.strip():
        text = query.search.strip()
        stmt = stmt.where(or_(contains_text(Course.title, text), contains_text(Course.course_id, text)))
    if query.standard:
        stmt = stmt.where(Course.learning_standard == query.standard)
    if query.order.startswith("registrations_"):
        stmt = stmt.options(with_expression(Course.registration_count, REGISTRATIONS))
    listing = ListQuery(since=query.updated_since, datetime_filter="updated", order_by=query.order)
    page = fetch_page(session, stmt, spec=LIBRARY_LIST, query=listing.validated(LIBRARY_LIST),
                      after=check_keyset(after), limit=limit, count_total=True)
    pks = [c.pk for c in page.rows]
    versions, registrations = version_counts(session, pks), registration_counts(session, pks)
    tag_map = tags_for(session, application_pk=application_pk, kind="course", keys=[c.course_id for c in page.rows])
    courses = [LibraryCourse(c.course_id, c.title, c.learning_standard, versions.get(c.pk, 0),
                             registrations.get(c.pk, 0), c.created, c.updated, tag_map[c.course_id])
               for c in page.rows]
    return LibraryPage(courses, page.after, page.total or 0)


def check_keyset(after: object) -> list | None:
    """AFTER as fetch_page takes it ([kind, value, pk]), or InvalidInput (it comes from a link)."""
    if after is None:
        return None
    ok = (isinstance(after, list) and len(after) == 3 and after[0] in ("datetime", "plain")
          and isinstance(after[2], int) and isinstance(after[1], str | int | float))
    if ok and after[0] == "datetime":
        try:
            datetime.fromisoformat(str(after[1]))
        except ValueError:
            ok = False
    if not ok:
        raise InvalidInput("This page link is not valid; start again from the first page")
    return after


def registration_counts(session: Session, course_pks: list[int]) -> dict[int, int]:
    """{course pk: its registrations, sandbox ones not counted} (a course with none is absent)."""
    if not course_pks:
        return {}
    rows = session.execute(
        select(Registration.course_pk, func.count()).where(
            Registration.course_pk.in_(course_pks), Registration.sandbox.is_(False))
        .group_by(Registration.course_pk))
    return {pk: int(n) for pk, n in rows}


def version_counts(session: Session, course_pks: list[int]) -> dict[int, int]:
    """{course pk: how many versions it has}."""
    if not course_pks:
        return {}
    rows = session.execute(
        select(CourseVersion.course_pk, func.count()).where(CourseVersion.course_pk.in_(course_pks))
        .group_by(CourseVersion.course_pk))
    return {pk: int(n) for pk, n in rows}


def tags_in_use(session: Session, *, application_pk: int) -> list[str]:
    """Every tag some course of the application has, sorted."""
    return list(session.scalars(
        select(Tag.tag).where(Tag.application_pk == application_pk, Tag.kind == "course").distinct().order_by(Tag.tag)))


def standards_in_use(session: Session, *, application_pk: int) -> list[str]:
    """The learning standards of the application's courses, sorted."""
    return list(session.scalars(
        select(Course.learning_standard).where(Course.application_pk == application_pk)
        .distinct().order_by(Course.learning_standard)))
