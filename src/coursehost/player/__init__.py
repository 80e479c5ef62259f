"""The content player: launch pages, content serving, the run-time commit endpoint."""

from __future__ import annotations

from fastapi import APIRouter


def build_player_router() -> APIRouter:
    """Routes under /player (launch, player page, run-time API) and /content (course files)."""
    from coursehost.player import routes

    return routes.router
