"""Domain errors raised by services; the API and the console map each to its HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class NotAllowed(DomainError):
    """The user may see the record but not do this with it (403)."""

    status_code = 403
    code = "permission_denied"
