"""What a citizen sees of their case through its private tracking link: the public status, the public
notes (a rejection's reason, the department's reply, a review's explanation), the department's name, the
expected time and what is expected by then (verified, accepted, done), the photos of the report and of the
result, and the rating. Never a staff member's name, another reporter's data or an internal comment.

The link holds an unguessable token; the case keeps only its SHA-256, so a copy of the database does not
open anybody's case."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from dispatch import sla
from dispatch.lifecycle import ACTIONS
from dispatch.models import TERMINAL, Photo, Rating, Ticket, TicketEvent
from dispatch.options import DispatchOptions
from dispatch.ratings import PUBLIC_SOURCES
from grid import catalogue
from grid.errors import NotFound

TRACK_PATH = "/c/t/"  # the tracking page's path: the link is TRACK_PATH + token
PUBLIC_PHOTO_STAGES = ("report", "resolve")
_PUBLIC_NOTES = frozenset(a.action for entries in ACTIONS.values() for a in entries if a.public_note)
_RATED_IN = frozenset(s for a in ACTIONS["rate"] for s in a.from_states)  # the states the table lets the public rate in


def new_token() -> tuple[str, str]:
    """A tracking token and its hash (what the case keeps)."""
    token = secrets.token_urlsafe(24)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find(*, session: Session, token: str) -> Ticket:
    """The case of a tracking token; the same 404 for a malformed, wrong or guessed one."""
    if not token or len(token) > 64:
        raise NotFound("no case has this tracking link")
    ticket = session.exec(select(Ticket).where(Ticket.tracking_hash == hash_token(token))).first()
    if ticket is None:
        raise NotFound("no case has this tracking link")
    return ticket


def rating_of(session: Session, ticket: Ticket) -> Rating | None:
    return session.exec(select(Rating).where(Rating.ticket_id == ticket.id, Rating.closing == ticket.closings)).first()


def cannot_rate(session: Session, ticket: Ticket, options: DispatchOptions, now: datetime) -> str | None:
    """Why the reporter cannot rate now (None: they can); ``ended``: the report was not handled as a case of its
    own (rejected, void, merged: a merged one's case is rated by its own reporter), so it never can."""
    if ticket.closings and rating_of(session, ticket) is not None:  # (a bad rating's review included)
        return "already_rated"
    if ticket.status in TERMINAL and ticket.status not in _RATED_IN:  # rejected, void, merged: never as itself
        return "ended"
    if ticket.source not in PUBLIC_SOURCES or ticket.status not in _RATED_IN or ticket.closed_at is None:
        return "not_closed"
    if now > ticket.closed_at + timedelta(days=options.rating_window_days):
        return "rating_window_closed"
    return None


MERGE_HOPS = 10  # a merged case's case may itself be merged later: followed this far at most


def merged_into(session: Session, ticket: Ticket) -> Ticket | None:
    """The case a merged report is handled with (its own merge target's, if that was merged later too)."""
    found = None
    for _ in range(MERGE_HOPS):
        if ticket.merged_into_id is None:
            break
        ticket = session.get(Ticket, ticket.merged_into_id)
        if ticket is None:
            break
        found = ticket
    return found


def _public_photos(session: Session, ticket: Ticket, target: Ticket | None) -> list[Photo]:
    """The report's photos and the result's; of a merged report, the result's of the case it is handled with."""
    mine = Photo.ticket_id == ticket.id
    clause = (mine & Photo.stage.in_(PUBLIC_PHOTO_STAGES)) if target is None else \
        ((mine & Photo.stage.in_(PUBLIC_PHOTO_STAGES)) | ((Photo.ticket_id == target.id) & (Photo.stage == "resolve")))
    return list(session.exec(select(Photo).where(clause).order_by(Photo.id)).all())


def _department(session: Session, ticket: Ticket) -> dict[str, str | None]:
    dept = catalogue.departments(session).get(ticket.department_code or "")
    return {"department_name": dept.name if dept else None,
            "department_name_en": (dept.name_en or dept.name) if dept else None}


def _merged_view(session: Session, target: Ticket) -> dict[str, Any]:
    """What a merged report's reporter sees of the case it is handled with: its number, public status,
    department, expected or closing time, and the department's public reply — never its reporter's words."""
    closed = target.status == "closed"
    expected_at, expected_stage = (None, None) if closed else _expected(session, target)
    replies = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == target.id,
                                                     TicketEvent.action == "resolve")
                           .order_by(TicketEvent.seq)).all()
    return {"case_number": target.case_number, "public_status": str(target.status),
            **_department(session, target),
            "expected_at": expected_at, "expected_stage": expected_stage,
            "closed_at": target.closed_at if closed else None,
            "notes": [{"at": e.at, "action": e.action, "text": e.reason} for e in replies if e.reason]}


