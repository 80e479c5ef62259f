"""CourseApi: import jobs, courses, versions, titles, tags and the original package."""

from __future__ import annotations

import json

from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.operations import operation
from coursehost.api.v2.paging import parse_bool, parse_datetime, parse_list_request, run_list, statement_result
from coursehost.api.v2.schemas.common import StringResultSchema, TagListSchema
from coursehost.api.v2.schemas.connectors import ImportConnectorRequest, ImportRequestIn
from coursehost.api.v2.schemas.courses import (
    BatchTagsBody,
    CourseListNonPagedSchema,
    CourseListSchema,
    CourseSchema,
    ImportFetchRequest,
    ImportJobResultSchema,
    ImportResultSchema,
    MediaFileMetadata,
    TagsBody,
    TitleBody,
)
from coursehost.api.v2.schemas.xapi import XapiStatementResult
from coursehost.api.v2.tagging import Taggable
from coursehost.domain.applications.auth import Principal
from coursehost.domain.courses import assets, catalog, connectors, import_jobs, library
from coursehost.domain.errors import NotFound
from coursehost.domain.lrs import reports
from coursehost.domain.tags import clean_tags, get_tags, tags_for
from coursehost.web import services, unit
from coursehost.web.multipart import read_package_upload

COURSE_TAGS = Taggable("course", "course", lambda session, app_pk, key: catalog.get_course(
    session, application_pk=app_pk, course_id=key))


def query_tags(request: Request, name: str = "tags") -> list[str]:
    """A csv (official client) or repeated list parameter."""
    values = [v for raw in request.query_params.getlist(name) for v in raw.split(",")]
    return clean_tags([v for v in values if v.strip()], name)


def _import_request(request: Request, source: str, **kw) -> import_jobs.ImportRequest:
    params = request.query_params
    return import_jobs.ImportRequest(
        course_id=catalog.check_course_id(params.get("courseId")),
        may_create_new_version=parse_bool(request, "mayCreateNewVersion"),
        source=source, postback_url=params.get("postbackUrl") or None, tags=query_tags(request), **kw,
    )


def _start(request: Request, principal: Principal, req: import_jobs.ImportRequest) -> StringResultSchema:
    with unit(request) as session:
        job = import_jobs.create_import_job(session, application_pk=principal.app_pk, request=req,
                                            allow_private_urls=services(request).settings.allow_private_urls)
        return StringResultSchema(result=job.job_id)


@operation("CreateUploadAndImportCourseJob", response_model=StringResultSchema)
async def create_upload_and_import_course_job(
    request: Request, principal: Principal = Auth,
) -> StringResultSchema:
    """Import an uploaded zip (or PDF / MP4 / MP3); the job runs in the background.
    (The form fields 'file' and 'contentMetadata' are read by our streaming parser.)"""
    form = await read_package_upload(request, services(request).store)
    try:
        if form.path is None:
            raise ApiError(400, "file is required: send the package as multipart form field 'file'")
        meta = _media_metadata(form.fields.get("contentMetadata"))
        job_id = import_jobs.new_job_id()
        req = _import_request(request, "upload", job_id=job_id, filename=form.filename,
                              content_type=form.content_type, media_metadata=meta,
                              staged_key=import_jobs.staged_key(principal.app_id, job_id))
        return await run_in_threadpool(_stage_and_start, request, principal, req, form.path)
    finally:
        form.discard()


def _stage_and_start(request: Request, principal: Principal, req: import_jobs.ImportRequest,
                     path) -> StringResultSchema:
    with import_jobs.staged_upload(services(request).store, key=req.staged_key, path=path,
                                   content_type=req.content_type):
        return _start(request, principal, req)


def _media_metadata(raw: str | None) -> dict:
    if not raw:
        return {}
    try:
        parsed = MediaFileMetadata.model_validate_json(raw)
    except ValueError as exc:
        raise ApiError(400, f"contentMetadata is not valid MediaFileMetadataSchema JSON: {exc}") from None
    return parsed.model_dump(by_alias=True, exclude_none=True)


