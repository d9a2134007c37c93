"""An injected clock for tests: no sleeping, time moves when the test says so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest

from grid.clock import set_clock


class FakeClock:
    current: ClassVar[FakeClock | None] = None  # the one in charge of grid.clock, if any

    def __init__(self, start: datetime) -> None:
        self.now = start
        set_clock(lambda: self.now)
        FakeClock.current = self

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return self.now

    def close(self) -> None:
        set_clock(None)
        if FakeClock.current is self:
            FakeClock.current = None


MONDAY_8AM = datetime(2026, 11, 23, 8, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    """Time stands at Monday 2026-11-23 08:00 in Shanghai (the start of a working day) until the test moves
    it (tests/conftest.py makes it every test's ``clock``)."""
    c = FakeClock(MONDAY_8AM)
    yield c
    c.close()
