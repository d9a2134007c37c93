"""Reading and changing cases. Keyword-only functions; the caller owns the session and the transaction
(``web.unit``): nothing here commits."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from dispatch import audit, live, newcase, sla
from dispatch.effects import ActContext, DispatchPayload, case_category, category_of
from dispatch.lifecycle import FLAGS, TABLE, Act, Timers, find_act
from dispatch.models import Photo, SlaTimer, Source, Status, Ticket, TicketEvent
from dispatch.nearby import next_id_and_open_nearby, open_nearby
from dispatch.options import DispatchOptions
from dispatch.photos import MediaStore, ProcessedImage
from dispatch.privacy import normalize_phone
from dispatch.scope import can_see, get_visible
from geo.crs import normalize_crs, to_wgs84
from geo.index import CellIndex
from grid import addresses
from grid.clock import utcnow
from grid.errors import (
    AfterPhotoRequired,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    OutsideManagedArea,
    VersionConflict,
)
from grid.hierarchy import ancestor_codes
from grid.models import Category, Role, Urgency
from grid.people import SYSTEM, Actor

#: the department's deadlines an act's event keeps when it sets or moves them (evaluation's "due to close")
DEADLINES = ("handle", "rectify")
REPORTER_ROLES = {Role.worker, Role.dispatcher, Role.shift_lead, Role.admin, Role.operator, Role.citizen}


@dataclass
class ReportResult:
    ticket: Ticket
    duplicates: list[tuple[Ticket, float]]
    created: bool  # False when the idempotency key matched an earlier report
    timers: list[SlaTimer] = field(default_factory=list)  # the new case's, as the report left them

#: the note on the act that registers a grid worker's own report (the pages say it in their language)
AUTO_REGISTERED = "auto-registered: a grid worker's report in their own cell"


def _clean_text(value: str | None, *, field: str, limit: int, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{field} is empty: say in a few words what is wrong", code="text_required", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{field} is {len(text)} characters long; keep it under {limit}", code="text_too_long",
                           field=field, length=len(text), limit=limit)
    return text


def _urgency(value: str | None) -> Urgency:
    try:
        return Urgency(value or "normal")
    except ValueError:
        raise InvalidInput(
            f"unknown urgency {value!r}; use one of {', '.join(Urgency)}", code="unknown_urgency", field="urgency",
            value=str(value), allowed=list(Urgency)
        ) from None


def case_prefix(*, category: Category, at: datetime, options: DispatchOptions) -> str:
    """``E0102202611220001``: kind letter, major, minor, local date, then a daily sequence per category
    (``number_case``)."""
    return f"{category.code}{at.astimezone(options.timezone):%Y%m%d}"


def number_case(*, session: Session, ticket: Ticket, pending: str, prefix: str) -> None:
    """Give a new case its number: the daily counter of its prefix, bumped with an atomic upsert, so
    concurrent reports never share a number and a rolled-back report leaves no gap. The last write before
    the commit (on PostgreSQL together with every row of the new case: ``dispatch.newcase``), because the
    counter row stays locked until the commit. The live events written so far name the case by
    ``pending`` until then; they get the number too."""
    live_rows = [row for row in live.written(session) if row.ticket_id == ticket.id and pending in row.payload]
    kept = newcase.take(session)
    if kept is None:
        newcase.number_sqlite(session, ticket, live_rows, pending=pending, prefix=prefix)
        return

    def numbered(number: str) -> None:  # with the commit, unless the transaction goes on
        set_committed_value(ticket, "case_number", number)
        for row in live_rows:
            row.payload = row.payload.replace(pending, number)

    newcase.insert_numbered(session, kept, pending=pending, prefix=prefix, numbered=numbered)
    sla.note_written(session, kept.of(SlaTimer))
    # the case is in the session from here as if loaded; a later act in this transaction reads its timers
    # and makes a new live event (the rows written stay plain objects)
    newcase.attach(session, ticket)
    sla.forget(session, ticket)
    live.forget(session, ticket)


def _attach(
    *, session: Session, ticket: Ticket, photos: Sequence[ProcessedImage], store: MediaStore | None,
    stage: str, actor: Actor, event_seq: int,
) -> None:
    if photos and store is None:
        raise InvalidInput("photos cannot be stored: no media directory configured")
    for image in photos:
        newcase.keep(session, Photo(ticket_id=ticket.id, event_seq=event_seq, stage=stage, path=store.save(image),
                                    content_type=image.content_type, size=len(image.data), width=image.width,
                                    height=image.height, sha256=image.sha256, uploaded_by=actor.user_id))


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
    contact_name: str | None = None,
    contact_phone: str | None = None,
    confidential: bool = False,
    tracking_hash: str | None = None,
) -> ReportResult:
    """A new case from a report: place it in its cell, number it, record it, and for a grid worker's
    report in their own cell register it and dispatch it when a routing rule matches. A citizen's or a
    hotline caller's report carries the reporter's contact (``dispatch.privacy`` says who sees it) and,
    from the public page, the hash of its tracking token."""
    if actor.role not in REPORTER_ROLES:
        raise Forbidden(f"a {actor.role} may not file reports", code="role_cannot_report", role=str(actor.role))
    if actor.role == Role.worker:
        src = Source.worker
    elif actor.role == Role.citizen:
        src = Source.citizen
    else:
        try:
            src = Source(source or ("hotline" if actor.role in (Role.operator, Role.dispatcher, Role.shift_lead)
                                    else "api"))
        except ValueError:
            raise InvalidInput(f"unknown source {source!r}; use hotline, citizen or api", code="unknown_source",
                               field="source", value=str(source)) from None
        if src == Source.worker:
            raise InvalidInput("only grid workers file reports with source 'worker'", code="worker_source_reserved",
                               field="source")
    category = category_of(session, category_code)
    level = _urgency(urgency)
    text = _clean_text(description, field="description", limit=options.max_description_chars, required=True)
    address = _clean_text(address, field="address", limit=200, required=False)
    name = _clean_text(contact_name, field="contact_name", limit=40, required=False)
    phone = normalize_phone(contact_phone)
    crs_name = normalize_crs(crs)
    wgs_lng, wgs_lat = to_wgs84(lng, lat, crs_name)
    key = (idempotency_key or "").strip() or None
    if key and len(key) > 128:
        raise InvalidInput("Idempotency-Key is longer than 128 characters", code="text_too_long",
                           field="Idempotency-Key", length=len(key), limit=128)
    if key and actor.user_id is not None:
        earlier = session.exec(
            select(Ticket).where(Ticket.reporter_id == actor.user_id, Ticket.idempotency_key == key)
        ).first()
        if earlier is not None:
            return ReportResult(earlier, [], created=False, timers=list(sla.case_timers(session, earlier).values()))

    cell_code = index.locate(wgs_lng, wgs_lat)
    if cell_code is None:
        nearest, distance = index.nearest(wgs_lng, wgs_lat) if len(index) else (None, None)
        hint = f"; the nearest cell is {nearest}, {distance:,.0f} m away" if nearest else ""
        raise OutsideManagedArea(
            f"the point ({wgs_lng:.6f}, {wgs_lat:.6f}) is outside the managed area{hint}",
            nearest_cell=nearest, distance_m=round(distance, 1) if distance is not None else None,
            lng=round(wgs_lng, 6), lat=round(wgs_lat, 6),
        )
    # every read first (the duplicates; nothing after them reads), and the case number last: its daily
    # counter row stays locked from its upsert to the commit, so it is taken when everything else is done
    near = dict(session=session, category_code=category.code, lng=wgs_lng, lat=wgs_lat,
                radius_m=options.duplicate_radius_m)
    next_id = None
    if newcase.takes_id_first(session):  # the new case's id and the nearest address come with the duplicates
        next_id, found, near_address = next_id_and_open_nearby(**near)
    else:
        found = open_nearby(**near)
        near_address = None if address else addresses.nearest(session=session, lng=wgs_lng, lat=wgs_lat)
    if not address and near_address is not None:
        address = near_address.address.name  # a report without an address: the gazetteer's nearest
    duplicates = [(t, d) for t, d in found if can_see(actor, t)]  # only cases the reporter may see (and so support)
    district, street, community, _ = ancestor_codes(cell_code)
    now = utcnow()
    pending = f"~{secrets.token_hex(8)}"  # until the number is taken; never a case number's shape
    ticket = Ticket(
        case_number=pending,
        status=Status.reported if src == Source.worker else Status.verifying,
        kind=str(category.kind), category_code=category.code, urgency=str(level), description=text,
        address=address, lat=wgs_lat, lng=wgs_lng, input_crs=crs_name, cell_code=cell_code,
        community_code=community, street_code=street, district_code=district, source=src,
        reporter_id=actor.user_id, reporter_name=actor.username, idempotency_key=key,
        contact_name=name, contact_phone=phone, confidential=bool(confidential) and bool(name or phone),
        tracking_hash=tracking_hash,
        suggested_department_code=category.default_department_code, created_at=now, updated_at=now,
    )
    newcase.begin(session, ticket, next_id=next_id)  # its id, for the rows that follow
    sla.new_case(session, ticket)
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
    if options.auto_dispatch_worker_reports and src == Source.worker and cell_code in actor.cell_codes:
        register = find_act(ticket.status, "register", Role.system)
        _, routed = _take(session=session, ticket=ticket, actor=SYSTEM, act=register, options=options, at=now,
                          reason=AUTO_REGISTERED)
        if department := routed.get("department_code"):
            dispatch = find_act(ticket.status, "dispatch", Role.system)
            _take(session=session, ticket=ticket, actor=SYSTEM, act=dispatch, options=options, at=now,
                  reason=routed["routing"], payload=DispatchPayload(department_code=department))
    timers = list(sla.case_timers(session, ticket).values())
    number_case(session=session, ticket=ticket, pending=pending,
                prefix=case_prefix(category=category, at=now, options=options))
    return ReportResult(ticket, duplicates, created=True, timers=timers)


def _bump_version(session: Session, ticket: Ticket, expected: int | None) -> None:
    """Optimistic concurrency: of two conflicting acts on one case exactly one wins, the other gets 409."""
    if expected is not None and expected != ticket.version:
        raise VersionConflict(f"the case has changed since you loaded it (version {ticket.version}, you had "
                              f"{expected}); reload it and try again", version=ticket.version, expected=expected,
                              status=str(ticket.status))
    result = session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.version == ticket.version)
        .values(version=ticket.version + 1).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise VersionConflict("someone else acted on this case at the same moment; reload it and try again",
                              code="concurrent_change", status=str(ticket.status))
    ticket.version += 1



# --- the act engine --------------------------------------------------------------------------------

def _record(
    *, session: Session, ticket: Ticket, actor: Actor, action: str, before: Status | None, at: datetime,
    reason: str = "", record: dict[str, Any] | None = None, timers: Timers | None = None,
) -> TicketEvent:
    """Apply the act's timers, put it on the case's record with the facts evaluation reads (the department
    it concerns, the stage it met and whether on time), and tell the live feed."""
    ticket.updated_at = at
    newcase.keep(session, ticket)
    met = due = None
    if timers is not None:
        changed = sla.on_act(session=session, ticket=ticket, timers=timers, at=at, hours=(record or {}).get("hours"))
        met = next((t for t in changed if t.stage in timers.fulfil and t.fulfilled_at == at), None)
        due = next((t.due_at for t in changed if t.stage in DEADLINES and t.active and t.paused_at is None), None)
    event = audit.append(
        session=session, ticket=ticket, actor=actor, action=action, from_status=before,
        to_status=ticket.status, at=at, reason=reason, payload=record,
        department_code=ticket.department_code or (record or {}).get("returned_by"),
        met_stage=met.stage if met else None, on_time=(met.anchor_remaining_s >= 0) if met else None, due_at=due,
    )
    live.ticket_changed(session=session, ticket=ticket, action=action, at=at)
    return event


def _take(
    *, session: Session, ticket: Ticket, actor: Actor, act: Act, options: DispatchOptions, at: datetime,
    reason: str = "", payload: BaseModel | None = None, photos: int = 0,
) -> tuple[TicketEvent, dict[str, Any]]:
    """Run the act's effect, move the case as its entry says and put it on record. Returns the event and
    what went on record."""

    def record_on(*, ticket: Ticket, action: str, payload: dict[str, Any]) -> TicketEvent:
        _bump_version(session, ticket, None)
        return _record(session=session, ticket=ticket, actor=actor, action=action, before=ticket.status, at=at,
                       record=payload)

    ctx = ActContext(session=session, ticket=ticket, actor=actor, payload=payload or act.payload(),
                     options=options, at=at, record_on=record_on)
    record = act.effect(ctx) if act.effect else {}
    if photos:
        record["photos"] = photos
    before = ticket.status
    to = act.target(before, ticket.status_before_request)
    if act.request:
        ticket.status_before_request = before
    elif act.answers:
        ticket.status_before_request = None
    if to is not None:
        ticket.status = to
    if stamp := act.stamp_for(to):
        setattr(ticket, stamp, at)
    event = _record(session=session, ticket=ticket, actor=actor, action=act.action, before=before, at=at,
                    reason=reason, record=record, timers=act.timers)
    return event, record


def act(*, session: Session, actor: Actor, ticket_id: int, **act: Any) -> Ticket:
    """Apply one act of the lifecycle to the case with this id, if the actor may see it (404 otherwise): the
    rest as ``act_on``'s arguments (action, options, reason, payload, expected_version, photos, store)."""
    ticket = get_visible(session=session, actor=actor, ticket_id=ticket_id)
    return act_on(session=session, actor=actor, ticket=ticket, **act)


