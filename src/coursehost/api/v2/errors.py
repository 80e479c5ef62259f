"""Errors on the wire as the official API has them: {"message": ...}; 401 {"error": ...}."""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from coursehost.domain.errors import DomainError
from coursehost.web import http_status

log = logging.getLogger(__name__)

UNAUTHORIZED_BODY = {"error": "Authorization Required."}
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Basic realm="Coursehost API"'}


class ApiError(Exception):
    """An error raised by the wire layer itself (bad query parameter, missing auth, ...)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The official error body for STATUS: {"message": ...}, or the 401 body with its challenge."""
    if status == 401:
        return JSONResponse(UNAUTHORIZED_BODY, status_code=401, headers=WWW_AUTHENTICATE)
    return JSONResponse({"message": message}, status_code=status, headers=headers)


def describe_validation_error(exc: RequestValidationError) -> str:
    """One sentence naming the first bad field, e.g. "Invalid value for name: Input should be a valid string"."""
    parts = []
    for err in exc.errors()[:3]:
        if err.get("type") == "json_invalid":
            return f"Malformed JSON body: {err.get('ctx', {}).get('error', err.get('msg'))}"
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path", "header")]
        where = ".".join(loc) or "request body"
        msg = err.get("msg", "invalid")
        if err.get("type") == "missing":
            parts.append(f"{where} is required")
        elif err.get("type") == "extra_forbidden":
            parts.append(f"Unknown field: {where}")
        else:
            parts.append(f"Invalid value for {where}: {msg}")
    return "; ".join(parts) or "Invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the official wire shape; never leak a stack trace."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError):
        return error_response(exc.status, exc.message)

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError):
        # An error may carry headers of its own (429 Retry-After).
        return error_response(http_status(exc), str(exc), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError):
        return error_response(400, describe_validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = "No such API operation"
        if exc.status_code == 405:
            message = "Method not allowed for this operation"
        return error_response(exc.status_code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "Internal server error")