@operation("CreateFetchAndImportCourseJob", response_model=StringResultSchema)
def create_fetch_and_import_course_job(
    request: Request, body: ImportFetchRequest, principal: Principal = Auth,
) -> StringResultSchema:
    """Import a package the server downloads from a URL."""
    meta = body.media_file_metadata.model_dump(by_alias=True, exclude_none=True) if body.media_file_metadata else {}
    req = _import_request(request, "fetch", job_id=import_jobs.new_job_id(), source_url=body.url,
                          content_type=body.content_type, media_metadata=meta)
    return _start(request, principal, req)


@operation("CreateNoUploadAndImportCourseJob", response_model=StringResultSchema)
def create_no_upload_and_import_course_job(
    request: Request, body: ImportFetchRequest | ImportRequestIn, principal: Principal = Auth,
) -> StringResultSchema:
    """A course around a media file that stays at its URL (PDF, MP4, MP3), or an LTI 1.3 tool of a
    content connector (ImportRequestSchema.connectorReferenceRequest). The body is the official
    ImportRequestSchema, or a media file reference at its top level (this API's first shape)."""
    if isinstance(body, ImportRequestIn):
        given = [r for r in (body.fetch_request, body.media_file_reference_request) if r is not None]
        if body.connector_reference_request is not None and not given:
            return _start_connector_import(request, principal, body.connector_reference_request)
        if len(given) != 1 or body.connector_reference_request is not None:
            raise ApiError(400, "Give exactly one of fetchRequest, mediaFileReferenceRequest, "
                                "connectorReferenceRequest")
        body = given[0]
    meta = body.media_file_metadata.model_dump(by_alias=True, exclude_none=True) if body.media_file_metadata else {}
    req = _import_request(request, "reference", job_id=import_jobs.new_job_id(), source_url=body.url,
                          content_type=body.content_type, media_metadata=meta)
    return _start(request, principal, req)


def _start_connector_import(request: Request, principal: Principal,
                            ref: ImportConnectorRequest) -> StringResultSchema:
    """The connector must be the application's and enabled now; the course keeps what it needs to
    launch (its connector's id, the tool's id for the content), so the job runs without it."""
    with unit(request) as session:
        try:
            row = connectors.get_connector(session, application_pk=principal.app_pk, connector_id=ref.connector_id)
        except NotFound as exc:  # the body names it: a bad request, not a missing resource
            raise ApiError(400, f"connectorReferenceRequest.connectorId: {exc}") from None
        if not row.enabled:
            raise ApiError(400, f"connectorReferenceRequest.connectorId: connector [{ref.connector_id}] is disabled")
    meta = {"connectorId": ref.connector_id, "connectorIdForContent": ref.connector_id_for_content,
            "metadataForConnector": ref.metadata_for_connector or {}}
    req = _import_request(request, "connector", job_id=import_jobs.new_job_id(), media_metadata=meta)
    return _start(request, principal, req)


@operation("GetImportJobStatus", response_model=ImportJobResultSchema)
def get_import_job_status(request: Request, importJobId: str, principal: Principal = Auth) -> ImportJobResultSchema:
    """RUNNING (with progress in message), COMPLETE with the import result, or ERROR with why."""
    with unit(request) as session:
        job = import_jobs.get_import_job(session, application_pk=principal.app_pk, job_id=importJobId)
        version = import_jobs.imported_version(session, job=job) if job.status == import_jobs.COMPLETE else None
        return ImportJobResultSchema(job_id=job.job_id, status=job.status, message=job.message,
                                     import_result=_import_result(session, principal, job, version))


def _import_result(session, principal: Principal, job, version) -> ImportResultSchema | None:
    if version is None:
        return None
    course = version.course
    tags = get_tags(session, application_pk=principal.app_pk, kind="course", key=course.course_id)
    return ImportResultSchema(
        web_path_to_course=version.content_prefix + version.extra.get("manifestBase", ""),
        parser_warnings=list(job.warnings or []), course_languages=list(version.languages or []),
        course=CourseSchema.of(course, version, tags=tags, versioned=True))


