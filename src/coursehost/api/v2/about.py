"""AboutApi."""

from __future__ import annotations

from fastapi import APIRouter

from coursehost import __version__
from coursehost.api.v2.operations import op

router = APIRouter()


@router.get("/about", operation_id="GetAbout", dependencies=[op("GetAbout")])
def get_about() -> dict:
    """The API version this server speaks and which distribution answers."""
    return {"version": "2.0", "distribution": f"Coursehost {__version__}"}
