"""GET /about (xAPI 1.0.3 Communication §2.8; 9274.1.1 4.1.6.7): no authentication needed."""

from __future__ import annotations

from coursehost.domain.lrs.versions import SUPPORTED
from coursehost.lrs_http.response import XapiResponse, resource


@resource("about", "GET")
def get_about(request, services) -> XapiResponse:
    """The versions this LRS speaks."""
    return XapiResponse.json({"version": list(SUPPORTED), "extensions": {}})
