"""Courses after import: lookup, listing, titles, versions, deletion, settings chains."""

from __future__ import annotations

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.courses import Course, CourseVersion, ImportJob
from coursehost.domain.courses.model import Activity
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.domain.outbox import enqueue
from coursehost.domain.paging import both_ways, dated_list
from coursehost.domain.settings_registry import (
    SettingScope,
    application_scope,
    delete_all_settings,
    learning_standard_scope,
)
from coursehost.domain.tags import clear_tags, keys_with_any_tag

DELETE_BLOBS_JOB = "blobs.delete"
MAX_ID = 255

COURSE_LIST = dated_list(
    Course, orders=both_ways("title", Course.title),
    filter_by={"course_id": Course.course_id, "title": Course.title}, default_filter_by="title",
)


def check_course_id(course_id: str | None, field: str = "courseId") -> str:
    """A caller-chosen id: 1..255 characters, no control characters."""
    if course_id is None or not str(course_id).strip():
        raise InvalidInput(f"{field} is required")
    if len(course_id) > MAX_ID:
        raise InvalidInput(f"{field} is longer than {MAX_ID} characters")
    if any(ord(c) < 0x20 for c in course_id):
        raise InvalidInput(f"{field} must not contain control characters")
    return course_id


def get_course(session: Session, *, application_pk: int, course_id: str) -> Course:
    course = session.scalars(
        select(Course).where(Course.application_pk == application_pk, Course.course_id == course_id)
    ).first()
    if course is None:
        raise NotFound(f"Course [{course_id}] not found")
    return course


def get_version(session: Session, *, course: Course, version: int | None = None) -> CourseVersion:
    """VERSION of COURSE, or its latest when None."""
    number = course.latest_version if version is None else version
    found = session.scalars(
        select(CourseVersion).where(CourseVersion.course_pk == course.pk, CourseVersion.version == number)
    ).first()
    if found is None:
        raise NotFound(f"Version [{number}] of course [{course.course_id}] not found")
    return found


def list_versions(session: Session, *, course: Course, since=None, until=None) -> list[CourseVersion]:
    stmt = select(CourseVersion).where(CourseVersion.course_pk == course.pk)
    if since is not None:
        stmt = stmt.where(CourseVersion.updated >= since)
    if until is not None:
        stmt = stmt.where(CourseVersion.updated <= until)
    return list(session.scalars(stmt.order_by(CourseVersion.version)))


def course_list_query(application_pk: int, tags: list[str] | None) -> Select:
    stmt = select(Course).where(Course.application_pk == application_pk)
    if tags:
        stmt = stmt.where(Course.course_id.in_(keys_with_any_tag(application_pk, "course", tags)))
    return stmt


def latest_versions(session: Session, courses: list[Course]) -> dict[int, CourseVersion]:
    """{course pk: its latest version} in one query."""
    if not courses:
        return {}
    wanted = {(c.pk, c.latest_version) for c in courses}
    rows = session.scalars(select(CourseVersion).where(CourseVersion.course_pk.in_([c.pk for c in courses])))
    return {v.course_pk: v for v in rows if (v.course_pk, v.version) in wanted}


def set_title(session: Session, *, course: Course, title: str | None) -> None:
    """SetCourseTitle: the course and its latest version get the new title."""
    if title is None or not str(title).strip():
        raise InvalidInput("title is required")
    if len(title) > 2000:
        raise InvalidInput("title is longer than 2000 characters")
    version = get_version(session, course=course)
    course.title = version.title = title
    course.updated = version.updated = utcnow()
    session.flush()


def delete_course(session: Session, *, course: Course) -> None:
    """The course, its versions, tags and settings now; its files by a job after commit."""
    for version in course.versions:
        _enqueue_blob_delete(session, version)
    clear_tags(session, application_pk=course.application_pk, kind="course", key=course.course_id)
    delete_all_settings(session, application_pk=course.application_pk, scope=course_scope(course.course_id),
                        with_sub_keys=True)
    session.execute(delete(ImportJob).where(
        ImportJob.application_pk == course.application_pk, ImportJob.course_id == course.course_id,
        ImportJob.status != "RUNNING",
    ))
    session.delete(course)
    session.flush()


def delete_version(session: Session, *, course: Course, version: CourseVersion) -> None:
    """One version; deleting the only one deletes the course (as SCORM Cloud does)."""
    if len(course.versions) <= 1:
        delete_course(session, course=course)
        return
    _enqueue_blob_delete(session, version)
    delete_all_settings(session, application_pk=course.application_pk,
                        scope=version_scope(course.course_id, version.version))
    session.delete(version)
    session.flush()
    remaining = [v for v in course.versions if v.pk != version.pk]
    if version.version == course.latest_version:
        latest = max(remaining, key=lambda v: v.version)
        course.latest_version, course.title = latest.version, latest.title
        course.learning_standard = latest.learning_standard
    course.updated = utcnow()
    session.flush()


def _enqueue_blob_delete(session: Session, version: CourseVersion) -> None:
    enqueue(session, kind=DELETE_BLOBS_JOB, payload={
        "prefix": version.content_prefix, "keys": [version.package_key] if version.package_key else [],
    })


def delete_blobs(*, store, payload: dict) -> dict:
    """Job: remove a deleted version's files and original package."""
    removed = store.delete_prefix(payload["prefix"]) if payload.get("prefix") else 0
    for key in payload.get("keys", []):
        store.delete(key)
    return {"removed": removed}


def course_scope(course_id: str) -> SettingScope:
    return SettingScope("course", course_id)


def version_scope(course_id: str, version: int) -> SettingScope:
    return SettingScope("course", f"{course_id}|{version}")


def is_single_sco(version: CourseVersion) -> bool:
    return len(Activity.from_dict(version.structure).leaves()) <= 1


def course_chain(course: Course, version: CourseVersion, *, versioned: bool) -> list[SettingScope]:
    """Most specific first: [version,] course, learning standard for the application, application."""
    chain = [course_scope(course.course_id),
             learning_standard_scope(version.learning_standard, is_single_sco(version)),
             application_scope()]
    return ([version_scope(course.course_id, version.version)] if versioned else []) + chain


def storage_used(session: Session, app_pks: list[int]) -> dict[int, int]:
    """Bytes of course content per application."""
    rows = session.execute(
        select(Course.application_pk, func.coalesce(func.sum(CourseVersion.size_bytes), 0))
        .join(CourseVersion, CourseVersion.course_pk == Course.pk)
        .where(Course.application_pk.in_(app_pks)).group_by(Course.application_pk)
    )
    return {pk: int(n) for pk, n in rows}


def course_counts(session: Session, app_pks: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(Course.application_pk, func.count()).where(Course.application_pk.in_(app_pks))
        .group_by(Course.application_pk)
    )
    return {pk: int(n) for pk, n in rows}
