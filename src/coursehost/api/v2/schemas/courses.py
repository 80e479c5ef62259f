"""Wire models of the CourseApi."""

from __future__ import annotations

from urllib.parse import quote

from pydantic import Field

from coursehost.api.v2.schemas.common import Wire, WireIn
from coursehost.domain.values import iso


class MediaFileMetadata(WireIn):
    title: str | None = Field(None, max_length=2000)
    description: str | None = Field(None, max_length=20000)
    content_language: str | None = Field(None, alias="contentLanguage", max_length=50)
    estimated_duration: int | None = Field(None, alias="estimatedDuration")


class ImportFetchRequest(WireIn):
    url: str = Field(max_length=4000)
    content_type: str | None = Field(None, alias="contentType", max_length=200)
    media_file_metadata: MediaFileMetadata | None = Field(None, alias="mediaFileMetadata")


class TitleBody(WireIn):
    title: str = Field(max_length=2000)


class TagsBody(WireIn):
    tags: list[str]


class BatchTagsBody(WireIn):
    ids: list[str]
    tags: list[str]


class ImportAssetRequest(WireIn):
    fetch_url: str = Field(alias="fetchUrl", max_length=4000)
    destination: str = Field(max_length=1000)


# ------------------------------------------------------------------------------- responses


class CourseActivitySchema(Wire):
    external_identifier: str
    item_identifier: str
    activity_type: str
    title: str
    children: list[CourseActivitySchema]
    resource_identifier: str | None = None
    href: str | None = None
    scaled_passing_score: str | None = None

    @classmethod
    def of(cls, node: dict) -> CourseActivitySchema:
        """A stored activity (model.Activity as a dict) and its children."""
        passing = node.get("scaled_passing_score")
        return cls(external_identifier=node["id"], item_identifier=node["id"],
                   activity_type=node.get("activity_type") or "UNKNOWN", title=node.get("title") or node["id"],
                   children=[cls.of(c) for c in node.get("children", [])],
                   resource_identifier=node.get("resource_id") or None, href=node.get("href") or None,
                   scaled_passing_score=None if passing is None else str(passing))


class MetadataSchema(Wire):
    title: str | None = None
    title_language: str | None = None
    description: str | None = None
    description_language: str | None = None
    duration: str | None = None
    typical_time: str | None = None
    keywords: list[str]

    @classmethod
    def of(cls, meta: dict) -> MetadataSchema:
        """The course metadata stored at import (snake_case keys)."""
        return cls(title=meta.get("title"), title_language=meta.get("title_language"),
                   description=meta.get("description"), description_language=meta.get("description_language"),
                   duration=meta.get("duration"), typical_time=meta.get("typical_time"),
                   keywords=list(meta.get("keywords") or []))


def _xapi_activity_id(course, version) -> str:
    if version.activity_id and ":" in version.activity_id:
        return version.activity_id
    return "urn:coursehost:course:" + quote(course.course_id, safe="")


class CourseSchema(Wire):
    id: str
    title: str
    xapi_activity_id: str
    created: str | None = None
    updated: str | None = None
    version: int
    activity_id: str
    course_learning_standard: str
    tags: list[str]
    dispatched: bool
    root_activity: CourseActivitySchema
    registration_count: int | None = None
    metadata: MetadataSchema | None = None

    @classmethod
    def of(cls, course, version, *, tags: list[str], include_metadata: bool = False,
           registration_count: int | None = None, versioned: bool = False) -> CourseSchema:
        """COURSE as VERSION shows it (db rows); dates of the version itself when VERSIONED."""
        return cls(
            id=course.course_id, title=version.title, xapi_activity_id=_xapi_activity_id(course, version),
            created=iso(version.created if versioned else course.created),
            updated=iso(version.updated if versioned else course.updated),
            version=version.version, activity_id=version.activity_id or course.course_id,
            course_learning_standard=version.learning_standard, tags=tags, dispatched=False,
            root_activity=CourseActivitySchema.of(version.structure), registration_count=registration_count,
            metadata=MetadataSchema.of(version.course_metadata or {}) if include_metadata else None,
        )


class CourseListSchema(Wire):
    courses: list[CourseSchema]
    more: str | None = None


class CourseListNonPagedSchema(Wire):
    courses: list[CourseSchema]


class ImportResultSchema(Wire):
    web_path_to_course: str
    parser_warnings: list[str]
    course_languages: list[str]
    course: CourseSchema


class ImportJobResultSchema(Wire):
    job_id: str
    status: str
    message: str | None = None
    import_result: ImportResultSchema | None = None


class FileListItemSchema(Wire):
    path: str
    size: int | None = None
    modified: str | None = None


class FileListSchema(Wire):
    files: list[FileListItemSchema]

    @classmethod
    def of(cls, files) -> FileListSchema:
        """A course version's files (domain assets.list_files)."""
        return cls(files=[FileListItemSchema(path=f.path, size=f.size, modified=iso(f.modified)) for f in files])


class AssetFileSchema(Wire):
    filename: str
    destination: str
