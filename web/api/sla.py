"""Notifications, working-time calendars and SLA policies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import col, select

from dispatch import policies as sla_policy
from dispatch.models import Notification, SlaPolicy
from dispatch.worktime import changes as calendar_changes
from grid import calendars
from grid.clock import utcnow
from grid.errors import Forbidden, NotFound
from grid.models import Calendar, Role
from grid.people import Actor
from web import seclog
from web.api import errors
from web.api.deps import ActorDep, SessionDep, SourceDep, UnitDep
from web.background import webhooks
from web.seclog import SecurityKind

router = APIRouter(prefix="/api/v1", tags=["sla"])


def require_admin(actor: Actor) -> None:
    if actor.role != Role.admin:
        raise Forbidden(f"only an admin may change this; you are a {actor.role}")


class NotificationOut(BaseModel):
    id: int
    ticket_id: int | None
    kind: str
    level: int
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    unread: int
    items: list[NotificationOut]


@router.get("/notifications", response_model=NotificationPage)
def notifications(
    session: SessionDep, actor: ActorDep, unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="page backwards")] = None,
) -> NotificationPage:
    """The caller's own notifications, newest first."""
    query = select(Notification).where(Notification.user_id == actor.user_id)
    if unread:
        query = query.where(Notification.read_at == None)  # noqa: E711
    if before_id:
        query = query.where(Notification.id < before_id)
    rows = session.exec(query.order_by(col(Notification.id).desc()).limit(limit)).all()
    count = session.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == actor.user_id, Notification.read_at == None)).one()  # noqa: E711
    return NotificationPage(unread=count, items=[NotificationOut(**n.model_dump()) for n in rows])


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut,
             responses=errors.responses(not_found="no such notification, or someone else's"))
def mark_read(notification_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep,
              actor: ActorDep, unit: UnitDep) -> NotificationOut:
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != actor.user_id:
        raise NotFound(f"no notification {notification_id}")
    if note.read_at is None:
        with unit:
            note.read_at = utcnow()
            session.add(note)
    return NotificationOut(**note.model_dump())


class CalendarOut(BaseModel):
    code: str
    name: str
    timezone: str
    periods: str = Field(description="working periods of a day, e.g. 08:00-12:00,14:00-18:00")
    weekdays: str = Field(description="working weekdays, ISO: 1 = Monday … 7 = Sunday")
    always_on: bool = Field(description="24×7: natural time")
    updated_at: datetime


@router.get("/calendars", response_model=list[CalendarOut])
def list_calendars(session: SessionDep, _: ActorDep) -> list[dict[str, Any]]:
    return [c.model_dump(exclude={"id"}) for c in session.exec(select(Calendar).order_by(Calendar.code))]


class CalendarIn(BaseModel):
    name: str = ""
    timezone: str = "Asia/Shanghai"
    periods: str = Field(default="08:00-12:00,14:00-18:00", description="working periods of a day")
    weekdays: str = Field(default="1,2,3,4,5", description="working weekdays, ISO: 1 = Monday … 7 = Sunday")


@router.put("/calendars/{code}", response_model=CalendarOut)
def put_calendar(code: str, body: CalendarIn, session: SessionDep, actor: ActorDep, source: SourceDep,
                 unit: UnitDep) -> dict[str, Any]:
    """Create or change a calendar (admin): a department's own working hours, say. A new calendar starts
    with the official holidays; running deadlines on it are recomputed. Give a department a calendar
    with ``gridops department calendar CODE CALENDAR``."""
    require_admin(actor)
    with unit:
        code = calendar_changes.calendar_code(code)
        before = seclog.state(calendars.find_calendar(session, code), seclog.CALENDAR_FIELDS)
        row = calendar_changes.save_calendar(session=session, code=code, name=body.name, timezone=body.timezone,
                                             periods=body.periods, weekdays=body.weekdays)
        seclog.record_change(session, kind=SecurityKind.calendar_change, source=source, actor=actor,
                             subject=f"calendar:{row.code}", before=before,
                             after=seclog.state(row, seclog.CALENDAR_FIELDS))
    return row.model_dump(exclude={"id"})


class DayOut(BaseModel):
    day: date
    kind: str
    name: str
    source: str


class DayIn(BaseModel):
    kind: str = Field(description="holiday (a weekday off) or workday (a weekend day worked, 调休)")
    name: str = ""


@router.get("/calendars/{code}/days", response_model=list[DayOut],
            responses=errors.responses(not_found="no such calendar"))