@operation("GetCourses", response_model=CourseListSchema)
def get_courses(request: Request, response: Response, principal: Principal = Auth) -> CourseListSchema:
    """The application's courses, newest first by default, with paging and filters."""
    tags = query_tags(request)
    listing = parse_list_request(request, catalog.COURSE_LIST, scope="courses", extra={"tags": tags} if tags else None)
    include_meta = parse_bool(request, "includeCourseMetadata")
    include_regs = parse_bool(request, "includeRegistrationCount")
    with unit(request) as session:
        stmt = catalog.course_list_query(principal.app_pk, listing.query.extra.get("tags"))
        courses, more = run_list(request, response, session, stmt, catalog.COURSE_LIST, listing, scope="courses")
        latest = catalog.latest_versions(session, courses)
        tag_map = tags_for(session, application_pk=principal.app_pk, kind="course", keys=[c.course_id for c in courses])
        counts = library.registration_counts(session, [c.pk for c in courses]) if include_regs else {}
        items = [CourseSchema.of(c, latest[c.pk], tags=tag_map[c.course_id], include_metadata=include_meta,
                                 registration_count=counts.get(c.pk, 0) if include_regs else None) for c in courses]
    return CourseListSchema(courses=items, more=more)


@operation("GetCourse", response_model=CourseSchema)
def get_course(request: Request, courseId: str, principal: Principal = Auth) -> CourseSchema:
    """One course as its latest version shows it, with its activity tree."""
    with unit(request) as session:
        course = catalog.get_course(session, application_pk=principal.app_pk, course_id=courseId)
        return _one(request, session, principal, course, catalog.get_version(session, course=course))


def _one(request: Request, session, principal: Principal, course, version, versioned: bool = False) -> CourseSchema:
    tags = get_tags(session, application_pk=principal.app_pk, kind="course", key=course.course_id)
    count = None
    if parse_bool(request, "includeRegistrationCount"):
        count = library.registration_counts(session, [course.pk]).get(course.pk, 0)
    return CourseSchema.of(course, version, tags=tags, include_metadata=parse_bool(request, "includeCourseMetadata"),
                           registration_count=count, versioned=versioned)


@operation("DeleteCourse", status_code=204)
def delete_course(request: Request, courseId: str, principal: Principal = Auth) -> Response:
    """The course with every version, tag and setting; its files are removed in the background."""
    with unit(request) as session:
        course = catalog.get_course(session, application_pk=principal.app_pk, course_id=courseId)
        catalog.delete_course(session, course=course)
    return Response(status_code=204)


@operation("SetCourseTitle", status_code=204)
def set_course_title(request: Request, courseId: str, body: TitleBody,
                     principal: Principal = Auth) -> Response:
    with unit(request) as session:
        course = catalog.get_course(session, application_pk=principal.app_pk, course_id=courseId)
        catalog.set_title(session, course=course, title=body.title)
    return Response(status_code=204)


@operation("GetCourseVersions", response_model=CourseListNonPagedSchema)
def get_course_versions(request: Request, courseId: str, principal: Principal = Auth) -> CourseListNonPagedSchema:
    """Every version of the course (not paged, as the official API has it)."""
    since = parse_datetime("since", request.query_params.get("since"))
    until = parse_datetime("until", request.query_params.get("until"))
    with unit(request) as session:
        course = catalog.get_course(session, application_pk=principal.app_pk, course_id=courseId)
        versions = catalog.list_versions(session, course=course, since=since, until=until)
        return CourseListNonPagedSchema(courses=[_one(request, session, principal, course, v, versioned=True)
                                                 for v in versions])


