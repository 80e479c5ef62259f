"""Every HTTP request's id, metrics and (with JSON logs) access log line, as one ASGI middleware.

The request id comes from a sane X-Request-ID or is made here; it is answered in X-Request-ID, set
as the current one for the request's work (domain.request_ids: log lines, jobs enqueued) and ends
up on the access line. Routes are labelled by their template (/api/v2/registrations/{registrationId}),
never by the raw path, so no id or token becomes a metric label."""

from __future__ import annotations

import logging
import time

from coursehost.domain import request_ids
from coursehost.web.metrics import request_metrics
from coursehost.web.redaction import redact

#: The JSON access log's logger (the text log keeps uvicorn's own access lines).
access_log = logging.getLogger("coursehost.access")
UNMATCHED = "<unmatched>"


def route_label(scope: dict, root_path: str) -> str:
    """The route template the router matched for SCOPE (after the call), or a mount's prefix + /{path}."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(template, str):
        return template
    mounted = scope.get("root_path", "")
    if mounted != root_path and mounted.startswith(root_path):  # a Mount (static files) matched
        return mounted[len(root_path):] + "/{path}"
    return UNMATCHED


class ObservabilityMiddleware:
    """Request id, Prometheus request metrics and the JSON access line for ORIGIN ("service" or "content")."""

    def __init__(self, app, *, origin: str, json_access_log: bool) -> None:
        self.app = app
        self.origin = origin
        self.json_access_log = json_access_log
        self.metrics = request_metrics()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = request_ids.accept(incoming)
        header = (b"x-request-id", request_id.encode("latin-1"))
        status = 500  # unless the app answers: an exception escaping it becomes a 500 outside
        root_path = scope.get("root_path", "")
        started = time.perf_counter()

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = request_ids.set_current(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_ids.reset(token)
            seconds = time.perf_counter() - started
            route = route_label(scope, root_path)
            self.metrics.observe(self.origin, scope["method"], route, status, seconds)
            if self.json_access_log:
                self._log_access(scope, route, status, seconds, request_id)

    def _log_access(self, scope, route: str, status: int, seconds: float, request_id: str) -> None:
        """One line with uvicorn's access-log arguments (so RedactTokens applies) plus the fields."""
        if not access_log.isEnabledFor(logging.INFO):
            return
        query = scope.get("query_string", b"").decode("latin-1")
        path = redact(scope.get("path", "") + (f"?{query}" if query else ""))
        client = scope.get("client")
        where = f"{client[0]}:{client[1]}" if client else "-"
        access_log.info('%s - "%s %s HTTP/%s" %d', where, scope["method"], path, scope.get("http_version", "1.1"),
                        status, extra={"method": scope["method"], "route": route, "status": status,
                                       "duration_ms": round(seconds * 1000, 3), "origin": self.origin,
                                       "request_id": request_id})
