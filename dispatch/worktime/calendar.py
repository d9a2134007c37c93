"""Working time: a calendar of working periods, weekdays, public holidays and make-up working days
(调休), and the two primitives every time limit is counted with.

    add_working(start, duration) -> due      the moment ``duration`` of working time after ``start``
    working_between(start, end) -> duration  the working time inside [start, end)

Natural time (自然时) is the same API on a calendar that is always on (``WorkCalendar.always()``).
Instants are timezone-aware; days and periods are read in the calendar's own timezone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3 * 366  # no limit is counted further than this; a calendar without working days fails


class NoWorkingTime(ValueError):
    pass


def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """``"08:00-12:00,14:00-18:00"`` → ((08:00, 12:00), (14:00, 18:00)); sorted, non-overlapping."""
    periods = []
    for chunk in (c.strip() for c in text.split(",") if c.strip()):
        try:
            a, b = (time.fromisoformat(p.strip()) for p in chunk.split("-"))
        except ValueError:
            raise ValueError(f"bad working period {chunk!r}: write it like 08:00-12:00") from None
        if not a < b:
            raise ValueError(f"working period {chunk!r} ends before it starts")
        periods.append((a, b))
    periods.sort()
    for (_, end), (start, _) in zip(periods, periods[1:], strict=False):
        if start < end:
            raise ValueError(f"working periods overlap: {text!r}")
    if not periods:
        raise ValueError("a calendar needs at least one working period")
    return tuple(periods)


@dataclass(frozen=True)
class WorkCalendar:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    periods: tuple[tuple[time, time], ...] = (
        (time(8), time(12)),
        (time(14), time(18)),
    )
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # make-up working days on weekends (调休)
    always_on: bool = False

    @classmethod
    def always(cls, timezone: ZoneInfo | None = None) -> WorkCalendar:
        """Natural time: every moment counts."""
        return cls(timezone=timezone or ZoneInfo("Asia/Shanghai"), always_on=True)

    def is_working_day(self, day: date) -> bool:
        if self.always_on or day in self.workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def _spans(self, day: date) -> Iterable[tuple[datetime, datetime]]:
        """The working spans of a local day, as aware datetimes."""
        if not self.is_working_day(day):
            return ()
        if self.always_on:
            start = datetime.combine(day, time(0), self.timezone)
            return ((start, datetime.combine(day + timedelta(days=1), time(0), self.timezone)),)
        return tuple((datetime.combine(day, a, self.timezone), datetime.combine(day, b, self.timezone))
                     for a, b in self.periods)

    def add_working(self, start: datetime, duration: timedelta) -> datetime:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if duration <= timedelta(0):
            return start
        if self.always_on:
            return start + duration
        remaining = duration
        local = start.astimezone(self.timezone)
        day = local.date()
        for _ in range(MAX_DAYS):
            for a, b in self._spans(day):
                begin = max(a, local)
                if begin >= b:
                    continue
                available = b - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= available
            day += timedelta(days=1)
        raise NoWorkingTime(f"the calendar has no working time within {MAX_DAYS} days of {start.isoformat()}")

    def sub_working(self, end: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of working time before ``end`` (the inverse of add_working)."""
        if end.tzinfo is None:
            raise ValueError("end must be timezone-aware")
        if duration <= timedelta(0):
            return end
        if self.always_on:
            return end - duration
        remaining = duration
        local = end.astimezone(self.timezone)
        day = local.date()
        for _ in range(MAX_DAYS):
            for a, b in reversed(tuple(self._spans(day))):
                finish = min(b, local)
                if finish <= a:
                    continue
                available = finish - a
                if remaining <= available:
                    return (finish - remaining).astimezone(end.tzinfo)
                remaining -= available
            day -= timedelta(days=1)
        raise NoWorkingTime(f"the calendar has no working time within {MAX_DAYS} days before {end.isoformat()}")

    def shift(self, moment: datetime, seconds: float) -> datetime:
        """add_working for positive seconds, sub_working for negative ones."""
        delta = timedelta(seconds=abs(seconds))
        return self.add_working(moment, delta) if seconds >= 0 else self.sub_working(moment, delta)

    def signed_between(self, start: datetime, end: datetime) -> float:
        """Working seconds from start to end, negative when end comes first."""
        if end >= start:
            return self.working_between(start, end).total_seconds()
        return -self.working_between(end, start).total_seconds()

    def signed_between_many(self, start: datetime, ends: Iterable[datetime]) -> list[float]:
        """``[signed_between(start, end) for end in ends]``, for thousands of ends at once (a map's lights).

        Working time is a running total W(t): signed_between(start, end) = W(end) - W(start). W is kept per
        local day (the total up to the day's midnight, from start's day) plus the part of the day's spans
        before t, all in epoch seconds, so each end costs a dictionary lookup and a few subtractions."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if self.always_on:
            return [(end - start).total_seconds() for end in ends]
        spans: dict[date, tuple[tuple[float, float], ...]] = {}
        before: dict[date, float] = {}  # working seconds from the first day's midnight to this day's

        def day_spans(day: date) -> tuple[tuple[float, float], ...]:
            found = spans.get(day)
            if found is None:
                found = spans[day] = tuple((a.timestamp(), b.timestamp()) for a, b in self._spans(day))
            return found

        first = start.astimezone(self.timezone).date()
        before[first] = 0.0

        def total_before(day: date) -> float:
            if day in before:
                return before[day]
            step = timedelta(days=1) if day > first else -timedelta(days=1)
            d = first
            while d != day:
                nxt = d + step
                if nxt not in before:
                    whole = sum(b - a for a, b in day_spans(min(d, nxt)))
                    before[nxt] = before[d] + (whole if step.days > 0 else -whole)
                d = nxt
            return before[day]

        def running(moment: datetime) -> float:
            day = moment.astimezone(self.timezone).date()
            ts = moment.timestamp()
            return total_before(day) + sum(min(max(ts - a, 0.0), b - a) for a, b in day_spans(day))

        origin = running(start)
        out = []
        for end in ends:
            if end.tzinfo is None:
                raise ValueError("ends must be timezone-aware")
            out.append(running(end) - origin)
        return out

    def working_between(self, start: datetime, end: datetime) -> timedelta:
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        if end <= start:
            return timedelta(0)
        if self.always_on:
            return end - start
        total = timedelta(0)
        local_start, local_end = start.astimezone(self.timezone), end.astimezone(self.timezone)
        day = local_start.date()
        while day <= local_end.date():
            for a, b in self._spans(day):
                lo, hi = max(a, local_start), min(b, local_end)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def is_working(self, moment: datetime) -> bool:
        local = moment.astimezone(self.timezone)
        return any(a <= local < b for a, b in self._spans(local.date()))
