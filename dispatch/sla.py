"""SLA timers: on which calendar each timed stage runs (its limit: ``dispatch.policies``); how acts start,
fulfil, pause, extend, restart and stop them; and the traffic light of each.

Levels: 1 yellow (80 % of the limit used, configurable), 2 red (100 %), 3, 4 … every N working hours
overdue. ``next_fire_at`` is the moment the next level is reached; the escalation pass picks timers by
it through an index, so its cost does not grow with the number of open cases."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import event
from sqlmodel import Session, select

from dispatch import newcase
from dispatch.lifecycle import DEPARTMENT_CLOCK, Timers
from dispatch.models import SlaTimer, Ticket
from dispatch.policies import policy_for
from dispatch.worktime import WorkCalendar, calendar_for
from grid import catalogue
from grid.calendars import ALWAYS, STANDARD

# --- levels and lights -----------------------------------------------------------------------------

def total_s(timer: SlaTimer) -> float:
    return timer.limit_s + timer.extension_s


def remaining_s(timer: SlaTimer, cal: WorkCalendar, now: datetime) -> float:
    """Working seconds left (negative: overdue). Frozen while paused or finished."""
    if timer.paused_at is not None or not timer.active:
        return timer.anchor_remaining_s
    return cal.signed_between(now, timer.due_at)


def light(timer: SlaTimer, cal: WorkCalendar, now: datetime) -> str:
    return light_of(total_s(timer), remaining_s(timer, cal, now), json.loads(timer.ladder).get("yellow_ratio", 0.8))


def light_of(total: float, remaining: float, yellow_ratio: float) -> str:
    """Green up to ``yellow_ratio`` of the limit used, yellow until it is used up, red past it."""
    used = total - remaining
    if used >= total:
        return "red"
    return "yellow" if used >= yellow_ratio * total else "green"


def level_time(timer: SlaTimer, cal: WorkCalendar, level: int) -> datetime | None:
    ladder = json.loads(timer.ladder)
    if level == 1:
        before_due = (1 - ladder.get("yellow_ratio", 0.8)) * total_s(timer)
        return cal.shift(timer.anchor_at, timer.anchor_remaining_s - before_due)
    if level == 2:
        return timer.due_at
    step = level - 2
    if step > ladder.get("max_overdue_steps", 12) or not ladder.get("overdue_every_hours"):
        return None
    return cal.add_working(timer.due_at, timedelta(hours=step * ladder["overdue_every_hours"]))


def schedule_next(timer: SlaTimer, cal: WorkCalendar) -> None:
    """Set next_level / next_fire_at from the anchor (nothing pends for a paused or finished timer), and
    the instants its light turns yellow and red."""
    timer.yellow_at, timer.red_at = light_instants(timer, cal)
    if not timer.active or timer.paused_at is not None:
        timer.next_level, timer.next_fire_at = None, None
        return
    level = timer.warning_level + 1
    timer.next_level, timer.next_fire_at = level, level_time(timer, cal, level)
    if timer.next_fire_at is None:
        timer.next_level = None


def light_instants(timer: SlaTimer, cal: WorkCalendar) -> tuple[datetime | None, datetime | None]:
    """When the timer's light turns yellow and red while it stands as it is (None: not before it changes).
    A running timer's light moves with working time; a paused one keeps the light it had, so its
    instants are its pause (or never); a finished one has none."""
    if not timer.active:
        return None, None
    if timer.paused_at is not None:
        frozen = light_of(total_s(timer), timer.anchor_remaining_s,
                          json.loads(timer.ladder).get("yellow_ratio", 0.8))
        return (timer.paused_at if frozen != "green" else None, timer.paused_at if frozen == "red" else None)
    return level_time(timer, cal, 1), timer.due_at


def summarise(ticket: Ticket, timers: Iterable[SlaTimer]) -> None:
    """The case's light instants and earliest running deadline, from its timers (see Ticket.sla_red_at)."""
    running = [t for t in timers if t.active]
    ticket.sla_yellow_at = min((t.yellow_at for t in running if t.yellow_at), default=None)
    ticket.sla_red_at = min((t.red_at for t in running if t.red_at), default=None)
    ticket.sla_due_at = min((t.due_at for t in running if t.paused_at is None), default=None)


