"""Reading an LRS request body: only once the caller is known (or the body is what authenticates
it), streamed and capped, and with a bounded number of large bodies in memory at once per process,
so unauthenticated or many concurrent uploads cannot exhaust the process's memory."""

from __future__ import annotations

import asyncio

from starlette.requests import ClientDisconnect, Request

#: A body larger than this (or of unknown length) waits for one of the large-body slots.
LARGE_BODY_BYTES = 1024 * 1024
#: How long a large body waits for a slot before it is answered 503.
SLOT_WAIT_SECONDS = 5.0


class BodyRefused(Exception):
    """The body is not read: answer STATUS with MESSAGE (and HEADERS)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}


class ClientGone(Exception):
    """The client went away before sending its whole body."""


def declared_length(headers: dict[str, str]) -> int | None:
    """The Content-Length, or None when absent or not a number (chunked)."""
    raw = headers.get("content-length", "").strip()
    return int(raw) if raw.isdigit() else None


def has_body(headers: dict[str, str]) -> bool:
    """Does the request carry a body at all?"""
    return bool(declared_length(headers)) or "transfer-encoding" in headers


def _slots(request: Request, concurrent: int) -> asyncio.Semaphore:
    """The process's large-body slots (made on first use, in the server's event loop)."""
    state = request.app.state
    slots = getattr(state, "lrs_large_body_slots", None)
    if slots is None:
        slots = state.lrs_large_body_slots = asyncio.Semaphore(max(1, concurrent))
    return slots


async def read_body(request: Request, headers: dict[str, str], *, limit: int, concurrent: int) -> bytes:
    """The whole body, at most LIMIT bytes (413 past it); large ones hold one of CONCURRENT slots."""
    if not has_body(headers):
        return b""
    declared = declared_length(headers)
    if declared is not None and declared > limit:
        raise BodyRefused(413, f"Request body is larger than the {limit} bytes allowed")
    if declared is not None and declared <= LARGE_BODY_BYTES:
        return await _collect(request, limit)
    slots = _slots(request, concurrent)
    try:
        await asyncio.wait_for(slots.acquire(), SLOT_WAIT_SECONDS)
    except TimeoutError:
        raise BodyRefused(503, f"The LRS is receiving {concurrent} large request bodies already; try again "
                               f"shortly (COURSEHOST_LRS_MAX_CONCURRENT_LARGE_BODIES)",
                          {"Retry-After": str(int(SLOT_WAIT_SECONDS))}) from None
    try:
        return await _collect(request, limit)
    finally:
        slots.release()


async def _collect(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyRefused(413, f"Request body is larger than the {limit} bytes allowed")
            chunks.append(chunk)
    except ClientDisconnect:
        raise ClientGone() from None
    return b"".join(chunks)
