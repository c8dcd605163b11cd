"""Errors the runtime raises; the web layer maps each to one HTTP status."""
from __future__ import annotations


class NotFound(LookupError):
    """404: no such task, instance or definition."""


class Forbidden(PermissionError):
    """403: the actor may not do this (wrong post, someone else's task, separation of duties)."""


class Conflict(Exception):
    """409: the task was taken or completed meanwhile, or the instance moved on (stale version)."""


class InvalidData(ValueError):
    """422: submitted data failed validation; `errors` maps each field to its messages."""

    def __init__(self, errors: dict, message: str = "invalid data"):
        super().__init__(message)
        self.errors = errors


class ProcessFailure(Exception):
    """A model failed while running (script, service or decision error); nothing was changed."""

    def __init__(self, message: str, element: str | None = None):
        super().__init__(message)
        self.element = element
