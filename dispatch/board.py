"""The supervisor's board (/board): a period's counters, its trend per local day, the top minor classes, and the
cases registered per cell, all counted from the record (``ticket_event``) as SQL aggregates.

Definitions (every case of the city, whoever asks):
- reported, registered, closed: the ``report``, ``register`` and ``close`` acts in the period (a case closed
  twice, after a reopen, counts twice);
- overdue: distinct cases with an act in the period that met its stage late (``ticket_event.on_time`` false);
- today's open and overdue now: cases not in a final state, and those of them whose light is red now.

A local day is grouped in SQL: PostgreSQL converts to the zone by name; SQLite shifts by the zone's offset,
piecewise over the period when the offset changes (summer time), so both answer the same days."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, select
from sqlmodel import Session

from dispatch.evaluation.periods import Period
from dispatch.models import TERMINAL, Ticket, TicketEvent
from grid import catalogue
from grid.people import Actor

TOP = 10
COUNTED = ("report", "register", "close")


def _offsets(span: Period, tz: ZoneInfo) -> list[tuple[datetime, int]]:
    """The zone's UTC offset (seconds) over the span: [(from, offset), …], a new piece where it changes."""
    pieces: list[tuple[datetime, int]] = []
    moment = span.start
    while moment < span.end:
        offset = int(moment.astimezone(tz).utcoffset().total_seconds())
        if not pieces or pieces[-1][1] != offset:
            pieces.append((moment, offset))
        moment += timedelta(hours=1)
    return pieces or [(span.start, int(span.start.astimezone(tz).utcoffset().total_seconds()))]


def local_day(column, span: Period, tz: ZoneInfo, dialect: str):  # noqa: ANN001, ANN201
    """A UTC timestamp column as its local date, 'YYYY-MM-DD', in SQL."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(tz.key, column), "YYYY-MM-DD")
    pieces = _offsets(span, tz)
    shift = literal(f"{pieces[0][1]:+d} seconds")
    if len(pieces) > 1:
        shift = case(*[(column >= at.replace(tzinfo=None), literal(f"{offset:+d} seconds"))
                       for at, offset in reversed(pieces[1:])], else_=shift)
    return func.strftime("%Y-%m-%d", column, shift)


def _figures():  # noqa: ANN202
    """reported, registered, closed and overdue (distinct cases late) over the events selected."""
    e = TicketEvent
    counts = [func.count(case((e.action == action, literal(1)))).label(f"{action}_n") for action in COUNTED]
    late = func.count(func.distinct(case((e.on_time.is_(False), e.ticket_id)))).label("overdue")
    return (*counts, late)


def _events(span: Period) -> list:
    e = TicketEvent
    return [e.at >= span.start, e.at < span.end, (e.action.in_(COUNTED)) | e.on_time.is_(False)]


def _as_dict(row) -> dict:  # noqa: ANN001
    return {"reported": row.report_n, "registered": row.register_n, "closed": row.close_n, "overdue": row.overdue}


def _registered(span: Period) -> list:
    return [TicketEvent.action == "register", TicketEvent.at >= span.start, TicketEvent.at < span.end]


def board(*, session: Session, actor: Actor, span: Period, today: Period, now: datetime, tz: ZoneInfo) -> dict:
    """The board's figures for the period ``span`` and for the local day ``today``. Every case of the city
    counts: the board is for supervisors and admins (the router checks the role)."""
    del actor  # (the whole city: no scope to apply)
    dialect = session.get_bind().dialect.name
    totals = _as_dict(session.execute(select(*_figures()).where(*_events(span))).one())

    day = _as_dict(session.execute(select(*_figures()).where(*_events(today))).one())
    is_open = Ticket.status.not_in(sorted(str(s) for s in TERMINAL))
    open_now, red_now = session.execute(select(
        func.count(), func.count(case((and_(Ticket.sla_red_at.is_not(None), Ticket.sla_red_at <= now), literal(1)))),
    ).where(is_open)).one()
    day.update(open=open_now, overdue_now=red_now)

    key = local_day(TicketEvent.at, span, tz, dialect).label("day")
    per_day = {r.day: r for r in session.execute(select(key, *_figures()).where(*_events(span)).group_by(key))}
    trend = []
    d = span.first
    while d <= span.last:
        row = per_day.get(d.isoformat())
        trend.append({"date": d, "reported": row.report_n if row else 0, "closed": row.close_n if row else 0,
                      "overdue": row.overdue if row else 0})
        d += timedelta(days=1)

    names = catalogue.categories(session)
    n = func.count(func.distinct(TicketEvent.ticket_id)).label("n")
    joined = select(Ticket.category_code, n).join(Ticket, Ticket.id == TicketEvent.ticket_id)
    top = session.execute(joined.where(*_registered(span)).group_by(Ticket.category_code)
                          .order_by(n.desc(), Ticket.category_code).limit(TOP)).all()
    cells = session.execute(select(Ticket.cell_code, n).join(Ticket, Ticket.id == TicketEvent.ticket_id)
                            .where(*_registered(span)).group_by(Ticket.cell_code).order_by(Ticket.cell_code)).all()
    return {
        "today": {"date": today.first, **day},
        "totals": totals,
        "trend": trend,
        "top_categories": [{"code": code, "name": names[code].name if code in names else "",
                            "name_en": names[code].name_en if code in names else "", "count": count}
                           for code, count in top],
        "cells": [{"code": code, "count": count} for code, count in cells if count > 0],
    }
