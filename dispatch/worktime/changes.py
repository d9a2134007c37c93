"""Changing working calendars while cases run on them: an admin creates a calendar or changes its hours,
declares a holiday or a make-up working day. A change applies from the moment it is made: time already
counted stays counted, and every running deadline on the calendar is laid out again on the new one."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from dispatch.models import SlaTimer, Ticket
from dispatch.sla import remaining_s, schedule_next, summarise
from dispatch.worktime import WorkCalendar, calendar_for, parse_periods
from grid import calendars
from grid.calendars import ALWAYS
from grid.clock import utcnow
from grid.errors import InvalidInput
from grid.models import Calendar, CalendarDay

CALENDAR_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{1,31}")


def set_calendar_day(*, session: Session, calendar_code: str, day: date, kind: str, name: str = "") -> CalendarDay:
    """Mark a day as a holiday or a make-up working day; running deadlines follow from now on."""
    before = _current(session, calendar_code)
    row = calendars.set_day(session=session, calendar_code=calendar_code, day=day, kind=kind, name=name)
    on_calendar_changed(session=session, calendar_code=calendar_code, before=before, at=utcnow())
    return row


def remove_calendar_day(*, session: Session, calendar_code: str, day: date) -> None:
    """Make a day an ordinary one again; running deadlines follow from now on."""
    before = _current(session, calendar_code)
    calendars.remove_day(session=session, calendar_code=calendar_code, day=day)
    on_calendar_changed(session=session, calendar_code=calendar_code, before=before, at=utcnow())


def seed_official_days(*, session: Session, calendar_code: str) -> int:
    """Give a calendar the official days it lacks (``grid.calendars.seed_official_days``); running deadlines
    on it follow from now on. Returns the days added."""
    before = _current(session, calendar_code)
    added = calendars.seed_official_days(session=session, calendar_code=calendar_code)
    if added:
        on_calendar_changed(session=session, calendar_code=calendar_code, before=before, at=utcnow())
    return added


def _current(session: Session, code: str) -> WorkCalendar:
    """The calendar's arithmetic as it is before a change (404 for an unknown calendar)."""
    calendars.get_calendar(session, code)
    return calendar_for(session=session, code=code)


def calendar_code(code: str) -> str:
    """A calendar code as ``save_calendar`` stores it (lower case), or InvalidInput saying what one looks like."""
    code = (code or "").strip().lower()
    if not CALENDAR_CODE.fullmatch(code):
        raise InvalidInput("a calendar code is 2–32 lower-case letters, digits, - or _", field="code")
    if code == ALWAYS:
        raise InvalidInput(f"{ALWAYS} is natural time (always on) and cannot be changed", field="code")
    return code


def save_calendar(*, session: Session, code: str, name: str = "", timezone: str = "Asia/Shanghai",
                  periods: str = "08:00-12:00,14:00-18:00", weekdays: str = "1,2,3,4,5") -> Calendar:
    """Create or change a working calendar (e.g. a department working 07:00–19:00 seven days a week). A new
    one starts with the official holidays and make-up days; running deadlines on it are recomputed."""
    code = calendar_code(code)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {timezone!r}, e.g. Asia/Shanghai", field="timezone") from None
    try:
        parsed = parse_periods(periods)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="periods") from None
    days = [d.strip() for d in weekdays.split(",") if d.strip()]
    if not days or any(d not in "1234567" or len(d) != 1 for d in days) or len(set(days)) != len(days):
        raise InvalidInput("weekdays are ISO numbers 1 (Monday) … 7 (Sunday), comma-separated, e.g. 1,2,3,4,5",
                           field="weekdays")
    row = calendars.find_calendar(session, code)
    created = row is None
    before = None if created else calendar_for(session=session, code=code)
    row = row or Calendar(code=code, name=name or code)
    row.name = name.strip()[:100] or row.name
    row.timezone = timezone
    row.periods = ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in parsed)
    row.weekdays = ",".join(sorted(days))
    session.add(row)
    session.flush()
    calendars.touch(session, code)
    if created:
        calendars.seed_official_days(session=session, calendar_code=code)
    else:
        on_calendar_changed(session=session, calendar_code=code, before=before, at=utcnow())
    return row


def on_calendar_changed(*, session: Session, calendar_code: str, before: WorkCalendar, at: datetime) -> int:
    """The calendar changed (a holiday declared, working hours shortened …) as of ``at``: time already
    counted stays counted (by ``before``, the calendar as it was), and every running timer on it gets
    the working time it has left laid out on the new calendar from ``at``. Warnings already fired stay
    fired; the next pending one is rescheduled. Returns the timers moved."""
    cal = calendar_for(session=session, code=calendar_code)
    timers = session.exec(select(SlaTimer).where(SlaTimer.calendar_code == calendar_code,
                                                 col(SlaTimer.active).is_(True),
                                                 col(SlaTimer.paused_at).is_(None))).all()
    for timer in timers:
        timer.anchor_remaining_s = remaining_s(timer, before, at)
        timer.anchor_at = at
        timer.due_at = cal.shift(at, timer.anchor_remaining_s)
        schedule_next(timer, cal)
        session.add(timer)
    ids = sorted({t.ticket_id for t in timers})
    for start in range(0, len(ids), 500):  # the moved cases' lights, from all their running timers
        batch = ids[start:start + 500]
        running: dict[int, list[SlaTimer]] = {i: [] for i in batch}
        for timer in session.exec(select(SlaTimer).where(col(SlaTimer.ticket_id).in_(batch),
                                                         col(SlaTimer.active).is_(True))):
            running[timer.ticket_id].append(timer)
        for ticket in session.exec(select(Ticket).where(col(Ticket.id).in_(batch))):
            summarise(ticket, running[ticket.id])
            session.add(ticket)
    session.flush()
    return len(timers)