def light_at(yellow_at: datetime | None, red_at: datetime | None, now: datetime) -> str:
    """The light from stored instants: what ``light`` computes with the calendar."""
    if red_at is not None and red_at <= now:
        return "red"
    return "yellow" if yellow_at is not None and yellow_at <= now else "green"


# --- lifecycle -------------------------------------------------------------------------------------

def _calendar_code(session: Session, ticket: Ticket, stage: str, basis: str) -> str:
    if basis == "natural":
        return ALWAYS
    if stage in DEPARTMENT_CLOCK and ticket.department_code:
        dept = catalogue.departments(session).get(ticket.department_code)
        if dept and dept.calendar_code:
            return dept.calendar_code
    return STANDARD


def timers_of(*, session: Session, ticket_id: int) -> list[SlaTimer]:
    return list(session.exec(select(SlaTimer).where(SlaTimer.ticket_id == ticket_id).order_by(SlaTimer.id)))


_KNOWN = "gridops.sla_timers"


def case_timers(session: Session, ticket: Ticket) -> dict[str, SlaTimer]:
    """The case's timers by stage, read once per transaction: a report that registers and dispatches at
    once, or an act, changes them in memory and the commit writes each row once."""
    known = session.info.setdefault(_KNOWN, {})
    timers = known.get(ticket.id)
    if timers is None:
        timers = known[ticket.id] = {t.stage: t for t in timers_of(session=session, ticket_id=ticket.id)}
    return timers


def forget(session: Session, ticket: Ticket) -> None:
    """Read the case's timers again when next asked (they were written without the ORM)."""
    session.info.get(_KNOWN, {}).pop(ticket.id, None)


def new_case(session: Session, ticket: Ticket) -> None:
    """A case created in this transaction has no timers yet: nothing to read."""
    session.info.setdefault(_KNOWN, {})[ticket.id] = {}


@event.listens_for(Session, "after_transaction_end")
def _forget_timers(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_KNOWN, None)


_EARLIEST = "gridops.sla_earliest"


@event.listens_for(Session, "after_flush")
def _note_earliest(session: Session, context: Any) -> None:
    """Keep the earliest escalation moment among the timers this session wrote (new or changed), for the
    scheduler's wake-up after the commit (``written_earliest``): no query after each act."""
    _note_earliest_of(session, [o.next_fire_at for o in (*session.new, *session.dirty)
                                if isinstance(o, SlaTimer) and o.next_fire_at])


def _note_earliest_of(session: Session, times: list[datetime]) -> None:
    if times:
        known = session.info.get(_EARLIEST)
        session.info[_EARLIEST] = min(times) if known is None else min(known, *times)


def note_written(session: Session, timers: Iterable[SlaTimer]) -> None:
    """The same for timers written without the ORM (``dispatch.newcase``)."""
    _note_earliest_of(session, [t.next_fire_at for t in timers if t.next_fire_at])


def written_earliest(session: Session) -> datetime | None:
    """The earliest escalation moment the timers written since the last call have; forgets it. Called after
    a commit (a rolled-back write only makes the scheduler wake once for nothing)."""
    return session.info.pop(_EARLIEST, None)


