"""What an act carries and what it does beyond moving the state: payload models and effect functions,
named by ``dispatch.lifecycle.TABLE``. An effect reads and changes the case through its context and
returns what goes on the record (the audit event's payload)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator
from sqlmodel import Session, select

from dispatch import newcase
from dispatch.models import TERMINAL, RoutingDecisionRecord, Ticket, TicketEvent
from dispatch.options import DispatchOptions
from grid import catalogue, routing
from grid.errors import CategoryDisabled, InvalidInput, UnknownCategory, UnknownDepartment
from grid.models import Category, Role
from grid.people import Actor

# --- payloads --------------------------------------------------------------------------------------


class NoPayload(BaseModel):
    """The act carries nothing beyond its reason."""

    model_config = ConfigDict(extra="forbid")


class DispatchPayload(NoPayload):
    department_code: StrictStr | None = Field(
        default=None, max_length=64, description="the department; the routing suggestion when left out")


def _hours(value: Any) -> Any:
    if value is None:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("hours must be a number of working hours, e.g. 8")
    try:
        hours = float(value)
    except (ValueError, OverflowError):
        raise ValueError("hours must be a number of working hours, e.g. 8") from None
    if not math.isfinite(hours) or hours <= 0:
        raise ValueError("hours must be a number of working hours more than 0, e.g. 8")
    return hours


class ExtensionPayload(NoPayload):
    hours: float = Field(description="the working hours asked for")

    _check = field_validator("hours", mode="before")(_hours)


class ApproveExtensionPayload(NoPayload):
    hours: float | None = Field(default=None, description="the working hours approved; the request's when left out")

    _check = field_validator("hours", mode="before")(_hours)


class MergePayload(NoPayload):
    into: StrictStr | StrictInt | None = Field(default=None,
                                               description="the case number (or id) of the open case to merge into")


class ClosePayload(NoPayload):
    close_type: Literal["normal", "special"] = "normal"


# --- effects ---------------------------------------------------------------------------------------


@dataclass
class ActContext:
    session: Session
    ticket: Ticket
    actor: Actor
    payload: Any  # the act's payload model
    options: DispatchOptions
    at: datetime
    #: record an act on another case (``merged_in`` on the case a case is merged into)
    record_on: Callable[..., TicketEvent]


def case_category(session: Session, code: str | None) -> Category:
    """The class a case has, enabled or not: a case keeps the class it was reported with when an admin
    disables the class later."""
    cat = catalogue.categories(session).get((code or "").strip().upper())
    if cat is None:
        raise UnknownCategory(
            f"unknown category {code!r}: pick a minor class from GET /api/v1/categories (e.g. E0101)",
            field="category_code", value=str(code or ""),
        )
    return cat


def category_of(session: Session, code: str | None) -> Category:
    """The class for a new case: a known one that is enabled."""
    cat = case_category(session, code)
    if not cat.active:
        raise CategoryDisabled(
            f"category {cat.code} ({cat.name}) is disabled and takes no new reports: pick another minor class "
            "from GET /api/v1/categories", field="category_code", value=cat.code)
    return cat


def route(*, session: Session, ticket: Ticket, at: datetime) -> routing.RouteDecision:
    """Decide the department by the routing rules and keep the decision with its reason."""
    category = case_category(session, ticket.category_code)
    decision = routing.route(session=session, category=category, cell_code=ticket.cell_code, urgency=ticket.urgency)
    newcase.keep(session, RoutingDecisionRecord(ticket_id=ticket.id, rule_id=decision.rule_id,
                                      department_code=decision.department_code, reason=decision.reason,
                                      decided_at=at))
    ticket.suggested_department_code = decision.suggested_department_code
    return decision


def register(ctx: ActContext) -> dict:
    decision = route(session=ctx.session, ticket=ctx.ticket, at=ctx.at)
    record = {"suggested_department_code": decision.suggested_department_code, "routing": decision.reason}
    if decision.department_code:  # a rule names the department: the case may be dispatched at once
        record |= {"department_code": decision.department_code, "rule_id": decision.rule_id}
    return record


def _department(session: Session, code: str | None) -> str:
    if not code or code not in catalogue.departments(session):
        raise UnknownDepartment(
            f"unknown department {code!r}: pick one from GET /api/v1/departments", field="department_code",
            value=str(code or ""),
        )
    return code


def dispatch(ctx: ActContext) -> dict:
    ticket = ctx.ticket
    code = _department(ctx.session, ctx.payload.department_code or ticket.suggested_department_code)
    ticket.department_code = code
    if ctx.actor.role != Role.system:  # the system dispatches by the rule register already put on record
        newcase.keep(ctx.session, RoutingDecisionRecord(
            ticket_id=ticket.id, rule_id=None, department_code=code, decided_at=ctx.at,
            reason=routing.manual_reason(username=ctx.actor.username, department_code=code,
                                         suggested_department_code=ticket.suggested_department_code)))
    return {"department_code": code, "suggested_department_code": ticket.suggested_department_code}


def approve_return(ctx: ActContext) -> dict:
    record = {"returned_by": ctx.ticket.department_code}
    ctx.ticket.department_code = None
    return record


def _within_limit(hours: float, options: DispatchOptions) -> float:
    if hours > options.max_extension_hours:
        raise InvalidInput(f"hours must be more than 0 and at most {options.max_extension_hours:g}",
                           code="extension_hours_out_of_range", field="hours", max_hours=options.max_extension_hours)
    return hours


def request_extension(ctx: ActContext) -> dict:
    return {"hours": _within_limit(ctx.payload.hours, ctx.options)}


def approve_extension(ctx: ActContext) -> dict:
    last = ctx.session.exec(
        select(TicketEvent).where(TicketEvent.ticket_id == ctx.ticket.id, TicketEvent.action == "request_extension")
        .order_by(TicketEvent.seq.desc())
    ).first()
    requested = json.loads(last.payload).get("hours") if last else None
    hours = ctx.payload.hours if ctx.payload.hours is not None else requested
    if hours is None:
        raise InvalidInput("say how many working hours to approve: payload {\"hours\": 8}",
                           code="extension_hours_required", field="hours")
    hours = _within_limit(hours, ctx.options)
    ctx.ticket.extension_hours += hours
    return {"hours": hours, "requested_hours": requested}


def merge(ctx: ActContext) -> dict:
    session, ticket, into = ctx.session, ctx.ticket, ctx.payload.into
    if into is None or into == "":
        raise InvalidInput("say which case to merge into: payload {\"into\": CASE_NUMBER}",
                           code="merge_target_required", field="into")
    target = session.exec(select(Ticket).where(Ticket.case_number == str(into))).first()
    if target is None and str(into).isdigit() and int(into) <= 2**31 - 1:
        target = session.get(Ticket, int(into))
    if target is None:
        raise InvalidInput(f"no case {into!r} to merge into", code="merge_target_unknown", field="into",
                           into=str(into))
    if target.id == ticket.id:
        raise InvalidInput("a case cannot be merged into itself", code="merge_into_itself", field="into")
    if target.status in TERMINAL:
        raise InvalidInput(f"case {target.case_number} is {target.status}; merge into an open case",
                           code="merge_target_closed", field="into", into=target.case_number,
                           status=str(target.status))
    target.support_count += ticket.support_count + 1
    ticket.merged_into_id = target.id
    ctx.record_on(ticket=target, action="merged_in", payload={"case_number": ticket.case_number})
    return {"into": target.case_number}


def close(ctx: ActContext) -> dict:
    ticket = ctx.ticket
    ticket.closings += 1  # a rating belongs to this closing
    if ticket.source in ("citizen", "hotline"):  # the reporter is called back (回访) for a rating
        ticket.callback_state, ticket.callback_tries = "pending", 0
    return {"close_type": ctx.payload.close_type}
