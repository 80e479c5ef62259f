"""OutboundClient: httpx behind one request path, so a rule about where the server may connect
(issue 13: no private, loopback or link-local targets, checked after each redirect) is written once.

Failures come back as OutboundError in the client's own words, the same for every connection
failure ("could not connect", "timed out"), with the name of what failed in `kind` (e.g.
"ConnectError", "ReadTimeout") for the server's log only: a message that told "Connection refused"
from "Server disconnected" or quoted the far side's first bytes would make the service a port
scanner."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from coursehost.outbound.errors import OutboundError, OutboundTimeout, ResponseTooLarge
from coursehost.outbound.guard import INVALID_URL, AddressPolicy, PinnedTransport

#: httpx's own limit when it follows redirects itself; kept so import by URL behaves as before.
MAX_REDIRECTS = 20


@dataclass(frozen=True)
class Timeouts:
    """Seconds to connect, to read each chunk, to write the request and to wait for a pooled
    connection; write and pool default to read."""

    connect: float
    read: float
    write: float | None = None
    pool: float | None = None

    def as_httpx(self) -> httpx.Timeout:
        """The same limits as an httpx.Timeout."""
        read = self.read
        return httpx.Timeout(connect=self.connect, read=read, write=read if self.write is None else self.write,
                             pool=read if self.pool is None else self.pool)


#: Used when a caller names none.
DEFAULT_TIMEOUTS = Timeouts(connect=10.0, read=30.0)


COULD_NOT_CONNECT = "could not connect"
BROKE_OFF = "the connection failed while reading the answer"
TIMED_OUT = "timed out"
TOO_MANY_REDIRECTS = "too many redirects"


@contextmanager
def _translated(failed: str = COULD_NOT_CONNECT) -> Iterator[None]:
    """httpx's exceptions as OutboundError (timeouts as OutboundTimeout) in words of our own:
    FAILED for every transport failure alike, whatever the socket or the far side said."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise OutboundTimeout(TIMED_OUT, kind=type(exc).__name__) from None
    except httpx.TooManyRedirects:
        raise OutboundError(TOO_MANY_REDIRECTS, kind="TooManyRedirects") from None
    except httpx.InvalidURL:
        raise OutboundError(INVALID_URL, kind="InvalidURL") from None
    except httpx.HTTPError as exc:
        raise OutboundError(failed, kind=type(exc).__name__) from None


class OutboundResponse:
    """An answer: status, headers and final URL at once; the body read on demand, within max_bytes."""

    def __init__(self, raw: httpx.Response, max_bytes: int | None):
        self._raw = raw
        self._max_bytes = max_bytes
        self._content: bytes | None = None

    @property
    def status_code(self) -> int:
        return self._raw.status_code

    @property
    def reason_phrase(self) -> str:
        return self._raw.reason_phrase

    @property
    def headers(self) -> Mapping[str, str]:
        """Case-insensitive."""
        return self._raw.headers

    @property
    def url(self) -> str:
        """The URL that answered (after any redirects)."""
        return str(self._raw.url)

    def iter_bytes(self, chunk_size: int) -> Iterator[bytes]:
        """The body in chunks; ResponseTooLarge at once when the declared length is over the cap,
        or before the first chunk that would pass it."""
        declared = self._raw.headers.get("content-length")
        if self._max_bytes is not None and declared and declared.isdigit() and int(declared) > self._max_bytes:
            raise ResponseTooLarge(f"declared {declared} bytes, over {self._max_bytes}", kind="TooLarge")
        return self._chunks(chunk_size)

    def _chunks(self, chunk_size: int) -> Iterator[bytes]:
        received = 0
        with _translated(BROKE_OFF):
            for chunk in self._raw.iter_bytes(chunk_size):
                received += len(chunk)
                if self._max_bytes is not None and received > self._max_bytes:
                    raise ResponseTooLarge(f"more than {self._max_bytes} bytes", kind="TooLarge")
                yield chunk

    @property
    def content(self) -> bytes:
        """The whole body (read once)."""
        if self._content is None:
            self._content = b"".join(self.iter_bytes(65_536))
        return self._content

    def json(self) -> Any:
        """The body as JSON (ValueError when it is not); bytes, so UTF-8/16/32 as RFC 8259 allows."""
        return json.loads(self.content)


class OutboundClient:
    """Requests to URLs someone else chose. One instance may serve many requests (keep-alive);
    close it, or use it as a context manager.

    POLICY says where it may connect: by default every host is resolved and refused unless all
    its addresses are public, checked for the first URL and for each redirect's, and the
    connection goes to the address checked (guard.PinnedTransport). TRANSPORT stands in for the
    network in tests (httpx.MockTransport), the address check with it; GUARD, when given, is called
    with every URL before it is requested, the first and each redirect's, and refuses one by
    raising OutboundError."""

    def __init__(self, *, timeouts: Timeouts = DEFAULT_TIMEOUTS, follow_redirects: bool = False,
                 max_redirects: int = MAX_REDIRECTS, max_bytes: int | None = None,
                 policy: AddressPolicy | None = None, transport: httpx.BaseTransport | None = None,
                 guard: Callable[[str], None] | None = None):
        self.follow_redirects = follow_redirects
        self.max_redirects = max_redirects
        self.max_bytes = max_bytes
        self._guard = guard
        if transport is None:
            transport = PinnedTransport(policy or AddressPolicy())
        # Redirects are never left to httpx: _send follows them, so each hop passes the guard and
        # the address check. No proxy or .netrc from the environment: a proxy would connect by name.
        self._http = httpx.Client(timeout=timeouts.as_httpx(), follow_redirects=False, transport=transport,
                                  trust_env=False)

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def __enter__(self) -> OutboundClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def stream(self, method: str, url: str, *, content: bytes | None = None,
               headers: Mapping[str, str] | None = None,
               auth: tuple[str, str] | None = None) -> Iterator[OutboundResponse]:
        """METHOD URL; the answer with its body unread, closed when the block ends."""
        with _translated():
            raw = self._send(self._http.build_request(method, url, content=content, headers=headers), auth)
        try:
            yield OutboundResponse(raw, self.max_bytes)
        finally:
            raw.close()

    def request(self, method: str, url: str, *, content: bytes | None = None,
                headers: Mapping[str, str] | None = None,
                auth: tuple[str, str] | None = None) -> OutboundResponse:
        """METHOD URL with the answer's body read (within max_bytes)."""
        with self.stream(method, url, content=content, headers=headers, auth=auth) as response:
            response.content  # noqa: B018 - read before the stream closes
            return response

    def _send(self, request: httpx.Request, auth: tuple[str, str] | None) -> httpx.Response:
        """The one place a request leaves: the first hop with AUTH, then each redirect as httpx
        builds it (method, body and headers per RFC 9110 §15.4; Authorization dropped on another
        origin), up to max_redirects."""
        self._admit(request)
        response = self._http.send(request, auth=auth, stream=True)
        hops = 0
        while self.follow_redirects and response.next_request is not None:
            request = response.next_request
            response.close()
            hops += 1
            if hops > self.max_redirects:
                raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.", request=request)
            self._admit(request)
            # A no-op Auth: the redirect carries what httpx kept of the first hop's headers.
            response = self._http.send(request, auth=httpx.Auth(), stream=True)
        return response

    def _admit(self, request: httpx.Request) -> None:
        if self._guard is not None:
            self._guard(str(request.url))