def act_on(
    *,
    session: Session,
    actor: Actor,
    ticket: Ticket,
    action: str,
    options: DispatchOptions,
    reason: str | None = None,
    payload: dict[str, Any] | None = None,
    expected_version: int | None = None,
    photos: Sequence[ProcessedImage] = (),
    store: MediaStore | None = None,
) -> Ticket:
    """Apply one act of the lifecycle to a case, or refuse it with a clear error. Everything that differs
    between acts comes from the act's entry in ``dispatch.lifecycle.TABLE``. (``act`` finds the case by id
    in the actor's scope; the public's acts find it by its tracking token.)"""
    previous_department = ticket.department_code
    try:
        entry = find_act(ticket.status, action, actor.role)
    except DomainError as refused:  # the refusal names the act and the caller's role, for the pages' words
        refused.details = {"action": action, "role": str(actor.role), **refused.details}
        raise
    if entry.on_site and ticket.cell_code not in actor.cell_codes:
        raise Forbidden(f"only the grid workers of cell {ticket.cell_code} may {action} this case on site",
                        code="not_cell_worker", cell_code=ticket.cell_code, action=action)
    body = entry.parse(payload)
    entry = find_act(ticket.status, action, actor.role, body)  # of several entries, the one for this payload
    text = _clean_text(reason, field="reason", limit=options.max_reason_chars, required=entry.needs_reason)
    if entry.only_if and not FLAGS[entry.only_if](ticket):
        raise Conflict(f"nothing waits for {action} on this case", code=f"no_{entry.only_if}", action=action,
                       status=str(ticket.status))
    if photos and entry.photos is None:
        takers = ", ".join(["report", *dict.fromkeys(a.action for a in TABLE if a.photos)])
        raise InvalidInput(f"photos cannot be attached to {action}; attach them to {takers}", code="photos_not_taken",
                           field="photos", action=action)
    if entry.needs_photo and not photos:
        raise InvalidInput(f"{action} needs at least one photo as evidence: attach one", code="photo_required",
                           field="photos", action=action)
    if entry.category_photo and not photos and case_category(session, ticket.category_code).after_photo_required:
        raise AfterPhotoRequired(
            f"category {ticket.category_code} needs a photo of the result to {action}: attach one or more photos",
            field="photos", category_code=ticket.category_code)
    _bump_version(session, ticket, expected_version)
    now = utcnow()
    event, _ = _take(session=session, ticket=ticket, actor=actor, act=entry, options=options, at=now, reason=text,
                     payload=body, photos=len(photos))
    if previous_department and previous_department != ticket.department_code:
        live.ticket_left(session=session, ticket=ticket, department_code=previous_department, action=action, at=now)
    if photos:
        _attach(session=session, ticket=ticket, photos=photos, store=store, stage=entry.photos, actor=actor,
                event_seq=event.seq)
    session.flush()
    return ticket
