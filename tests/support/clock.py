"""An injected clock for tests: no sleeping, time moves when the test says so."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

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
