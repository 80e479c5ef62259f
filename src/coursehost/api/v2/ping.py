"""PingApi."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Response

from coursehost.api.v2.operations import operation
from coursehost.api.v2.schemas.common import PingSchema
from coursehost.domain.values import iso


@operation("PingAppId", response_model=PingSchema)
async def ping() -> Response:
    """Checks the API is reachable with these credentials (PingSchema: apiMessage, currentTime)."""
    # Serialized here, not by the route: ping measures the per-request cost (bench/ping.py).
    body = PingSchema(api_message="pong", current_time=iso(datetime.now(UTC)))
    return Response(body.model_dump_json(by_alias=True), media_type="application/json")
