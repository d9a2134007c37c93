"""Reading and changing cases. Keyword-only functions; the caller owns the session and commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from dispatch import audit, live, sla
from dispatch.lifecycle import PREVIOUS, REQUEST_ACTIONS, SAME, Rule, find_rule
from dispatch.models import (
    TERMINAL,
    CaseCounter,
    Photo,
    RoutingDecisionRecord,
    Source,
    Status,
    Ticket,
    TicketEvent,
)
from dispatch.nearby import open_nearby
from dispatch.options import DispatchOptions
from dispatch.photos import MediaStore, ProcessedImage
from dispatch.scope import can_see, get_visible
from geo.crs import normalize_crs, to_wgs84
from geo.index import CellIndex
from grid import routing
from grid.clock import utcnow
from grid.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    OutsideManagedArea,
    UnknownCategory,
    UnknownDepartment,
)
from grid.hierarchy import ancestor_codes
from grid.models import Category, Department, Role, Urgency
from grid.people import SYSTEM, Actor

REPORTER_ROLES = {Role.worker, Role.dispatcher, Role.shift_lead, Role.admin}

#: The timestamp column set when a case enters a status.
STAMPS = {
    Status.registered: "registered_at", Status.dispatched: "dispatched_at", Status.accepted: "accepted_at",
    Status.resolved: "resolved_at", Status.checked: "checked_at", Status.closed: "closed_at",
    Status.rejected: "rejected_at", Status.void: "voided_at", Status.suspended: "suspended_at",
}

#: Acts that may carry photos, and the stage the photos are filed under.
PHOTO_STAGES = {"resolve": "resolve", "check_pass": "check", "check_fail": "check"}


@dataclass
class ReportResult:
    ticket: Ticket
    duplicates: list[tuple[Ticket, float]]
    created: bool  # False when the idempotency key matched an earlier report


def _clean_text(value: str | None, *, field: str, limit: int, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{field} is empty: say in a few words what is wrong", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{field} is {len(text)} characters long; keep it under {limit}", field=field)
    return text


def _category(session: Session, code: str | None) -> Category:
    cat = session.exec(select(Category).where(Category.code == (code or "").strip().upper())).first()
    if cat is None or not cat.active:
        raise UnknownCategory(
            f"unknown category {code!r}: pick a minor class from GET /api/v1/categories (e.g. E0101)",
            field="category_code",
        )
    return cat


def _urgency(value: str | None) -> Urgency:
    try:
        return Urgency(value or "normal")
    except ValueError:
        raise InvalidInput(
            f"unknown urgency {value!r}; use one of {', '.join(Urgency)}", field="urgency"
        ) from None


def next_case_number(*, session: Session, category: Category, at: datetime, options: DispatchOptions) -> str:
    """``E0102202611220001``: kind letter, major, minor, local date, then a daily sequence per category.
    The counter row is bumped with an atomic upsert, so concurrent reports never share a number."""
    prefix = f"{category.code}{at.astimezone(options.timezone):%Y%m%d}"
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(CaseCounter)
        .values(prefix=prefix, value=1)
        .on_conflict_do_update(index_elements=["prefix"], set_={"value": CaseCounter.value + 1})
        .returning(CaseCounter.value)
    )
    value = session.execute(stmt).scalar_one()
    return f"{prefix}{value:04d}"


def _move(
    *, session: Session, ticket: Ticket, actor: Actor, action: str, to: Status | None, at: datetime,
    reason: str = "", payload: dict[str, Any] | None = None,
) -> TicketEvent:
    """Record an act and, when ``to`` is a status, move the case there."""
    before = ticket.status
    if to is not None and to != before:
        ticket.status = to
        if stamp := STAMPS.get(to):
            setattr(ticket, stamp, at)
        if before == Status.verifying:
            ticket.verified_at = at
    ticket.updated_at = at
    session.add(ticket)
    event = audit.append(
        session=session, ticket=ticket, actor=actor, action=action, from_status=before,
        to_status=ticket.status, at=at, reason=reason, payload=payload,
    )
    session.flush()
    sla.on_act(session=session, ticket=ticket, action=action, at=at, payload=payload or {})
    live.ticket_changed(session=session, ticket=ticket, action=action, at=at)
    return event


def _route(*, session: Session, ticket: Ticket, category: Category, at: datetime) -> routing.RouteDecision:
    decision = routing.route(session=session, category=category, cell_code=ticket.cell_code, urgency=ticket.urgency)
    session.add(RoutingDecisionRecord(ticket_id=ticket.id, rule_id=decision.rule_id,
                                      department_code=decision.department_code, reason=decision.reason,
                                      decided_at=at))
    ticket.suggested_department_code = decision.suggested_department_code
    return decision


def _attach(
    *, session: Session, ticket: Ticket, photos: Sequence[ProcessedImage], store: MediaStore | None,
    stage: str, actor: Actor, event_seq: int,
) -> list[int]:
    if photos and store is None:
        raise InvalidInput("photos cannot be stored: no media directory configured")
    rows = []
    for image in photos:
        row = Photo(ticket_id=ticket.id, event_seq=event_seq, stage=stage, path=store.save(image),
                    content_type=image.content_type, size=len(image.data), width=image.width,
                    height=image.height, sha256=image.sha256, uploaded_by=actor.user_id)
        session.add(row)
        rows.append(row)
    session.flush()
    return [r.id for r in rows]


def report(
    *,
    session: Session,
    actor: Actor,
    index: CellIndex,
    options: DispatchOptions,
    lat: Any,
    lng: Any,
    category_code: str | None,
    description: str | None,
    crs: str | None = None,
    urgency: str | None = None,
    source: str | None = None,
    address: str = "",
    idempotency_key: str | None = None,
    photos: Sequence[ProcessedImage] = (),
    store: MediaStore | None = None,
) -> ReportResult:
    """A new case from a report: place it in its cell, number it, record it, and for a grid worker's
    report in their own cell register it and dispatch it when a routing rule matches."""
    if actor.role not in REPORTER_ROLES:
        raise Forbidden(f"a {actor.role} may not file reports")
    if actor.role == Role.worker:
        src = Source.worker
    else:
        try:
            src = Source(source or ("hotline" if actor.role != Role.admin else "api"))
        except ValueError:
            raise InvalidInput(f"unknown source {source!r}; use hotline, citizen or api", field="source") from None
        if src == Source.worker:
            raise InvalidInput("only grid workers file reports with source 'worker'", field="source")
    category = _category(session, category_code)
    level = _urgency(urgency)
    text = _clean_text(description, field="description", limit=options.max_description_chars, required=True)
    address = _clean_text(address, field="address", limit=200, required=False)
    crs_name = normalize_crs(crs)
    wgs_lng, wgs_lat = to_wgs84(lng, lat, crs_name)
    key = (idempotency_key or "").strip() or None
    if key and len(key) > 128:
        raise InvalidInput("Idempotency-Key is longer than 128 characters", field="Idempotency-Key")
    if key and actor.user_id is not None:
        earlier = session.exec(
            select(Ticket).where(Ticket.reporter_id == actor.user_id, Ticket.idempotency_key == key)
        ).first()
        if earlier is not None:
            return ReportResult(earlier, [], created=False)

    cell_code = index.locate(wgs_lng, wgs_lat)
    if cell_code is None:
        nearest, distance = index.nearest(wgs_lng, wgs_lat) if len(index) else (None, None)
        hint = f"; the nearest cell is {nearest}, {distance:,.0f} m away" if nearest else ""
        raise OutsideManagedArea(
            f"the point ({wgs_lng:.6f}, {wgs_lat:.6f}) is outside the managed area{hint}",
            nearest_cell=nearest, distance_m=round(distance, 1) if distance is not None else None,
        )
    district, street, community, _ = ancestor_codes(cell_code)
    now = utcnow()
    ticket = Ticket(
        case_number=next_case_number(session=session, category=category, at=now, options=options),
        status=Status.reported if src == Source.worker else Status.verifying,
        kind=str(category.kind), category_code=category.code, urgency=str(level), description=text,
        address=address, lat=wgs_lat, lng=wgs_lng, input_crs=crs_name, cell_code=cell_code,
        community_code=community, street_code=street, district_code=district, source=src,
        reporter_id=actor.user_id, reporter_name=actor.username, idempotency_key=key,
        suggested_department_code=category.default_department_code, created_at=now, updated_at=now,
    )
    session.add(ticket)
    session.flush()
    event = audit.append(
        session=session, ticket=ticket, actor=actor, action="report", from_status=None, to_status=ticket.status,
        at=now, payload={"lat": wgs_lat, "lng": wgs_lng, "input": {"lat": float(lat), "lng": float(lng),
                         "crs": crs_name}, "category": category.code, "urgency": str(level), "source": str(src),
                         "photos": len(photos)},
    )
    _attach(session=session, ticket=ticket, photos=photos, store=store, stage="report", actor=actor,
            event_seq=event.seq)
    sla.on_report(session=session, ticket=ticket, at=now)
    live.ticket_changed(session=session, ticket=ticket, action="report", at=now)
    duplicates = [(t, d) for t, d in open_nearby(session=session, category_code=category.code, lng=wgs_lng,
                                                 lat=wgs_lat, radius_m=options.duplicate_radius_m,
                                                 exclude_id=ticket.id)
                  if can_see(actor, t)]  # only cases the reporter may see (and so support)
    if options.auto_dispatch_worker_reports and src == Source.worker and cell_code in actor.cell_codes:
        _move(session=session, ticket=ticket, actor=SYSTEM, action="register", to=Status.registered, at=now,
              reason="auto-registered: a grid worker's report in their own cell")
        decision = _route(session=session, ticket=ticket, category=category, at=now)
        if decision.department_code:
            ticket.department_code = decision.department_code
            _move(session=session, ticket=ticket, actor=SYSTEM, action="dispatch", to=Status.dispatched, at=now,
                  reason=decision.reason, payload={"department_code": decision.department_code,
                                                   "rule_id": decision.rule_id})
    session.flush()
    return ReportResult(ticket, duplicates, created=True)


def _department(session: Session, code: Any) -> str:
    if not isinstance(code, str) or not code or len(code) > 64 \
            or not session.exec(select(Department).where(Department.code == code)).first():
        raise UnknownDepartment(
            f"unknown department {code!r}: pick one from GET /api/v1/departments", field="department_code"
        )
    return code


def _hours(value: Any, *, limit: float) -> float:
    try:
        hours = float(value)
    except (TypeError, ValueError):
        raise InvalidInput("hours must be a number of working hours, e.g. 8", field="hours") from None
    if not 0 < hours <= limit:
        raise InvalidInput(f"hours must be more than 0 and at most {limit:g}", field="hours")
    return hours


def _bump_version(session: Session, ticket: Ticket, expected: int | None) -> None:
    """Optimistic concurrency: of two conflicting acts on one case exactly one wins, the other gets 409."""
    if expected is not None and expected != ticket.version:
        raise Conflict(f"the case has changed since you loaded it (version {ticket.version}, you had {expected}); "
                       "reload it and try again", version=ticket.version, status=str(ticket.status))
    result = session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.version == ticket.version)
        .values(version=ticket.version + 1).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict("someone else acted on this case at the same moment; reload it and try again")
    ticket.version += 1


def act(
    *,
    session: Session,
    actor: Actor,
    ticket_id: int,
    action: str,
    options: DispatchOptions,
    reason: str | None = None,
    payload: dict[str, Any] | None = None,
    expected_version: int | None = None,
    photos: Sequence[ProcessedImage] = (),
    store: MediaStore | None = None,
) -> Ticket:
    """Apply one act of the lifecycle to a case, or refuse it with a clear error."""
    payload = dict(payload or {})
    ticket = get_visible(session=session, actor=actor, ticket_id=ticket_id)
    previous_department = ticket.department_code
    rule: Rule = find_rule(ticket.status, action, actor.role)
    if rule.on_site and ticket.cell_code not in actor.cell_codes:
        raise Forbidden(f"only the grid workers of cell {ticket.cell_code} may {action} this case on site")
    text = _clean_text(reason, field="reason", limit=options.max_reason_chars, required=rule.needs_reason)
    _bump_version(session, ticket, expected_version)
    now = utcnow()
    to: Status | None = None if rule.to == SAME else (
        ticket.status_before_request if rule.to == PREVIOUS else Status(rule.to))
    record: dict[str, Any] = {}

    if action in REQUEST_ACTIONS:
        ticket.status_before_request = ticket.status
    elif rule.to == PREVIOUS:
        ticket.status_before_request = None
    if action == "register":
        decision = _route(session=session, ticket=ticket, category=_category(session, ticket.category_code), at=now)
        record = {"suggested_department_code": decision.suggested_department_code, "routing": decision.reason}
    elif action == "dispatch":
        code = _department(session, payload.get("department_code") or ticket.suggested_department_code)
        ticket.department_code = code
        record = {"department_code": code, "suggested_department_code": ticket.suggested_department_code}
        session.add(RoutingDecisionRecord(ticket_id=ticket.id, rule_id=None, department_code=code, decided_at=now,
                                          reason=f"dispatched by {actor.username}"
                                          + (" (as suggested)" if code == ticket.suggested_department_code
                                             else f" (suggested {ticket.suggested_department_code})")))
    elif action == "approve_return":
        record = {"returned_by": ticket.department_code}
        ticket.department_code = None
    elif action == "request_extension":
        record = {"hours": _hours(payload.get("hours"), limit=options.max_extension_hours)}
    elif action == "approve_extension":
        requested = _requested_hours(session, ticket)
        hours = _hours(payload.get("hours", requested), limit=options.max_extension_hours)
        ticket.extension_hours += hours
        record = {"hours": hours, "requested_hours": requested}
    elif action == "merge":
        record = _merge(session=session, ticket=ticket, actor=actor, into=payload.get("into"), at=now)
    elif action == "support":
        if actor.user_id is not None and session.exec(select(TicketEvent.id).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.action == "support",
                TicketEvent.actor_id == actor.user_id)).first() is not None:
            raise Conflict("you already support this case; each person counts once", status=str(ticket.status))
        ticket.support_count += 1
    elif action == "close":
        kind = payload.get("close_type", "normal")
        if kind not in ("normal", "special"):
            raise InvalidInput("close_type must be 'normal' or 'special'", field="close_type")
        record = {"close_type": kind}

    stage = PHOTO_STAGES.get(action)
    if photos:
        if stage is None:
            raise InvalidInput(f"photos cannot be attached to {action}; attach them to report, resolve or check")
        record["photos"] = len(photos)
    event = _move(session=session, ticket=ticket, actor=actor, action=action, to=to, at=now, reason=text,
                  payload=record)
    if previous_department and previous_department != ticket.department_code:
        live.ticket_left(session=session, ticket=ticket, department_code=previous_department, action=action, at=now)
    if photos:
        _attach(session=session, ticket=ticket, photos=photos, store=store, stage=stage, actor=actor,
                event_seq=event.seq)
    session.flush()
    return ticket


def _requested_hours(session: Session, ticket: Ticket) -> float | None:
    last = session.exec(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == "request_extension")
        .order_by(TicketEvent.seq.desc())
    ).first()
    return json.loads(last.payload).get("hours") if last else None


def _merge(*, session: Session, ticket: Ticket, actor: Actor, into: Any, at: datetime) -> dict[str, Any]:
    if into in (None, ""):
        raise InvalidInput("say which case to merge into: payload {\"into\": CASE_NUMBER}", field="into")
    query = select(Ticket).where(Ticket.case_number == str(into))
    target = session.exec(query).first()
    if target is None and str(into).isdigit() and int(into) <= 2**31 - 1:
        target = session.get(Ticket, int(into))
    if target is None:
        raise InvalidInput(f"no case {into!r} to merge into", field="into")
    if target.id == ticket.id:
        raise InvalidInput("a case cannot be merged into itself", field="into")
    if target.status in TERMINAL:
        raise InvalidInput(f"case {target.case_number} is {target.status}; merge into an open case", field="into")
    _bump_version(session, target, None)
    target.support_count += ticket.support_count + 1
    ticket.merged_into_id = target.id
    _move(session=session, ticket=target, actor=actor, action="merged_in", to=None, at=at,
          payload={"case_number": ticket.case_number})
    return {"into": target.case_number}
