"""LRS errors whose HTTP status the generic domain errors do not name."""

from __future__ import annotations

from coursehost.domain.errors import DomainError


class XapiError(DomainError):
    """An error with an explicit status: 412 (precondition failed), 413 (too large), ..."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class PreconditionFailed(XapiError):
    def __init__(self, message: str):
        super().__init__(412, message)
