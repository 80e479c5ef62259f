"""Small helpers every route module uses: the unit of work and the current services."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from coursehost.db.session import unit_of_work
from coursehost.services import Services


def services(request: Request) -> Services:
    return request.app.state.services


@contextmanager
def unit(request: Request) -> Iterator[Session]:
    """One transaction for this request: committed when the block ends, rolled back on error."""
    with unit_of_work(services(request).session_factory) as session:
        yield session
