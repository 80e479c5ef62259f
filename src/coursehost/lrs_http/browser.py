"""Which browser requests may use the alternate request syntax (xAPI 1.0.3 Communication §1.3).

An alternate-syntax request is a simple form POST: any page on any site can make a browser send
it (no CORS preflight), with the Authorization in the form. Answered normally, it let another
site's page GET a stored text/html document as a top-level page of the service origin. So a
browser's cross-site form post is refused; clients that send no Origin and no Sec-Fetch-Site
(server-side clients, ADL's conformance suite) are not browsers' form posts and keep working."""

from __future__ import annotations

from urllib.parse import urlsplit

from coursehost.domain.errors import Forbidden

#: Sec-Fetch-Site values of a request that did not come from another origin (Fetch Metadata).
SAME_ORIGIN_SITES = {"same-origin", "none"}


def origin_of(url: str | None) -> str | None:
    """scheme://host[:port] of URL, lower case, or None when URL has no scheme or host."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(settings, request_origin: str | None) -> set[str]:
    """The service origin (as configured and as this request reached it), the content origin
    and COURSEHOST_LRS_ALLOWED_ORIGINS."""
    configured = [o for o in (settings.lrs_allowed_origins or "").split(",") if o.strip()]
    candidates = [request_origin, getattr(settings, "public_url", None), settings.base_url,
                  getattr(settings, "content_url", None), *configured]
    return {origin for origin in map(origin_of, candidates) if origin}


def refuse_cross_site_form(headers: dict[str, str], *, settings, request_origin: str | None) -> None:
    """403 when HEADERS are those of a browser's form post from an origin not allowed."""
    origin = headers.get("origin")
    if origin is not None:
        if origin_of(origin) in allowed_origins(settings, request_origin):
            return
        reason = f"from origin {origin}"
    else:
        site = headers.get("sec-fetch-site")
        if site is None or site.lower() in SAME_ORIGIN_SITES:
            return
        reason = f"from a {site} page"
    raise Forbidden(f"The alternate request syntax is refused for a browser's form post {reason}; the service "
                    f"origin and COURSEHOST_LRS_ALLOWED_ORIGINS may use it (docs/LRS.md)")
