"""A calendar's records (grid.calendars) turned into working-time arithmetic, cached per process until the
calendar row says it changed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from dispatch.worktime.calendar import WorkCalendar, parse_periods
from grid.calendars import ALWAYS, STANDARD
from grid.errors import InvalidInput
from grid.models import Calendar, CalendarDay, DayKind

_calendar_cache: dict[str, tuple[datetime | None, WorkCalendar]] = {}


def calendar_for(*, session: Session, code: str) -> WorkCalendar:
    """The calendar as arithmetic, cached until the calendar row says it changed."""
    row = session.exec(select(Calendar).where(Calendar.code == code)).first()
    if row is None:
        if code == ALWAYS:
            return WorkCalendar.always()
        if code == STANDARD:
            return WorkCalendar()
        raise InvalidInput(f"no calendar {code!r}")
    cached = _calendar_cache.get(code)
    if cached and cached[0] == row.updated_at:
        return cached[1]
    days = session.exec(select(CalendarDay).where(CalendarDay.calendar_code == code)).all()
    tz = ZoneInfo(row.timezone)
    cal = WorkCalendar.always(tz) if row.always_on else WorkCalendar(
        timezone=tz,
        periods=parse_periods(row.periods),
        weekdays=frozenset(int(d) - 1 for d in row.weekdays.split(",") if d.strip()),
        holidays=frozenset(d.day for d in days if d.kind == DayKind.holiday),
        workdays=frozenset(d.day for d in days if d.kind == DayKind.workday),
    )
    _calendar_cache[code] = (row.updated_at, cal)
    return cal
