"""Working time, dispatch's one home for calendars (their records live in grid.calendars):

- ``calendar``: the arithmetic: a calendar of working periods, weekdays, holidays and make-up working days,
  and the primitives every time limit is counted with (pure, no database);
- ``load``: a calendar's records turned into that arithmetic, cached until the calendar changes;
- ``changes``: an admin's change to a calendar applied to the deadlines running on it."""

from dispatch.worktime.calendar import NoWorkingTime, WorkCalendar, parse_periods
from dispatch.worktime.load import calendar_for

__all__ = ["NoWorkingTime", "WorkCalendar", "calendar_for", "parse_periods"]
