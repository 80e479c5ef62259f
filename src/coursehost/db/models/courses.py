"""Courses, their versions, import jobs and tags."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from coursehost.db.base import Base, UTCDateTime, utcnow


class Course(Base):
    """A course id of one application; its content lives in versions (0, 1, ...)."""

    __tablename__ = "course"
    __table_args__ = (
        UniqueConstraint("application_pk", "course_id"),
        Index("ix_course_app_created", "application_pk", "created", "pk"),
        Index("ix_course_app_updated", "application_pk", "updated", "pk"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    learning_standard: Mapped[str] = mapped_column(String(40))
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Not a column: filled by queries that order by it (domain/courses/library.py), None otherwise.
    registration_count: Mapped[int | None] = query_expression()

    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course", cascade="all, delete-orphan", passive_deletes=True,
        order_by="CourseVersion.version",
    )


class CourseVersion(Base):
    """One imported package of a course: its activity tree and where its files are."""

    __tablename__ = "course_version"
    __table_args__ = (UniqueConstraint("course_pk", "version"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("course.pk", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    learning_standard: Mapped[str] = mapped_column(String(40))
    activity_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    structure: Mapped[dict] = mapped_column(JSON)  # the root Activity as a dict (model.Activity)
    course_metadata: Mapped[dict] = mapped_column(JSON, default=dict)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    content_prefix: Mapped[str] = mapped_column(String(600))  # blob keys of the files: prefix + path
    # The content generation: bumped whenever a file of the version is written or deleted in place;
    # content URLs carry it, so a URL's bytes never change (player/routes.py, docs/PLAYER.md).
    content_generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # When the generation was last set: a file written later is not yet part of it (an in-place
    # write lands in the store before its transaction commits).
    content_changed: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=utcnow)
    package_key: Mapped[str | None] = mapped_column(String(600), nullable=True)  # the original upload
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    file_count: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="versions")


class ImportJob(Base):
    """An asynchronous import (GetImportJobStatus reads this)."""

    __tablename__ = "import_job"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64), unique=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(255))
    may_create_new_version: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16))  # upload | fetch | reference
    source_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    staged_key: Mapped[str | None] = mapped_column(String(600), nullable=True)
    filename: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    media_metadata: Mapped[dict] = mapped_column(JSON, default=dict)
    postback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="RUNNING")
    message: Mapped[str] = mapped_column(Text, default="")
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    course_version_pk: Mapped[int | None] = mapped_column(
        ForeignKey("course_version.pk", ondelete="SET NULL"), nullable=True
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Tag(Base):
    """A tag on a course, registration, learner or dispatch of one application."""

    __tablename__ = "tag"
    __table_args__ = (
        UniqueConstraint("application_pk", "kind", "object_key", "tag"),
        Index("ix_tag_lookup", "application_pk", "kind", "tag"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    object_key: Mapped[str] = mapped_column(String(255))
    tag: Mapped[str] = mapped_column(String(255))


class CourseFile(Base):
    """One file of a course version's content (GetCourseFileList, assets, the player)."""

    __tablename__ = "course_file"
    __table_args__ = (UniqueConstraint("course_version_pk", "path"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_version_pk: Mapped[int] = mapped_column(ForeignKey("course_version.pk", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1000))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
