"""Reports and cases: POST /reports, GET /tickets, GET /tickets/{id}, POST /tickets/{id}/actions/{action}."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from dispatch import audit, markers, queries, service, sla, tracking
from dispatch.nearby import open_nearby
from dispatch.photos import FORMATS, MediaStore
from dispatch.privacy import can_search_by_phone, normalize_phone
from dispatch.scope import can_see, get_visible
from geo.crs import normalize_crs, to_wgs84
from grid.clock import utcnow
from grid.errors import Forbidden, NotFound, UnknownCategory
from grid.models import Category, Role
from grid.people import Actor
from web.api import errors
from web.api.deps import ActorDep, Caller, CallerDep, SessionDep, StateDep, UnitDep
from web.api.params import aware, parse_bbox
from web.api.schemas import (
    ActionIn,
    DuplicateOut,
    ReportIn,
    ReportOut,
    TicketDetail,
    TicketOut,
    TicketPage,
    TodayCountersOut,
    ticket_detail,
    ticket_out,
)
from web.api.uploads import is_form, openapi_body, read_body, validated

router = APIRouter(prefix="/api/v1", tags=["cases"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


class NearbyOut(BaseModel):
    radius_m: float = Field(description="the duplicate radius (GRIDOPS_DUPLICATE_RADIUS_M)")
    items: list[DuplicateOut] = Field(description="open cases of the category within the radius, nearest first")


def _views(session, ticket_ids: list[int]) -> dict[int, list]:  # noqa: ANN001
    now = utcnow()
    return {tid: [sla.view(session=session, timer=t, now=now) for t in timers]
            for tid, timers in queries.timers_by_ticket(session=session, ticket_ids=ticket_ids).items()}


def _detail(session, actor, ticket) -> TicketDetail:  # noqa: ANN001
    events = audit.timeline(session=session, ticket_id=ticket.id)
    return ticket_detail(
        ticket, actor=actor, events=events,
        names=queries.display_names(session=session, user_ids={e.actor_id for e in events if e.actor_id}),
        photos=queries.photos_of(session=session, ticket_id=ticket.id),
        routing=queries.routing_of(session=session, ticket_id=ticket.id),
        timers=_views(session, [ticket.id])[ticket.id],
    )


@router.get("/nearby", response_model=NearbyOut)
def nearby(
    session: SessionDep, state: StateDep, actor: ActorDep, lat: str, lng: str,
    category_code: Annotated[str, Query(description="minor class, e.g. E0101")],
    crs: Annotated[str | None, Query(description="wgs84 (default), gcj02, bd09 or cgcs2000")] = None,
) -> NearbyOut:
    """Open cases of this category within the duplicate radius of a point, nearest first, among those
    the caller may see: asked before filing a report, so a worker can support the existing case instead."""
    wlng, wlat = to_wgs84(lng, lat, normalize_crs(crs))
    code = category_code.strip().upper()
    category = session.exec(select(Category).where(Category.code == code, Category.active)).first()
    if category is None:
        raise UnknownCategory(f"unknown category {category_code!r}: pick a minor class from GET /api/v1/categories "
                              "(e.g. E0101)", field="category_code")
    radius = state.options.duplicate_radius_m
    found = open_nearby(session=session, category_code=category.code, lng=wlng, lat=wlat, radius_m=radius, limit=50)
    items = [DuplicateOut(id=t.id, case_number=t.case_number, status=t.status, description=t.description,
                          distance_m=round(d, 1), support_count=t.support_count)
             for t, d in found if can_see(actor, t)]
    return NearbyOut(radius_m=radius, items=items[:10])


def _check_and_let_go(caller: Caller, session: Session) -> Actor:
    """The caller, checked before a form's photos are read, and the transaction of the check ended: the
    photos of a phone on a bad line may take minutes to arrive, and meanwhile the transaction would hold
    SQLite's write lock (every other write waits) or a PostgreSQL connection idle in a transaction."""
    try:
        return caller.actor(session)
    finally:
        session.rollback()


@router.post("/reports", status_code=201, response_model=ReportOut, openapi_extra=openapi_body(ReportIn),
             responses={200: {"description": "the same Idempotency-Key was seen before: the earlier case"}})
