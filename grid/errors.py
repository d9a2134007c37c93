"""Domain errors. Each carries a message a person can act on; ``web`` maps them to HTTP in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. ``code`` is a stable machine-readable name; ``details`` extra JSON for clients."""

    code = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "invalid_input"


class Conflict(DomainError):
    code = "conflict"


class Forbidden(DomainError):
    code = "forbidden"


class UnknownCategory(InvalidInput):
    code = "unknown_category"


class UnknownArea(InvalidInput):
    code = "unknown_area"


class UnknownDepartment(InvalidInput):
    code = "unknown_department"


class OutsideManagedArea(InvalidInput):
    code = "outside_managed_area"
