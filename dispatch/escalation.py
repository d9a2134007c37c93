"""The escalation pass: fire every level whose time has come, exactly once each.

Exactly once rests on two things: on PostgreSQL the due timers are claimed with FOR UPDATE SKIP LOCKED,
so concurrent passes in several processes never take the same timer; and each firing inserts an
Escalation row unique on (timer, cycle, level), so even a pass that somehow met the same level again
would fail to record it a second time. Levels missed while no process ran fire late, once, at the next
pass."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dispatch import live
from dispatch.lifecycle import DEPARTMENT_CLOCK
from dispatch.models import Escalation, Notification, SlaTimer, Ticket, WebhookDelivery
from dispatch.sla import light, schedule_next
from dispatch.worktime import calendar_for
from grid.models import Department, Role, User, WorkerCell

log = logging.getLogger("gridops.escalation")
RETRY_BROKEN = timedelta(hours=1)
LEVEL_NAMES = {1: "yellow", 2: "red"}
STAGE_OWNERS = {"verify": "cell_workers", "check": "cell_workers", "register": "shift_leads",
                "close": "shift_leads", "dispatch": "dispatchers", "accept": "department", "handle": "department",
                "review": "shift_leads", "rectify": "department"}
STAGE_ZH = {"verify": "核实", "register": "立案", "dispatch": "派遣", "accept": "签收", "handle": "处置",
            "check": "核查", "close": "结案", "review": "差评复核", "rectify": "整改"}
TITLES = {
    1: "【黄灯预警】{case} {stage_zh}用时已过{pct}% / yellow: {case}, {pct}% of the {stage} limit used",
    2: "【红灯超时】{case} {stage_zh}已超时 / red: {case}, the {stage} limit has passed",
    3: "【超时督办】{case} {stage_zh}已超时{hours}工作小时 / {case}: {stage} overdue by {hours} working hours",
}


def level_name(level: int) -> str:
    return LEVEL_NAMES.get(level, f"overdue_{level - 2}")


def recipients(session: Session, group: str, ticket: Ticket, stage: str) -> list[int]:
    """User ids of a ladder group: owner (who works the stage), owner_leader, department,
    department_leader, cell_workers, dispatchers, shift_leads, supervisors."""
    query = select(User.id).where(User.active == True)  # noqa: E712
    if group == "owner":
        group = STAGE_OWNERS.get(stage, "dispatchers")
    if group == "owner_leader":
        group = "department_leader" if stage in DEPARTMENT_CLOCK else "shift_leads"
    if group in ("department", "department_leader"):
        if not ticket.department_code:
            return recipients(session, "dispatchers", ticket, stage)
        staff = query.where(User.department_code == ticket.department_code, User.role == Role.department)
        if group == "department_leader":
            leaders = list(session.exec(staff.where(User.is_leader == True)).all())  # noqa: E712
            return leaders or list(session.exec(staff).all())
        return list(session.exec(staff).all())
    if group == "cell_workers":
        return list(session.exec(select(WorkerCell.user_id).where(WorkerCell.cell_code == ticket.cell_code)).all())
    roles = {"dispatchers": [Role.dispatcher, Role.shift_lead], "shift_leads": [Role.shift_lead],
             "supervisors": [Role.supervisor]}.get(group, [])
    return list(session.exec(query.where(col(User.role).in_(roles))).all())


def _fire(session: Session, timer: SlaTimer, ticket: Ticket, level: int, scheduled: datetime, now: datetime) -> bool:
    ladder = json.loads(timer.ladder)
    groups = ladder["yellow"] if level == 1 else ladder["red"] if level == 2 else ladder["overdue"]
    escalation = Escalation(timer_id=timer.id, ticket_id=ticket.id, cycle=timer.cycle, level=level,
                            stage=timer.stage, scheduled_at=scheduled, fired_at=now)
    try:
        with session.begin_nested():
            session.add(escalation)
            session.flush()
    except IntegrityError:  # already fired: the unique record says so
        return False
    users = sorted({uid for g in groups for uid in recipients(session, g, ticket, timer.stage)})
    pct = round(100 * ladder.get("yellow_ratio", 0.8))
    hours = (level - 2) * ladder.get("overdue_every_hours", 0)
    title = TITLES[min(level, 3)].format(case=ticket.case_number, stage=timer.stage, pct=pct, hours=hours,
                                         stage_zh=STAGE_ZH.get(timer.stage, timer.stage))
    body = f"{ticket.description[:200]}\n截止 due {timer.due_at.isoformat()}"
    for uid in users:
        note = Notification(user_id=uid, ticket_id=ticket.id, kind=f"sla.{level_name(level)}", level=level,
                            title=title, body=body, created_at=now)
        session.add(note)
        session.flush()
        live.emit(session=session, kind="notification", at=now, ticket=ticket, user_id=uid,
                  payload={"id": note.id, "title": title, "level": level, "ticket_id": ticket.id})
    escalation.recipients = len(users)
    cal = calendar_for(session=session, code=timer.calendar_code)
    live.emit(session=session, kind="sla.light", at=now, ticket=ticket,
              payload={"ticket_id": ticket.id, "stage": timer.stage, "level": level,
                       "light": light(timer, cal, now), "due_at": timer.due_at.isoformat()})
    if ticket.department_code:
        dept = session.exec(select(Department).where(Department.code == ticket.department_code)).first()
        if dept and dept.webhook_url:
            session.add(WebhookDelivery(
                department_code=dept.code, escalation_id=escalation.id, url=dept.webhook_url, next_attempt_at=now,
                body=json.dumps({"event": f"sla.{level_name(level)}", "case_number": ticket.case_number,
                                 "ticket_id": ticket.id, "stage": timer.stage, "level": level, "title": title,
                                 "due_at": timer.due_at.isoformat(), "fired_at": now.isoformat()},
                                ensure_ascii=False, sort_keys=True)))
    session.add(escalation)
    return True


def process_due(*, session: Session, now: datetime, batch: int = 200) -> int:
    """One pass: claim the timers whose next level is due, fire what is due, reschedule them. The
    caller commits. Returns the number of escalations fired."""
    query = (select(SlaTimer).where(SlaTimer.next_fire_at <= now, SlaTimer.active == True)  # noqa: E712
             .order_by(SlaTimer.next_fire_at).limit(batch))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    fired = 0
    for timer in session.exec(query).all():
        try:
            with session.begin_nested():  # one timer that cannot be processed must not stop the others
                fired += _process(session, timer, now)
        except Exception:
            log.exception("SLA timer %s of case %s could not be processed; retrying in an hour", timer.id,
                          timer.ticket_id)
            session.refresh(timer)
            timer.next_fire_at = now + RETRY_BROKEN
            session.add(timer)
    session.flush()
    return fired


def _process(session: Session, timer: SlaTimer, now: datetime) -> int:
    fired = 0
    ticket = session.get(Ticket, timer.ticket_id)
    cal = calendar_for(session=session, code=timer.calendar_code)
    while timer.next_fire_at is not None and timer.next_fire_at <= now:
        level = timer.next_level
        fired += _fire(session, timer, ticket, level, timer.next_fire_at, now)
        timer.warning_level = level
        if level == 2 and timer.breached_at is None:
            timer.breached_at = timer.due_at
        schedule_next(timer, cal)
    session.add(timer)
    session.flush()
    return fired


def next_deadline(*, session: Session) -> datetime | None:
    return session.exec(select(func.min(SlaTimer.next_fire_at)).where(SlaTimer.active == True)).one()  # noqa: E712
