"""CourseApi: a course's files (list, get, import, upload, delete) and its configuration."""

from __future__ import annotations

import mimetypes
import tempfile
from pathlib import Path

from fastapi import File, Form, Request, Response, UploadFile
from fastapi.responses import StreamingResponse

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.course import _chunks
from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.operations import operation
from coursehost.api.v2.paging import parse_bool
from coursehost.api.v2.schemas.applications import SettingsPost
from coursehost.api.v2.schemas.courses import AssetFileSchema, FileListSchema, ImportAssetRequest
from coursehost.api.v2.schemas.settings import SettingListSchema
from coursehost.domain.applications.auth import Principal
from coursehost.domain.courses import assets, catalog
from coursehost.domain.courses.packages.fetch import download
from coursehost.domain.settings_registry import delete_setting, read_settings, set_settings
from coursehost.web import services, unit


def _version(session, principal: Principal, course_id: str, version_no: int | None):
    course = catalog.get_course(session, application_pk=principal.app_pk, course_id=course_id)
    return course, catalog.get_version(session, course=course, version=version_no)


# ------------------------------------------------------------------------------- file lists

def _file_list(request: Request, principal: Principal, course_id: str, version_no: int | None) -> FileListSchema:
    with unit(request) as session:
        _, version = _version(session, principal, course_id, version_no)
        return FileListSchema.of(assets.list_files(session, version=version))


@operation("GetCourseFileList", response_model=FileListSchema)
def get_course_file_list(request: Request, courseId: str, principal: Principal = Auth) -> FileListSchema:
    return _file_list(request, principal, courseId, None)


@operation("GetCourseVersionFileList", response_model=FileListSchema)
def get_course_version_file_list(request: Request, courseId: str, versionId: int,
                                  principal: Principal = Auth) -> FileListSchema:
    return _file_list(request, principal, courseId, versionId)


# ------------------------------------------------------------------------------- get / delete

def _get_asset(request: Request, principal: Principal, course_id: str, version_no: int | None):
    path = request.query_params.get("relativePath")
    with unit(request) as session:
        _, version = _version(session, principal, course_id, version_no)
        stream, size = assets.open_asset(session, store=services(request).store, version=version, path=path)
    ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return StreamingResponse(_chunks(stream), media_type=ctype, headers={"Content-Length": str(size)})


@operation("GetCourseAsset")
def get_course_asset(request: Request, courseId: str, principal: Principal = Auth):
    return _get_asset(request, principal, courseId, None)


@operation("GetCourseVersionAsset")
def get_course_version_asset(request: Request, courseId: str, versionId: int,
                             principal: Principal = Auth):
    return _get_asset(request, principal, courseId, versionId)


def _delete_asset(request: Request, principal: Principal, course_id: str, version_no: int | None) -> Response:
    with unit(request) as session:
        _, version = _version(session, principal, course_id, version_no)
        assets.delete_asset(session, store=services(request).store, version=version,
                            path=request.query_params.get("relativePath"))
    return Response(status_code=204)


@operation("DeleteCourseAsset", status_code=204)
def delete_course_asset(request: Request, courseId: str, principal: Principal = Auth):
    return _delete_asset(request, principal, courseId, None)


@operation("DeleteCourseVersionAsset", status_code=204)
def delete_course_version_asset(request: Request, courseId: str, versionId: int,
                                principal: Principal = Auth):
    return _delete_asset(request, principal, courseId, versionId)


# ------------------------------------------------------------------------------- upload / import

def _write(request: Request, principal: Principal, course_id: str, version_no: int | None,
           destination: str, data, content_type: str | None) -> AssetFileSchema:
    policy = request.query_params.get("updateAssetPolicy")
    with unit(request) as session:
        _, version = _version(session, principal, course_id, version_no)
        path = assets.write_asset(session, store=services(request).store, version=version, path=destination,
                                  data=data, policy=policy, content_type=content_type)
    return AssetFileSchema(filename=path.rsplit("/", 1)[-1], destination=path)


def _upload(request, principal, course_id, version_no, file: UploadFile | None,
            destination: str | None) -> AssetFileSchema:
    if file is None:
        raise ApiError(400, "file is required: send the asset as multipart form field 'file'")
    return _write(request, principal, course_id, version_no, destination or file.filename or "",
                  file.file, file.content_type)


@operation("UploadCourseAssetFile", response_model=AssetFileSchema)
def upload_course_asset_file(request: Request, courseId: str, file: UploadFile | None = File(None),
                             destination: str | None = Form(None),
                             principal: Principal = Auth) -> AssetFileSchema:
    return _upload(request, principal, courseId, None, file, destination)


