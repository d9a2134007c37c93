"""A calendar's records (grid.calendars) turned into working-time arithmetic, cached per process until the
reference data changes (grid.refcache)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from dispatch.worktime.calendar import WorkCalendar, parse_periods
from grid import refcache
from grid.calendars import ALWAYS, STANDARD
from grid.errors import InvalidInput
from grid.models import Calendar, CalendarDay, DayKind


def calendar_for(*, session: Session, code: str) -> WorkCalendar:
    """The calendar as arithmetic, from the per-process reference cache."""
    return refcache.cached(session, ("calendar", code), lambda s: _load(s, code))


def _load(session: Session, code: str) -> WorkCalendar:
    row = session.exec(select(Calendar).where(Calendar.code == code)).first()
    if row is None:
        if code == ALWAYS:
            return WorkCalendar.always()
        if code == STANDARD:
            return WorkCalendar()
        raise InvalidInput(f"no calendar {code!r}")
    days = session.exec(select(CalendarDay).where(CalendarDay.calendar_code == code)).all()
    tz = ZoneInfo(row.timezone)
    return WorkCalendar.always(tz) if row.always_on else WorkCalendar(
        timezone=tz,
        periods=parse_periods(row.periods),
        weekdays=frozenset(int(d) - 1 for d in row.weekdays.split(",") if d.strip()),
        holidays=frozenset(d.day for d in days if d.kind == DayKind.holiday),
        workdays=frozenset(d.day for d in days if d.kind == DayKind.workday),
    )