def start(*, session: Session, ticket: Ticket, stage: str, at: datetime) -> SlaTimer:
    """Start the stage's timer, or restart it (a new cycle) if it ran before."""
    category = catalogue.categories(session)[ticket.category_code]
    limit = policy_for(session=session, stage=stage, category=category, urgency=ticket.urgency)
    code = _calendar_code(session, ticket, stage, limit.basis)
    cal = calendar_for(session=session, code=code)
    seconds = limit.seconds if limit.days is None else limit.days * day_s(cal)  # working days of this calendar
    due = cal.add_working(at, timedelta(seconds=seconds))
    timers = case_timers(session, ticket)
    fresh = dict(active=True, calendar_code=code, basis=limit.basis, limit_s=seconds, extension_s=0.0,
                 ladder=json.dumps(limit.ladder, sort_keys=True), started_at=at, anchor_at=at,
                 anchor_remaining_s=seconds, due_at=due, original_due_at=due, paused_at=None,
                 paused_total_s=0.0, fulfilled_at=None, breached_at=None, stopped_at=None, warning_level=0)
    timer = timers.get(stage)
    if timer is None:
        timer = timers[stage] = SlaTimer(ticket_id=ticket.id, stage=stage, cycle=1, **fresh)
    else:  # a new cycle
        timer.cycle += 1
        for name, value in fresh.items():
            setattr(timer, name, value)
    schedule_next(timer, cal)
    newcase.keep(session, timer)
    return timer


def _finish(session: Session, timer: SlaTimer, at: datetime, *, fulfilled: bool) -> None:
    if not timer.active:
        return
    cal = calendar_for(session=session, code=timer.calendar_code)
    timer.anchor_remaining_s = remaining_s(timer, cal, at)
    timer.anchor_at = at
    if fulfilled:
        timer.fulfilled_at = at
    else:
        timer.stopped_at = at
    if timer.paused_at is not None:
        timer.paused_total_s += (at - timer.paused_at).total_seconds()
        timer.paused_at = None
    if timer.anchor_remaining_s < 0 and timer.breached_at is None:
        timer.breached_at = timer.due_at
    timer.active = False
    schedule_next(timer, cal)
    newcase.keep(session, timer)


def pause(*, session: Session, timer: SlaTimer, at: datetime) -> None:
    if not timer.active or timer.paused_at is not None:
        return
    cal = calendar_for(session=session, code=timer.calendar_code)
    timer.anchor_remaining_s = remaining_s(timer, cal, at)
    timer.anchor_at = timer.paused_at = at
    schedule_next(timer, cal)
    newcase.keep(session, timer)


def resume(*, session: Session, timer: SlaTimer, at: datetime) -> None:
    if not timer.active or timer.paused_at is None:
        return
    cal = calendar_for(session=session, code=timer.calendar_code)
    timer.paused_total_s += (at - timer.paused_at).total_seconds()
    timer.paused_at = None
    timer.anchor_at = at
    timer.due_at = cal.shift(at, timer.anchor_remaining_s)
    schedule_next(timer, cal)
    newcase.keep(session, timer)


def extend(*, session: Session, timer: SlaTimer, hours: float, at: datetime) -> None:
    """An approved extension: the approved working hours move the deadline."""
    cal = calendar_for(session=session, code=timer.calendar_code)
    timer.anchor_remaining_s = remaining_s(timer, cal, at) + hours * 3600
    timer.extension_s += hours * 3600
    timer.anchor_at = at
    if timer.paused_at is None:
        timer.due_at = cal.shift(at, timer.anchor_remaining_s)
    schedule_next(timer, cal)
    newcase.keep(session, timer)


def on_act(*, session: Session, ticket: Ticket, timers: Timers, at: datetime,
           hours: float | None = None) -> list[SlaTimer]:
    """Apply an act's declared effect on the case's timers (``hours``: what an extension approved).
    Returns the timers that changed."""
    running = case_timers(session, ticket)
    changed: list[SlaTimer] = []
    for stages, fulfilled in ((timers.fulfil, True), (timers.stop, False)):
        for stage in stages:
            if stage in running and running[stage].active:
                _finish(session, running[stage], at, fulfilled=fulfilled)
                changed.append(running[stage])
    for stage in timers.start:
        changed.append(start(session=session, ticket=ticket, stage=stage, at=at))
    for stages, change in ((timers.pause, pause), (timers.resume, resume)):
        for stage in stages:
            if stage in running:
                change(session=session, timer=running[stage], at=at)
                changed.append(running[stage])
    for stage in timers.extend:
        if stage in running and running[stage].active and hours:
            extend(session=session, timer=running[stage], hours=float(hours), at=at)
            changed.append(running[stage])
    if changed:
        summarise(ticket, running.values())
    return changed


