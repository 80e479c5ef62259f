"""AboutApi."""

from __future__ import annotations

from coursehost import __version__
from coursehost.api.v2.operations import operation
from coursehost.api.v2.schemas.common import AboutSchema


@operation("GetAbout", response_model=AboutSchema)
async def get_about() -> AboutSchema:
    """The API version this server speaks and which distribution answers (async: no thread hop for a
    constant)."""
    return AboutSchema(version="2.0", distribution=f"Coursehost {__version__}")