async def create_report(
    request: Request, state: StateDep, session: SessionDep, caller: CallerDep, unit: UnitDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    """File a report. JSON, or multipart with up to 6 `photos`. Returns the case and open cases of the
    same category nearby ("support the existing case" instead of filing a duplicate)."""
    # the caller is checked in the thread pool where the report is filed (one hand-over, not two); photos
    # are decoded for a known caller only, so a form's caller is checked before it is read
    known = await run_in_threadpool(_check_and_let_go, caller, session) if is_form(request) else None
    fields, photos = await read_body(request, state.settings)

    link: dict[str, str] = {}  # a hotline call's tracking link: its token, the case keeps the hash

    def file() -> tuple[service.ReportResult, list, Actor]:
        actor = known or caller.actor(session)
        body: ReportIn = validated(ReportIn, fields)
        if actor.role == Role.operator:
            link["token"], link["hash"] = tracking.new_token()
        with unit:
            result = service.report(
                session=session, actor=actor, index=state.index.get(session), options=state.options,
                lat=body.lat, lng=body.lng, crs=body.crs, category_code=body.category_code,
                description=body.description, urgency=body.urgency, source=body.source, address=body.address,
                idempotency_key=idempotency_key, photos=photos, store=unit.media,
                contact_name=body.contact_name, contact_phone=body.contact_phone, confidential=body.confidential,
                tracking_hash=link.get("hash"),
            )
            # the answer's timers: the ones the report wrote
            now = utcnow()
            views = [sla.view(session=session, timer=t, now=now) for t in result.timers]
        return result, views, actor

    def work() -> ReportOut:
        try:
            result, views, actor = file()
        except IntegrityError:
            # the same Idempotency-Key retried concurrently: the other request's case won the unique key;
            # this one (rolled back) answers with that case (200), as a sequential retry would
            if not idempotency_key:
                raise
            result, views, actor = file()
        linked = result.created and "hash" in link and result.ticket.tracking_hash == link["hash"]
        return ReportOut(
            ticket=ticket_out(result.ticket, views, actor),
            created=result.created,
            tracking_url=f"{tracking.TRACK_PATH}{link['token']}" if linked else None,
            duplicates=[DuplicateOut(id=t.id, case_number=t.case_number, status=t.status, description=t.description,
                                     distance_m=round(d, 1), support_count=t.support_count)
                        for t, d in result.duplicates],
        )

    # a few reports at a time (Settings.report_threads), the others wait here rather than in threads
    out = await anyio.to_thread.run_sync(work, limiter=state.filing)
    # pydantic writes the JSON itself (no dict in between)
    return Response(out.model_dump_json(), media_type="application/json", status_code=201 if out.created else 200)


async def ticket_filter(
    actor: ActorDep,
    status: Annotated[list[str] | None, Query(description="repeat or comma-separate")] = None,
    category: Annotated[str | None, Query(description="minor (E0101), major (E01) or kind (C/E)")] = None,
    department: str | None = None,
    area: Annotated[str | None, Query(description="district, street, community or cell code")] = None,
    bbox: Annotated[str | None, Query(description="min_lng,min_lat,max_lng,max_lat")] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    urgency: str | None = None,
    mine: bool = False,
    phone: Annotated[str | None, Query(max_length=32, description="the public reporter's number: a caller's earlier "
                                       "cases (operators, shift leads and supervisors only)")] = None,
    appeal_pending: Annotated[bool | None, Query(description="true: the cases whose department's appeal of a "
                                                 "rating waits for a supervisor (申诉)")] = None,
    q: Annotated[str | None, Query(description="search: a case number or its last digits, a cell, community or "
                                               "street name or code, or words of the description (all must "
                                               "appear); at most 100 characters")] = None,
) -> queries.TicketFilter:
    """The case list's filters, from the query (GET /tickets and the exports share them). ``async``: it reads no
    database, so it is not worth a hand-over to the thread pool."""
    statuses = [s.strip() for item in status or [] for s in item.split(",") if s.strip()] or None
    return queries.TicketFilter(
        status=statuses, category=category, department=department, area=area, bbox=parse_bbox(bbox),
        created_from=aware(created_from, "created_from"), created_to=aware(created_to, "created_to"),
        urgency=urgency, mine=mine, q=queries.clean_query(q), phone=_phone_filter(actor, phone),
        appeal_pending=appeal_pending,
    )


FilterDep = Annotated[queries.TicketFilter, Depends(ticket_filter)]


@router.get("/tickets", response_model=TicketPage)
def list_tickets(
    session: SessionDep, actor: ActorDep, filters: FilterDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> TicketPage:
    rows, total = queries.list_tickets(session=session, actor=actor, filters=filters, limit=limit, offset=offset)
    views = _views(session, [t.id for t in rows])
    return TicketPage(total=total, limit=limit, offset=offset, items=[ticket_out(t, views[t.id], actor) for t in rows])


def _phone_filter(actor: Actor, phone: str | None) -> str | None:
    if not phone:
        return None
    if not can_search_by_phone(actor.role):
        raise Forbidden("only operators, shift leads and supervisors look cases up by the reporter's number",
                        code="phone_search_forbidden")
    return normalize_phone(phone, field="phone")


class CallbackItem(TicketOut):
    reply: str = Field(description="the department's reply (its last resolve note): what the operator reads out")


class CallbackPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CallbackItem]


@router.get("/callbacks", response_model=CallbackPage, responses=errors.responses(403))
def callbacks(
    session: SessionDep, state: StateDep, actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CallbackPage:
    """回访: closed cases reported by the public that wait for a call-back (a rating by phone, or the tries
    that found nobody) and may still be rated (closed within the rating window), oldest closing first.
    Operators, shift leads and supervisors."""
    if not can_search_by_phone(actor.role):
        raise Forbidden("the call-back list is for operators, shift leads and supervisors", code="forbidden")
    window = queries.TicketFilter(callback="pending",
                                  closed_from=utcnow() - timedelta(days=state.options.rating_window_days))
    rows, total = queries.list_tickets(session=session, actor=actor, filters=window, limit=limit, offset=offset,
                                       oldest_closed_first=True)
    views = _views(session, [t.id for t in rows])
    said = queries.replies(session=session, ticket_ids=[t.id for t in rows])
    return CallbackPage(total=total, limit=limit, offset=offset, items=[
        CallbackItem(**ticket_out(t, views[t.id], actor).model_dump(), reply=said.get(t.id, "")) for t in rows])


@router.get("/stats/today", response_model=TodayCountersOut)
def stats_today(state: StateDep, session: SessionDep, actor: ActorDep) -> dict:
    """Counters for the control room: open, due today, yellow, red, closed today, on-time rate today
    (today in the service's timezone), within the caller's scope; batched, so the map refreshes them on
    every live event even with 20,000 open cases."""
    return markers.today_counters(session=session, actor=actor, now=utcnow(), timezone=state.options.timezone)


NO_CASE = "no case with this id, or not one the caller may see"


@router.get("/tickets/{ticket_id}", response_model=TicketDetail, responses=errors.responses(not_found=NO_CASE))
def get_ticket(ticket_id: Id, session: SessionDep, actor: ActorDep) -> TicketDetail:
    """A case with its timeline (from the audit trail), photos, routing decisions and the actions the
    caller may take now."""
    return _detail(session, actor, get_visible(session=session, actor=actor, ticket_id=ticket_id))


@router.post("/tickets/{ticket_id}/actions/{action}", response_model=TicketDetail,
             openapi_extra=openapi_body(ActionIn), responses=errors.responses(
                 forbidden="the caller's role may never take this act (or a browser session sent no CSRF token)",
                 not_found=NO_CASE + "; or no such action",
                 conflict="the case's state does not allow the act now (the answer has its status and the allowed "
                          "actions), or the case changed since `version`"))
async def act(ticket_id: Id, action: str, request: Request, state: StateDep, session: SessionDep,
              caller: CallerDep, unit: UnitDep) -> TicketDetail:
    """Take one act of the lifecycle (see GET /api/v1/lifecycle). 409 with the current status and the
    allowed actions when the case's state does not allow it; 403 when the role never may."""
    known = await run_in_threadpool(_check_and_let_go, caller, session) if is_form(request) else None
    fields, photos = await read_body(request, state.settings)

    def work() -> TicketDetail:
        actor = known or caller.actor(session)
        body: ActionIn = validated(ActionIn, fields)
        with unit:
            ticket = service.act(session=session, actor=actor, ticket_id=ticket_id, action=action,
                                 options=state.options, reason=body.reason, payload=body.payload,
                                 expected_version=body.version, photos=photos, store=unit.media)
        return _detail(session, actor, ticket)

    return await run_in_threadpool(work)


@router.get("/tickets/{ticket_id}/photos/{photo_id}", response_class=FileResponse,
            responses={200: {"content": {media: {} for media, _ in FORMATS.values()}},
                       **errors.responses(not_found=NO_CASE + "; or the case has no such photo")})
def get_photo(ticket_id: Id, photo_id: Id, state: StateDep, session: SessionDep, actor: ActorDep) -> FileResponse:
    get_visible(session=session, actor=actor, ticket_id=ticket_id)
    photo = next((p for p in queries.photos_of(session=session, ticket_id=ticket_id) if p.id == photo_id), None)
    if photo is None:
        raise NotFound(f"case {ticket_id} has no photo {photo_id}")
    path = MediaStore(state.settings.media_dir).path_of(photo.path)
    if not path.exists():
        raise NotFound(f"photo {photo_id}'s file is missing from the media directory")
    return FileResponse(path, media_type=photo.content_type, headers={"Cache-Control": "private, max-age=86400"})
