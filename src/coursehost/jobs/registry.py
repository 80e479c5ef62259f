"""Job kinds and their handlers, with each kind's retry policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from coursehost.domain.outbox import PermanentJobError, RetryJob  # noqa: F401 (re-exported)


class JobContext(Protocol):  # pragma: no cover - structural type
    services: Any
    job_id: int
    attempt: int
    worker_id: str


#: handler(session, payload, ctx). The session is the job's transaction: the job is marked done in
#: it after the handler returns, so the handler's writes and the completion commit together. Long
#: handlers should do slow work before touching SESSION (on SQLite the first statement takes the
#: write lock) and may commit progress through ctx.services.session_factory.
Handler = Callable[[Session, dict, "JobContext"], Any]


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler
    base_delay: float = 1.0
    max_delay: float = 900.0
    max_attempts: int = 10


@dataclass
class JobRegistry:
    kinds: dict[str, JobKind] = field(default_factory=dict)

    def register(self, name: str, handler: Handler, *, base_delay: float = 1.0,
                 max_delay: float = 900.0, max_attempts: int = 10) -> None:
        if name in self.kinds:
            raise ValueError(f"job kind {name!r} is registered twice")
        if base_delay <= 0 or max_delay < base_delay:
            raise ValueError("need 0 < base_delay <= max_delay")
        self.kinds[name] = JobKind(name, handler, base_delay, max_delay, max_attempts)

    def lookup(self, name: str) -> JobKind | None:
        return self.kinds.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self.kinds
