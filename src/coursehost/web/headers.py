"""Security headers each origin adds to every answer (docs/SECURITY.md), and the API docs page with a
policy of its own. An answer that already names a header (an LRS document's own CSP) keeps its value."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse

from coursehost.settings import Settings

# JSON and errors only: nothing on the service origin may run script, load anything or be framed.
SERVICE_CSP = "default-src 'none'; frame-ancestors 'none'"
# Browsers keep HTTPS for a year once they have seen this (RFC 6797); only sent when PUBLIC_URL is https.
HSTS = "max-age=31536000"


def service_headers(settings: Settings) -> dict[str, str]:
    """What every service-origin answer carries (API, LRS, and later the console)."""
    headers = {"Content-Security-Policy": SERVICE_CSP, "Referrer-Policy": "no-referrer",
               "X-Content-Type-Options": "nosniff"}
    if settings.https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


# The player page puts the launch token in its URL: only its own origin may see it as a Referer.
CONTENT_HEADERS = {"Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff"}


class SecurityHeadersMiddleware:
    """Add HEADERS to every HTTP answer that does not name them already (ASGI middleware)."""

    def __init__(self, app, *, headers: dict[str, str]):
        self.app = app
        self.headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                missing = [(name, value) for name, value in self.headers if name not in present]
                if missing:
                    message = {**message, "headers": [*message.get("headers", []), *missing]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Swagger UI's files, from npm (swagger-ui-dist, copied by `make`), served by the service app here.
DOCS_ASSETS = "/api/docs/assets"


def docs_page(*, openapi_url: str, title: str) -> HTMLResponse:
    """Swagger UI for the OpenAPI document, from our own copy of its files, with a CSP that allows
    exactly what the page loads (its one inline script by hash)."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url, title=title, oauth2_redirect_url=None,
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png")
    html = page.body.decode()
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                      for s in re.findall(r"<script>(.*?)</script>", html, re.S))
    csp = (f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})
