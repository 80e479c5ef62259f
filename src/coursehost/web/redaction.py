"""Credential-carrying query parameters, redacted before a path reaches a log line."""

from __future__ import annotations

import re

# Query parameters that carry a credential: the launch link's token, the player's runtime token (t,
# for sendBeacon and the player window, which cannot send headers), OAuth-style access tokens, and
# an AICC AU's session id (AICC_SID in its URL: it authorizes that AU's HACP session).
# auth: a report auth token (ReportingApi GetReportageLink).
_SECRET_PARAMS = re.compile(r"(?i)([?&](?:t|token|auth|access_token|aicc_sid|lti_message_hint)=)[^&#\s]*")
REDACTED = "REDACTED"


def redact(path: str) -> str:
    """PATH (with its query string) with the value of every credential-carrying parameter replaced."""
    return _SECRET_PARAMS.sub(rf"\g<1>{REDACTED}", path)
