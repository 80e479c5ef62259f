"""Wire models of the LTI 1.1 dispatch operation (DispatchLtiInfoSchema)."""

from __future__ import annotations

from coursehost.api.v2.schemas.common import Wire


class DispatchLtiInfoSchema(Wire):
    url: str
    consumer_key: str
    shared_secret: str
