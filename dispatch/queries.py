"""Listing cases with filters and pagination, within the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from dispatch.models import Photo, RoutingDecisionRecord, SlaTimer, Status, Ticket, TicketEvent
from dispatch.scope import visible
from grid.errors import InvalidInput
from grid.models import CODE_LENGTH, Area, AreaLevel, User
from grid.people import Actor

MAX_QUERY = 100  # characters of a search
MAX_AREAS = 200  # areas a name search turns into cell-code ranges; beyond, one subquery over the codes


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
    q: str | None = None  # search: case number (or its last digits), area name or code, description words
    phone: str | None = None  # the public reporter's number, normalized (operators: a caller's earlier cases)
    callback: str | None = None  # 回访 state: pending lists the cases waiting for a call-back
    closed_from: datetime | None = None  # closed at or after (the call-backs still within the rating window)
    appeal_pending: bool | None = None  # cases whose department's appeal (申诉) waits for a supervisor


def clean_query(q: str | None) -> str | None:
    """The search text stripped, or None for no search; refused past MAX_QUERY characters."""
    text = (q or "").strip()
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"a search is at most {MAX_QUERY} characters", code="query_too_long", field="q",
                           max_length=MAX_QUERY)
    return text or None


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matcher(session: Session):  # noqa: ANN202
    """``match(column, pattern)``: ILIKE on PostgreSQL (the pg_trgm GIN indexes of migration 0010 serve it),
    LIKE on SQLite (case-insensitive for ASCII); the pattern's user text is escaped by the caller."""
    if session.get_bind().dialect.name == "postgresql":
        return lambda column, pattern: col(column).ilike(pattern, escape="\\")
    return lambda column, pattern: col(column).like(pattern, escape="\\")


def _under(code: str) -> ColumnElement[bool]:
    """Cases in the area ``code`` (any level): a range of cell codes, which the cell_code index serves in
    any collation (codes are digits of one length), unlike LIKE 'prefix%'."""
    if len(code) >= CODE_LENGTH[AreaLevel.cell]:
        return col(Ticket.cell_code) == code
    return and_(col(Ticket.cell_code) >= code, col(Ticket.cell_code) <= code.ljust(CODE_LENGTH[AreaLevel.cell], "9"))


def _areas_named(session: Session, match, text: str) -> ColumnElement[bool] | None:  # noqa: ANN001
    """Cases in the areas (any level) whose name holds ``text``: the areas are read first (an indexed query on
    area names), then each becomes a range of cell codes; a very common name falls back to a subquery."""
    named = match(Area.name, f"%{_escape(text)}%")
    codes = list(session.exec(select(Area.code).where(named).limit(MAX_AREAS + 1)))
    if not codes:
        return None
    if len(codes) > MAX_AREAS:
        matched = select(Area.code).where(named)
        return or_(*(func.substr(Ticket.cell_code, 1, n).in_(matched) for n in sorted(set(CODE_LENGTH.values()))))
    codes.sort()
    kept = [c for c in codes if not any(c != o and c.startswith(o) for o in codes)]  # an ancestor covers it
    return or_(*(_under(c) for c in kept))


def search_condition(*, session: Session, q: str) -> ColumnElement[bool]:
    """The cases one search box finds: by case number (the whole number, or its last digits), by the name
    of a cell, community, street or district (the cases in it), by an area code (a prefix of the cell code),
    or by words of the description and the address (every word must appear in one or the other: "福州路",
    "福州路 垃圾"). The user's ``%`` and ``_`` are literal."""
    match = _matcher(session)
    found = [match(Ticket.case_number, _escape(q))]
    if q.isdigit():
        found.append(match(Ticket.case_number, f"%{_escape(q)}"))
        if CODE_LENGTH[AreaLevel.district] <= len(q) <= CODE_LENGTH[AreaLevel.cell]:  # an area's code or a prefix
            found.append(_under(q))
    # digits are a code, not a name (an area without a name of its own is named by its code)
    if not q.isdigit() and (area := _areas_named(session, match, q)) is not None:
        found.append(area)
    words = q.split()
    found.append(and_(*(or_(match(Ticket.description, f"%{_escape(w)}%"), match(Ticket.address, f"%{_escape(w)}%"))
                        for w in words)))
    return or_(*found)


def replies(*, session: Session, ticket_ids: list[int]) -> dict[int, str]:
    """Each case's latest reply from its department (the note of its last resolve), in one query."""
    if not ticket_ids:
        return {}
    last = (select(TicketEvent.ticket_id, func.max(TicketEvent.seq).label("seq"))
            .where(col(TicketEvent.ticket_id).in_(ticket_ids), TicketEvent.action == "resolve")
            .group_by(TicketEvent.ticket_id).subquery())
    rows = session.exec(select(TicketEvent.ticket_id, TicketEvent.reason)
                        .join(last, (TicketEvent.ticket_id == last.c.ticket_id) & (TicketEvent.seq == last.c.seq)))
    return dict(rows.all())


def list_tickets(
    *, session: Session, actor: Actor, filters: TicketFilter, limit: int = 50, offset: int = 0,
    oldest_closed_first: bool = False,
) -> tuple[list[Ticket], int]:
    query = select(Ticket).where(ticket_condition(session=session, actor=actor, filters=filters))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = ((col(Ticket.closed_at).asc(), col(Ticket.id).asc()) if oldest_closed_first
             else (col(Ticket.created_at).desc(), col(Ticket.id).desc()))
    rows = session.exec(query.order_by(*order)
                        .limit(limit).offset(offset)).all()
    return list(rows), total


def ticket_condition(*, session: Session, actor: Actor, filters: TicketFilter) -> ColumnElement[bool]:
    """The SQL condition for the cases ``actor`` may see that match ``filters`` (the list's and the exports')."""
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
    if filters.q:
        query = query.where(search_condition(session=session, q=filters.q))
    if filters.phone:
        query = query.where(Ticket.contact_phone == filters.phone)
    if filters.callback:
        query = query.where(Ticket.callback_state == filters.callback)
    if filters.closed_from:
        query = query.where(Ticket.closed_at >= filters.closed_from)
    if filters.appeal_pending is not None:
        query = query.where(Ticket.appeal_pending == filters.appeal_pending)
    return query.whereclause


def timers_by_ticket(*, session: Session, ticket_ids: list[int]) -> dict[int, list[SlaTimer]]:
    found: dict[int, list[SlaTimer]] = {i: [] for i in ticket_ids}
    if ticket_ids:
        for timer in session.exec(select(SlaTimer).where(col(SlaTimer.ticket_id).in_(ticket_ids))
                                  .order_by(SlaTimer.id)):
            found[timer.ticket_id].append(timer)
    return found


def photos_of(*, session: Session, ticket_id: int) -> list[Photo]:
    return list(session.exec(select(Photo).where(Photo.ticket_id == ticket_id).order_by(Photo.id)))


def display_names(*, session: Session, user_ids: set[int]) -> dict[int, str]:
    """The display names of the people on a timeline, by user id."""
    if not user_ids:
        return {}
    return dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(user_ids))).all())


def routing_of(*, session: Session, ticket_id: int) -> list[RoutingDecisionRecord]:
    return list(session.exec(select(RoutingDecisionRecord).where(RoutingDecisionRecord.ticket_id == ticket_id)
                             .order_by(RoutingDecisionRecord.id)))