def view(*, session: Session, ticket: Ticket, options: DispatchOptions, now: datetime) -> dict[str, Any]:
    category = catalogue.categories(session).get(ticket.category_code)
    events = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                    TicketEvent.action.in_(_PUBLIC_NOTES))
                          .order_by(TicketEvent.seq)).all()
    target = merged_into(session, ticket)
    photos = _public_photos(session, ticket, target)
    rating = rating_of(session, ticket)
    why_not = cannot_rate(session, ticket, options, now)
    closed = ticket.status == "closed"
    ended = ticket.status in TERMINAL  # closed, or not to be done as this case (rejected, void, merged)
    expected_at, expected_stage = (None, None) if ended else _expected(session, ticket)
    return {
        "case_number": ticket.case_number,
        "category_code": ticket.category_code,
        "category_name": (category.public_name or category.name) if category else ticket.category_code,
        "category_name_en": (category.public_name_en or category.name_en) if category else ticket.category_code,
        "public_status": str(ticket.status),
        "description": ticket.description,
        "address": ticket.address,
        "created_at": ticket.created_at,
        **_department(session, ticket),
        "expected_at": expected_at,
        "expected_stage": expected_stage,
        "closed_at": ticket.closed_at if closed else None,
        "notes": [{"at": e.at, "action": e.action, "text": e.reason} for e in events if e.reason],
        "photos": [{"id": p.id, "stage": p.stage, "url": f"/public/v1/track/{{token}}/photos/{p.id}"} for p in photos],
        "rating": ({"level": rating.level, "comment": rating.comment, "at": rating.at} if rating else None),
        "can_rate": why_not is None,
        "rate_until": (ticket.closed_at + timedelta(days=options.rating_window_days)) if why_not is None else None,
        "cannot_rate": why_not,
        "support_count": ticket.support_count,
        "merged_into": _merged_view(session, target) if target is not None else None,
    }


def _expected(session: Session, ticket: Ticket) -> tuple[datetime | None, str | None]:
    """When the case should be done, and the SLA stage whose deadline that is: the department's running
    handling (or rectification) deadline, else the earliest running one (verify, register, dispatch … before a
    department has it), so that the page can say 预计核实时间 rather than promise completion by then."""
    running = {t.stage: t for t in sla.case_timers(session, ticket).values() if t.active and t.paused_at is None}
    for stage in ("rectify", "handle"):
        if stage in running:
            return running[stage].due_at, stage
    if not running:
        return ticket.sla_due_at, None
    first = min(running.values(), key=lambda t: t.due_at)
    return first.due_at, first.stage


def photo(*, session: Session, ticket: Ticket, photo_id: int) -> Photo:
    found = session.get(Photo, photo_id)
    if found is not None and found.ticket_id == ticket.id and found.stage in PUBLIC_PHOTO_STAGES:
        return found
    if found is not None and found.stage == "resolve" and ticket.merged_into_id is not None:
        target = merged_into(session, ticket)  # a merged report: the result's photos of the case it is handled with
        if target is not None and found.ticket_id == target.id:
            return found
    raise NotFound(f"no photo {photo_id} on this case")

