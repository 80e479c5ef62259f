"""The request id of the work in hand: set per HTTP request (from a sane X-Request-ID or generated),
stored on the jobs that request enqueues and set again while a worker runs them, so one id ties a
request's log lines to its jobs' log lines."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_current: ContextVar[str | None] = ContextVar("coursehost_request_id", default=None)
# What we accept from a client (or a proxy in front): short, and nothing a log reader could trip on.
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")


# A new id is this process's random prefix and a counter: unique across processes and restarts without
# a system call per request (ids are for finding log lines, not secrets). 16 + up to 16 hex digits.
_prefix = os.urandom(8).hex()
_counter = itertools.count(1)


def new() -> str:
    """A request id unique across processes."""
    return f"{_prefix}{next(_counter):x}"


def current() -> str | None:
    """The request id of the request or job running in this context, if any."""
    return _current.get()


def accept(header: str | None) -> str:
    """HEADER (an incoming X-Request-ID) if sane: 1 to 64 of [A-Za-z0-9._-]; else a new random id."""
    if header is not None and _SANE.fullmatch(header):
        return header
    return new()


def set_current(request_id: str | None) -> Token:
    """Make REQUEST_ID the current one until reset(token) (the middleware's cheaper form of bound())."""
    return _current.set(request_id)


def reset(token: Token) -> None:
    _current.reset(token)


@contextmanager
def bound(request_id: str | None) -> Iterator[None]:
    """Make REQUEST_ID the current one inside the block (None: no request id)."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)
