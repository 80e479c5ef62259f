"""Which xAPI version a request speaks (X-Experience-API-Version) and the versions we answer."""

from __future__ import annotations

import re

from coursehost.domain.errors import InvalidInput

V1 = "1.0.3"
V2 = "2.0.0"
#: GET /about lists these (xAPI 1.0.3 §2.8; 9274.1.1 4.1.6.7).
SUPPORTED = ("1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0")
_V1_PATTERN = re.compile(r"1\.0(\.\d+)?")
_V2_PATTERN = re.compile(r"2\.0(\.\d+)?")


def negotiate(header: str | None) -> str:
    """The behaviour a request's version header asks for: V1 for any 1.0.x (xAPI 1.0.3 §3.3: the
    LRS MUST accept 1.0 and 1.0.x), V2 for 2.0.x; missing or other -> 400."""
    if header is None or not header.strip():
        raise InvalidInput("The X-Experience-API-Version header is required")
    value = header.strip()
    if _V1_PATTERN.fullmatch(value):
        return V1
    if _V2_PATTERN.fullmatch(value):
        return V2
    raise InvalidInput(f"X-Experience-API-Version {value!r} is not supported (supported: 1.0.x, 2.0.0)")
