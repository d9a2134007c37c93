"""Domain errors. Each carries a message a person can act on; ``web`` maps them to HTTP in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. ``code`` is a stable machine-readable name, ``details`` its parameters (JSON for clients):
    the pages translate an error by its code, filling in the parameters, and show ``message`` (English, for
    API users) only for a code they do not know. A raise may name a more specific code than its class's
    (``InvalidInput("…", code="text_too_long", field=…, limit=…)``): the class sets the HTTP status."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "invalid_input"


class Conflict(DomainError):
    code = "conflict"


class VersionConflict(Conflict):
    """The case changed since the caller loaded it (optimistic concurrency): reload and confirm again."""

    code = "version_conflict"


class Forbidden(DomainError):
    code = "forbidden"


class UnknownCategory(InvalidInput):
    code = "unknown_category"


class CategoryDisabled(InvalidInput):
    """A class an admin disabled: the cases that have it keep it, new reports pick another."""

    code = "category_disabled"


class UnknownArea(InvalidInput):
    code = "unknown_area"


class UnknownDepartment(InvalidInput):
    code = "unknown_department"


class OutsideManagedArea(InvalidInput):
    code = "outside_managed_area"


class AfterPhotoRequired(InvalidInput):
    """Resolving a case whose category wants photo evidence of the result, without a photo."""

    code = "after_photo_required"
