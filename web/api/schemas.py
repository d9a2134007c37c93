"""Request and response shapes of the JSON API."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, StrictFloat, StrictInt

from dispatch.lifecycle import FLAGS, STAMPS, TABLE, allowed_actions
from dispatch.models import Photo, RoutingDecisionRecord, Ticket, TicketEvent
from dispatch.privacy import ContactOut, contact_view
from dispatch.service import AUTO_REGISTERED
from dispatch.sla import TimerView, headline
from grid.people import Actor
from grid.routing import reason_of


class ReportIn(BaseModel):
    # strict: JSON true/false are not coordinates (lax float() would take true as 1.0)
    lat: StrictFloat | StrictInt | str = Field(description="latitude")
    lng: StrictFloat | StrictInt | str = Field(description="longitude")
    crs: str | None = Field(default=None, description="wgs84 (default), gcj02, bd09 or cgcs2000")
    category_code: str = Field(description="minor class, e.g. E0101")
    description: str
    urgency: str | None = Field(default="normal", description="normal, urgent or critical")
    source: str | None = Field(default=None, description="hotline, citizen or api (workers always report as worker)")
    address: str = ""
    contact_name: str | None = Field(default=None, max_length=40, description="the caller's name (hotline)")
    contact_phone: str | None = Field(default=None, max_length=32, description="the caller's number (hotline)")
    confidential: bool = Field(default=False, description="保密: the department sees the number masked")


class ActionIn(BaseModel):
    reason: str | None = Field(default=None, description="why; required for rejects, requests, denials, urges")
    version: int | None = Field(default=None, description="the case version you saw; 409 if it changed since")
    payload: dict[str, Any] = Field(
        default_factory=dict,
        description="dispatch: {department_code}; request_extension/approve_extension: {hours}; "
        "merge: {into: CASE_NUMBER}; close: {close_type: normal|special}",
    )


class PhotoOut(BaseModel):
    id: int
    stage: str
    url: str
    content_type: str
    width: int
    height: int
    created_at: datetime
    event_seq: int | None = Field(default=None, description="the act on the timeline that attached it (who, when)")


class EventOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    actor_display_name: str = Field(description="the person's display name (the user name when it has none)")
    role: str
    action: str
    from_status: str | None
    to_status: str | None
    reason: str
    reason_code: str | None = Field(default=None, description="for the system's own acts, the note as a stable code "
                                    "(auto_registered, or a routing decision's: rule, no_rule) the pages translate")
    reason_params: dict[str, Any] = Field(default_factory=dict, description="the code's parameters (as RoutingOut's)")
    payload: dict[str, Any]
    hash: str


def _note(role: str, reason: str) -> tuple[str | None, dict[str, Any]]:
    """The system's note on its own act as a code and parameters; None for what a person wrote."""
    if role != "system" or not reason:
        return None, {}
    if reason == AUTO_REGISTERED:
        return "auto_registered", {}
    code, params = reason_of(reason)
    return (code, params) if code != "other" else (None, {})


class RoutingOut(BaseModel):
    rule_id: int | None
    department_code: str | None
    reason: str = Field(description="why, in English")
    reason_code: str = Field(description="why, as a stable code: rule (a routing rule chose the department), no_rule "
                                         "(left to the dispatcher), manual (a dispatcher chose), other")
    reason_params: dict[str, Any] = Field(
        description="the code's parameters: rule: rule_id, category, area_code, urgency, department_code ('' for "
                    "any); no_rule: category_code, cell_code, suggested_department_code; manual: username, "
                    "as_suggested, suggested_department_code")
    decided_at: datetime


class SlaOut(BaseModel):
    stage: str
    light: str
    due_at: datetime
    remaining_s: float = Field(description="seconds left in the limit's basis (working seconds in working time); "
                                           "negative when overdue")
    basis: str = Field(description="working or natural")
    day_s: float = Field(description="one day in the basis (86,400 s natural; the calendar's working hours a day)")
    days: int = Field(description="|remaining_s| in whole days of day_s (working days in working time)")
    rest_s: float = Field(description="the seconds of |remaining_s| under one day")


class TicketOut(BaseModel):
    id: int
    case_number: str
    version: int
    status: str
    kind: str
    category_code: str
    urgency: str
    description: str
    address: str
    lat: float
    lng: float
    cell_code: str
    community_code: str
    street_code: str
    district_code: str
    source: str
    reporter_name: str
    department_code: str | None
    suggested_department_code: str | None
    merged_into_id: int | None
    support_count: int
    extension_hours: float
    created_at: datetime
    updated_at: datetime
    timestamps: dict[str, datetime | None]
    sla: SlaOut | None = Field(default=None, description="the running timer that is worst off")
    on_time: bool | None = Field(default=None, description="the department's handling met its limit (once resolved)")
    contact: ContactOut | None = Field(default=None, description="the public reporter's name and number, as the caller "
                                       "may see them: in full (operators, shift leads, supervisors; the department "
                                       "unless confidential), masked (dispatchers, admins; the department of a "
                                       "confidential case) or not at all (grid workers)")
    closings: int = Field(description="times the case was closed (a rating belongs to one closing)")
    callback_state: str = Field(description="回访: '' (none), pending, done (rated), declined (reached, "
                                            "declined to rate) or unreachable")
    callback_tries: int
    appeal_pending: bool = Field(description="a department's appeal of a rating waits for a supervisor")


