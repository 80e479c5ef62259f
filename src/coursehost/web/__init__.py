"""What every HTTP adapter (api, lrs_http, player, console) shares: the request's services, one unit
of work per request, and the HTTP status of each domain error. No routes live here."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session
from starlette.requests import Request

from coursehost.db.session import unit_of_work
from coursehost.domain.applications.throttle import FailureThrottle
from coursehost.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from coursehost.services import Services

_STATUS: dict[type[DomainError], int] = {InvalidInput: 400, NotFound: 404, Conflict: 409, Forbidden: 403}


def services(request: Request) -> Services:
    """The application's services (settings, session factory, blob store, ...)."""
    return request.app.state.services


_THROTTLES_LOCK = threading.Lock()


def throttle(request: Request, scope: str, *, per_key: int, per_address: int) -> FailureThrottle:
    """The app's FailureThrottle named SCOPE ("invite", "reset", ...), made on first use; its counters
    are in the database, shared by every process."""
    state = request.app.state
    with _THROTTLES_LOCK:
        made = getattr(state, "throttles", None)
        if made is None:
            made = state.throttles = {}
        if scope not in made:
            svc = services(request)
            made[scope] = FailureThrottle(svc.session_factory, read_session_factory=svc.read_session_factory,
                                          scope=scope, per_key=per_key, per_address=per_address)
        return made[scope]


@contextmanager
def unit(request: Request) -> Iterator[Session]:
    """One transaction for this request: committed when the block ends, rolled back on error."""
    with unit_of_work(services(request).session_factory) as session:
        yield session


@contextmanager
def read_unit(request: Request) -> Iterator[Session]:
    """A read-only unit of work (on SQLite it takes no write lock)."""
    with unit_of_work(services(request).read_session_factory) as session:
        yield session


def http_status(exc: DomainError) -> int:
    """The HTTP status a domain error is answered with (an error class may carry its own `status`)."""
    own = getattr(exc, "status", None)
    if isinstance(own, int):
        return own
    return next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 400)
