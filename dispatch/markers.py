"""What a map needs of many cases at once: position, status, category and the SLA light, for every open
case in the caller's scope, computed in a few queries.

The per-case views (``sla.view`` through ``queries.timers_by_ticket``) load whole timer rows and look the
calendar up once per timer; fine for a page of 50, slow for 20,000. Here the running timers of all the
cases come in one column query, each calendar is loaded once, and only the headline (the running timer
that is worst off, as ``sla.headline`` picks it) is kept per case. The map's rows (``rows``) are counted
and filtered in SQL, their light read from the stored instants, and only the rows returned (at most the
caller's limit) have their timers read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import Integer, Text, and_, case, cast, exists, func, literal, or_
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from dispatch import sla
from dispatch.models import TERMINAL, LiveEvent, SlaTimer, Status, Ticket
from dispatch.scope import sees_all, visible
from dispatch.worktime import calendar_for
from grid.errors import InvalidInput
from grid.people import Actor

OPEN_STATUSES = sorted(str(s) for s in set(Status) - TERMINAL)
ORDER = {"red": 0, "yellow": 1, "green": 2}


@dataclass(slots=True)
class Marker:
    id: int
    case_number: str
    lng: float
    lat: float
    status: str
    category_code: str
    urgency: str
    department_code: str | None
    suggested_department_code: str | None
    cell_code: str
    created_at: datetime
    light: str | None  # None: no running timer (e.g. a closed case)
    remaining_s: float | None
    due_at: datetime | None


@dataclass
class MarkerFilter:
    statuses: list[str] | None = None  # None: every open status
    ids: list[int] | None = None  # these cases whatever their status (a live client catching up)
    category: str | None = None
    department: str | None = None  # "-": no department yet
    area: str | None = None
    urgency: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    search: ColumnElement[bool] | None = None  # the search box's condition (dispatch.queries.search_condition)


COLUMNS = (Ticket.id, Ticket.case_number, Ticket.lng, Ticket.lat, Ticket.status, Ticket.category_code,
           Ticket.urgency, Ticket.department_code, Ticket.suggested_department_code, Ticket.cell_code,
           Ticket.created_at)
TIMER_COLUMNS = (SlaTimer.ticket_id, SlaTimer.stage, SlaTimer.active, SlaTimer.paused_at, SlaTimer.calendar_code,
                 SlaTimer.limit_s, SlaTimer.extension_s, SlaTimer.ladder, SlaTimer.anchor_remaining_s,
                 SlaTimer.due_at)


def _conditions(actor: Actor, f: MarkerFilter) -> list:
    where = [visible(actor)]
    if f.ids is not None:
        where.append(col(Ticket.id).in_(f.ids))
    else:
        statuses = f.statuses or OPEN_STATUSES
        unknown = [s for s in statuses if s not in Status.__members__]
        if unknown:
            raise InvalidInput(f"unknown status {', '.join(unknown)}; statuses are {', '.join(Status)}",
                               field="status")
        where.append(col(Ticket.status).in_(statuses))
    if f.category:
        where.append(col(Ticket.category_code).startswith(f.category.upper(), autoescape=True))
    if f.department == "-":  # not dispatched yet
        where.append(col(Ticket.department_code).is_(None))
    elif f.department:
        where.append(Ticket.department_code == f.department)
    if f.area:
        if not f.area.isdigit() or len(f.area) > 15:
            raise InvalidInput("area must be an area code (up to 15 digits)", field="area")
        where.append(col(Ticket.cell_code).startswith(f.area))
    if f.urgency:
        where.append(Ticket.urgency == f.urgency)
    if f.created_from:
        where.append(Ticket.created_at >= f.created_from)
    if f.created_to:
        where.append(Ticket.created_at < f.created_to)
    if f.search is not None:
        where.append(f.search)
    return where


def _found(session: Session, actor: Actor, filters: MarkerFilter, now: datetime) -> tuple[list, dict]:
    """The matching cases as Core rows (not ORM: a third of the time for 20,000 cases) and their headlines."""
    where = _conditions(actor, filters)
    found = session.connection().execute(select(*COLUMNS).where(*where).order_by(Ticket.id)).all()
    return found, _headlines(session, now, [col(SlaTimer.ticket_id).in_(select(Ticket.id).where(*where))])


def markers(*, session: Session, actor: Actor, filters: MarkerFilter, now: datetime) -> list[Marker]:
    """Every case matching the filters in the caller's scope, with its headline SLA light (computed with the
    calendars, timer by timer: the reference the stored light instants are checked against)."""
    found, heads = _found(session, actor, filters, now)
    out = []
    for r in found:
        head = heads.get(r.id)
        out.append(Marker(id=r.id, case_number=r.case_number, lng=r.lng, lat=r.lat, status=str(r.status),
                          category_code=r.category_code, urgency=r.urgency, department_code=r.department_code,
                          suggested_department_code=r.suggested_department_code, cell_code=r.cell_code,
                          created_at=r.created_at, light=head[0] if head else None,
                          remaining_s=round(head[1]) if head else None, due_at=head[2] if head else None))
    return out


def light_condition(light: str, now: datetime):  # noqa: ANN201
    """SQL for "the case's light is ``light`` now", from the stored instants (``sla.light_at``); ``none``:
    no running timer."""
    red = col(Ticket.sla_red_at) <= now
    not_red = or_(col(Ticket.sla_red_at).is_(None), col(Ticket.sla_red_at) > now)
    not_yellow = or_(col(Ticket.sla_yellow_at).is_(None), col(Ticket.sla_yellow_at) > now)
    running = exists().where(col(SlaTimer.ticket_id) == col(Ticket.id), col(SlaTimer.active).is_(True))
    return {"red": red, "yellow": and_(col(Ticket.sla_yellow_at) <= now, not_red),
            "green": and_(not_red, not_yellow, running), "none": ~running}[light]


def rows(*, session: Session, actor: Actor, filters: MarkerFilter, now: datetime, light: str | None = None,
         bbox: tuple[float, float, float, float] | None = None, limit: int | None = None) -> tuple[list[list], int]:
    """The matching cases as plain rows for the map's payload, in id order, built in one pass without
    per-case objects: id, case number, lng, lat, status, category, urgency, department, suggested
    department, cell, created (epoch s), light, remaining s, due (epoch s), day s (one day in the headline
    limit's basis: 86,400 in natural time, the calendar's working hours a day in working time, so the page
    says 超时 3 个工作日 2 小时 without a request per case); and ``total``, how many match.

    ``light``: only cases with that light now (``none``: no running timer); ``bbox``: (min_lng, min_lat,
    max_lng, max_lat), WGS-84. With ``limit`` the matches are counted first (one COUNT in SQL) and, when
    there are more than ``limit``, no rows are read at all: the caller narrows the box or the filters (the
    map shows area counts instead). So at most ``limit`` rows ever come into Python, whatever the number
    of open cases. The light comes from the stored instants; the remaining working seconds and due of each
    row from its running timers, read for the returned rows only."""
    where = _conditions(actor, filters)
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        where += [col(Ticket.lng).between(minx, maxx), col(Ticket.lat).between(miny, maxy)]
    if light is not None:
        where.append(light_condition(light, now))
    conn = session.connection()
    total = None
    query = select(*COLUMNS, Ticket.sla_yellow_at, Ticket.sla_red_at).where(*where).order_by(Ticket.id)
    if limit is not None:
        total = conn.execute(select(func.count()).select_from(Ticket).where(*where)).scalar_one()
        if total > limit:
            return [], total
        query = query.limit(limit)  # a case filed since the count does not push it over
    found = conn.execute(query).all()
    heads = _headlines(session, now, ids=[r.id for r in found])
    out: list[list] = []
    append = out.append
    light_at = sla.light_at
    for r in found:
        head = heads.get(r.id)
        append([r.id, r.case_number, round(r.lng, 6), round(r.lat, 6), str(r.status), r.category_code, r.urgency,
                r.department_code, r.suggested_department_code, r.cell_code, int(r.created_at.timestamp()),
                light_at(r.sla_yellow_at, r.sla_red_at, now) if head else None,
                round(head[1]) if head else None, int(head[2].timestamp()) if head else None,
                head[3] if head else None])
    return out, len(out) if total is None else total


ID_CHUNK = 5_000  # ticket ids per timer query (SQLite takes at most 32,766 parameters)


def _among(conn, column, ids: list[int]):  # noqa: ANN001, ANN202
    """``column IN ids``; on PostgreSQL as ``= ANY(array)``, one parameter instead of thousands to send
    and plan."""
    if conn.dialect.name == "postgresql":
        return column == func.any(literal(ids, type_=postgresql.ARRAY(Integer)))
    return col(column).in_(ids)


def _headlines(session: Session, now: datetime, where: list | None = None,
               ids: list[int] | None = None) -> dict[int, tuple[str, float, datetime, int]]:
    """ticket id → (light, remaining working seconds, due, seconds of one day of its calendar) of its running
    timer that is worst off, for the tickets the conditions ``where`` select or for the tickets ``ids``."""
    running = SlaTimer.active == True  # noqa: E712  (``active = true``: the partial index ix_sla_timer_running)
    conn = session.connection()
    if ids is None:
        timers = conn.execute(select(*TIMER_COLUMNS).where(running, *(where or []))).all()
    else:
        timers = [t for i in range(0, len(ids), ID_CHUNK) for t in conn.execute(
            select(*TIMER_COLUMNS).where(running, _among(conn, SlaTimer.ticket_id, ids[i:i + ID_CHUNK]))).all()]
    # remaining working time of every running timer, a batch per calendar (as sla.remaining_s one by one)
    left: list[float] = [0.0] * len(timers)
    by_calendar: dict[str, list[int]] = {}
    for i, timer in enumerate(timers):
        if timer.paused_at is not None:
            left[i] = timer.anchor_remaining_s
        else:
            by_calendar.setdefault(timer.calendar_code, []).append(i)
    day_of: dict[str, int] = {}
    for code, indexes in by_calendar.items():
        cal = calendar_for(session=session, code=code)
        day_of[code] = round(sla.day_s(cal))
        for i, seconds in zip(indexes, cal.signed_between_many(now, [timers[i].due_at for i in indexes]),
                              strict=True):
            left[i] = seconds
    ratios: dict[str, float] = {}
    best: dict[int, tuple[int, float, str, datetime, str]] = {}
    for timer, remaining in zip(timers, left, strict=True):
        ratio = ratios.get(timer.ladder)
        if ratio is None:
            ratio = ratios[timer.ladder] = json.loads(timer.ladder).get("yellow_ratio", 0.8)
        light = sla.light_of(sla.total_s(timer), remaining, ratio)
        key = (ORDER[light], remaining)
        current = best.get(timer.ticket_id)
        if current is None or key < current[:2]:
            best[timer.ticket_id] = (*key, light, timer.due_at, timer.calendar_code)
    for code in {c for *_, c in best.values()} - day_of.keys():  # only paused timers on it: not loaded above
        day_of[code] = round(sla.day_s(calendar_for(session=session, code=code)))
    return {tid: (light, remaining, due, day_of[code]) for tid, (_, remaining, light, due, code) in best.items()}


AREA_COLUMNS = {15: Ticket.cell_code, 12: Ticket.community_code, 9: Ticket.street_code, 6: Ticket.district_code}


def _lights(now: datetime) -> tuple:
    """SQL sums of the cases that are red and yellow now, from the stored instants (sla.light_at)."""
    red = col(Ticket.sla_red_at) <= now
    yellow = and_(col(Ticket.sla_yellow_at) <= now, or_(col(Ticket.sla_red_at).is_(None), col(Ticket.sla_red_at) > now))
    return func.coalesce(func.sum(case((red, 1), else_=0)), 0), func.coalesce(func.sum(case((yellow, 1), else_=0)), 0)


def area_counts_json(*, session: Session, actor: Actor, length: int, within: str | None, now: datetime,
                     codes: list[str] | None = None) -> str:
    """Open cases in the caller's scope per area of one level (code length 15 cell … 6 district), with the
    worst light among them, as the JSON text ``{"code": [open, "worst light"], …}``: one GROUP BY over the
    stored light instants, and the database writes the JSON (a whole city's cells are tens of thousands of
    rows, which Python would take longer to fetch and encode than the database to count); ``codes``: only
    these areas (those in view)."""
    area = AREA_COLUMNS[length]
    red, yellow = _lights(now)
    where = [visible(actor), col(Ticket.status).in_(OPEN_STATUSES)]
    if within:
        where.append(col(Ticket.cell_code).startswith(within))
    if codes is not None:
        where.append(col(area).in_(codes))
    groups = select(area.label("code"), func.count().label("n"), red.label("red"), yellow.label("yellow")) \
        .where(*where).group_by(area).subquery()
    worst = case((groups.c.red > 0, "red"), (groups.c.yellow > 0, "yellow"), else_="green")
    if session.get_bind().dialect.name == "postgresql":
        body = cast(func.json_object_agg(groups.c.code, func.json_build_array(groups.c.n, worst)), Text)
    else:  # SQLite's JSON1
        body = func.json_group_object(groups.c.code, func.json_array(groups.c.n, worst))
    return session.connection().execute(select(body)).scalar() or "{}"


def today_counters(*, session: Session, actor: Actor, now: datetime, timezone: tzinfo) -> dict:
    """The control room's counters for today (local): open cases, due today (the earliest running deadline
    falls today), yellow, red, closed today and today's on-time rate of handling, each one SQL aggregate
    over indexed columns and the stored light instants (what tests/support/reference.py counts case by
    case), so every screen may ask again on every live event."""
    start = now.astimezone(timezone).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)
    red, yellow = _lights(now)
    due = func.coalesce(func.sum(case((and_(col(Ticket.sla_due_at) >= start, col(Ticket.sla_due_at) < end), 1),
                                      else_=0)), 0)
    conn = session.connection()
    n_open, n_due, n_red, n_yellow = conn.execute(select(func.count(), due, red, yellow).where(
        visible(actor), col(Ticket.status).in_(OPEN_STATUSES))).one()
    closed = conn.execute(select(func.count()).select_from(Ticket).where(
        visible(actor), Ticket.status == Status.closed, col(Ticket.closed_at) >= start,
        col(Ticket.closed_at) < end)).scalar_one()
    handled_today = select(func.count(), func.coalesce(func.sum(case((col(SlaTimer.anchor_remaining_s) >= 0, 1),
                                                                     else_=0)), 0)).where(
        SlaTimer.stage == "handle", col(SlaTimer.fulfilled_at) >= start, col(SlaTimer.fulfilled_at) < end)
    if sees_all(actor):  # no scope to join the cases for
        handled, on_time = conn.execute(handled_today).one()
    else:
        handled, on_time = conn.execute(handled_today.join(Ticket, col(Ticket.id) == col(SlaTimer.ticket_id))
                                        .where(visible(actor))).one()
    return {"open": n_open, "due_today": n_due, "yellow": n_yellow, "red": n_red, "closed_today": closed,
            "on_time_rate_today": round(on_time / handled, 3) if handled else None}


def last_event_id(*, session: Session) -> int:
    """The newest live event's id: read before the markers, a client that resumes its live feed from it
    misses nothing that happened after its snapshot (events already in the snapshot are harmless)."""
    return session.exec(select(func.max(LiveEvent.id))).one() or 0


def department_lights(*, session: Session, actor: Actor, now: datetime) -> dict[str, dict[str, int]]:
    """Per department, the open cases it holds in the caller's scope and how many of them are yellow and red
    now: one GROUP BY over the stored light instants. Departments holding none are absent."""
    red, yellow = _lights(now)
    rows = session.connection().execute(
        select(col(Ticket.department_code), func.count(), red, yellow)
        .where(visible(actor), col(Ticket.status).in_(OPEN_STATUSES), col(Ticket.department_code).is_not(None))
        .group_by(col(Ticket.department_code)))
    return {code: {"open": n, "yellow": int(n_yellow), "red": int(n_red)} for code, n, n_red, n_yellow in rows}