@operation("UploadCourseVersionAssetFile", response_model=AssetFileSchema)
def upload_course_version_asset_file(request: Request, courseId: str, versionId: int,
                                     file: UploadFile | None = File(None), destination: str | None = Form(None),
                                     principal: Principal = Auth) -> AssetFileSchema:
    return _upload(request, principal, courseId, versionId, file, destination)


def _import(request: Request, principal: Principal, course_id: str, version_no: int | None,
            body: ImportAssetRequest) -> AssetFileSchema:
    limit = services(request).settings.import_max_package_bytes
    with tempfile.TemporaryDirectory(prefix="coursehost-asset-") as tmp:
        local = Path(tmp) / "asset"
        try:
            ctype, _ = download(body.fetch_url, local, max_bytes=limit,
                                timeout=services(request).settings.import_fetch_timeout_seconds,
                                progress=lambda _m: None,
                                allow_private_urls=services(request).settings.allow_private_urls)
        except Exception as exc:  # PackageError: a message naming the URL and the failure
            raise ApiError(400, str(exc)) from None
        with open(local, "rb") as fh:
            return _write(request, principal, course_id, version_no, body.destination, fh, ctype)


@operation("ImportCourseAssetFile", response_model=AssetFileSchema)
def import_course_asset_file(request: Request, courseId: str, body: ImportAssetRequest,
                             principal: Principal = Auth) -> AssetFileSchema:
    """Fetch a file from a URL into the course at destination."""
    return _import(request, principal, courseId, None, body)


@operation("ImportCourseVersionAssetFile", response_model=AssetFileSchema)
def import_course_version_asset_file(request: Request, courseId: str, versionId: int, body: ImportAssetRequest,
                                     principal: Principal = Auth) -> AssetFileSchema:
    return _import(request, principal, courseId, versionId, body)


# ------------------------------------------------------------------------------- configuration

def _chain(session, principal: Principal, course_id: str, version_no: int | None):
    course, version = _version(session, principal, course_id, version_no)
    return catalog.course_chain(course, version, versioned=version_no is not None)


def _get_config(request: Request, principal: Principal, course_id: str, version_no: int | None) -> SettingListSchema:
    with unit(request) as session:
        chain = _chain(session, principal, course_id, version_no)
        items = read_settings(session, application_pk=principal.app_pk, chain=chain,
                              include_metadata=parse_bool(request, "includeMetadata"))
    return SettingListSchema.of(items)


def _set_config(request: Request, principal: Principal, course_id: str, version_no: int | None,
                body: SettingsPost) -> Response:
    with unit(request) as session:
        chain = _chain(session, principal, course_id, version_no)
        set_settings(session, application_pk=principal.app_pk, scope=chain[0], values=body.values())
    return Response(status_code=204)


def _delete_config(request: Request, principal: Principal, course_id: str, version_no: int | None,
                   setting_id: str) -> Response:
    with unit(request) as session:
        chain = _chain(session, principal, course_id, version_no)
        delete_setting(session, application_pk=principal.app_pk, scope=chain[0], setting_id=setting_id)
    return Response(status_code=204)


@operation("GetCourseConfiguration", response_model=SettingListSchema)
def get_course_configuration(request: Request, courseId: str, principal: Principal = Auth) -> SettingListSchema:
    return _get_config(request, principal, courseId, None)


@operation("SetCourseConfiguration", status_code=204)
def set_course_configuration(request: Request, courseId: str, body: SettingsPost,
                             principal: Principal = Auth):
    return _set_config(request, principal, courseId, None, body)


@operation("DeleteCourseConfigurationSetting", status_code=204)
def delete_course_configuration_setting(request: Request, courseId: str, settingId: str,
                                        principal: Principal = Auth):
    return _delete_config(request, principal, courseId, None, settingId)


@operation("GetCourseVersionConfiguration", response_model=SettingListSchema)
def get_course_version_configuration(request: Request, courseId: str, versionId: int,
                                     principal: Principal = Auth) -> SettingListSchema:
    return _get_config(request, principal, courseId, versionId)


@operation("SetCourseVersionConfiguration", status_code=204)
def set_course_version_configuration(request: Request, courseId: str, versionId: int, body: SettingsPost,
                                     principal: Principal = Auth):
    return _set_config(request, principal, courseId, versionId, body)


@operation("DeleteCourseVersionConfigurationSetting", status_code=204)
def delete_course_version_configuration_setting(request: Request, courseId: str, versionId: int, settingId: str,
                                                principal: Principal = Auth):
    return _delete_config(request, principal, courseId, versionId, settingId)
