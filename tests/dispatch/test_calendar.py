"""Working-time arithmetic: the acceptance examples, and properties against a minute-by-minute reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.worktime import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
# 2026: National Day 1–7 October, make-up working days Sunday 20 September and Saturday 10 October
HOLIDAYS = frozenset(date(2026, 10, d) for d in range(1, 8)) | {date(2026, 9, 25)}
WORKDAYS = frozenset({date(2026, 9, 20), date(2026, 10, 10)})
CAL = WorkCalendar(holidays=HOLIDAYS, workdays=WORKDAYS)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def test_friday_17_plus_4_working_hours_is_monday_11():
    assert CAL.add_working(local(2026, 11, 20, 17), timedelta(hours=4)) == local(2026, 11, 23, 11)
    assert CAL.working_between(local(2026, 11, 20, 17), local(2026, 11, 23, 11)) == timedelta(hours=4)


def test_national_day_eve_falls_due_after_the_holiday():
    # Wednesday 30 September 16:00 + 8 working hours: 2 h that day, then nothing until Thursday 8 October
    assert CAL.add_working(local(2026, 9, 30, 16), timedelta(hours=8)) == local(2026, 10, 8, 16)


def test_make_up_sunday_is_a_working_day():
    assert CAL.is_working_day(date(2026, 9, 20))  # a Sunday
    assert CAL.add_working(local(2026, 9, 19, 10), timedelta(hours=2)) == local(2026, 9, 20, 10)
    assert not CAL.is_working_day(date(2026, 9, 27))  # an ordinary Sunday


def test_natural_time_ignores_the_calendar():
    natural = WorkCalendar.always()
    start = local(2026, 9, 30, 23, 30)
    assert natural.add_working(start, timedelta(hours=6)) == local(2026, 10, 1, 5, 30)
    assert natural.working_between(start, local(2026, 10, 2, 23, 30)) == timedelta(days=2)


def test_outside_working_hours_starts_at_the_next_period():
    assert CAL.add_working(local(2026, 11, 23, 12, 30), timedelta(minutes=30)) == local(2026, 11, 23, 14, 30)
    assert CAL.add_working(local(2026, 11, 23, 6), timedelta(hours=4)) == local(2026, 11, 23, 12)
    assert CAL.add_working(local(2026, 11, 23, 6), timedelta(0)) == local(2026, 11, 23, 6)


def test_utc_in_utc_out():
    start = local(2026, 11, 20, 17).astimezone(UTC)
    due = CAL.add_working(start, timedelta(hours=4))
    assert due.tzinfo == UTC and due == local(2026, 11, 23, 11)


# --- properties against the brute-force reference -------------------------------------------------

BASE = local(2026, 9, 14)  # a Monday; the window spans the 调休 days and National Day


def reference_add(cal: WorkCalendar, start: datetime, minutes: int) -> datetime:
    t, left = start, minutes
    if left == 0:
        return start
    while True:
        if cal.is_working(t):
            left -= 1
            if left == 0:
                return t + timedelta(minutes=1)
        t += timedelta(minutes=1)


def reference_between(cal: WorkCalendar, start: datetime, end: datetime) -> int:
    t, n = start, 0
    while t < end:
        n += cal.is_working(t)
        t += timedelta(minutes=1)
    return n


offsets = st.integers(0, 30 * 24 * 60)


@settings(max_examples=60, deadline=None)
@given(offset=offsets, minutes=st.integers(0, 3 * 8 * 60))
def test_add_working_matches_the_minute_by_minute_reference(offset, minutes):
    start = BASE + timedelta(minutes=offset)
    assert CAL.add_working(start, timedelta(minutes=minutes)) == reference_add(CAL, start, minutes)


@settings(max_examples=60, deadline=None)
@given(a=offsets, span=st.integers(0, 5 * 24 * 60))
def test_working_between_matches_the_reference(a, span):
    start = BASE + timedelta(minutes=a)
    end = start + timedelta(minutes=span)
    assert CAL.working_between(start, end) == timedelta(minutes=reference_between(CAL, start, end))


@settings(max_examples=100, deadline=None)
@given(offset=offsets, minutes=st.integers(1, 20 * 8 * 60))
def test_the_two_primitives_are_inverse(offset, minutes):
    start = BASE + timedelta(minutes=offset, seconds=17)
    due = CAL.add_working(start, timedelta(minutes=minutes))
    assert CAL.working_between(start, due) == timedelta(minutes=minutes)
    assert CAL.is_working(due - timedelta(seconds=1))


@settings(max_examples=100, deadline=None)
@given(offset=offsets, minutes=st.integers(1, 10 * 8 * 60))
def test_sub_working_undoes_add_working(offset, minutes):
    end = BASE + timedelta(minutes=offset)
    start = CAL.sub_working(end, timedelta(minutes=minutes))
    assert CAL.working_between(start, end) == timedelta(minutes=minutes)
    assert CAL.is_working(start)


@settings(max_examples=60, deadline=None)
@given(start=offsets, ends=st.lists(st.integers(-40 * 24 * 60 * 60, 40 * 24 * 60 * 60), max_size=30),
       always=st.booleans())
def test_many_lights_at_once_agree_with_signed_between(start, ends, always):
    """The map computes thousands of remaining times in one batch; each must be the one-at-a-time answer,
    before and after ``start``, across weekends, 调休 and National Day."""
    cal = WorkCalendar.always() if always else CAL
    origin = BASE + timedelta(minutes=start)
    moments = [(origin + timedelta(seconds=s)).astimezone(UTC) for s in ends]
    batch = cal.signed_between_many(origin, moments)
    assert batch == pytest.approx([cal.signed_between(origin, m) for m in moments], abs=1e-3)
