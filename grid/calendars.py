"""Working-time calendars: the standard one seeded from a maintained holiday package, a 24×7 one,
and days an admin adds for years the package does not know yet (the State Council publishes each
year's plan late in the previous year)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from grid.clock import utcnow
from grid.errors import InvalidInput, NotFound
from grid.models import Calendar, CalendarDay, DayKind

STANDARD, ALWAYS = "standard", "24x7"
SEED_FROM_YEAR = 2020


def official_years() -> range:
    """The years for which the ``holidays`` package carries the State Council's published plan
    (holidays with their substitutions and the weekend make-up days); later years it only guesses."""
    from holidays.countries.china import ChinaStaticHolidays

    return range(SEED_FROM_YEAR, max(ChinaStaticHolidays.special_public_holidays) + 1)


def ensure_calendars(*, session: Session) -> Calendar:
    """Create the standard (08:00–12:00, 14:00–18:00, Monday–Friday) and 24×7 calendars if missing,
    and seed the standard one's days for the years the package knows. Idempotent."""
    standard = session.exec(select(Calendar).where(Calendar.code == STANDARD)).first()
    if standard is None:
        standard = Calendar(code=STANDARD, name="标准工作日历 Standard working calendar")
        session.add(standard)
    if session.exec(select(Calendar).where(Calendar.code == ALWAYS)).first() is None:
        session.add(Calendar(code=ALWAYS, name="全天候 24×7", always_on=True, periods="00:00-23:59", weekdays=""))
    session.flush()
    seed_official_days(session=session, calendar_code=STANDARD)
    return standard


def official_days() -> dict[date, tuple[DayKind, str]]:
    """Every official day off (the statutory holidays, those moved off a weekend and the days off in lieu,
    whatever the weekday: a calendar that works weekends needs its Saturday National Day too) and every
    make-up working day (调休), from the ``holidays`` package."""
    import holidays

    years = list(official_years())
    cn = holidays.China(years=years, language="zh_CN")
    en = holidays.China(years=years, language="en_US")
    # the name in both languages, as the make-up days below: "国庆节 National Day"
    wanted: dict[date, tuple[DayKind, str]] = {day: (DayKind.holiday, f"{name} {en.get(day, '')}".strip())
                                               for day, name in cn.items()}
    for day in cn.weekend_workdays:
        wanted[day] = (DayKind.workday, "调休上班 make-up working day")
    return wanted


def seed_official_days(*, session: Session, calendar_code: str) -> int:
    """Add the official days (``official_days``) the calendar lacks. Days an admin set win: a day the
    calendar already has is left as it is. Returns the days added."""
    existing = {d.day: d for d in session.exec(select(CalendarDay).where(CalendarDay.calendar_code == calendar_code))}
    added = 0
    wanted = official_days()
    for day, (kind, name) in sorted(wanted.items()):
        if day not in existing:
            session.add(CalendarDay(calendar_code=calendar_code, day=day, kind=kind, name=name, source="holidays"))
            added += 1
    if added:
        touch(session, calendar_code)
    session.flush()
    return added


def get_calendar(session: Session, code: str) -> Calendar:
    """The calendar row, or NotFound listing the calendars there are."""
    cal = session.exec(select(Calendar).where(Calendar.code == code)).first()
    if cal is None:
        raise NotFound(f"no calendar {code!r}; calendars are: "
                       + ", ".join(session.exec(select(Calendar.code)).all()))
    return cal


def find_calendar(session: Session, code: str) -> Calendar | None:
    """The calendar a code names, or None."""
    return session.exec(select(Calendar).where(Calendar.code == code)).first()


def find_day(session: Session, calendar_code: str, day: date) -> CalendarDay | None:
    """The calendar's own entry for a day (a holiday or a make-up working day), or None for an ordinary day."""
    return session.exec(select(CalendarDay).where(CalendarDay.calendar_code == calendar_code,
                                                  CalendarDay.day == day)).first()


def touch(session: Session, code: str) -> None:
    """Mark the calendar changed."""
    cal = get_calendar(session, code)
    # strictly later than before (the caches follow grid.refcache's version, bumped by this change too)
    now = utcnow()
    cal.updated_at = max(now, cal.updated_at + timedelta(microseconds=1)) if cal.updated_at else now
    session.add(cal)


def set_day(*, session: Session, calendar_code: str, day: date, kind: str, name: str = "") -> CalendarDay:
    """Mark a day as a holiday or a (make-up) working day, replacing what was there."""
    try:
        kind = DayKind(kind)
    except ValueError:
        raise InvalidInput(f"kind must be holiday or workday, not {kind!r}", field="kind") from None
    get_calendar(session, calendar_code)
    row = find_day(session, calendar_code, day) or CalendarDay(calendar_code=calendar_code, day=day, kind=kind)
    row.kind, row.name, row.source = kind, name.strip()[:100], "admin"
    session.add(row)
    touch(session, calendar_code)
    session.flush()
    return row


def remove_day(*, session: Session, calendar_code: str, day: date) -> None:
    row = find_day(session, calendar_code, day)
    if row is None:
        raise NotFound(f"{day.isoformat()} is an ordinary day in calendar {calendar_code!r}")
    session.delete(row)
    touch(session, calendar_code)
    session.flush()


def set_department_calendar(*, session: Session, department_code: str, calendar_code: str | None) -> None:
    from grid.models import Department

    dept = session.exec(select(Department).where(Department.code == department_code)).first()
    if dept is None:
        raise NotFound(f"unknown department {department_code!r}")
    if calendar_code:
        get_calendar(session, calendar_code)
    dept.calendar_code = calendar_code
    session.add(dept)
    session.flush()


def days(*, session: Session, calendar_code: str, year: int | None = None) -> list[CalendarDay]:
    get_calendar(session, calendar_code)
    query = select(CalendarDay).where(CalendarDay.calendar_code == calendar_code).order_by(CalendarDay.day)
    if year:
        query = query.where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    return list(session.exec(query))
