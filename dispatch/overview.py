"""The shift's own overview: what each dispatcher and shift lead did on a day (their acts, counted by kind),
from the audit trail, one aggregate over the acts of that day (``ticket_event.at`` is indexed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from dispatch.models import TicketEvent
from grid.models import Role, User

SHIFT_ROLES = (Role.dispatcher, Role.shift_lead)


@dataclass
class PersonDay:
    username: str
    display_name: str
    role: str
    acts: dict[str, int] = field(default_factory=dict)  # action → count
    first_at: datetime | None = None
    last_at: datetime | None = None

    @property
    def total(self) -> int:
        return sum(self.acts.values())


def day_bounds(day: date, timezone: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=timezone)
    return start, start + timedelta(days=1)


def shift_day(*, session: Session, day: date, timezone: tzinfo) -> list[PersonDay]:
    """Each dispatcher's and shift lead's acts on the (local) day, the busiest first."""
    start, end = day_bounds(day, timezone)
    rows = session.exec(
        select(TicketEvent.actor_id, TicketEvent.actor_name, TicketEvent.role, TicketEvent.action, func.count(),
               func.min(TicketEvent.at), func.max(TicketEvent.at))
        .where(col(TicketEvent.at) >= start, col(TicketEvent.at) < end,
               col(TicketEvent.role).in_([str(r) for r in SHIFT_ROLES]))
        .group_by(TicketEvent.actor_id, TicketEvent.actor_name, TicketEvent.role, TicketEvent.action)
    ).all()
    ids = {r[0] for r in rows if r[0] is not None}
    names = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(ids))).all()) if ids else {}
    people: dict[tuple, PersonDay] = {}
    for actor_id, actor_name, role, action, n, first, last in rows:
        person = people.setdefault((actor_id, actor_name, role),
                                   PersonDay(actor_name, names.get(actor_id) or actor_name, role))
        person.acts[action] = person.acts.get(action, 0) + n
        person.first_at = min(filter(None, (person.first_at, first)), default=None)
        person.last_at = max(filter(None, (person.last_at, last)), default=None)
    return sorted(people.values(), key=lambda p: (-p.total, p.username))
