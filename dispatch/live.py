"""Live events, written to the outbox table in the same transaction as the change they report, so a
client that resumes from its last event id misses nothing. Delivery (websockets, Redis) is web's job."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlmodel import Session

from dispatch import newcase
from dispatch.models import LiveEvent, Ticket


def emit(*, session: Session, kind: str, at: datetime, ticket: Ticket | None = None, user_id: int | None = None,
         payload: dict[str, Any] | None = None) -> LiveEvent:
    event = LiveEvent(
        kind=kind, ticket_id=ticket.id if ticket else None,
        department_code=ticket.department_code if ticket else None,
        cell_code=ticket.cell_code if ticket else None, reporter_id=ticket.reporter_id if ticket else None,
        user_id=user_id,
        payload=_dumps(payload or {}), created_at=at,
    )
    newcase.keep(session, event)
    session.info.setdefault(_WRITTEN, []).append(event)
    return event


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, default=str)


_WRITTEN = "gridops.live_written"


def written(session: Session) -> list[LiveEvent]:
    """The live events this transaction has written so far."""
    return session.info.get(_WRITTEN, [])


_SENT = "gridops.live_sent"
_CASES = "gridops.live_cases"  # ticket id → its event in this transaction


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_written(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_CASES, None)
        if session.info.pop(_WRITTEN, None):
            session.info[_SENT] = True


def sent(session: Session) -> bool:
    """Whether a transaction of this session wrote live events since the last call (asked after a commit,
    to wake the live hubs only when there is something to deliver; after a rollback, once for nothing)."""
    return session.info.pop(_SENT, False)


def _ticket_payload(ticket: Ticket, action: str) -> dict[str, Any]:
    return {"id": ticket.id, "case_number": ticket.case_number, "status": str(ticket.status), "action": action,
            "lat": ticket.lat, "lng": ticket.lng, "category_code": ticket.category_code}


def forget(session: Session, ticket: Ticket) -> None:
    """The case's event is written: a later act in this transaction makes a new one."""
    session.info.get(_CASES, {}).pop(ticket.id, None)


def ticket_changed(*, session: Session, ticket: Ticket, action: str, at: datetime) -> LiveEvent:
    """The case's event. Several acts in one transaction (a report auto-registered and dispatched) make
    one event with the case as it ends up: its kind from the first act (created), its scope and payload
    from the last."""
    cases = session.info.setdefault(_CASES, {})
    earlier = cases.get(ticket.id)
    if earlier is not None:
        earlier.department_code, earlier.cell_code = ticket.department_code, ticket.cell_code
        earlier.payload, earlier.created_at = _dumps(_ticket_payload(ticket, action)), at
        newcase.keep(session, earlier)
        return earlier
    cases[ticket.id] = event = emit(session=session, kind="ticket.created" if action == "report" else "ticket.changed",
                                    at=at, ticket=ticket, payload=_ticket_payload(ticket, action))
    return event


def ticket_left(*, session: Session, ticket: Ticket, department_code: str, action: str, at: datetime) -> LiveEvent:
    """Tell a department that a case is no longer theirs (a return approved, a re-dispatch elsewhere): the
    case's own event is scoped to its new department, so the old one would never hear of it. Scoped to
    that department only (no cell, no reporter: they have the case's own event)."""
    event = emit(session=session, kind="ticket.changed", at=at,
                 payload={**_ticket_payload(ticket, action), "left_department": department_code})
    event.ticket_id, event.department_code = ticket.id, department_code
    return event
