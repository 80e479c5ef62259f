"""Wire models of the CourseApi."""

from __future__ import annotations

from urllib.parse import quote

from pydantic import Field

from coursehost.api.v2.schemas.common import WireIn, iso


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


def activity_body(node: dict) -> dict:
    """CourseActivitySchema from a stored activity (model.Activity as a dict)."""
    body = {
        "externalIdentifier": node["id"],
        "itemIdentifier": node["id"],
        "activityType": node.get("activity_type") or "UNKNOWN",
        "title": node.get("title") or node["id"],
        "children": [activity_body(c) for c in node.get("children", [])],
    }
    if node.get("resource_id"):
        body["resourceIdentifier"] = node["resource_id"]
    if node.get("href"):
        body["href"] = node["href"]
    if node.get("scaled_passing_score") is not None:
        body["scaledPassingScore"] = str(node["scaled_passing_score"])
    return body


def metadata_body(meta: dict) -> dict:
    out = {
        "title": meta.get("title"), "titleLanguage": meta.get("title_language"),
        "description": meta.get("description"), "descriptionLanguage": meta.get("description_language"),
        "duration": meta.get("duration"), "typicalTime": meta.get("typical_time"),
        "keywords": list(meta.get("keywords") or []),
    }
    return {k: v for k, v in out.items() if v is not None}


def xapi_activity_id(course, version) -> str:
    if version.activity_id and ":" in version.activity_id:
        return version.activity_id
    return "urn:coursehost:course:" + quote(course.course_id, safe="")


def course_body(course, version, *, tags: list[str], include_metadata: bool = False,
                registration_count: int | None = None, versioned: bool = False) -> dict:
    """CourseSchema of COURSE as VERSION shows it."""
    body = {
        "id": course.course_id,
        "title": version.title,
        "xapiActivityId": xapi_activity_id(course, version),
        "created": iso(version.created if versioned else course.created),
        "updated": iso(version.updated if versioned else course.updated),
        "version": version.version,
        "activityId": version.activity_id or course.course_id,
        "courseLearningStandard": version.learning_standard,
        "tags": tags,
        "dispatched": False,
        "rootActivity": activity_body(version.structure),
    }
    if registration_count is not None:
        body["registrationCount"] = registration_count
    if include_metadata:
        body["metadata"] = metadata_body(version.course_metadata or {})
    return body