@operation("GetCourseVersionInfo", response_model=CourseSchema)
def get_course_version_info(request: Request, courseId: str, versionId: int,
                            principal: Principal = Auth) -> CourseSchema:
    with unit(request) as session:
        course = catalog.get_course(session, application_pk=principal.app_pk, course_id=courseId)
        version = catalog.get_version(session, course=course, version=versionId)
        return _one(request, session, principal, course, version, versioned=True)


@operation("GetCourseStatements", response_model=XapiStatementResult, exclude_none=False)
def get_course_statements(request: Request, courseId: str, principal: Principal = Auth) -> XapiStatementResult:
    """The course's xAPI statements (its registrations' statements in the application's LRS)."""
    return _statements(request, principal, courseId, None)


@operation("GetCourseVersionStatements", response_model=XapiStatementResult, exclude_none=False)
def get_course_version_statements(request: Request, courseId: str, versionId: int,
                                  principal: Principal = Auth) -> XapiStatementResult:
    return _statements(request, principal, courseId, versionId)


def _statements(request: Request, principal: Principal, course_id: str, version_no: int | None) -> XapiStatementResult:
    with unit(request) as session:
        course = catalog.get_course(session, application_pk=principal.app_pk, course_id=course_id)
        version = None if version_no is None else catalog.get_version(session, course=course, version=version_no)
        ids = reports.course_registration_ids(course=course, version=version,
                                              learner_id=request.query_params.get("learnerId"))
        return statement_result(request, session, app_pk=principal.app_pk, registration_ids=ids)


@operation("DeleteCourseVersion", status_code=204)
def delete_course_version(request: Request, courseId: str, versionId: int,
                          principal: Principal = Auth) -> Response:
    with unit(request) as session:
        course = catalog.get_course(session, application_pk=principal.app_pk, course_id=courseId)
        version = catalog.get_version(session, course=course, version=versionId)
        catalog.delete_version(session, course=course, version=version)
    return Response(status_code=204)


@operation("GetCourseTags", response_model=TagListSchema)
def get_course_tags(request: Request, courseId: str, principal: Principal = Auth) -> TagListSchema:
    return COURSE_TAGS.read(request, principal, courseId)


@operation("PutCourseTags", status_code=204)
def put_course_tags(request: Request, courseId: str, body: TagsBody, principal: Principal = Auth) -> Response:
    """Replace the course's tags with these."""
    return COURSE_TAGS.replace(request, principal, courseId, body)


@operation("DeleteCourseTags", status_code=204)
def delete_course_tags(request: Request, courseId: str, body: TagsBody, principal: Principal = Auth) -> Response:
    return COURSE_TAGS.remove(request, principal, courseId, body)


@operation("PutCourseTagsBatch", status_code=204)
def put_course_tags_batch(request: Request, body: BatchTagsBody, principal: Principal = Auth) -> Response:
    """Set the tags of every listed course; all or nothing (an unknown id is a 404)."""
    return COURSE_TAGS.batch(request, principal, body)


@operation("GetCourseZip")
def get_course_zip(request: Request, courseId: str, principal: Principal = Auth):
    return _zip(request, principal, courseId, None)


@operation("GetVersionedCourseZip")
def get_versioned_course_zip(request: Request, courseId: str, versionId: int,
                             principal: Principal = Auth):
    return _zip(request, principal, courseId, versionId)


def _zip(request: Request, principal: Principal, course_id: str, version_no: int | None):
    with unit(request) as session:
        course = catalog.get_course(session, application_pk=principal.app_pk, course_id=course_id)
        version = catalog.get_version(session, course=course, version=version_no)
        stream = assets.open_package(store=services(request).store, version=version)
    name = json.dumps(f"{import_jobs.course_dir(course_id)}-v{version.version}.zip")
    return StreamingResponse(_chunks(stream), media_type="application/zip",
                             headers={"Content-Disposition": f"attachment; filename={name}"})


def _chunks(stream, size: int = 1024 * 1024):
    with stream:
        while chunk := stream.read(size):
            yield chunk
