"""Domain errors: the API maps each class to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a domain function raises on purpose; str() is the user-facing message."""


class InvalidInput(DomainError):
    """The request is well-formed but a value is not acceptable (HTTP 400)."""


class NotFound(DomainError):
    """The thing asked for does not exist for this application (HTTP 404)."""


class Conflict(DomainError):
    """The request conflicts with the current state (HTTP 409)."""


class Forbidden(DomainError):
    """The caller is authenticated but not allowed to do this (HTTP 403)."""
