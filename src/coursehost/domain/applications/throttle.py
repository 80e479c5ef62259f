"""Throttling of failed authentication, per credential key and per client address.

After `per_key` failures of one key (an application id on the API, an xAPI credential on an LRS) or
`per_address` failures from one client address within a one-minute window, that key or address is
refused with 429 until the window ends, even with the right password: guessing costs a minute per
batch. Successes are never counted and cost two dictionary reads.

The counters live in this process's memory (a bounded table: windows expire, the oldest entries go
first when it is full), so N serving processes allow up to N times the limits; issue 21 moves shared
state to the database."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from coursehost.domain.errors import DomainError

WINDOW_SECONDS = 60.0
MAX_ENTRIES = 50_000


class TooManyFailures(DomainError):
    """Too many failed authentications for a key or from an address (HTTP 429, Retry-After)."""

    status = 429

    def __init__(self, retry_after: int, what: str):
        super().__init__(f"Too many failed authentication attempts {what}; try again in {retry_after} seconds")
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class FailureThrottle:
    """Counts failed authentications in fixed one-minute windows per key and per address."""

    def __init__(self, *, per_key: int, per_address: int, window: float = WINDOW_SECONDS,
                 max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic):
        self.per_key = per_key
        self.per_address = per_address
        self.window = window
        self.max_entries = max_entries
        self.clock = clock
        # (kind, name) -> [window start, failures]; insertion order is window-start order.
        self._entries: OrderedDict[tuple[str, str], list] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, *, key: str | None, address: str | None) -> None:
        """Raise TooManyFailures while KEY or ADDRESS is locked out; otherwise do nothing."""
        now = self.clock()
        for kind, name, limit, what in (("key", key, self.per_key, "for this credential"),
                                        ("address", address, self.per_address, "from this address")):
            if name is None:
                continue
            entry = self._entries.get((kind, name))  # a lock-free read: the success path stays cheap
            if entry is not None and entry[1] >= limit and now < entry[0] + self.window:
                raise TooManyFailures(max(1, math.ceil(entry[0] + self.window - now)), what)

    def failed(self, *, key: str | None, address: str | None) -> None:
        """Count one failed authentication against KEY and ADDRESS (either may be None)."""
        now = self.clock()
        with self._lock:
            for kind, name in (("key", key), ("address", address)):
                if name is None:
                    continue
                entry = self._entries.get((kind, name))
                if entry is None or now >= entry[0] + self.window:
                    self._entries.pop((kind, name), None)
                    self._entries[(kind, name)] = [now, 1]
                else:
                    entry[1] += 1
            self._prune(now)

    def _prune(self, now: float) -> None:
        # Oldest windows first: drop the expired ones, and the oldest live ones past the cap.
        while self._entries:
            first_key, first = next(iter(self._entries.items()))
            if now < first[0] + self.window and len(self._entries) <= self.max_entries:
                break
            del self._entries[first_key]

    def __len__(self) -> int:
        return len(self._entries)