def calendar_days(code: str, session: SessionDep, _: ActorDep,
                  year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> list[DayOut]:
    return [DayOut(**d.model_dump()) for d in calendars.days(session=session, calendar_code=code, year=year)]


@router.put("/calendars/{code}/days/{day}", response_model=DayOut,
            responses=errors.responses(not_found="no such calendar"))
def put_day(code: str, day: date, body: DayIn, session: SessionDep, actor: ActorDep, source: SourceDep,
            unit: UnitDep) -> DayOut:
    """Admins add next year's holidays and make-up working days once the State Council publishes them."""
    require_admin(actor)
    with unit:
        before = seclog.state(calendars.find_day(session, code, day), seclog.CALENDAR_DAY_FIELDS)
        row = calendar_changes.set_calendar_day(session=session, calendar_code=code, day=day, kind=body.kind,
                                                name=body.name)
        seclog.record_change(session, kind=SecurityKind.calendar_change, source=source, actor=actor,
                             subject=f"calendar:{code}", day=day.isoformat(), before=before,
                             after=seclog.state(row, seclog.CALENDAR_DAY_FIELDS))
    return DayOut(**row.model_dump())


@router.delete("/calendars/{code}/days/{day}", status_code=204,
               responses=errors.responses(not_found="no such calendar, or the day is an ordinary one"))
def delete_day(code: str, day: date, session: SessionDep, actor: ActorDep, source: SourceDep, unit: UnitDep) -> None:
    require_admin(actor)
    with unit:
        before = seclog.state(calendars.find_day(session, code, day), seclog.CALENDAR_DAY_FIELDS)
        calendar_changes.remove_calendar_day(session=session, calendar_code=code, day=day)
        seclog.record_change(session, kind=SecurityKind.calendar_change, source=source, actor=actor,
                             subject=f"calendar:{code}", day=day.isoformat(), before=before, after=None)


class PolicyIn(BaseModel):
    stage: str = Field(description=", ".join(sla_policy.STAGES))
    category: str = Field(default="", description="minor (E0101), major (E01) or empty for any")
    urgency: str = Field(default="", description="normal, urgent, critical or empty for any")
    limit_hours: float
    basis: str = Field(default="working", description="working or natural")
    ladder: dict[str, Any] | None = Field(default=None, description=f"overrides of {sla_policy.DEFAULT_LADDER}")
    note: str = ""


class SlaPolicyOut(BaseModel):
    id: int
    stage: str
    category: str = Field(description="minor (E0101) or major class (E01); empty: any")
    urgency: str = Field(description="normal, urgent or critical; empty: any")
    limit_hours: float
    basis: str = Field(description="working or natural")
    ladder: str | None = Field(description="the escalation ladder's overrides as JSON text; null: the default")
    note: str


class LadderOut(BaseModel):
    yellow_ratio: float = Field(description="the share of the limit used when the light turns yellow")
    yellow: list[str] = Field(description="who is told at yellow")
    red: list[str] = Field(description="who is told at red")
    overdue_every_hours: float = Field(description="working hours between reminders once overdue; 0: none")
    overdue: list[str] = Field(description="who is told at each reminder")
    max_overdue_steps: int


class SlaDefaultsOut(BaseModel):
    stages: dict[str, tuple[float, str]] = Field(description="stage → [limit hours, basis] of the centre's stages")
    working_days: dict[str, float] = Field(description="stage → its limit in working days, counted on the calendar "
                                                       "the stage runs on (the rectification after a reopen: 15)")
    handle: str = Field(description="where the handle stage's limit comes from")
    ladder: LadderOut


class SlaPoliciesOut(BaseModel):
    policies: list[SlaPolicyOut]
    defaults: SlaDefaultsOut


@router.get("/sla-policies", response_model=SlaPoliciesOut)
def policies(session: SessionDep, _: ActorDep) -> dict[str, Any]:
    """Explicit policies, and the defaults that apply where none matches."""
    rows = session.exec(select(SlaPolicy).order_by(SlaPolicy.stage, SlaPolicy.category, SlaPolicy.urgency)).all()
    return {"policies": [r.model_dump() for r in rows],
            "defaults": {"stages": sla_policy.DEFAULT_LIMITS, "working_days": sla_policy.DEFAULT_WORKING_DAYS,
                         "handle": "the category's limit for the urgency",
                         "ladder": sla_policy.DEFAULT_LADDER}}


@router.put("/sla-policies", response_model=SlaPolicyOut)
def put_policy(body: PolicyIn, session: SessionDep, actor: ActorDep, source: SourceDep,
               unit: UnitDep) -> dict[str, Any]:
    """Set a policy. Running timers keep the limits they started with."""
    require_admin(actor)
    with unit:
        before = seclog.policy_state(sla_policy.find_policy(session, stage=body.stage, category=body.category,
                                                            urgency=body.urgency))
        row = sla_policy.set_policy(session=session, stage=body.stage, category=body.category.upper(),
                                    urgency=body.urgency, limit_hours=body.limit_hours, basis=body.basis,
                                    ladder=body.ladder, note=body.note)
        seclog.record_change(session, kind=SecurityKind.sla_policy_change, source=source, actor=actor,
                             subject=seclog.policy_subject(row), before=before, after=seclog.policy_state(row))
    return row.model_dump()


class WebhookReceiverOut(BaseModel):
    department_code: str
    receiver: str = Field(description="scheme, host and port the deliveries go to (never the path or secret)")
    backlog: int = Field(description="deliveries waiting to be sent")
    failed: int = Field(description="deliveries given up after the last attempt")
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str
    circuit_open_until: datetime | None = Field(
        description="this process leaves the receiver alone until then after failures in a row (null: closed)")


@router.get("/webhooks", response_model=list[WebhookReceiverOut])
def webhook_receivers(session: SessionDep, actor: ActorDep) -> list[dict]:
    """Admins: each department's webhook receiver, its backlog, last success and last failure."""
    if actor.role != Role.admin:
        raise Forbidden(f"only an admin may see the webhook receivers; you are a {actor.role}")
    return webhooks.receivers(session=session)
