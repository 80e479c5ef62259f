"""Official operations this server does not route yet: authenticated like the real ones, then a
clear 501, so integrators learn "not yet" rather than a misleading 404."""

from __future__ import annotations

import re
from functools import lru_cache

from fastapi import Request

from coursehost.api.v2.auth import authenticate
from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.operations import OperationRule, operation_rules

METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD")


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern, OperationRule]]:
    compiled = []
    for rule in operation_rules().values():
        regex = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(rule.path)) + "$"
        compiled.append((re.compile(regex), rule))
    # Literal paths before templated ones ("/courses/importJobs" before "/courses/{courseId}").
    compiled.sort(key=lambda pr: pr[1].path.count("{"))
    return compiled


def not_yet_routed(request: Request, rest: str):
    """Answer an official operation that has no route yet (routed last under /api/v2, see build_router)."""
    path = "/" + rest
    for pattern, rule in _patterns():
        if rule.method == request.method and pattern.match(path):
            authenticate(request, scope=rule.scope, kind=rule.kind)
            raise ApiError(501, f"{rule.operation_id} is not available on this server yet")
    raise ApiError(404, "No such API operation")