def on_report(*, session: Session, ticket: Ticket, at: datetime) -> SlaTimer:
    timer = start(session=session, ticket=ticket, stage="verify" if ticket.status == "verifying" else "register",
                  at=at)
    summarise(ticket, [timer])
    return timer


class TimerView(BaseModel):
    """A timer as people read it at a moment: the API's answer and the pages' countdowns."""

    stage: str
    cycle: int
    active: bool
    paused: bool
    light: str = Field(description="green, yellow (80 % of the limit used) or red (past the limit)")
    due_at: datetime
    original_due_at: datetime
    remaining_s: float = Field(description="working seconds left; negative when overdue")
    limit_s: float
    extension_s: float
    basis: str = Field(description="working (工作时) or natural (自然时): the limit's own basis")
    calendar: str
    day_s: float = Field(description="one day in the limit's basis: 86,400 s in natural time, the calendar's "
                                     "working hours of a working day in working time (28,800 s for 8 hours)")
    days: int = Field(description="|remaining_s| as whole days of day_s (working days in working time) ...")
    rest_s: float = Field(description="... and the seconds left over, under one day: the pages say 剩余 2 小时 05 分, "
                                      "超时 12 天 21 小时 or 超时 3 个工作日 2 小时 from basis, days and rest_s")
    warning_level: int
    fulfilled_at: datetime | None
    breached_at: datetime | None
    on_time: bool | None


def day_s(cal: WorkCalendar) -> float:
    """One day of a calendar's time: 24 hours when it is always on (natural time), else the working hours of
    one of its working days (every working day has the calendar's periods)."""
    if cal.always_on:
        return 86_400.0
    base = datetime(2000, 1, 3)
    return float(sum((datetime.combine(base, b) - datetime.combine(base, a)).total_seconds() for a, b in cal.periods))


def split_days(seconds: float, day: float) -> tuple[int, float]:
    """|seconds| as (whole days of ``day`` seconds, the rest): 3 working days and 2 hours overdue on a calendar
    of 8-hour days is (3, 7200) for -93,600 s."""
    whole, rest = divmod(round(abs(seconds)), round(day))
    return int(whole), float(rest)


def view(*, session: Session, timer: SlaTimer, now: datetime) -> TimerView:
    cal = calendar_for(session=session, code=timer.calendar_code)
    left = remaining_s(timer, cal, now)
    finished = timer.fulfilled_at is not None
    one_day = day_s(cal)
    days, rest = split_days(left, one_day)
    return TimerView(
        day_s=one_day, days=days, rest_s=rest,
        stage=timer.stage, cycle=timer.cycle, active=timer.active, paused=timer.paused_at is not None,
        light=light(timer, cal, now), due_at=timer.due_at, original_due_at=timer.original_due_at,
        remaining_s=round(left, 1), limit_s=timer.limit_s, extension_s=timer.extension_s, basis=timer.basis,
        calendar=timer.calendar_code, warning_level=timer.warning_level, fulfilled_at=timer.fulfilled_at,
        breached_at=timer.breached_at, on_time=(left >= 0) if finished else None,
    )


def headline(views: list[TimerView]) -> TimerView | None:
    """The timer a list shows for a case: the running one that is worst off."""
    running = [v for v in views if v.active]
    order = {"red": 0, "yellow": 1, "green": 2}
    return min(running, key=lambda v: (order[v.light], v.remaining_s)) if running else None

