"""The content player: launch pages, content serving, the run-time commit endpoint."""

from __future__ import annotations

from fastapi import APIRouter

from coursehost.player import routes


def build_player_router() -> APIRouter:
    """Routes under /player (launch, player page, run-time API) and /content (course files)."""
    return routes.router
