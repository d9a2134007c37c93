"""The append-only, hash-chained audit trail.

Each case has its own chain: an event's hash covers its content and the previous event's hash, and
the case row keeps the newest hash and the count. Editing any past event breaks its hash, deleting one
breaks the link or the count, and ``verify`` finds both. One chain per case (rather than one global
chain) means appends never contend across cases; the case's version check already serialises acts on
one case."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from dispatch import newcase
from dispatch.models import Ticket, TicketCounter, TicketEvent
from grid.people import Actor

GENESIS = "0" * 64


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(event: TicketEvent) -> str:
    at = event.at.astimezone(UTC).isoformat(timespec="microseconds")
    body = [
        event.ticket_id, event.seq, event.actor_id, event.actor_name, event.role, event.action,
        event.from_status, event.to_status, event.reason, event.payload, at, event.prev_hash,
    ]
    due = event.due_at.astimezone(UTC).isoformat(timespec="microseconds") if event.due_at else None
    facts = [event.department_code, event.met_stage, event.on_time, due]
    if any(f is not None for f in facts):  # (events recorded before these facts were kept hash as they did)
        body.append(facts)
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def append(
    *,
    session: Session,
    ticket: Ticket,
    actor: Actor,
    action: str,
    from_status: str | None,
    to_status: str | None,
    at: datetime,
    reason: str = "",
    payload: dict[str, Any] | None = None,
    department_code: str | None = None,
    met_stage: str | None = None,
    on_time: bool | None = None,
    due_at: datetime | None = None,
) -> TicketEvent:
    event = TicketEvent(
        department_code=department_code, met_stage=met_stage, on_time=on_time, due_at=due_at,
        ticket_id=ticket.id,
        seq=ticket.audit_count + 1,
        actor_id=actor.user_id,
        actor_name=actor.username,
        role=str(actor.role),
        action=action,
        from_status=str(from_status) if from_status else None,
        to_status=str(to_status) if to_status else None,
        reason=reason,
        payload=canonical_json(payload or {}),
        at=at.astimezone(UTC),
        prev_hash=ticket.audit_head or GENESIS,
    )
    event.hash = event_hash(event)
    ticket.audit_head, ticket.audit_count = event.hash, event.seq
    newcase.keep(session, event)
    newcase.keep(session, ticket)
    return event


def timeline(*, session: Session, ticket_id: int) -> list[TicketEvent]:
    return list(session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.seq)))


@dataclass
class AuditProblem:
    case_number: str
    seq: int | None
    problem: str


def verify(*, session: Session, batch: int = 500) -> tuple[int, int, list[AuditProblem]]:
    """Check every case's chain. Returns (cases checked, events checked, problems)."""
    problems: list[AuditProblem] = []
    n_tickets = n_events = 0
    last_id = 0
    while True:
        tickets = session.exec(select(Ticket).where(Ticket.id > last_id).order_by(Ticket.id).limit(batch)).all()
        if not tickets:
            break
        last_id = tickets[-1].id
        ids = [t.id for t in tickets]
        events: dict[int, list[TicketEvent]] = {i: [] for i in ids}
        for ev in session.exec(
            select(TicketEvent).where(TicketEvent.ticket_id.in_(ids)).order_by(TicketEvent.ticket_id, TicketEvent.seq)
        ):
            events[ev.ticket_id].append(ev)
        for t in tickets:
            n_tickets += 1
            prev = GENESIS
            chain = events[t.id]
            for expected_seq, ev in enumerate(chain, start=1):
                n_events += 1
                if ev.seq != expected_seq:
                    problems.append(AuditProblem(t.case_number, ev.seq, f"event {expected_seq} is missing"))
                    break
                if ev.prev_hash != prev:
                    problems.append(AuditProblem(t.case_number, ev.seq, "link to the previous event is broken"))
                    break
                if event_hash(ev) != ev.hash:
                    problems.append(AuditProblem(t.case_number, ev.seq, "event content does not match its hash"))
                    break
                prev = ev.hash
            else:
                if len(chain) != t.audit_count or prev != (t.audit_head or GENESIS):
                    problems.append(
                        AuditProblem(t.case_number, None,
                                     f"the case records {t.audit_count} events but the trail has {len(chain)}")
                    )
        session.expunge_all()
    problems += missing_tickets(session=session)
    return n_tickets, n_events, problems


PREFIX = 13  # case number = kind+major+minor (5) + local date (8) + daily sequence


def missing_tickets(*, session: Session, listed: int = 100) -> list[AuditProblem]:
    """Each case's chain proves its own events; a case deleted with all its events leaves no chain to
    check. The case-number counters are the anchor: every number issued must still name a case (numbers
    are issued in the report's own transaction, so a refused report leaves no gap)."""
    issued = {c.prefix: c.value for c in session.exec(select(TicketCounter))}
    held: dict[str, set[int]] = {}
    for number in session.exec(select(Ticket.case_number)):
        if number[PREFIX:].isdigit():
            held.setdefault(number[:PREFIX], set()).add(int(number[PREFIX:]))
    problems = []
    for prefix, top in sorted(issued.items()):
        for seq in sorted(set(range(1, top + 1)) - held.get(prefix, set()))[:listed - len(problems)]:
            problems.append(AuditProblem(f"{prefix}{seq:04d}", None,
                                         "this case number was issued but the case is gone (deleted?)"))
    return problems
