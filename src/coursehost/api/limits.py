"""Refuse oversized request bodies before anything reads them (ASGI middleware)."""

from __future__ import annotations

import json
import re


class BodyLimitMiddleware:
    """413 with a JSON message when a body is larger than the limit for its path (a short HTML page
    when the request comes from a browser's form, which asks for text/html).

    LIMITS maps path regular expressions (matched from the start) to byte limits; the first
    match wins; other paths get DEFAULT_LIMIT (JSON bodies)."""

    def __init__(self, app, *, default_limit: int, limits: dict[str, int] | None = None):
        self.app = app
        self.default_limit = default_limit
        self.limits = [(re.compile(pattern), n) for pattern, n in (limits or {}).items()]

    def _limit_for(self, path: str) -> int:
        return next((n for pattern, n in self.limits if pattern.match(path)), self.default_limit)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self._limit_for(scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        html = b"text/html" in headers.get(b"accept", b"")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send, limit, html)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(send, limit, html)


class _BodyTooLarge(BaseException):
    """A BaseException so that body parsers (which catch Exception) cannot turn it into a 400."""


async def _too_large(send, limit: int, html: bool = False) -> None:
    message = f"Request body is larger than the {limit} bytes allowed"
    if html:
        ctype, body = b"text/html; charset=utf-8", (
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too large</title></head><body>"
            f"<h1>The request is too large</h1><p>{message}. Nothing was saved: go back and choose a "
            "smaller file.</p></body></html>").encode()
    else:
        ctype, body = b"application/json", json.dumps({"message": message}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
