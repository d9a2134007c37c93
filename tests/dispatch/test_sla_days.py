"""Remaining and overdue time in the limit's own basis: whole days of the calendar's day (24 hours in natural
time, the calendar's working hours in working time) and the rest, as the pages say it."""

from __future__ import annotations

from datetime import time

from dispatch.sla import day_s, split_days
from dispatch.worktime import WorkCalendar


def test_a_working_day_is_the_calendars_working_hours() -> None:
    eight = WorkCalendar()  # 08:00-12:00, 14:00-18:00
    assert day_s(eight) == 8 * 3600
    assert day_s(WorkCalendar(periods=((time(9), time(12)), (time(13), time(17, 30))))) == 7.5 * 3600
    assert day_s(WorkCalendar.always()) == 24 * 3600


def test_overdue_and_remaining_split_into_days_and_the_rest() -> None:
    eight = day_s(WorkCalendar())
    assert split_days(-(3 * 8 + 2) * 3600, eight) == (3, 2 * 3600)  # 超时 3 个工作日 2 小时
    assert split_days((2 * 3600 + 5 * 60), eight) == (0, 2 * 3600 + 5 * 60)  # 剩余 2 小时 05 分
    assert split_days(-8 * 3600, eight) == (1, 0)
    natural = day_s(WorkCalendar.always())
    assert split_days(-(12 * 24 + 21) * 3600 - 600, natural) == (12, 21 * 3600 + 600)  # 超时 12 天 21 小时
