"""API v2 routes: postback (filled in by the player issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
