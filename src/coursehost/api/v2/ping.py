"""PingApi."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from coursehost.api.v2.operations import op
from coursehost.api.v2.schemas.common import iso

router = APIRouter()


@router.get("/ping", operation_id="PingAppId", dependencies=[op("PingAppId")],
            response_model=None, responses={200: {"description": "PingSchema"}})
async def ping() -> JSONResponse:
    """Checks the API is reachable with these credentials (PingSchema: apiMessage, currentTime)."""
    return JSONResponse({"apiMessage": "pong", "currentTime": iso(datetime.now(timezone.utc))})