class TicketDetail(TicketOut):
    allowed_actions: list[str]
    timers: list[TimerView] = Field(description="the case's timers (dispatch.sla.TimerView)")
    photos: list[PhotoOut]
    routing: list[RoutingOut]
    timeline: list[EventOut]


class DuplicateOut(BaseModel):
    id: int
    case_number: str
    status: str
    description: str
    distance_m: float
    support_count: int


class ReportOut(BaseModel):
    ticket: TicketOut
    created: bool
    duplicates: list[DuplicateOut]
    tracking_url: str | None = Field(default=None, description=(
        "a hotline call's private tracking link (/c/t/…), given this once: the operator texts it to the caller, "
        "who follows and rates the case there; null for other reports and for a repeated request"))


class TicketPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[TicketOut]


class TodayCountersOut(BaseModel):
    """The control room's strip; "today" is the service's local day."""

    open: int = Field(description="open cases")
    due_today: int = Field(description="open cases whose headline timer falls due today")
    yellow: int
    red: int
    closed_today: int
    on_time_rate_today: float | None = Field(description="share of today's resolutions within the limit; "
                                                         "null when none")


class HealthOut(BaseModel):
    status: str = Field(description="ok: the database answered")
    database: str = Field(description="the database dialect, sqlite or postgresql")


STAMP_FIELDS = STAMPS


def ticket_out(t: Ticket, timers: list[TimerView] | None = None, actor: Actor | None = None) -> TicketOut:
    """A case in a list or an answer; the reporter's contact only as ``actor`` may see it."""
    data = t.model_dump(exclude={"idempotency_key", "audit_head", "audit_count", "status_before_request",
                                 "input_crs", "reporter_id", "contact_name", "contact_phone", "confidential",
                                 "tracking_hash", *STAMP_FIELDS})
    head = headline(timers or [])
    handle = next((v for v in timers or [] if v.stage == "handle" and v.fulfilled_at), None)
    return TicketOut(**data, timestamps={f.removesuffix("_at"): getattr(t, f) for f in STAMP_FIELDS},
                     contact=contact_view(t, actor.role) if actor is not None else None,
                     on_time=handle.on_time if handle else None,
                     sla=SlaOut(stage=head.stage, light=head.light, due_at=head.due_at,
                                remaining_s=head.remaining_s, basis=head.basis, day_s=head.day_s, days=head.days,
                                rest_s=head.rest_s) if head else None)


def caller_actions(t: Ticket, actor: Actor) -> list[str]:
    """What the caller may do now: the lifecycle table's actions for the state and role, less the
    on-site acts of cells that are not the caller's."""
    names = allowed_actions(t.status, actor.role, lambda flag: FLAGS[flag](t))
    on_site = {r.action for r in TABLE if r.on_site}
    return [a for a in names if a not in on_site or t.cell_code in actor.cell_codes]


def routing_out(r: RoutingDecisionRecord) -> RoutingOut:
    code, params = reason_of(r.reason)
    return RoutingOut(rule_id=r.rule_id, department_code=r.department_code, reason=r.reason, reason_code=code,
                      reason_params=params, decided_at=r.decided_at)


def ticket_detail(
    t: Ticket, *, actor: Actor, events: list[TicketEvent], photos: list[Photo], routing: list[RoutingDecisionRecord],
    timers: list[TimerView], names: dict[int, str] | None = None,
) -> TicketDetail:
    return TicketDetail(
        **ticket_out(t, timers, actor).model_dump(),
        allowed_actions=caller_actions(t, actor),
        timers=timers,
        photos=[PhotoOut(id=p.id, stage=p.stage, url=f"/api/v1/tickets/{t.id}/photos/{p.id}",
                         content_type=p.content_type, width=p.width, height=p.height, created_at=p.created_at,
                         event_seq=p.event_seq)
                for p in photos],
        routing=[routing_out(r) for r in routing],
        timeline=[EventOut(seq=e.seq, at=e.at, actor=e.actor_name,
                           actor_display_name=(names or {}).get(e.actor_id) or e.actor_name, role=e.role,
                           action=e.action,
                           from_status=e.from_status, to_status=e.to_status, reason=e.reason,
                           **dict(zip(("reason_code", "reason_params"), _note(e.role, e.reason), strict=True)),
                           payload=json.loads(e.payload), hash=e.hash) for e in events],
    )
