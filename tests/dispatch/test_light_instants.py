"""Stored light instants (sla_timer.yellow_at/red_at, ticket.sla_*_at) equal the lights computed case by case
with the working-time calendar, through random acts, extensions, suspensions and calendar edits."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import select

from dispatch import sla
from dispatch.lifecycle import allowed_actions
from dispatch.models import SlaTimer, Ticket
from dispatch.worktime import calendar_for
from dispatch.worktime.changes import remove_calendar_day, set_calendar_day
from grid.calendars import STANDARD
from grid.errors import DomainError
from tests.dispatch.test_sla import act, local, report, world  # noqa: F401 (world: a fixture)

ORDER = {"red": 0, "yellow": 1, "green": 2}
MOVES = [
    ("sanitation", "accept", {}), ("sanitation", "request_extension", {"reason": "量大", "payload": {"hours": 5}}),
    ("dispatcher", "approve_extension", {"payload": {"hours": 3}}), ("dispatcher", "deny_extension", {"reason": "否"}),
    ("sanitation", "request_suspension", {"reason": "协调"}), ("shift_lead", "approve_suspension", {}),
    ("sanitation", "resume", {}), ("sanitation", "resolve", {"reason": "已清理"}),
    ("worker_a", "check_fail", {"reason": "未清"}), ("worker_a", "check_pass", {}),
]


def check_every_case(session, now) -> int:  # noqa: ANN001
    session.expire_all()
    checked = 0
    timers: dict[int, list[SlaTimer]] = {}  # every running timer, read at once
    for t in session.exec(select(SlaTimer).where(SlaTimer.active)).all():
        timers.setdefault(t.ticket_id, []).append(t)
    calendars = {code: calendar_for(session=session, code=code) for code in {t.calendar_code for ts in timers.values()
                                                                             for t in ts}}
    for ticket in session.exec(select(Ticket)).all():
        running = timers.get(ticket.id, [])
        lights = []
        for t in running:
            expected = sla.light(t, calendars[t.calendar_code], now)
            assert sla.light_at(t.yellow_at, t.red_at, now) == expected, (ticket.case_number, t.stage, now)
            lights.append(expected)
        worst = min(lights, key=ORDER.get) if lights else "green"
        assert sla.light_at(ticket.sla_yellow_at, ticket.sla_red_at, now) == worst, (ticket.case_number, now)
        due = min((t.due_at for t in running if t.paused_at is None), default=None)
        assert ticket.sla_due_at == due
        checked += 1
    return checked


def test_stored_instants_match_the_calendar_through_random_acts(session, world, clock):  # noqa: F811
    rng = random.Random(20261129)
    clock.set(local(2026, 11, 23, 8))
    cases, done = [], {}
    for _ in range(120):
        clock.advance(minutes=rng.choice([7, 25, 50, 95, 240, 600]))
        roll = rng.random()
        if roll < 0.25 or not cases:
            cases.append(report(session, world, category_code=rng.choice(["E0101", "E0102"])))
        elif roll < 0.85:
            case = rng.choice(cases)
            session.refresh(case)
            city, _ = world
            moves = [m for m in MOVES if m[1] in allowed_actions(case.status, city.actors[m[0]].role)]
            if moves:
                who, action, kw = rng.choice(moves)
                act(session, world, who, case, action, **kw)
                done[action] = done.get(action, 0) + 1
        else:  # an admin declares or withdraws a holiday in the coming days
            day = (clock.now + timedelta(days=rng.randint(0, 4))).date()
            try:
                if rng.random() < 0.7:
                    set_calendar_day(session=session, calendar_code=STANDARD, day=day, kind="holiday")
                else:
                    remove_calendar_day(session=session, calendar_code=STANDARD, day=day)
                session.commit()
                done["calendar"] = done.get("calendar", 0) + 1
            except DomainError:
                session.rollback()
        for later in (timedelta(0), timedelta(minutes=rng.randint(1, 3000)), timedelta(days=rng.randint(1, 9))):
            assert check_every_case(session, clock.now + later) == len(cases)
    # the walk went through what it is meant to test
    assert {"approve_extension", "approve_suspension", "resume", "check_fail", "calendar"} <= set(done), done


def test_a_suspended_case_keeps_the_light_it_had(session, world, clock):  # noqa: F811
    clock.set(local(2026, 11, 23, 8))  # Monday; the handling limit (4 working hours) ends at 12:00
    late, later = report(session, world), report(session, world)
    for case, when in ((late, local(2026, 11, 23, 11, 30)), (later, local(2026, 11, 23, 15))):
        clock.set(when)
        act(session, world, "sanitation", case, "accept")
        act(session, world, "sanitation", case, "request_suspension", reason="协调")
        act(session, world, "shift_lead", case, "approve_suspension")
    week = local(2026, 11, 30, 9)
    session.expire_all()
    assert sla.light_at(late.sla_yellow_at, late.sla_red_at, week) == "yellow"
    assert sla.light_at(later.sla_yellow_at, later.sla_red_at, week) == "red"
    assert late.sla_due_at is None  # nothing runs toward a deadline while suspended
    assert check_every_case(session, week) == 2
