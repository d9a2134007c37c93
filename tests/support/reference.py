"""Case-by-case references the tests hold the fast SQL paths to: what a count must be when each open
case's timers are viewed one at a time with the working-time calendar (dispatch.sla.view)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from dispatch.models import SlaTimer, Status, Ticket
from dispatch.scope import visible
from dispatch.sla import TimerView, headline
from grid.people import Actor


def today_counters(*, session: Session, actor: Actor, start: datetime, end: datetime,
                   views: dict[int, list[TimerView]]) -> dict[str, float | int | None]:
    """The control room's strip for [start, end) (today, local): open cases, due today, yellow, red,
    closed today and today's on-time rate. ``views`` holds the timer views of every open case."""
    heads = [h for v in views.values() if (h := headline(v))]
    # a case is due today when its earliest running (not paused) deadline falls today
    dues = [min(d) for v in views.values() if (d := [t.due_at for t in v if t.active and not t.paused])]
    closed_today = session.exec(select(func.count()).select_from(Ticket).where(
        visible(actor), Ticket.status == Status.closed, Ticket.closed_at >= start, Ticket.closed_at < end)).one()
    done = session.exec(select(SlaTimer).join(Ticket, Ticket.id == SlaTimer.ticket_id).where(
        visible(actor), SlaTimer.stage == "handle", SlaTimer.fulfilled_at >= start, SlaTimer.fulfilled_at < end)).all()
    on_time = sum(1 for t in done if t.anchor_remaining_s >= 0)
    return {
        "open": len(views),
        "due_today": sum(1 for due in dues if start <= due < end),
        "yellow": sum(1 for h in heads if h.light == "yellow"),
        "red": sum(1 for h in heads if h.light == "red"),
        "closed_today": closed_today,
        "on_time_rate_today": round(on_time / len(done), 3) if done else None,
    }

