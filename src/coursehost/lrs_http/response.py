"""What a resource handler returns, and the resource registry the dispatcher routes by."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from coursehost.domain.errors import DomainError
from coursehost.web import http_status


@dataclass
class XapiResponse:
    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> XapiResponse:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return cls(status, data, "application/json", dict(headers or {}))

    @classmethod
    def empty(cls, status: int = 204, headers: dict[str, str] | None = None) -> XapiResponse:
        return cls(status, b"", None, dict(headers or {}))


def error_result(exc: DomainError, headers: dict[str, str] | None = None) -> XapiResponse:
    """A domain error as the LRS answers it: its status (an XapiError's own) and {"message"}."""
    own = getattr(exc, "headers", None) or {}  # an error may carry headers of its own (429 Retry-After)
    return XapiResponse.json({"message": str(exc)}, http_status(exc), {**own, **(headers or {})})


#: handler(request, services) -> XapiResponse; registered per (resource path, method).
Handler = Callable[..., XapiResponse]
HANDLERS: dict[str, dict[str, Handler]] = {}


def resource(path: str, *methods: str):
    """Register the decorated function for PATH ("statements", "activities/state", ...) and METHODS.
    GET handlers also answer HEAD (the dispatcher drops the body)."""

    def register(fn: Handler) -> Handler:
        table = HANDLERS.setdefault(path, {})
        for method in methods:
            if method in table:
                raise ValueError(f"{method} {path} is registered twice")
            table[method] = fn
        return fn

    return register
