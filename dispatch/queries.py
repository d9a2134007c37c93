"""Listing cases with filters and pagination, within the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from dispatch.models import Photo, RoutingDecisionRecord, SlaTimer, Status, Ticket
from dispatch.scope import visible
from grid.errors import InvalidInput
from grid.people import Actor


@dataclass
class TicketFilter:
    status: list[str] | None = None
    category: str | None = None  # minor (E0101), major (E01) or kind letter (E)
    department: str | None = None
    area: str | None = None  # any level's code: district, street, community or cell
    bbox: tuple[float, float, float, float] | None = None  # min_lng, min_lat, max_lng, max_lat
    created_from: datetime | None = None
    created_to: datetime | None = None
    urgency: str | None = None
    mine: bool = False


def list_tickets(
    *, session: Session, actor: Actor, filters: TicketFilter, limit: int = 50, offset: int = 0
) -> tuple[list[Ticket], int]:
    query = select(Ticket).where(visible(actor))
    if filters.status:
        unknown = [s for s in filters.status if s not in Status.__members__]
        if unknown:
            raise InvalidInput(f"unknown status {', '.join(unknown)}; statuses are {', '.join(Status)}",
                               field="status")
        query = query.where(col(Ticket.status).in_(filters.status))
    if filters.category:
        query = query.where(col(Ticket.category_code).startswith(filters.category.upper(), autoescape=True))
    if filters.department:
        query = query.where(Ticket.department_code == filters.department)
    if filters.area:
        if not filters.area.isdigit():
            raise InvalidInput("area must be an area code (digits)", field="area")
        query = query.where(col(Ticket.cell_code).startswith(filters.area))
    if filters.bbox:
        minx, miny, maxx, maxy = filters.bbox
        query = query.where(Ticket.lng >= minx, Ticket.lng <= maxx, Ticket.lat >= miny, Ticket.lat <= maxy)
    if filters.created_from:
        query = query.where(Ticket.created_at >= filters.created_from)
    if filters.created_to:
        query = query.where(Ticket.created_at < filters.created_to)
    if filters.urgency:
        query = query.where(Ticket.urgency == filters.urgency)
    if filters.mine:
        query = query.where(Ticket.reporter_id == actor.user_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
                        .limit(limit).offset(offset)).all()
    return list(rows), total


def timers_by_ticket(*, session: Session, ticket_ids: list[int]) -> dict[int, list[SlaTimer]]:
    found: dict[int, list[SlaTimer]] = {i: [] for i in ticket_ids}
    if ticket_ids:
        for timer in session.exec(select(SlaTimer).where(col(SlaTimer.ticket_id).in_(ticket_ids))
                                  .order_by(SlaTimer.id)):
            found[timer.ticket_id].append(timer)
    return found


def photos_of(*, session: Session, ticket_id: int) -> list[Photo]:
    return list(session.exec(select(Photo).where(Photo.ticket_id == ticket_id).order_by(Photo.id)))


def routing_of(*, session: Session, ticket_id: int) -> list[RoutingDecisionRecord]:
    return list(session.exec(select(RoutingDecisionRecord).where(RoutingDecisionRecord.ticket_id == ticket_id)
                             .order_by(RoutingDecisionRecord.id)))
