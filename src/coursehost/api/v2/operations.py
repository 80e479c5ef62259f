"""The 161 official operations (operations.tsv, from the official client) with the scope and the
kind of application each needs, and `@operation(...)`, which routes a handler as one of them: its
method, path, scope and application kind come from the table, so an operation id is written once."""

from __future__ import annotations

import csv
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant

from coursehost.api.v2.auth import AppKind, authenticate, require
from coursehost.web.json_input import StrictJsonRoute

_RESOURCE = {
    "AboutApi": "about", "PingApi": "ping", "ApplicationManagementApi": "appmgmt",
    "ContentConnectorsApi": "course", "CourseApi": "course", "DispatchApi": "dispatch",
    "InvitationsApi": "invitation", "LearnerApi": "learner", "RegistrationApi": "registration",
    "ReportingApi": "reporting",
}
_ACTION = {"GET": "read", "HEAD": "read", "POST": "write", "PUT": "write", "DELETE": "delete"}
# Where the method does not say what the operation does (scorm-cloud-behaviour.md "Auth").
_SCOPE_OVERRIDES = {
    "GetAppToken": None,
    "CreateToken": None,
    "BuildRegistrationLaunchLink": "read:registration",
    "BuildCoursePreviewLaunchLink": "read:course",
    "BuildCoursePreviewLaunchLinkWithVersion": "read:course",
    "DeleteAllLearnerData": "delete:learner",
}
_KIND_OVERRIDES = {
    "GetAppToken": AppKind.ANY,
    "CreateToken": AppKind.ANY,
    "GetApplicationConfiguration": AppKind.NORMAL,
    "SetApplicationConfiguration": AppKind.NORMAL,
    "DeleteApplicationConfigurationSetting": AppKind.NORMAL,
}


@dataclass(frozen=True)
class OperationRule:
    """One official operation: where it is routed and who may call it."""

    operation_id: str
    api_class: str
    method: str
    path: str
    scope: str | None
    kind: AppKind


def _scope(api_class: str, operation_id: str, method: str, path: str) -> str | None:
    if operation_id in _SCOPE_OVERRIDES:
        return _SCOPE_OVERRIDES[operation_id]
    if api_class == "XapiApi":
        resource = "xapipipe" if path.startswith("/xapi/statementPipes") else "xapicredential"
    else:
        resource = _RESOURCE[api_class]
    if resource in ("about", "ping", "reporting"):
        return f"read:{resource}"
    return f"{_ACTION[method]}:{resource}"


@lru_cache(maxsize=1)
def operation_rules() -> dict[str, OperationRule]:
    """operation id -> its rule, for all official operations."""
    rules = {}
    with open(Path(__file__).with_name("operations.tsv"), newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            op_id, method, path, api_class = row["operation"], row["method"], row["path"], row["client_api_class"]
            default_kind = AppKind.MANAGEMENT if path.startswith("/appManagement") else AppKind.NORMAL
            rules[op_id] = OperationRule(
                op_id, api_class, method, path, _scope(api_class, op_id, method, path),
                _KIND_OVERRIDES.get(op_id, default_kind),
            )
    return rules


@dataclass(frozen=True)
class Operation:
    """What @operation attached to a handler: its rule and the route's response options."""

    rule: OperationRule
    options: dict[str, Any] = field(default_factory=dict)


_ATTRIBUTE = "__api_operation__"


def operation(operation_id: str, *, response_model: Any = None, status_code: int | None = None,
              exclude_none: bool = True, public: bool = False) -> Callable[[Callable], Callable]:
    """Mark a handler as the official operation OPERATION_ID; add_operations() routes it.

    The response model is serialized by alias with None fields left out, as SCORM Cloud writes
    them, unless EXCLUDE_NONE is false (a field the official API sends as null). PUBLIC: the official
    client sends no credentials (auth_settings = []), e.g. GetLti13DispatchLaunch, which a learner's
    browser reaches from an LMS: the handler proves the caller itself."""
    rule = operation_rules()[operation_id]  # an unknown id fails at import, not at the first call
    options = {"response_model": response_model, "status_code": status_code,
               "response_model_exclude_none": exclude_none}
    if public:
        options["dependencies"] = []

    def mark(handler: Callable) -> Callable:
        setattr(handler, _ATTRIBUTE, Operation(rule, options))
        return handler

    return mark


def operation_of(handler: Any) -> Operation | None:
    """The operation HANDLER was marked as, if any."""
    return getattr(handler, _ATTRIBUTE, None)


class AuthenticatedRoute(StrictJsonRoute):
    """An operation that reads no request body, authenticated before FastAPI solves its parameters.

    What authenticate() as the route's first dependency would do, at the same point (FastAPI reads
    no body for such a route, so nothing it does comes before that dependency), without a level of
    dependency resolution per request: 0.8 of the cost of an authenticated ping (bench/ping.py)."""

    def checked_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().checked_route_handler()
        rule = operation_of(self.endpoint).rule
        scope, kind = rule.scope, rule.kind

        async def authenticated(request: Request) -> Response:
            authenticate(request, scope=scope, kind=kind)
            return await handler(request)

        return authenticated


def _takes_body(dependant: Dependant) -> bool:
    return bool(dependant.body_params) or any(_takes_body(sub) for sub in dependant.dependencies)


def add_operations(router: APIRouter, module: ModuleType, *, prefix: str) -> None:
    """Route every handler MODULE defines with @operation, in definition order (which decides
    between paths that both match, e.g. /courses/importJobs/{id} before /courses/{courseId}/...).

    Credentials are checked by AuthenticatedRoute where the handler takes no body, else by the
    route's first dependency, after FastAPI has read and parsed the body (a malformed body is a 400
    before the credentials are looked at, as it always was)."""
    for handler in list(vars(module).values()):
        spec = operation_of(handler)
        if spec is None or handler.__module__ != module.__name__:
            continue
        rule = spec.rule
        path = prefix + rule.path
        options: dict[str, Any] = {"dependencies": [require(rule.scope, rule.kind)]}
        guarded = "dependencies" not in spec.options and not _takes_body(get_dependant(path=path, call=handler))
        if guarded:
            options = {"dependencies": [], "route_class_override": AuthenticatedRoute}
        router.add_api_route(path, handler, methods=[rule.method], operation_id=rule.operation_id,
                             **{**options, **spec.options})
        if guarded and router.routes[-1].body_field is not None:  # pragma: no cover - startup guard
            raise RuntimeError(f"{rule.operation_id} reads a body: it needs its auth dependency")
