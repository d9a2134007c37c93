"""Seeding the official days (issue 13): every holiday the State Council declares goes into every working
calendar, the ones on a weekend too, so a calendar that works weekends has them off; the Monday–Friday
calendar keeps its make-up working days (调休). National Day 2022: Saturday 1 – Friday 7 October off,
Saturday 8 and Sunday 9 October worked."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, select

from dispatch.worktime import calendar_for
from grid.models import CalendarDay, DayKind
from web.models import SecurityEvent

SEVEN_DAYS = "seven-day"


def working(engine: Engine, code: str, *days: date) -> list[bool]:
    with Session(engine) as session:
        cal = calendar_for(session=session, code=code)
        return [cal.is_working_day(d) for d in days]


NATIONAL_DAY_SATURDAY, NATIONAL_DAY_SUNDAY = date(2022, 10, 1), date(2022, 10, 2)
NATIONAL_DAY_TUESDAY = date(2022, 10, 4)
MAKE_UP_SATURDAY, MONDAY_AFTER = date(2022, 10, 8), date(2022, 10, 10)
ORDINARY_SATURDAY = date(2022, 10, 15)


def test_a_seven_day_calendar_has_the_weekend_holidays_off(engine, gridops):
    assert gridops("calendar", "seed").exit_code == 0
    made = gridops("calendar", "save", SEVEN_DAYS, "--weekdays", "1,2,3,4,5,6,7", "--periods", "07:00-19:00")
    assert made.exit_code == 0, made.output

    assert working(engine, SEVEN_DAYS, NATIONAL_DAY_SATURDAY, NATIONAL_DAY_SUNDAY, NATIONAL_DAY_TUESDAY,
                   MAKE_UP_SATURDAY, ORDINARY_SATURDAY) == [False, False, False, True, True]
    # the standard week: the holiday week off, the make-up Saturday worked, ordinary weekends off
    assert working(engine, "standard", NATIONAL_DAY_SATURDAY, NATIONAL_DAY_TUESDAY, MAKE_UP_SATURDAY,
                   date(2022, 10, 9), MONDAY_AFTER, ORDINARY_SATURDAY) == [False, False, True, True, True, False]
    shown = gridops("calendar", "show", "2022", "--calendar", SEVEN_DAYS)
    assert "2022-10-01" in shown.output and "National Day" in shown.output


def test_seeding_again_gives_existing_calendars_the_days_they_miss(engine, gridops):
    assert gridops("calendar", "seed").exit_code == 0
    assert gridops("calendar", "save", SEVEN_DAYS, "--weekdays", "1,2,3,4,5,6,7").exit_code == 0
    # a calendar seeded before the fix: no holiday on a weekend; and an admin made one of them a working day
    with Session(engine) as session:
        weekend = [d for d in session.exec(select(CalendarDay).where(CalendarDay.calendar_code == SEVEN_DAYS,
                                                                      CalendarDay.kind == DayKind.holiday))
                   if d.day.weekday() >= 5]
        assert NATIONAL_DAY_SATURDAY in {d.day for d in weekend}
        for row in weekend:
            session.delete(row)
        session.commit()
    assert gridops("calendar", "set-day", "2022-10-02", "--kind", "workday", "--calendar", SEVEN_DAYS).exit_code == 0
    assert working(engine, SEVEN_DAYS, NATIONAL_DAY_SATURDAY, NATIONAL_DAY_SUNDAY) == [True, True]

    seeded = gridops("calendar", "seed")
    assert seeded.exit_code == 0, seeded.output
    assert f"{len(weekend) - 1} days added" in seeded.output  # the admin's day stays as the admin set it
    assert working(engine, SEVEN_DAYS, NATIONAL_DAY_SATURDAY, NATIONAL_DAY_SUNDAY) == [False, True]
    with Session(engine) as session:
        entry = session.exec(select(SecurityEvent).order_by(SecurityEvent.seq.desc())).first()
    assert (entry.kind, entry.subject) == ("calendar_change", f"calendar:{SEVEN_DAYS}")
    assert json.loads(entry.detail) == {"official_days_added": len(weekend) - 1}
    assert "0 days added" in gridops("calendar", "seed").output  # idempotent

