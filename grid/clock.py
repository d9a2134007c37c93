"""The one source of "now", so tests can inject a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utcnow() -> datetime:
    return _now()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests, demo back-dating); ``None`` restores the wall clock."""
    global _now
    _now = fn or (lambda: datetime.now(UTC))
