"""Periods to evaluate: a day, an ISO week, a month, a quarter, a year, or custom dates, in local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from grid.errors import InvalidInput

MAX_DAYS = 366 * 2


@dataclass(frozen=True)
class Period:
    label: str  # 2026-11, 2026-W47, 2026-Q4, 2026, 2026-11-29, 2026-11-01..2026-11-15
    first: date  # first day (local)
    last: date  # last day (local), inclusive
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive

    def complete(self, now: datetime) -> bool:
        """Whether the period is over: its figures no longer change."""
        return now >= self.end

    def following(self, tz: ZoneInfo) -> Period:
        """The next period of the same kind (the next month after a month; custom: the same number of days)."""
        kind = _kind(self.label)
        nxt = self.last + timedelta(days=1)
        if kind == "month":
            return parse(f"{nxt.year}-{nxt.month:02d}", tz)
        if kind == "quarter":
            return parse(f"{nxt.year}-Q{(nxt.month - 1) // 3 + 1}", tz)
        if kind == "year":
            return parse(str(nxt.year), tz)
        if kind == "week":
            iso = nxt.isocalendar()
            return parse(f"{iso.year}-W{iso.week:02d}", tz)
        if kind == "day":
            return parse(nxt.isoformat(), tz)
        return between(nxt, nxt + (self.last - self.first), tz)

    def as_dict(self, now: datetime) -> dict:
        return {"label": self.label, "from": self.first.isoformat(), "to": self.last.isoformat(),
                "start": self.start, "end": self.end, "complete": self.complete(now)}


def _kind(label: str) -> str:
    if ".." in label:
        return "custom"
    if "-W" in label:
        return "week"
    if "-Q" in label:
        return "quarter"
    return {4: "year", 7: "month", 10: "day"}[len(label)]


YEARS = (1970, 2999)  # what a period may cover: the service's records, not the calendar's limits


def between(first: date, last: date, tz: ZoneInfo, label: str | None = None) -> Period:
    if not (YEARS[0] <= first.year and last.year <= YEARS[1]):
        raise InvalidInput(f"a period lies between {YEARS[0]} and {YEARS[1]}", code="period_out_of_range",
                           field="period", first_year=YEARS[0], last_year=YEARS[1])
    if last < first:
        raise InvalidInput(f"the period ends ({last}) before it begins ({first})", code="period_reversed",
                           field="to", first=first.isoformat(), last=last.isoformat())
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(f"a period is at most {MAX_DAYS} days", code="period_too_long", field="to",
                           max_days=MAX_DAYS)
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    return Period(label or f"{first.isoformat()}..{last.isoformat()}", first, last, start, end)


PATTERNS = (
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})-Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})-W(\d{2})$"), "week"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "day"),
    (re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$"), "custom"),
)
HELP = "a period is 2026-11 (month), 2026-Q4, 2026-W47, 2026, 2026-11-29 (day) or 2026-11-01..2026-11-15"


def parse(text: str, tz: ZoneInfo) -> Period:
    """A period from its label, or a 422 that says which forms there are."""
    text = (text or "").strip()
    for pattern, kind in PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        try:
            if kind == "year":
                y = int(m[1])
                return between(date(y, 1, 1), date(y, 12, 31), tz, text)
            if kind == "quarter":
                y, q = int(m[1]), int(m[2])
                first = date(y, 3 * q - 2, 1)
                return between(first, _month_end(date(y, 3 * q, 1)), tz, text)
            if kind == "week":
                first = date.fromisocalendar(int(m[1]), int(m[2]), 1)
                return between(first, first + timedelta(days=6), tz, text)
            if kind == "month":
                first = date(int(m[1]), int(m[2]), 1)
                return between(first, _month_end(first), tz, text)
            if kind == "day":
                day = date(int(m[1]), int(m[2]), int(m[3]))
                return between(day, day, tz, text)
            return between(date.fromisoformat(m[1]), date.fromisoformat(m[2]), tz)
        except ValueError:
            break
    raise InvalidInput(f"{text!r} is not a period: {HELP}", code="period_invalid", field="period", value=text[:40])


def _month_end(first: date) -> date:
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def current_month(now: datetime, tz: ZoneInfo) -> Period:
    today = now.astimezone(tz).date()
    return parse(f"{today.year}-{today.month:02d}", tz)
