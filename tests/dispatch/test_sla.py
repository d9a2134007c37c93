"""SLA timers through the lifecycle, with an injected clock: suspension pauses, extension moves the
deadline, return and rework restart, close stops; lights change at 80 % and 100 %; escalations fire once."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from dispatch import escalation, policies, service, sla
from dispatch.models import Escalation, Notification, SlaTimer
from dispatch.options import DispatchOptions
from geo.index import CellIndex
from grid.calendars import ensure_calendars
from grid.hierarchy import cell_geometries
from grid.models import Category
from tests.support.city import COMMUNITY_A, build_city, cell_centre

SH = ZoneInfo("Asia/Shanghai")
OPTIONS = DispatchOptions()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def world(session: Session, clock):  # noqa: ANN001, ANN201
    city = build_city(session)
    ensure_calendars(session=session)
    for category in session.exec(select(Category)):  # these tests are about time limits, not photo evidence
        category.after_photo_required = False
    session.commit()
    index = CellIndex(*cell_geometries(session=session))
    return city, index


def report(session, world, **kw):  # noqa: ANN001, ANN003, ANN201
    city, index = world
    lng, lat = cell_centre(COMMUNITY_A, 1)
    result = service.report(session=session, actor=city.actors["worker_a"], index=index, options=OPTIONS,
                            lat=lat, lng=lng, category_code=kw.pop("category_code", "E0101"),
                            description="暴露垃圾", **kw)
    session.commit()
    return result.ticket


def act(session, world, who, ticket, action, **kw):  # noqa: ANN001, ANN003, ANN201
    city, _ = world
    out = service.act(session=session, actor=city.actors[who], ticket_id=ticket.id, action=action, options=OPTIONS,
                      **kw)
    session.commit()
    return out


def timer(session, ticket, stage) -> SlaTimer:  # noqa: ANN001
    session.expire_all()
    return session.exec(select(SlaTimer).where(SlaTimer.ticket_id == ticket.id, SlaTimer.stage == stage)).one()


def view(session, ticket, stage, now):  # noqa: ANN001, ANN201
    return sla.view(session=session, timer=timer(session, ticket, stage), now=now)


def test_friday_five_pm_four_working_hours_falls_due_monday_eleven(session, world, clock):
    clock.set(local(2026, 11, 20, 17))  # a Friday, 17:00
    t = report(session, world)  # auto-registered and dispatched to SANITATION: E0101 has 4 working hours
    handle = timer(session, t, "handle")
    assert handle.due_at == local(2026, 11, 23, 11) and handle.basis == "working"
    assert timer(session, t, "register").fulfilled_at == clock.now  # auto-registered at once


def test_lights_change_at_80_and_100_percent(session, world, clock):
    clock.set(local(2026, 11, 23, 8))  # Monday 08:00, due 12:00
    t = report(session, world)
    assert view(session, t, "handle", local(2026, 11, 23, 11, 11)).light == "green"
    assert view(session, t, "handle", local(2026, 11, 23, 11, 12)).light == "yellow"  # 3h12 = 80 % of 4 h
    assert view(session, t, "handle", local(2026, 11, 23, 11, 59)).light == "yellow"
    v = view(session, t, "handle", local(2026, 11, 23, 12))
    assert v.light == "red" and v.remaining_s == 0
    assert view(session, t, "handle", local(2026, 11, 23, 14, 30)).remaining_s == -1800  # lunch does not count


def test_suspension_pauses_and_resume_continues(session, world, clock):
    clock.set(local(2026, 11, 23, 8))
    t = report(session, world)
    act(session, world, "sanitation", t, "accept")
    clock.set(local(2026, 11, 23, 9))
    act(session, world, "sanitation", t, "request_suspension", reason="需协调")
    act(session, world, "shift_lead", t, "approve_suspension")
    paused = view(session, t, "handle", local(2026, 11, 30, 9))
    assert paused.paused and paused.remaining_s == 3 * 3600 and paused.light == "green"
    clock.set(local(2026, 11, 30, 9))  # a week later
    act(session, world, "sanitation", t, "resume")
    handle = timer(session, t, "handle")
    assert handle.due_at == local(2026, 11, 30, 12) and handle.original_due_at == local(2026, 11, 23, 12)
    assert handle.paused_total_s == 7 * 24 * 3600


def test_extension_moves_the_deadline_by_the_approved_hours(session, world, clock):
    clock.set(local(2026, 11, 23, 8))
    t = report(session, world)
    act(session, world, "sanitation", t, "accept")
    act(session, world, "sanitation", t, "request_extension", reason="量大", payload={"hours": 8})
    act(session, world, "dispatcher", t, "approve_extension", payload={"hours": 6})
    handle = timer(session, t, "handle")
    assert handle.due_at == local(2026, 11, 24, 10)  # 12:00 + 6 working hours: 14:00–18:00, then 08:00–10:00
    assert handle.extension_s == 6 * 3600


def test_return_and_redispatch_restart_the_department_timers(session, world, clock):
    clock.set(local(2026, 11, 23, 8))
    t = report(session, world)
    clock.set(local(2026, 11, 23, 10))
    act(session, world, "sanitation", t, "request_return", reason="不归我们")
    act(session, world, "dispatcher", t, "approve_return")
    assert not timer(session, t, "handle").active and timer(session, t, "dispatch").active
    clock.set(local(2026, 11, 23, 11))
    act(session, world, "dispatcher", t, "dispatch", payload={"department_code": "SANITATION"})
    handle = timer(session, t, "handle")
    assert handle.cycle == 2 and handle.active and handle.due_at == local(2026, 11, 23, 17)


def test_rework_restarts_handling_and_close_stops_everything(session, world, clock):
    clock.set(local(2026, 11, 23, 8))
    t = report(session, world)
    act(session, world, "sanitation", t, "accept")
    clock.set(local(2026, 11, 23, 9))
    act(session, world, "sanitation", t, "resolve", reason="已清理")
    assert timer(session, t, "handle").fulfilled_at == local(2026, 11, 23, 9)
    assert timer(session, t, "check").due_at == local(2026, 11, 23, 9, 30)
    act(session, world, "worker_a", t, "check_fail", reason="仍有残留")
    handle = timer(session, t, "handle")
    assert handle.cycle == 2 and handle.active and handle.due_at == local(2026, 11, 23, 15)
    act(session, world, "sanitation", t, "resolve", reason="已彻底清理")
    act(session, world, "worker_a", t, "check_pass")
    act(session, world, "shift_lead", t, "close")
    timers = sla.timers_of(session=session, ticket_id=t.id)
    assert timers and not any(x.active for x in timers) and all(x.next_fire_at is None for x in timers)
    assert all(sla.view(session=session, timer=x, now=clock.now).on_time for x in timers if x.fulfilled_at)


def test_each_level_fires_exactly_once_and_missed_levels_fire_late(session, world, clock):
    clock.set(local(2026, 11, 23, 8))
    t = report(session, world)
    act(session, world, "sanitation", t, "accept")  # only the handle timer keeps running
    assert escalation.process_due(session=session, now=local(2026, 11, 23, 11)) == 0
    assert escalation.process_due(session=session, now=local(2026, 11, 23, 11, 12)) == 1  # yellow
    session.commit()
    assert escalation.process_due(session=session, now=local(2026, 11, 23, 11, 30)) == 0
    # nobody ran a pass for a day and a half: red and the overdue steps fire now, late, once each
    fired = escalation.process_due(session=session, now=local(2026, 11, 24, 15))
    session.commit()
    assert fired == 1 + 2  # red at 12:00 Monday, +4 h at 16:00 Monday, +8 h at 10:00 Tuesday
    assert escalation.process_due(session=session, now=local(2026, 11, 24, 15)) == 0
    rows = session.exec(select(Escalation).where(Escalation.ticket_id == t.id).order_by(Escalation.level)).all()
    assert [(e.stage, e.level) for e in rows] == [("handle", 1), ("handle", 2), ("handle", 3), ("handle", 4)]
    assert rows[1].scheduled_at == local(2026, 11, 23, 12)
    city, _ = world
    notes = session.exec(select(Notification).where(Notification.ticket_id == t.id)).all()
    by_user = {}
    for n in notes:
        by_user.setdefault(n.user_id, []).append(n.kind)
    assert by_user[city.actors["sanitation"].user_id] == ["sla.yellow"]  # the department works the stage
    assert by_user[city.actors["sanitation_chief"].user_id] == ["sla.yellow", "sla.red"]  # and its leader
    assert by_user[city.actors["dispatcher"].user_id] == ["sla.red"]
    assert by_user[city.actors["supervisor"].user_id] == ["sla.overdue_1", "sla.overdue_2"]
    assert city.actors["water"].user_id not in by_user


def test_policy_is_snapshotted_when_the_timer_starts(session, world, clock):
    clock.set(local(2026, 11, 23, 8))
    t = report(session, world)
    policies.set_policy(session=session, stage="handle", category="E0101", limit_hours=1, basis="natural")
    session.commit()
    assert timer(session, t, "handle").due_at == local(2026, 11, 23, 12)  # unchanged
    later = report(session, world)
    assert timer(session, later, "handle").due_at == local(2026, 11, 23, 9)  # the new policy, natural time


def test_natural_time_categories_ignore_the_calendar(session, world, clock):
    clock.set(local(2026, 11, 21, 22))  # Saturday night
    t = report(session, world, category_code="C0101")  # manhole cover: 6 natural hours
    assert timer(session, t, "handle").due_at == local(2026, 11, 22, 4)


def test_stale_pass_changes_nothing_after_a_fulfilment(session, world, clock):
    clock.set(local(2026, 11, 23, 8))
    t = report(session, world)
    act(session, world, "sanitation", t, "accept")
    act(session, world, "sanitation", t, "resolve", reason="done")
    # the fulfilled handle timer is quiet; the check timer (30 min from 08:00) is yellow and red by 13:00
    assert escalation.process_due(session=session, now=local(2026, 11, 23, 13)) == 2
    assert {(e.stage, e.level) for e in session.exec(select(Escalation))} == {("check", 1), ("check", 2)}


def test_a_department_on_a_24x7_calendar(session, world, clock):
    from grid.calendars import set_department_calendar

    set_department_calendar(session=session, department_code="SANITATION", calendar_code="24x7")
    session.commit()
    clock.set(local(2026, 11, 21, 22))  # Saturday night
    t = report(session, world)
    handle = timer(session, t, "handle")
    assert handle.calendar_code == "24x7"
    assert handle.due_at == local(2026, 11, 22, 2)  # 4 working hours, round the clock
    assert timer(session, t, "register").calendar_code == "standard"  # the centre's own stages keep office hours


def test_acts_and_escalations_are_published_as_live_events(session, world, clock):
    from dispatch.models import LiveEvent

    clock.set(local(2026, 11, 23, 8))
    t = report(session, world)
    act(session, world, "sanitation", t, "accept")
    escalation.process_due(session=session, now=local(2026, 11, 23, 11, 15))
    session.commit()
    events = session.exec(select(LiveEvent).order_by(LiveEvent.id)).all()
    kinds = [e.kind for e in events]
    # the report, auto-registered and dispatched in its transaction, is one event with the case as it ended
    assert kinds[0] == "ticket.created" and json.loads(events[0].payload)["status"] == "dispatched"
    assert kinds.count("ticket.created") == 1 and kinds.count("ticket.changed") == 1  # then the accept
    assert "sla.light" in kinds and "notification" in kinds
    note = next(e for e in events if e.kind == "notification")
    city, _ = world
    assert note.user_id in {city.actors["sanitation"].user_id, city.actors["sanitation_chief"].user_id}
    assert all(e.ticket_id == t.id and e.cell_code == t.cell_code for e in events)
    assert all(e.department_code == "SANITATION" for e in events if e.kind.startswith("ticket."))  # it sees both
    assert [e.id for e in events] == sorted(e.id for e in events)


def test_a_timer_that_cannot_be_processed_does_not_hold_up_the_others(session, world, clock):
    """A ladder broken in the database (written before validation existed, or by hand) makes its own
    timer fail; every other due timer still fires, and the broken one is retried an hour later."""
    clock.set(local(2026, 11, 23, 8))
    broken, fine = report(session, world), report(session, world, category_code="E0102")
    for t in (broken, fine):
        act(session, world, "sanitation", t, "accept")
    bad = timer(session, broken, "handle")
    bad.ladder = '{"yellow_ratio": 0.8, "yellow": "owner", "overdue_every_hours": "x"}'
    session.add(bad)
    session.commit()
    now = local(2026, 11, 24, 15)  # both long overdue
    assert escalation.process_due(session=session, now=now) >= 2  # the fine case's yellow and red at least
    session.commit()
    fired = {e.ticket_id for e in session.exec(select(Escalation))}
    assert fired == {fine.id}
    assert timer(session, broken, "handle").next_fire_at == now + escalation.RETRY_BROKEN


@pytest.mark.parametrize("ladder", [
    {"overdue_every_hours": "x"}, {"yellow": None}, {"red": ["everyone"]}, {"yellow_ratio": 1.5},
    {"max_overdue_steps": 2.5}, {"colour": "red"}, ["owner"],
])
def test_a_ladder_the_pass_could_not_follow_is_refused(session, world, ladder):
    with pytest.raises(policies.InvalidInput, match="ladder|yellow_ratio|overdue|max_overdue"):
        policies.set_policy(session=session, stage="handle", category="E0101", limit_hours=4, ladder=ladder)


@pytest.mark.parametrize("category", ["E", "E010", "Z01"])
def test_a_policy_for_a_category_that_could_never_match_is_refused(session, world, category):
    with pytest.raises(policies.UnknownCategory):
        policies.set_policy(session=session, stage="handle", category=category, limit_hours=4)


def test_a_department_hears_when_a_case_leaves_it(session, world, clock):
    """An approved return takes the case away from the department; its own event is scoped to nobody's
    department now, so a second event tells the old department (and only it) to drop the case."""
    from dispatch.models import LiveEvent
    from web.background.live import visible

    clock.set(local(2026, 11, 23, 8))
    t = report(session, world)
    act(session, world, "sanitation", t, "request_return", reason="不属于本部门")
    first = session.exec(select(LiveEvent.id).order_by(LiveEvent.id.desc())).first()
    act(session, world, "dispatcher", t, "approve_return")
    city, _ = world
    after = session.exec(select(LiveEvent).where(LiveEvent.id > first)).all()
    seen_by = {who: [e for e in after if visible(city.actors[who], e)] for who in ("sanitation", "water", "worker_a")}
    assert [json.loads(e.payload).get("left_department") for e in seen_by["sanitation"]] == ["SANITATION"]
    assert seen_by["water"] == []
    assert len(seen_by["worker_a"]) == 1  # the case's own event, once
