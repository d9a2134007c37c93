"""Who sees which cases. A case outside the caller's scope answers 404, never 403, so ids don't leak."""

from __future__ import annotations

from sqlalchemy import false, or_, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from dispatch.models import Ticket
from grid.errors import NotFound
from grid.models import Role
from grid.people import Actor


def sees_all(actor: Actor) -> bool:
    """The centre (dispatchers, shift leads, supervisors, admins) and the system see every case."""
    return actor.role not in (Role.department, Role.worker, Role.citizen)


def visible(actor: Actor) -> ColumnElement[bool]:
    """SQL condition for the cases the actor may see: a department its own; a grid worker those in
    its cells and its own reports; the centre (dispatchers, shift leads, supervisors, admins) all."""
    if actor.role == Role.citizen:  # the public reaches a case only by its tracking token
        return false()
    if actor.role == Role.department:
        return Ticket.department_code == actor.department_code if actor.department_code else false()
    if actor.role == Role.worker:
        conditions = [Ticket.reporter_id == actor.user_id]
        if actor.cell_codes:
            conditions.append(col(Ticket.cell_code).in_(sorted(actor.cell_codes)))
        return or_(*conditions)
    return true()


def can_see(actor: Actor, ticket: Ticket) -> bool:
    if actor.role == Role.citizen:
        return False
    if actor.role == Role.department:
        return bool(actor.department_code) and ticket.department_code == actor.department_code
    if actor.role == Role.worker:
        return ticket.reporter_id == actor.user_id or ticket.cell_code in actor.cell_codes
    return True


def get_visible(*, session: Session, actor: Actor, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not can_see(actor, ticket):
        raise NotFound(f"no case with id {ticket_id}")
    return ticket
